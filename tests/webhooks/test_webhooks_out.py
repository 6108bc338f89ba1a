"""Webhooks out, against a local receiver: only public https addresses (or private ones when
allowed), one delivery per endpoint that wants the event, signed bodies the receiver can check,
retries on the documented schedule until given up, replay, secret rotation with a day's
overlap, no attempt sent twice by parallel workers; the API and screens are the owner's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from tests.concurrency import race, unexpected
from tests.messaging.stubs import HTTPStub, RecordedRequest, StubResponse
from wateja.core.errors import ValidationFailed
from wateja.core.signatures import BadSignature, signature_verify
from wateja.tenants.roles import Role
from wateja.webhooks.models import Delivery, DeliveryStatus
from wateja.webhooks.services import (
    RETRY_AFTER,
    deliveries_create,
    deliveries_send_due,
    delivery_replay,
    endpoint_save,
    endpoint_secret_rotate,
)


class Receiver(HTTPStub):
    def respond(self, request: RecordedRequest) -> StubResponse:
        return StubResponse.of_json(200, {"ok": True})


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with Receiver() as stub:
        yield stub


@pytest.fixture
def endpoint(business, receiver):
    return endpoint_save(business=business, url=receiver.url + "/hooks/wateja", event_types=[])


def emit(business, event_type="order.committed", data=None, at=None):
    return deliveries_create(
        business_id=business.pk,
        event_type=event_type,
        data=data or {"order": {"id": 7, "total_minor": 45_000}},
        occurred_at=at or timezone.now(),
    )


def verified(request: RecordedRequest, secret: str, now: dt.datetime) -> dict:
    signature_verify(
        [secret], request.headers["x-wateja-signature"], request.body, int(now.timestamp())
    )
    return json.loads(request.body)


@pytest.mark.parametrize(
    ("url", "allow", "message"),
    [
        ("http://example.com/h", False, "The address must start with https://."),
        ("https://127.0.0.1/h", False, "This address is inside a private network"),
        ("https://10.1.2.3/h", False, "This address is inside a private network"),
        ("https://user:pw@example.com/h", False, "without a user name or password"),
        ("ftp://127.0.0.1/h", True, "The address must start with https://."),
    ],
)
def test_only_public_https_addresses_unless_private_ones_are_allowed(
    business, settings, url, allow, message
):
    settings.WEBHOOKS_ALLOW_PRIVATE = allow
    with pytest.raises(ValidationFailed) as error:
        endpoint_save(business=business, url=url)
    assert message in error.value.details["fields"]["url"][0]


def test_unknown_event_types_are_refused(business, receiver):
    with pytest.raises(ValidationFailed):
        endpoint_save(business=business, url=receiver.url, event_types=["order.stolen"])


def test_each_endpoint_gets_only_the_events_it_wants_signed_with_its_secret(business, receiver):
    everything = endpoint_save(business=business, url=receiver.url + "/all")
    refunds = endpoint_save(
        business=business, url=receiver.url + "/refunds", event_types=["order.refunded"]
    )
    now = timezone.now()
    assert emit(business, "order.committed", at=now) == 1
    assert emit(business, "order.refunded", {"order": {"id": 7}}, at=now) == 2
    assert deliveries_send_due(now=now)["delivered"] == 3
    by_path = {}
    for request in receiver.requests:
        by_path.setdefault(request.path, []).append(request)
    assert [json.loads(r.body)["type"] for r in by_path["/refunds"]] == ["order.refunded"]
    assert len(by_path["/all"]) == 2
    body = verified(by_path["/refunds"][0], refunds.secret, now)
    assert body["data"] == {"order": {"id": 7}} and body["id"].startswith("evt_")
    assert by_path["/refunds"][0].headers["x-wateja-event"] == "order.refunded"
    with pytest.raises(BadSignature):
        verified(by_path["/refunds"][0], everything.secret, now)
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 3


def test_a_failing_receiver_is_retried_on_schedule_then_given_up(business, endpoint, receiver):
    receiver.answer_next(StubResponse.of_text(503, "down for maintenance"), times=20)
    start = timezone.now()
    emit(business, at=start)
    when = start
    for attempt, wait in enumerate(RETRY_AFTER, start=1):
        with time_machine.travel(when, tick=False):
            deliveries_send_due(now=when)
        delivery = Delivery.objects.get()
        assert delivery.attempts == attempt and delivery.status == DeliveryStatus.RETRYING
        assert delivery.last_status_code == 503
        assert delivery.last_response == "down for maintenance"
        assert delivery.next_attempt_at == when + dt.timedelta(seconds=wait)
        # nothing is sent before it is due
        assert deliveries_send_due(now=when + dt.timedelta(seconds=wait - 1))["retrying"] == 0
        when += dt.timedelta(seconds=wait)
    deliveries_send_due(now=when)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == len(RETRY_AFTER) + 1
    assert len(receiver.requests) == len(RETRY_AFTER) + 1


def test_a_receiver_that_hangs_is_an_error_and_retried(business, endpoint, receiver, monkeypatch):
    monkeypatch.setattr("wateja.webhooks.services.TIMEOUT_SECONDS", 0.5)
    receiver.hang_next(seconds=3)
    emit(business)
    deliveries_send_due()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.last_status_code is None
    assert delivery.last_error


def test_a_delivery_sent_again_carries_the_same_body(business, endpoint, receiver):
    emit(business)
    deliveries_send_due()
    first = Delivery.objects.get()
    again = delivery_replay(delivery=first)
    deliveries_send_due()
    assert Delivery.objects.get(pk=again.pk).status == DeliveryStatus.DELIVERED
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert bodies[0] == bodies[1]


def test_after_a_rotation_both_secrets_sign_for_a_day(business, endpoint, receiver):
    old = endpoint.secret
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        rotated = endpoint_secret_rotate(endpoint=endpoint)
        emit(business, at=start)
        deliveries_send_due(now=start)
    verified(receiver.last, old, start)
    verified(receiver.last, rotated.secret, start)
    later = start + dt.timedelta(hours=25)
    emit(business, at=later)
    deliveries_send_due(now=later)
    verified(receiver.last, rotated.secret, later)
    with pytest.raises(BadSignature):
        verified(receiver.last, old, later)


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_send_the_same_attempt_twice(business, endpoint, receiver):
    now = timezone.now()
    for n in range(6):
        emit(business, data={"n": n}, at=now)
    results = race(3, lambda _i: deliveries_send_due(now=now))
    assert unexpected(results) == []
    assert len(receiver.requests) == 6
    assert sorted(json.loads(r.body)["data"]["n"] for r in receiver.requests) == list(range(6))


def test_the_owner_manages_endpoints_through_the_api_and_others_cannot(
    business, other_business, receiver, api_for
):
    owner = api_for(business, Role.OWNER)
    made = owner.post(
        "/webhooks", {"url": receiver.url + "/x", "event_types": ["customer.created"]}
    )
    assert made.status_code == 201, made.content
    endpoint_id = made.json()["id"]
    assert made.json()["secret"].startswith("whsec_")
    assert api_for(business, Role.MANAGER).get("/webhooks").status_code == 403
    assert api_for(other_business, Role.OWNER).get("/webhooks").json() == []
    bad = owner.post("/webhooks", {"url": "http://example.com", "event_types": []})
    assert bad.status_code == 422
    tested = owner.post(f"/webhooks/{endpoint_id}/test", {"event_type": "customer.created"})
    assert tested.json()["status"] == "delivered"
    log = owner.get(f"/webhook-deliveries?endpoint_id={endpoint_id}").json()["items"]
    assert [d["event_type"] for d in log] == ["customer.created"]
    again = owner.post(f"/webhook-deliveries/{log[0]['id']}/replay")
    assert again.status_code == 201 and again.json()["replay_of_id"] == log[0]["id"]
    stranger = api_for(other_business, Role.OWNER)
    assert stranger.post(f"/webhook-deliveries/{log[0]['id']}/replay").status_code == 404
    assert owner.delete(f"/webhooks/{endpoint_id}").status_code == 204


def test_the_owner_adds_an_endpoint_on_screen_and_sees_its_log(business, receiver, staff_client):
    owner = staff_client(business, Role.OWNER)
    done = owner.post(
        "/settings/webhooks/",
        {"url": receiver.url + "/screen", "event_types": ["order.committed"], "active": "on"},
    )
    assert done.status_code == 302
    page_url = done["Location"]
    owner.post(page_url + "test/", {"event_type": "order.committed"})
    page = owner.get(page_url).content.decode()
    assert "A sale was recorded" in page and "Delivered" in page
    refused = owner.post("/settings/webhooks/", {"url": "ftp://x", "active": "on"})
    assert "The address must start with https://." in refused.content.decode()
    assert staff_client(business, Role.MANAGER).get("/settings/webhooks/").status_code == 403
