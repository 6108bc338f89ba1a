"""Milestone messages (messaging automations): the 10th visit and the first year with us,
each sent once."""

from __future__ import annotations

import datetime as dt

import time_machine

from tests.messaging.factories import NOON, person
from wateja.customers.models import Customer
from wateja.messaging.automations import automation_run, automation_save
from wateja.messaging.composing import template_save
from wateja.messaging.models import Automation, Message
from wateja.messaging.starter import starter_kit
from wateja.orders.models import Order
from wateja.orders.services import customer_stats_recompute


def _automation(business, kind, body):
    template = template_save(
        business=business, name=body[:30], channel="sms",
        variants=[{"texts": {"en": {"body": body}}}],
    )  # fmt: skip
    with time_machine.travel(NOON, tick=False):
        return automation_save(business=business, kind=kind, sms_template_id=template.pk)


def _orders(business, customer, count, start):
    for n in range(count):
        Order.objects.create(
            business=business, customer=customer, number=f"M{customer.pk}-{start:%j}-{n}",
            currency="KES", subtotal_minor=1_000, total_minor=1_000,
            placed_at=start + dt.timedelta(minutes=n),
        )  # fmt: skip
    customer_stats_recompute(business=business, customer_ids=[customer.pk])


def _sent(automation):
    return sorted(Message.objects.filter(automation=automation).values_list("customer_id", "body"))


def test_the_tenth_visit_is_celebrated_once(business) -> None:
    regular, newcomer = person(business, "Regular Rehema"), person(business, "New Nuru")
    automation = _automation(business, "visit_milestone", "Asante {name}, a milestone!")
    _orders(business, regular, 8, NOON - dt.timedelta(days=20))  # before the automation
    _orders(business, regular, 3, NOON + dt.timedelta(hours=1))  # the 9th, 10th and 11th
    _orders(business, newcomer, 3, NOON + dt.timedelta(hours=1))

    automation_run(automation=automation, now=NOON + dt.timedelta(hours=2))
    automation_run(automation=automation, now=NOON + dt.timedelta(hours=3))

    assert _sent(automation) == [
        (regular.pk, "Asante Regular, a milestone!\nReply STOP to opt out")
    ]


def test_one_year_with_us_is_sent_on_the_day_once(business) -> None:
    old_friend = person(business, "Old Friend")
    new_friend = person(business, "New Friend")
    Customer.objects.filter(pk=old_friend.pk).update(created_at=NOON - dt.timedelta(days=365))
    Customer.objects.filter(pk=new_friend.pk).update(created_at=NOON - dt.timedelta(days=200))
    automation = _automation(business, "anniversary", "A year already, {name}!")

    automation_run(automation=automation, now=NOON)
    automation_run(automation=automation, now=NOON + dt.timedelta(days=1))

    assert _sent(automation) == [(old_friend.pk, "A year already, Old!\nReply STOP to opt out")]


def test_the_starter_kit_brings_milestone_and_anniversary_messages_switched_off(
    make_business,
) -> None:
    business = make_business(default_language="ru")
    made = starter_kit(business=business)
    kinds = dict(Automation.objects.filter(business=business).values_list("kind", "is_active"))
    assert kinds["visit_milestone"] is False and kinds["anniversary"] is False
    milestone = Automation.objects.get(business=business, kind="visit_milestone").sms_template
    texts = milestone.variants.get().texts
    assert len(made) == 5 and set(texts) == {"en", "sw", "hy", "ru"}
    assert all("{name}" in t["body"] and "{shop}" in t["body"] for t in texts.values())


def test_the_automation_screens_offer_the_milestone_and_the_anniversary(
    business, staff_client
) -> None:
    client = staff_client(business)
    home = client.get("/messages/", headers={"Accept-Language": "en"}).content.decode()
    assert "/messages/automations/visit_milestone/" in home
    assert "/messages/automations/anniversary/" in home
    milestone = client.get("/messages/automations/visit_milestone/").content.decode()
    yearly = client.get("/messages/automations/anniversary/").content.decode()
    assert 'name="delay_hours"' in milestone  # sent a while after the milestone visit
    assert 'name="delay_hours"' not in yearly  # sent once on the day
