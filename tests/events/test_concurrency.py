"""Many answers at once to an event with few places: the lock on the event row lets exactly
`capacity` customers in and puts everyone else on the waiting list, in a line without gaps.

Runs on whatever database the suite runs on (SQLite file or PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

import pytest

from tests.concurrency import fresh, race, unexpected
from wateja.events.models import Event, Registration
from wateja.events.services import rsvp, waiting_position

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_yes_answers_never_overfill(event, business):
    from wateja.customers.services import customer_create

    guests = [
        customer_create(business=business, name=f"Guest {i}", phone=f"07130000{i:02d}")
        for i in range(8)
    ]

    def answer(i: int) -> str:
        mine = Event.objects.get(pk=event.pk)
        return rsvp(event=mine, customer=fresh(guests[i].pk), going=True, source="link").status

    results = race(8, answer)

    assert unexpected(results) == []
    statuses = sorted(value for _state, value in results)
    assert statuses == ["going"] * 2 + ["waiting"] * 6
    assert Registration.objects.filter(event=event, status="going").count() == 2
    waiting = Registration.objects.filter(event=event, status="waiting")
    assert sorted(waiting_position(r) for r in waiting) == [1, 2, 3, 4, 5, 6]


def test_parallel_cancellations_move_up_one_each(event, business, people):
    for customer in people:
        rsvp(event=event, customer=customer, going=True, source="link")
    going = list(Registration.objects.filter(event=event, status="going").order_by("pk"))

    results = race(
        2,
        lambda i: (
            rsvp(
                event=Event.objects.get(pk=event.pk),
                customer=fresh(going[i].customer_id),
                going=False,
                source="link",
            ).status
        ),
    )

    assert unexpected(results) == []
    assert Registration.objects.filter(event=event, status="going").count() == 2
    assert Registration.objects.filter(event=event, status="waiting").count() == 1
