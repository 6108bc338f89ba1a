"""Events services: answers within capacity, the waiting list that moves up, the check-in at
the door with its points once, tasting ratings, the numbers and the audit of a saved event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.events.conftest import card_of
from wateja.catalog.services import product_save
from wateja.core.errors import ValidationFailed
from wateja.customers.links import card_page_url
from wateja.events.models import EventKind, EventProduct, Registration, RegistrationStatus
from wateja.events.services import (
    EventNotOpen,
    EventStarted,
    GuestNotFound,
    check_in,
    event_save,
    event_stats,
    invitation_latest,
    invitations_record,
    no_show_summary,
    product_ratings,
    promoted_untold,
    ratings_save,
    reminders_due,
    rsvp,
    waiting_position,
)
from wateja.tenants.models import AuditEvent
from wateja.wallet.models import Account


def _points(customer) -> int:
    account = Account.objects.filter(customer=customer, kind="points").first()
    return account.balance if account else 0


def test_yes_takes_a_place_until_full_then_the_waiting_list_counts_up(event, people):
    answers = [rsvp(event=event, customer=c, going=True, source="link") for c in people[:4]]

    assert [a.status for a in answers] == ["going", "going", "waiting", "waiting"]
    assert [waiting_position(a) for a in answers] == [None, None, 1, 2]
    stats = event_stats(event)
    assert (stats["going"], stats["waiting"], stats["free"]) == (2, 2, 0)


def test_saying_yes_twice_keeps_the_place(event, people):
    first = rsvp(event=event, customer=people[0], going=True, source="link")
    again = rsvp(event=event, customer=people[0], going=True, source="sms")

    assert first.pk == again.pk and again.status == "going"
    assert Registration.objects.filter(event=event).count() == 1


def test_a_cancelled_place_goes_to_the_first_waiting_and_is_marked_to_tell(event, people, business):
    for customer in people[:4]:
        rsvp(event=event, customer=customer, going=True, source="link")

    gone = rsvp(event=event, customer=people[1], going=False, source="link")

    assert gone.status == RegistrationStatus.CANCELLED
    moved = Registration.objects.get(event=event, customer=people[2])
    assert moved.status == "going" and moved.promoted_at is not None
    assert waiting_position(Registration.objects.get(event=event, customer=people[3])) == 1
    assert [r.customer_id for r in promoted_untold(business)] == [people[2].pk]


def test_no_without_a_place_is_a_decline_and_more_places_move_the_list_up(event, people):
    for customer in people[:3]:
        rsvp(event=event, customer=customer, going=True, source="link")
    declined = rsvp(event=event, customer=people[4], going=False, source="sms")
    assert declined.status == RegistrationStatus.DECLINED

    event_save(business=event.business, event=event, capacity=3)

    assert Registration.objects.get(event=event, customer=people[2]).status == "going"


def test_no_answers_to_a_draft_or_started_event(make_event, people):
    draft = make_event(status="draft")
    started = make_event(starts_at=timezone.now() - dt.timedelta(minutes=5))

    with pytest.raises(EventNotOpen):
        rsvp(event=draft, customer=people[0], going=True, source="link")
    with pytest.raises(EventStarted):
        rsvp(event=started, customer=people[0], going=True, source="link")


def test_check_in_by_card_gives_the_points_once(event, people):
    guest = people[0]
    rsvp(event=event, customer=guest, going=True, source="link")
    number = card_of(guest).number

    first = check_in(event=event, query=number)
    second = check_in(event=event, query=f" {number} ")

    assert first.customer == guest and first.points == 30 and not first.already
    assert second.already and second.points == 0
    assert _points(guest) == 30
    assert Registration.objects.get(event=event, customer=guest).attended_at is not None


def test_check_in_by_phone_or_card_qr_and_a_walk_in(event, people):
    by_phone = check_in(event=event, query="0712 000 002")
    by_qr = check_in(event=event, query=card_page_url(card_of(people[2])))

    assert by_phone.customer == people[1] and by_phone.walk_in
    assert by_qr.customer == people[2]
    with pytest.raises(GuestNotFound):
        check_in(event=event, query="0799 999 999")


def test_stats_count_no_shows_after_the_start(make_event, people, business):
    event = make_event(capacity=5)
    for customer in people[:3]:
        rsvp(event=event, customer=customer, going=True, source="link")
    check_in(event=event, customer=people[0])

    later = event.starts_at + dt.timedelta(hours=3)
    stats = event_stats(event, now=later)

    assert (stats["going"], stats["attended"], stats["no_shows"]) == (3, 1, 2)
    assert stats["no_show_rate"] == 67
    assert event_stats(event)["no_show_rate"] is None
    assert no_show_summary(business, now=later)["no_shows"] == 2


def test_tasting_ratings_per_product(make_event, people, business):
    latte = product_save(business=business, sku="L1", name="Latte", price_minor=25000)
    chai = product_save(business=business, sku="C1", name="Chai", price_minor=15000)
    event = make_event(kind=EventKind.TASTING, product_ids=[latte.pk, chai.pk], capacity=5)
    one = rsvp(event=event, customer=people[0], going=True, source="link")
    two = rsvp(event=event, customer=people[1], going=True, source="link")

    ratings_save(registration=one, ratings={latte.pk: 5, chai.pk: 3})
    ratings_save(registration=two, ratings={latte.pk: 4})
    ratings_save(registration=two, ratings={latte.pk: 2})  # changed her mind

    summary = {
        row["product"].name: (row["average"], row["count"]) for row in product_ratings(event)
    }
    assert summary == {"Chai": (3.0, 1), "Latte": (3.5, 2)}
    with pytest.raises(ValidationFailed):
        ratings_save(registration=one, ratings={latte.pk: 6})


def test_an_events_products_are_kept_in_its_business_and_can_change(make_event, business):
    latte = product_save(business=business, sku="L1", name="Latte", price_minor=25000)
    chai = product_save(business=business, sku="C1", name="Chai", price_minor=15000)
    event = make_event(kind=EventKind.TASTING, product_ids=[latte.pk, chai.pk])
    rows = EventProduct.objects.filter(event=event)
    assert {(r.business_id, r.product_id) for r in rows} == {
        (business.pk, latte.pk),
        (business.pk, chai.pk),
    }

    event_save(business=business, event=event, product_ids=[chai.pk])
    assert list(event.products.all()) == [chai]
    assert [(r.business_id, r.product_id) for r in rows.all()] == [(business.pk, chai.pk)]


def test_saving_an_event_is_audited_and_checked(business):
    with pytest.raises(ValidationFailed) as problem:
        event_save(business=business, title="", starts_at=timezone.now(), capacity=0)
    assert set(problem.value.details["fields"]) >= {"title", "capacity"}

    event = event_save(
        business=business,
        title="Latte art class",
        kind=EventKind.WORKSHOP,
        starts_at=timezone.now() + dt.timedelta(days=3),
        capacity=8,
        fee_minor=50000,
        attendance_points=20,
    )

    audit = AuditEvent.objects.get(object_type="event", object_id=str(event.pk))
    assert audit.action == "event.created" and audit.details["attendance_points"] == 20


def test_invitations_and_the_latest_one_an_sms_answers(make_event, people, business):
    older = make_event(title="Older")
    newer = make_event(title="Newer")
    invitations_record(event=older, customer_ids=[people[0].pk])
    invitations_record(
        event=newer, customer_ids=[people[0].pk], now=timezone.now() + dt.timedelta(seconds=1)
    )

    latest = invitation_latest(people[0])

    assert latest is not None and latest.event == newer and latest.status == "invited"
    assert invitation_latest(people[1]) is None


def test_reminders_due_the_day_before(make_event, people, business):
    soon = make_event(starts_at=timezone.now() + dt.timedelta(hours=20))
    later = make_event()
    rsvp(event=soon, customer=people[0], going=True, source="link")
    rsvp(event=later, customer=people[1], going=True, source="link")

    assert [r.customer_id for r in reminders_due(business)] == [people[0].pk]


def test_a_merge_moves_registrations_and_its_undo_moves_them_back(make_event, people, business):
    from wateja.customers.merging import customer_merge_record, customer_merge_undo

    shared, own = make_event(capacity=5), make_event(title="Other", capacity=5)
    rsvp(event=shared, customer=people[0], going=True, source="link")
    rsvp(event=shared, customer=people[1], going=True, source="link")
    moved = rsvp(event=own, customer=people[1], going=True, source="link")

    merge = customer_merge_record(keep=people[0], drop=people[1])

    assert Registration.objects.get(pk=moved.pk).customer_id == people[0].pk
    assert Registration.objects.filter(event=shared, customer=people[1]).exists()
    customer_merge_undo(merge=merge)
    assert Registration.objects.get(pk=moved.pk).customer_id == people[1].pk
