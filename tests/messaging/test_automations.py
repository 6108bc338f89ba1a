"""Automations: each trigger sends its template once per event, after its delay, with the
right placeholders; new automations don't blast old events."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.messaging.factories import NOON, email_template, person
from wateja.core.errors import ValidationFailed
from wateja.messaging.automations import automation_run, automation_save
from wateja.messaging.composing import template_save
from wateja.messaging.inbound import feedback_give
from wateja.messaging.models import Message, MessageStatus
from wateja.messaging.worker import outbox_send_due
from wateja.orders.models import Checkout, Order, OrderLine
from wateja.orders.services import customer_stats_recompute
from wateja.wallet.models import Lot
from wateja.wallet.services import points_earn


def _template(business, body, name=None, purpose="marketing"):
    return template_save(
        business=business, name=name or body[:30], channel="sms", purpose=purpose,
        variants=[{"texts": {"en": {"body": body}}}],
    )  # fmt: skip


def _automation(business, kind, body, *, at=NOON, purpose="marketing", **extra):
    with time_machine.travel(at, tick=False):
        return automation_save(
            business=business, kind=kind,
            sms_template_id=_template(business, body, purpose=purpose).pk, **extra,
        )  # fmt: skip


def _order(business, customer, placed_at, *, number=None, category=""):
    order = Order.objects.create(
        business=business, customer=customer, number=number or f"N{Order.objects.count() + 1}",
        currency="KES", subtotal_minor=10_000, total_minor=10_000, placed_at=placed_at,
    )  # fmt: skip
    if category:
        OrderLine.objects.create(
            business=business, order=order, sku="X1", name="Blender", category=category,
            quantity=1, unit_price_minor=10_000,
        )  # fmt: skip
    customer_stats_recompute(business=business, customer_ids=[customer.pk])
    return order


def _sent_to(automation):
    return list(
        Message.objects.filter(automation=automation).values_list("customer_id", "body", "status")
    )


def test_welcome_sends_the_card_number_at_once_and_only_to_new_customers(business) -> None:
    with time_machine.travel(NOON - dt.timedelta(days=3), tick=False):
        before = person(business, "Old Timer")
    automation = _automation(
        business, "welcome", "Karibu {name}! Card {card} at {shop}", purpose="service",
        at=NOON + dt.timedelta(minutes=1),
    )  # fmt: skip
    with time_machine.travel(NOON + dt.timedelta(minutes=5), tick=False):
        new = person(
            business, "Neema Mwangi", sms=None
        )  # service message: no marketing consent needed
    automation_run(automation=automation, now=NOON + dt.timedelta(minutes=6))
    automation_run(automation=automation, now=NOON + dt.timedelta(minutes=7))

    messages = Message.objects.filter(automation=automation)
    assert [m.customer_id for m in messages] == [new.pk]
    message = messages.get()
    card = new.cards.get()
    assert message.body == f"Karibu Neema! Card {card.number} at Kahawa Test"
    assert message.not_before is None  # the customer is at the counter: no quiet-hours wait
    assert before.pk not in [m.customer_id for m in messages]


def test_thank_you_waits_for_its_delay_and_sends_once_per_order(business) -> None:
    customer = person(business)
    automation = _automation(business, "thank_you", "Asante {name}!", delay_hours=2)
    _order(business, customer, NOON + dt.timedelta(minutes=30))

    automation_run(automation=automation, now=NOON + dt.timedelta(hours=1))
    assert _sent_to(automation) == []
    automation_run(automation=automation, now=NOON + dt.timedelta(hours=3))
    automation_run(automation=automation, now=NOON + dt.timedelta(hours=4))
    assert _sent_to(automation) == [(customer.pk, "Asante Amina!\nReply STOP to opt out", "queued")]


def test_support_contacts_only_after_a_flagged_category(business) -> None:
    business.support_phone = "+254 700 111 222"
    business.save()
    buyer = person(business, "Equipment Buyer")
    other = person(business, "Coffee Buyer")
    automation = _automation(
        business, "support", "{shop} support: {support}", purpose="service",
        categories="equipment, machines",
    )  # fmt: skip
    _order(business, buyer, NOON + dt.timedelta(minutes=1), category="equipment")
    _order(business, other, NOON + dt.timedelta(minutes=2), category="coffee")
    automation_run(automation=automation, now=NOON + dt.timedelta(minutes=10))
    assert _sent_to(automation) == [(buyer.pk, "Kahawa Test support: +254 700 111 222", "queued")]


def test_birthday_once_per_year(business) -> None:
    birthday = person(business, "Birthday Girl", birth_day=27, birth_month=11)
    twin = person(business, "Twin Sister", birth_day=27, birth_month=11)
    person(business, "Not Today", birth_day=28, birth_month=11)
    automation = _automation(business, "birthday", "Happy birthday {name}! {offer}",
                             offer="Free cake")  # fmt: skip
    automation_run(automation=automation, now=NOON)
    automation_run(automation=automation, now=NOON + dt.timedelta(hours=3))
    assert sorted(_sent_to(automation)) == [
        (birthday.pk, "Happy birthday Birthday! Free cake\nReply STOP to opt out", "queued"),
        (twin.pk, "Happy birthday Twin! Free cake\nReply STOP to opt out", "queued"),
    ]


def test_points_expiring_reminder_names_points_and_date(business) -> None:
    customer = person(business)
    points_earn(customer=customer, amount=120, idempotency_key="e1", now=NOON)
    Lot.objects.filter(account__customer=customer).update(expires_at=NOON + dt.timedelta(days=5))
    automation = _automation(
        business, "expiring", "{expiring_points} points expire on {expiry_date}", days=14
    )
    automation_run(automation=automation, now=NOON)
    [(customer_id, body, _status)] = _sent_to(automation)
    assert customer_id == customer.pk
    assert body.startswith("120 points expire on ")
    assert "12/02/2026" in body or "2026" in body


def test_win_back_after_days_without_a_purchase(business) -> None:
    gone = person(business, "Long Gone")
    recent = person(business, "Regular")
    _order(business, gone, NOON - dt.timedelta(days=60, hours=3))
    _order(business, recent, NOON - dt.timedelta(days=3))
    automation = _automation(business, "win_back", "We miss you {name}", days=60)
    automation_run(automation=automation, now=NOON)
    assert [c for c, _b, _s in _sent_to(automation)] == [gone.pk]


def test_second_purchase_offer_only_after_a_first_purchase(business) -> None:
    first_timer = person(business, "First Timer")
    regular = person(business, "Regular")
    automation = _automation(business, "second_purchase", "15% off your next visit: {code}",
                             code="AGAIN15", delay_hours=1)  # fmt: skip
    _order(business, regular, NOON - dt.timedelta(days=30))
    _order(business, regular, NOON + dt.timedelta(minutes=5))
    _order(business, first_timer, NOON + dt.timedelta(minutes=5))
    automation_run(automation=automation, now=NOON + dt.timedelta(hours=2))
    assert [c for c, _b, _s in _sent_to(automation)] == [first_timer.pk]


def test_unfinished_online_orders_get_two_reminders(business) -> None:
    customer = person(business)
    paid = person(business, "Paid Later")
    first = _automation(business, "cart_1", "Your basket is waiting, {name}", delay_hours=1)
    second = _automation(business, "cart_2", "Last call for your basket", delay_hours=24)
    for who in (customer, paid):
        cart = Checkout.objects.create(
            business=business, key=f"web-{who.pk}", customer=who, status="released",
            request={"sale": {"channel": "online"}}, expires_at=NOON,
        )  # fmt: skip
        Checkout.objects.filter(pk=cart.pk).update(created_at=NOON + dt.timedelta(minutes=1))
    _order(business, paid, NOON + dt.timedelta(minutes=20))  # paid after all: no reminder

    automation_run(automation=first, now=NOON + dt.timedelta(hours=2))
    automation_run(automation=second, now=NOON + dt.timedelta(hours=2))
    assert [c for c, _b, _s in _sent_to(first)] == [customer.pk]
    assert _sent_to(second) == []
    automation_run(automation=second, now=NOON + dt.timedelta(hours=26))
    assert [c for c, _b, _s in _sent_to(second)] == [customer.pk]


def test_feedback_link_records_one_rating(business) -> None:
    customer = person(business)
    automation = _automation(business, "feedback", "How was it? {link}", purpose="service",
                             delay_hours=1)  # fmt: skip
    _order(business, customer, NOON)
    automation_run(automation=automation, now=NOON + dt.timedelta(hours=2))
    message = Message.objects.get(automation=automation)
    assert f"/f/{message.token}/" in message.body

    feedback = feedback_give(token=message.token, rating=4, comment="Great chai")
    feedback_give(token=message.token, rating=5)
    feedback.refresh_from_db()
    assert (feedback.rating, feedback.customer_id) == (5, customer.pk)
    assert customer.interactions.filter(summary="Rated us 4 of 5").count() == 1
    with pytest.raises(ValidationFailed):
        feedback_give(token=message.token, rating=9)


def test_skipped_customers_are_recorded_with_the_reason(business) -> None:
    automation = _automation(business, "thank_you", "Asante!", delay_hours=0)
    no_consent = person(business, "Quiet Person", sms=False)
    _order(business, no_consent, NOON + dt.timedelta(minutes=1))
    automation_run(automation=automation, now=NOON + dt.timedelta(minutes=5))
    message = Message.objects.get(automation=automation)
    assert (message.status, message.skip_reason) == (MessageStatus.SKIPPED, "no_consent")


def test_automation_needs_a_template_of_its_channel(business) -> None:
    mail = email_template(business)
    with pytest.raises(ValidationFailed) as error:
        automation_save(business=business, kind="birthday", sms_template_id=mail.pk)
    assert "sms_template_id" in error.value.details["fields"]
    with pytest.raises(ValidationFailed):
        automation_save(business=business, kind="nonsense")


def test_welcome_at_night_goes_at_once_but_a_thank_you_waits_for_morning(business) -> None:
    night = dt.datetime(2026, 11, 27, 19, 30, tzinfo=dt.UTC)  # 22:30 in Nairobi
    welcome = _automation(business, "welcome", "Karibu! Card {card}", purpose="service",
                          at=night - dt.timedelta(minutes=5))  # fmt: skip
    thanks = _automation(
        business, "thank_you", "Asante {name}!", at=night - dt.timedelta(minutes=5), delay_hours=0
    )
    with time_machine.travel(night, tick=False):
        customer = person(business, "Late Visitor")
    _order(business, customer, night)
    automation_run(automation=welcome, now=night + dt.timedelta(minutes=1))
    automation_run(automation=thanks, now=night + dt.timedelta(minutes=1))

    assert outbox_send_due(now=night + dt.timedelta(minutes=2)) == {"sent": 1}
    assert Message.objects.get(automation=welcome).status == MessageStatus.SENT
    waiting = Message.objects.get(automation=thanks)
    assert waiting.status == MessageStatus.QUEUED
    assert waiting.not_before == dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)


def test_a_name_typed_as_a_phishing_line_never_reaches_the_message(business) -> None:
    automation = _automation(
        business, "welcome", "Karibu {name}! Card {card} at {shop}", purpose="service",
        at=NOON + dt.timedelta(minutes=1),
    )  # fmt: skip
    with time_machine.travel(NOON + dt.timedelta(minutes=5), tick=False):
        stranger = person(business, "www.mpesa-refund.co Send PIN to 0712000000", sms=None)
    automation_run(automation=automation, now=NOON + dt.timedelta(minutes=6))
    body = Message.objects.get(automation=automation, customer=stranger).body
    assert body.startswith("Karibu friend! Card ")
    assert "mpesa" not in body and "0712000000" not in body and "PIN" not in body
