"""Events and workshops: saving an event (audited), answering an invitation (RSVP) with the
capacity kept under a lock on the event row, the waiting list that moves up, the check-in at
the door with its attendance reward through the ledger, tasting ratings and the numbers.

Messages (invitations, reminders, "a place is yours") are written by the messaging side
(wateja.messaging.event_messages), which reads what these services record: events never send.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.catalog.models import Product
from wateja.core.contacts import InvalidPhone, normalize_phone
from wateja.core.errors import Conflict, NotFound, ValidationFailed
from wateja.customers.links import card_from_token
from wateja.customers.merging import merge_record_part, merge_undo_step
from wateja.customers.models import CardStatus, Customer, CustomerMerge, Segment
from wateja.customers.selectors import active_customers, card_lookup
from wateja.events.models import (
    Event,
    EventKind,
    EventStatus,
    ProductRating,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from wateja.tenants.models import ApiKey, Business, Location
from wateja.tenants.services import audit_record
from wateja.wallet.services import points_award

ACTIVE = (RegistrationStatus.GOING, RegistrationStatus.WAITING)


class EventNotOpen(Conflict):
    code = "event_not_open"


class EventStarted(Conflict):
    code = "event_started"


class GuestNotFound(NotFound):
    code = "guest_not_found"


def _invalid(errors: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed.fields(_("Some fields are not valid."), errors)


# ------------------------------------------------------------------ saving an event

EDITABLE = ("kind", "title", "description", "place", "location_id", "starts_at", "ends_at",
            "capacity", "fee_minor", "attendance_points", "segment_id", "status")  # fmt: skip


def _clean(business: Business, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    unknown = set(values) - set(EDITABLE) - {"product_ids"}
    if unknown:
        raise _invalid({name: _("Unknown field.") for name in sorted(unknown)})
    for name in ("title", "description", "place"):
        if name in values:
            cleaned[name] = str(values[name] or "").strip()
    if "title" in cleaned and not cleaned["title"]:
        errors["title"] = _("Enter a title.")
    if "kind" in values:
        if values["kind"] not in EventKind.values:
            errors["kind"] = _("Choose a kind of event.")
        cleaned["kind"] = values["kind"]
    if "status" in values:
        if values["status"] not in EventStatus.values:
            errors["status"] = _("Choose a status.")
        cleaned["status"] = values["status"]
    for name in ("starts_at", "ends_at"):
        if name in values:
            moment = values[name]
            if moment is not None and (
                not isinstance(moment, dt.datetime) or timezone.is_naive(moment)
            ):
                errors[name] = _("Enter a date and time.")
            cleaned[name] = moment
    if "starts_at" in cleaned and cleaned["starts_at"] is None:
        errors["starts_at"] = _("Enter when it starts.")
    for name, low in (("capacity", 1), ("fee_minor", 0), ("attendance_points", 0)):
        if name in values:
            try:
                number = int(values[name])
            except (TypeError, ValueError):
                number = -1
            if number < low or number > 10_000_000_000:
                errors[name] = (
                    _("Enter at least one place.") if name == "capacity" else _("Enter 0 or more.")
                )
            cleaned[name] = number
    if values.get("location_id"):
        if not Location.objects.filter(business=business, pk=values["location_id"]).exists():
            errors["location_id"] = _("Choose one of your shops.")
        cleaned["location_id"] = values["location_id"]
    elif "location_id" in values:
        cleaned["location_id"] = None
    if values.get("segment_id"):
        if not Segment.objects.filter(business=business, pk=values["segment_id"]).exists():
            errors["segment_id"] = _("Choose one of your segments.")
        cleaned["segment_id"] = values["segment_id"]
    elif "segment_id" in values:
        cleaned["segment_id"] = None
    if "product_ids" in values:
        ids = [int(i) for i in values["product_ids"] or []]
        found = set(
            Product.objects.filter(business=business, pk__in=ids).values_list("pk", flat=True)
        )
        if set(ids) - found:
            errors["product_ids"] = _("Choose products from your catalogue.")
        cleaned["product_ids"] = sorted(found)
    if errors:
        raise _invalid(errors)
    return cleaned


@transaction.atomic
def event_save(
    *,
    business: Business,
    event: Event | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    **values: Any,
) -> Event:
    """Create or change an event (audited: its attendance points are a program rule). More
    places move the first of the waiting list up."""
    cleaned = _clean(business, values)
    product_ids = cleaned.pop("product_ids", None)
    created = event is None
    if event is None:
        if "title" not in cleaned:
            raise _invalid({"title": _("Enter a title.")})
        if "starts_at" not in cleaned:
            raise _invalid({"starts_at": _("Enter when it starts.")})
        if "capacity" not in cleaned:
            raise _invalid({"capacity": _("Enter at least one place.")})
        event = Event(
            business=business,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    else:
        event = Event.objects.select_for_update().get(pk=event.pk, business=business)
    for key, value in cleaned.items():
        setattr(event, key, value)
    if event.ends_at is not None and event.ends_at < event.starts_at:
        raise _invalid({"ends_at": _("It cannot end before it starts.")})
    event.save()
    if product_ids is not None:
        event.products.set(product_ids, through_defaults={"business": business})
    audit_record(
        business=business,
        action="event.created" if created else "event.changed",
        object_type="event",
        object_id=event.pk,
        actor=actor,
        api_key=api_key,
        details={
            k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in cleaned.items()
            if k not in ("description",)
        },
    )
    if not created and event.status == EventStatus.OPEN:
        _promote(event, timezone.now())
    return event


def events_of(business: Business) -> QuerySet[Event]:
    return Event.objects.for_business(business).select_related("location", "segment")


def upcoming_events(business: Business, now: dt.datetime | None = None) -> QuerySet[Event]:
    """Open events that have not started, soonest first."""
    now = now or timezone.now()
    return (
        Event.objects.for_business(business)
        .filter(status=EventStatus.OPEN, starts_at__gt=now)
        .order_by("starts_at", "pk")
    )


# ------------------------------------------------------------------ answering


def _going_count(event: Event) -> int:
    return Registration.objects.filter(event=event, status=RegistrationStatus.GOING).count()


def _waiting(event: Event) -> QuerySet[Registration]:
    return Registration.objects.filter(event=event, status=RegistrationStatus.WAITING).order_by(
        "waiting_since", "pk"
    )


def _promote(event: Event, now: dt.datetime) -> list[Registration]:
    """Move the first of the waiting list up while places are free (the caller holds the
    event's lock). Each moved-up registration is marked `promoted_at` for the message."""
    free = event.capacity - _going_count(event)
    moved: list[Registration] = []
    if free <= 0:
        return moved
    for registration in _waiting(event).select_for_update()[:free]:
        registration.status = RegistrationStatus.GOING
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        moved.append(registration)
    return moved


def _locked_event(event: Event) -> Event:
    locked: Event = Event.objects.select_for_update().get(pk=event.pk)
    return locked


def rsvp(
    *,
    event: Event,
    customer: Customer,
    going: bool,
    source: str,
    now: dt.datetime | None = None,
) -> Registration:
    """A customer's answer. Yes: a place while there is one (never more than `capacity`
    going, even with answers arriving at once: the event row is locked), else the end of the
    waiting list. No: a place given back goes to the first on the waiting list. Answering
    the same twice changes nothing."""
    now = now or timezone.now()
    if customer.business_id != event.business_id:
        raise NotFound(_("Event not found."))
    with transaction.atomic():
        event = _locked_event(event)
        if event.status != EventStatus.OPEN:
            raise EventNotOpen(_("This event is not open for answers."))
        if event.starts_at <= now:
            raise EventStarted(_("This event has already started."))
        registration = (
            Registration.objects.select_for_update().filter(event=event, customer=customer).first()
        )
        if registration is None:
            registration = Registration(
                business_id=event.business_id, event=event, customer=customer
            )
        before = registration.status
        if going:
            if before in ACTIVE:
                return registration
            if _going_count(event) < event.capacity:
                registration.status = RegistrationStatus.GOING
                registration.waiting_since = None
            else:
                registration.status = RegistrationStatus.WAITING
                registration.waiting_since = now
        else:
            if before in (RegistrationStatus.DECLINED, RegistrationStatus.CANCELLED):
                return registration
            registration.status = (
                RegistrationStatus.CANCELLED if before in ACTIVE else RegistrationStatus.DECLINED
            )
        registration.source = source if source in RegistrationSource.values else ""
        registration.answered_at = now
        registration.save()
        if before == RegistrationStatus.GOING and not going:
            _promote(event, now)
    return registration


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = (
        _waiting(registration.event)
        .filter(
            Q(waiting_since__lt=registration.waiting_since)
            | Q(waiting_since=registration.waiting_since, pk__lt=registration.pk)
        )
        .count()
    )
    return ahead + 1


def invitations_record(
    *, event: Event, customer_ids: list[int], now: dt.datetime | None = None
) -> int:
    """Mark these customers invited (those who have answered already keep their answer);
    an SMS YES or NO later answers the latest invitation. Returns how many were new."""
    now = now or timezone.now()
    existing = set(
        Registration.objects.filter(event=event, customer_id__in=customer_ids).values_list(
            "customer_id", flat=True
        )
    )
    rows = [
        Registration(
            business_id=event.business_id,
            event=event,
            customer_id=customer_id,
            status=RegistrationStatus.INVITED,
            invited_at=now,
        )
        for customer_id in customer_ids
        if customer_id not in existing
    ]
    Registration.objects.bulk_create(rows, ignore_conflicts=True)
    Registration.objects.filter(
        event=event, customer_id__in=existing, invited_at__isnull=True
    ).update(invited_at=now)
    return len(rows)


def invitation_latest(customer: Customer, now: dt.datetime | None = None) -> Registration | None:
    """The invitation a YES or NO by SMS answers: the latest one to an open event that has
    not started."""
    now = now or timezone.now()
    return (
        Registration.objects.filter(
            customer=customer,
            invited_at__isnull=False,
            event__status=EventStatus.OPEN,
            event__starts_at__gt=now,
        )
        .select_related("event")
        .order_by("-invited_at", "-pk")
        .first()
    )


def promoted_untold(business: Business) -> QuerySet[Registration]:
    """Registrations moved up from the waiting list whose customer has not been told yet."""
    return (
        Registration.objects.for_business(business)
        .filter(
            status=RegistrationStatus.GOING,
            promoted_at__isnull=False,
            promoted_told_at__isnull=True,
        )
        .select_related("event", "customer")
        .order_by("pk")
    )


def reminders_due(business: Business, now: dt.datetime | None = None) -> QuerySet[Registration]:
    """Guests going to an event that starts within the next day, not yet reminded."""
    now = now or timezone.now()
    return (
        Registration.objects.for_business(business)
        .filter(
            status=RegistrationStatus.GOING,
            reminded_at__isnull=True,
            event__status=EventStatus.OPEN,
            event__starts_at__gt=now,
            event__starts_at__lte=now + dt.timedelta(days=1),
        )
        .select_related("event", "customer")
        .order_by("pk")
    )


def rating_requests_due(
    business: Business, now: dt.datetime | None = None
) -> QuerySet[Registration]:
    """Guests who came to a tasting or review that ended (two hours after its start when it
    has no end) within the last two days and have not been asked for their stars yet."""
    now = now or timezone.now()
    rows = (
        Registration.objects.for_business(business)
        .filter(
            attended_at__isnull=False,
            rating_asked_at__isnull=True,
            event__kind=EventKind.TASTING,
            event__status=EventStatus.OPEN,
            event__starts_at__gt=now - dt.timedelta(days=2),
            event__starts_at__lte=now,
        )
        .select_related("event", "customer")
        .order_by("pk")
    )
    return rows.filter(
        Q(event__ends_at__lte=now)
        | Q(event__ends_at__isnull=True, event__starts_at__lte=now - dt.timedelta(hours=2))
    )


def registrations_mark(ids: list[int], *, field: str, now: dt.datetime) -> None:
    """Record that the messaging side told these guests (field: promoted_told_at,
    reminded_at or rating_asked_at)."""
    if field not in ("promoted_told_at", "reminded_at", "rating_asked_at"):
        raise ValueError(field)
    Registration.objects.filter(pk__in=ids).update(**{field: now})


# ------------------------------------------------------------------ at the door


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    customer: Customer
    points: int  # awarded now (0 when already checked in or the event gives none)
    already: bool  # this guest was checked in before
    walk_in: bool  # came without a place (not on the list, or waiting)


def guest_find(business: Business, query: str) -> Customer:
    """The customer a scanned or typed card number, card QR (the card page link) or phone
    number names; GuestNotFound when none."""
    query = query.strip()
    if "/my/" in query:
        token = query.rstrip("/").rsplit("/", 1)[-1]
        card = card_from_token(token)
        if card is not None and card.business_id == business.pk and card.customer.is_active:
            return card.customer
    if query:
        card = card_lookup(business, query)
        if card is not None and card.status == CardStatus.ACTIVE and card.customer.is_active:
            return card.customer
        try:
            phone = normalize_phone(query, business.country)
        except InvalidPhone:
            phone = ""
        if phone:
            customer = active_customers(business).filter(phone=phone).order_by("pk").first()
            if customer is not None:
                return customer
    raise GuestNotFound(_("No customer has this card or phone number."))


def check_in(
    *,
    event: Event,
    query: str = "",
    customer: Customer | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> CheckIn:
    """A guest at the door: found by card, QR or phone, marked as come (a walk-in gets a
    registration), and given the event's attendance points once (the ledger key names the
    event and the customer)."""
    now = now or timezone.now()
    business = event.business
    if customer is None:
        customer = guest_find(business, query)
    elif customer.business_id != event.business_id:
        raise GuestNotFound(_("No customer has this card or phone number."))
    with transaction.atomic():
        event = _locked_event(event)
        if event.status != EventStatus.OPEN:
            raise EventNotOpen(_("This event is not open."))
        registration = (
            Registration.objects.select_for_update().filter(event=event, customer=customer).first()
        )
        walk_in = registration is None or registration.status != RegistrationStatus.GOING
        if registration is None:
            registration = Registration(
                business_id=event.business_id,
                event=event,
                customer=customer,
                source=RegistrationSource.DOOR,
                answered_at=now,
            )
        already = registration.attended_at is not None
        registration.status = RegistrationStatus.GOING
        registration.waiting_since = None
        if not already:
            registration.attended_at = now
            registration.checked_in_by = (
                actor if actor is not None and actor.is_authenticated else None
            )
        registration.save()
        points = 0
        if event.attendance_points and not already:
            points_award(
                customer=customer,
                amount=event.attendance_points,
                idempotency_key=f"event:{event.pk}:{customer.pk}",
                reason=_("Came to %(event)s") % {"event": event.title},
                reference=f"event:{event.pk}",
                actor=actor,
                location_id=event.location_id,
                now=now,
            )
            points = event.attendance_points
    return CheckIn(registration, customer, points, already, walk_in and not already)


def ratings_save(
    *, registration: Registration, ratings: dict[int, int], now: dt.datetime | None = None
) -> int:
    """Stars (1–5) per product of a tasting or review event, from one guest; a second answer
    for a product replaces the first. Returns how many were saved."""
    now = now or timezone.now()
    event = registration.event
    allowed = set(event.products.values_list("pk", flat=True))
    errors: dict[str, Any] = {}
    for product_id, stars in ratings.items():
        if int(product_id) not in allowed:
            errors[f"product_{product_id}"] = _("This product is not part of the event.")
        elif not 1 <= int(stars) <= 5:
            errors[f"product_{product_id}"] = _("Choose 1 to 5 stars.")
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        for product_id, stars in sorted(ratings.items()):
            ProductRating.objects.update_or_create(
                business_id=registration.business_id,
                registration=registration,
                product_id=int(product_id),
                defaults={"stars": int(stars), "rated_at": now},
            )
    return len(ratings)


# ------------------------------------------------------------------ numbers


def event_stats(event: Event, now: dt.datetime | None = None) -> dict[str, Any]:
    """Invited, going, waiting, declined, came, no-shows (going but never came, once the
    event has started) and the no-show rate in percent (None before the event)."""
    now = now or timezone.now()
    counts = dict(
        Registration.objects.filter(event=event)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    attended = Registration.objects.filter(event=event, attended_at__isnull=False).count()
    going = counts.get(RegistrationStatus.GOING, 0)
    started = event.starts_at <= now
    no_shows = going - attended if started else 0
    return {
        "invited": Registration.objects.filter(event=event, invited_at__isnull=False).count(),
        "going": going,
        "waiting": counts.get(RegistrationStatus.WAITING, 0),
        "declined": counts.get(RegistrationStatus.DECLINED, 0),
        "cancelled": counts.get(RegistrationStatus.CANCELLED, 0),
        "attended": attended,
        "no_shows": no_shows,
        "no_show_rate": round(100 * no_shows / going) if started and going else None,
        "free": max(event.capacity - going, 0),
    }


def no_show_summary(business: Business, now: dt.datetime | None = None) -> dict[str, Any]:
    """Over all past events: guests who said yes, came, did not come, and the rate."""
    now = now or timezone.now()
    past = Registration.objects.for_business(business).filter(
        event__starts_at__lte=now,
        event__status=EventStatus.OPEN,
        status=RegistrationStatus.GOING,
    )
    going = past.count()
    came = past.filter(attended_at__isnull=False).count()
    return {
        "going": going,
        "attended": came,
        "no_shows": going - came,
        "no_show_rate": round(100 * (going - came) / going) if going else None,
    }


def product_ratings(event: Event) -> list[dict[str, Any]]:
    """Per product of the event: average stars (one decimal) and how many rated it."""
    rows = (
        ProductRating.objects.filter(registration__event=event)
        .values("product_id")
        .annotate(average=Avg("stars"), count=Count("pk"))
    )
    by_product = {r["product_id"]: r for r in rows}
    result = []
    for product in event.products.order_by("name", "pk"):
        row = by_product.get(product.pk)
        result.append(
            {
                "product": product,
                "average": round(float(row["average"]), 1) if row else None,
                "count": row["count"] if row else 0,
            }
        )
    return result


# ------------------------------------------------------------------ customer-wide steps


def events_export_section(customer: Customer) -> tuple[str, Any]:
    return (
        "events",
        [
            {
                "event": r.event.title,
                "starts_at": r.event.starts_at.isoformat(),
                "status": r.status,
                "attended_at": r.attended_at.isoformat() if r.attended_at else None,
                "ratings": {
                    rating.product.name: rating.stars
                    for rating in r.ratings.select_related("product").order_by("pk")
                },
            }
            for r in Registration.objects.filter(customer=customer)
            .select_related("event")
            .order_by("pk")
        ],
    )


def events_move_on_merge(keep: Customer, drop: Customer) -> None:
    """The dropped record's registrations move to the kept one, except for events the kept
    one is registered for already (its own answer stays); recorded, so an undo moves exactly
    these back."""
    kept_events = set(Registration.objects.filter(customer=keep).values_list("event_id", flat=True))
    moved = list(
        Registration.objects.filter(customer=drop)
        .exclude(event_id__in=kept_events)
        .values_list("pk", flat=True)
    )
    Registration.objects.filter(pk__in=moved).update(customer=keep)
    merge_record_part(keep=keep, drop=drop, part="events", data={"registrations": moved})


@merge_undo_step("events")
def events_move_on_merge_undo(merge: CustomerMerge, part: dict[str, Any]) -> None:
    """Undo of `events_move_on_merge`: the registrations it moved go back."""
    Registration.objects.filter(
        pk__in=part.get("registrations", []), customer_id=merge.keep_id
    ).update(customer_id=merge.drop_id)
