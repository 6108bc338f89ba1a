"""Messages a customer asks for at the counter: the welcome with the card number right after
enrolment (public page, staff screen, API) and the receipt by SMS or e-mail from the till."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.messaging.factories import person
from wateja.messaging.automations import automation_save
from wateja.messaging.composing import template_save
from wateja.messaging.models import Message
from wateja.orders.models import Order
from wateja.wallet.services import points_earn

EN = {"Accept-Language": "en"}


@pytest.fixture
def welcome(business):
    template = template_save(
        business=business, name="Welcome", channel="sms", purpose="service",
        variants=[{"texts": {"en": {"body": "Karibu {name}! Your card: {card}"}}}],
    )  # fmt: skip
    return automation_save(business=business, kind="welcome", sms_template_id=template.pk)


def test_public_enrolment_sends_the_card_number_at_once(business, welcome) -> None:
    response = Client().post(
        f"/join/{business.slug}/",
        {"name": "Neema Mwangi", "phone": "0712555444", "consent_sms": "on"},
        headers=EN,
    )
    assert response.status_code == 200
    message = Message.objects.get(automation=welcome)
    card = message.customer.cards.get()
    assert message.body == f"Karibu Neema! Your card: {card.number}"
    assert message.to_address == "+254712555444"


def test_staff_and_api_enrolment_also_welcome(business, welcome, staff_client, api) -> None:
    client = staff_client(business)
    client.post("/customers/new/", {"name": "Juma Staff", "phone": "0712555001"}, headers=EN)
    api.post("/customers", {"name": "Api Person", "phone": "0712555002"})
    names = sorted(m.customer.name for m in Message.objects.filter(automation=welcome))
    assert names == ["Api Person", "Juma Staff"]


def _order(business, customer):
    return Order.objects.create(
        business=business, customer=customer, number="KC-1001", currency="KES",
        subtotal_minor=45_000, total_minor=45_000, placed_at="2026-11-27T09:00:00Z",
    )  # fmt: skip


def test_receipt_by_sms_from_the_till_once(business, staff_client) -> None:
    customer = person(business, sms=None)
    points_earn(customer=customer, amount=45, idempotency_key="r-1")
    order = _order(business, customer)
    client = staff_client(business, role="cashier")
    page = client.get(f"/orders/{order.pk}/receipt/", headers=EN)
    assert b'data-testid="receipt-sms"' in page.content
    client.post(f"/orders/{order.pk}/receipt/send/", {"channel": "sms"}, headers=EN)
    client.post(f"/orders/{order.pk}/receipt/send/", {"channel": "sms"}, headers=EN)

    message = Message.objects.get()
    assert message.body == (
        "Kahawa Test: receipt KC-1001, total KES450.00. Balance: 45 points. Thank you!"
    )
    assert (message.purpose, message.status, message.not_before) == ("service", "queued", None)


def test_receipt_without_a_phone_is_a_clear_error(business, api) -> None:
    customer = person(business, sms=None, email=True, phone="")
    order = _order(business, customer)
    response = api.post(f"/orders/{order.pk}/receipt", {"channel": "sms"})
    assert response.status_code == 409
    assert response.json()["code"] == "no_contact"
    by_mail = api.post(f"/orders/{order.pk}/receipt", {"channel": "email"})
    assert by_mail.status_code == 201
    assert by_mail.json()["subject"] == "Your receipt from Kahawa Test"
