"""Each business event reaches the endpoints that want it, with what it says: a customer
joins, consents, buys with a code, moves up a tier, is refunded, has points about to
expire. Events are only made when what they report is committed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from tests.messaging.stubs import HTTPStub, RecordedRequest, StubResponse
from wateja.customers.services import consent_record, customer_create
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.orders.refunds import order_refund
from wateja.promotions.services import (
    codes_issue,
    promotion_save,
    promotion_set_status,
    tier_save,
)
from wateja.wallet.services import points_earn, wallet_settings_update
from wateja.webhooks.models import Delivery
from wateja.webhooks.services import deliveries_send_due, endpoint_save, points_expiring_emit


class Receiver(HTTPStub):
    def respond(self, request: RecordedRequest) -> StubResponse:
        return StubResponse.of_json(200, {})


@pytest.fixture
def hooked(business, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with Receiver() as receiver:
        endpoint_save(business=business, url=receiver.url + "/in")
        yield receiver


def events(business, event_type):
    return [d.payload for d in Delivery.objects.filter(business=business, event_type=event_type)]


def test_a_sale_with_a_code_a_tier_and_a_refund_are_told(business, hooked):
    tier_save(business=business, name="Gold", min_spend_minor=50_000)
    offer = promotion_save(
        business=business,
        name="100 off",
        type="amount_off_order",
        params={"amount_minor": 10_000},
        requires_code=True,
    )
    promotion_set_status(promotion=offer, status="active")
    codes_issue(promotion=offer, code="KARIBU", kind="reusable")
    customer = customer_create(business=business, name="Amina", phone="0712345678")
    [joined] = events(business, "customer.created")
    assert joined["data"]["customer"]["name"] == "Amina"
    assert joined["data"]["customer"]["card_number"]

    sale = SaleInput(currency="KES", total_minor=60_000, codes=("KARIBU",))
    checkout_reserve(business=business, key="k1", sale=sale, customer=customer)
    order = checkout_commit(business=business, key="k1")
    [committed] = events(business, "order.committed")
    assert committed["data"]["order"]["id"] == order.pk
    assert committed["data"]["order"]["total_minor"] == 50_000
    [code] = events(business, "code.redeemed")
    assert code["data"]["code"] == "KARIBU" and code["data"]["order_id"] == order.pk
    [tier] = events(business, "tier.changed")
    assert tier["data"]["to"]["name"] == "Gold" and tier["data"]["customer_id"] == customer.pk

    order_refund(order=order, refund_id="r1", amount_minor=20_000)
    [refunded] = events(business, "order.refunded")
    assert refunded["data"]["refund"]["amount_minor"] == 20_000
    assert refunded["data"]["order"]["refunded_minor"] == 20_000

    assert deliveries_send_due()["delivered"] == 5
    assert len(hooked.requests) == 5


def test_consent_changes_are_told(business, hooked):
    customer = customer_create(business=business, name="Amina", phone="0712345678")
    consent_record(
        customer=customer, channel="sms", granted=False, text="STOP", source="unsubscribe"
    )
    [changed] = events(business, "consent.changed")
    assert changed["data"] == {
        "customer_id": customer.pk,
        "channel": "sms",
        "purpose": "marketing",
        "granted": False,
        "source": "unsubscribe",
    }


def test_nothing_is_told_of_what_was_rolled_back(business, hooked):
    def failing_request():
        with transaction.atomic():
            customer_create(business=business, name="Ghost", phone="0712000000")
            raise RuntimeError("the request failed after the customer was made")

    with pytest.raises(RuntimeError):
        failing_request()
    assert events(business, "customer.created") == []


def test_points_about_to_expire_are_told_once(business, hooked):
    wallet_settings_update(business=business, expiry_rule="days", expiry_n=10)
    customer = customer_create(business=business, name="Amina", phone="0712345678")
    earned_at = timezone.now() - dt.timedelta(days=5)
    points_earn(customer=customer, amount=40, idempotency_key="e1", now=earned_at)
    assert points_expiring_emit() == 1
    assert points_expiring_emit() == 0
    [expiring] = events(business, "points.expiring")
    assert expiring["data"]["amount"] == 40 and expiring["data"]["customer_id"] == customer.pk
