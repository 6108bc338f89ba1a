"""A business asking for feedback after every purchase: two locations with a manager each,
an owner and a cashier; `asked` rings up a sale and runs the request that follows it."""

from __future__ import annotations

import datetime as dt

import time_machine

from tests.messaging.factories import NOON, person
from wateja.messaging.automations import automation_run, automation_save
from wateja.messaging.composing import template_save
from wateja.messaging.models import Message
from wateja.orders.models import Order, OrderLine
from wateja.tenants.services import location_create, staff_add


def make_shop(business):
    """A business with two locations, a manager at each, a cashier, and the feedback
    request after every purchase."""
    westlands = location_create(business=business, name="Westlands", phone="+254711000001")
    cbd = location_create(business=business, name="CBD", phone="+254711000002")
    owner = staff_add(business=business, username="owner-f", role="owner", email="o@shop.test")
    west_manager = staff_add(
        business=business, username="mgr-west", role="manager", email="west@shop.test"
    )
    west_manager.locations.add(westlands, through_defaults={"business": business})
    cbd_manager = staff_add(business=business, username="mgr-cbd", role="manager")
    cbd_manager.locations.add(cbd, through_defaults={"business": business})
    cashier = staff_add(business=business, username="cashier-f", role="cashier", first_name="Juma")
    with time_machine.travel(NOON - dt.timedelta(hours=1), tick=False):
        template = template_save(
            business=business, name="Rate us", channel="sms", purpose="service",
            variants=[{"texts": {"en": {"body": "How was it? {link}"}}}],
        )  # fmt: skip
        automation = automation_save(
            business=business, kind="feedback", sms_template_id=template.pk, delay_hours=1
        )
    return {
        "business": business, "westlands": westlands, "cbd": cbd, "owner": owner.user,
        "west_manager": west_manager.user, "cbd_manager": cbd_manager.user,
        "cashier": cashier.user, "automation": automation,
    }  # fmt: skip


def asked(shop, *, location="westlands", sku="LATTE", name="Caffe latte", customer=None):
    """A sale at `location` by the cashier, and the feedback request it leads to (each sale
    two minutes after the previous one, each request an hour and a minute after its sale)."""
    business = shop["business"]
    placed_at = NOON + dt.timedelta(minutes=2 * Order.objects.filter(business=business).count())
    customer = customer or person(business)
    order = Order.objects.create(
        business=business, customer=customer, location=shop[location], cashier=shop["cashier"],
        number=f"F{Order.objects.count() + 1}", currency="KES", subtotal_minor=30_000,
        total_minor=30_000, placed_at=placed_at,
    )  # fmt: skip
    OrderLine.objects.create(
        business=business, order=order, sku=sku, name=name, quantity=1, unit_price_minor=30_000
    )
    automation_run(automation=shop["automation"], now=placed_at + dt.timedelta(minutes=61))
    return Message.objects.get(automation=shop["automation"], customer=customer), order
