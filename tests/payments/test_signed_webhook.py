"""The generic payment webhook (Tigo Pesa, Airtel Money, Idram, a shop's till system) as a
sender calls it over HTTP: signed bodies only, replays and forgeries refused, the same matching
and idempotency as M-Pesa, the signing secret rotated with a day's overlap; and the payments
API for managers."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import time_machine
from django.utils import timezone

from wateja.core.signatures import signature_header
from wateja.customers.services import customer_create
from wateja.orders.models import Order
from wateja.payments.incoming import SIGNATURE_HEADER, signing_secret_rotate
from wateja.payments.models import Payment, PaymentStatus
from wateja.payments.services import payment_settings
from wateja.tenants.roles import Role


@pytest.fixture
def row(business):
    return payment_settings(business)


@pytest.fixture
def akinyi(business):
    return customer_create(business=business, name="Akinyi Otieno", phone="0722000111")


def body(**changes):
    data = {
        "provider": "airtelmoney",
        "reference": "AM-77120",
        "amount_minor": 45_000,
        "currency": "KES",
        "paid_at": timezone.now().isoformat(),
        "account": "0722000111",
        "payer_name": "AKINYI",
    }
    data.update(changes)
    return json.dumps(data).encode()


def send(anonymous_api, token, raw, secret=None, timestamp=None, header=None):
    if header is None:
        header = signature_header(secret, timestamp or int(time.time()), raw)
    return anonymous_api.post(f"/payments/incoming/{token}", raw, **{SIGNATURE_HEADER: header})


def test_a_signed_payment_to_a_customers_phone_becomes_their_sale_once(
    business, row, akinyi, anonymous_api
):
    raw = body()
    first = send(anonymous_api, row.hook_token, raw, row.signing_secret)
    assert first.status_code == 200, first.content
    assert first.json()["created"] is True and first.json()["status"] == "matched"
    assert first.json()["customer_id"] == akinyi.pk
    again = send(anonymous_api, row.hook_token, raw, row.signing_secret)
    assert again.json()["created"] is False
    assert again.json()["order_id"] == first.json()["order_id"]
    assert Order.objects.filter(business=business).count() == 1
    assert Order.objects.get(business=business).channel == "airtelmoney"


@pytest.mark.parametrize(
    "forge",
    [
        lambda row, raw: {"secret": "guessed"},
        lambda row, raw: {"header": ""},
        lambda row, raw: {"header": "t=1,v1=abc"},
        lambda row, raw: {"secret": row.signing_secret, "timestamp": int(time.time()) - 600},
    ],
    ids=["wrong secret", "unsigned", "malformed", "replayed"],
)
def test_forged_unsigned_and_replayed_bodies_are_refused(
    business, row, akinyi, anonymous_api, forge
):
    raw = body()
    response = send(anonymous_api, row.hook_token, raw, **forge(row, raw))
    assert response.status_code == 401
    assert response.json()["code"] == "callback_not_authenticated"
    assert not Payment.objects.filter(business=business).exists()


def test_a_body_changed_after_signing_is_refused(business, row, akinyi, anonymous_api):
    header = signature_header(row.signing_secret, int(time.time()), body())
    response = send(anonymous_api, row.hook_token, body(amount_minor=1), header=header)
    assert response.status_code == 401
    assert not Payment.objects.filter(business=business).exists()


def test_an_unknown_address_and_bad_fields_answer_clearly(business, row, anonymous_api):
    raw = body()
    unknown = send(anonymous_api, "no-such-token", raw, row.signing_secret)
    assert unknown.status_code == 404
    naive = body(paid_at="2026-12-07T10:00:00")
    bad = send(anonymous_api, row.hook_token, naive, row.signing_secret)
    assert bad.status_code == 422
    mpesa = body(provider="mpesa")
    refused = send(anonymous_api, row.hook_token, mpesa, row.signing_secret)
    assert refused.status_code == 422
    assert not Payment.objects.filter(business=business).exists()


def test_after_a_rotation_the_old_secret_works_for_a_day_only(business, row, anonymous_api):
    old = row.signing_secret
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        row = signing_secret_rotate(row)
        assert row.signing_secret != old
        ok = send(anonymous_api, row.hook_token, body(reference="A1"), old, int(start.timestamp()))
        assert ok.status_code == 200
    later = start + dt.timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        stamp = int(later.timestamp())
        stale = send(anonymous_api, row.hook_token, body(reference="A2"), old, stamp)
        assert stale.status_code == 401
        fresh = send(anonymous_api, row.hook_token, body(reference="A3"), row.signing_secret, stamp)
        assert fresh.status_code == 200


def test_managers_list_and_match_waiting_payments_through_the_api(
    business, row, akinyi, anonymous_api, api_for
):
    send(anonymous_api, row.hook_token, body(account="TABLE 9"), row.signing_secret)
    manager = api_for(business, Role.MANAGER)
    waiting = manager.get("/payments?status=unmatched").json()["items"]
    assert [p["reference"] for p in waiting] == ["AM-77120"]
    cashier = api_for(business, Role.CASHIER)
    assert cashier.get("/payments").status_code == 403
    pid = waiting[0]["id"]
    assert cashier.post(f"/payments/{pid}/match", {"phone": "0722000111"}).status_code == 403
    matched = manager.post(f"/payments/{pid}/match", {"phone": "0722000111"})
    assert matched.status_code == 200, matched.content
    assert matched.json()["status"] == "matched" and matched.json()["customer_id"] == akinyi.pk
    again = manager.post(f"/payments/{pid}/match", {"phone": "0722000111"})
    assert again.status_code == 409 and again.json()["code"] == "payment_already_handled"
    assert Payment.objects.get(pk=pid).status == PaymentStatus.MATCHED


def test_another_business_cannot_see_or_match_the_payment(
    business, other_business, row, akinyi, anonymous_api, api_for
):
    send(anonymous_api, row.hook_token, body(account="TABLE 9"), row.signing_secret)
    pid = Payment.objects.get(business=business).pk
    stranger = api_for(other_business, Role.OWNER)
    assert stranger.get("/payments").json()["items"] == []
    assert stranger.post(f"/payments/{pid}/match", {"phone": "0722000111"}).status_code == 404
    assert stranger.post(f"/payments/{pid}/set-aside").status_code == 404
