"""Events fixtures: an open event a week ahead, customers to invite."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wateja.customers.services import customer_create
from wateja.events.models import EventStatus
from wateja.events.services import event_save


@pytest.fixture
def make_event(business):
    def make(**values):
        defaults = {
            "title": "Coffee tasting",
            "place": "Kahawa, Moi Avenue",
            "starts_at": timezone.now() + dt.timedelta(days=7),
            "capacity": 2,
            "attendance_points": 30,
            "status": EventStatus.OPEN,
        }
        defaults.update(values)
        return event_save(business=business, **defaults)

    return make


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def people(business):
    phones = ["0712000001", "0712000002", "0712000003", "0712000004", "0712000005"]
    return [
        customer_create(business=business, name=f"Guest {i}", phone=phone)
        for i, phone in enumerate(phones, start=1)
    ]


def card_of(customer):
    return customer.cards.order_by("pk").first()
