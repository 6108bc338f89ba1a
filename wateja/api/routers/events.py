"""Events and workshops: list, plan and change events (managers), put a customer on the list
or off it, check a guest in at the door (card number, card link or phone) and read the
guests and the numbers.

A check-in gives the event's attendance points once per guest and event whatever the number
of calls (the ledger key names both), so it needs no Idempotency-Key.

No `from __future__ import annotations` here: Ninja reads the annotations at import.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import AmountMinor, Id, StrictSchema, omittable
from wateja.customers.models import Customer
from wateja.events.models import Event, EventKind, EventStatus, Registration
from wateja.events.services import (
    check_in,
    event_save,
    event_stats,
    events_of,
    rsvp,
    waiting_position,
)
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned

router = Router(tags=["events"])


class EventOut(Schema):
    id: int
    kind: str
    title: str
    description: str
    place: str
    location_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    capacity: int
    fee_minor: int
    attendance_points: int
    segment_id: int | None
    status: str
    product_ids: list[int]

    @staticmethod
    def resolve_product_ids(obj: Event) -> list[int]:
        return sorted(obj.products.values_list("pk", flat=True))


class EventIn(StrictSchema):
    kind: EventKind = EventKind.EVENT
    title: str = Field(min_length=1, max_length=150)
    description: str = Field("", max_length=5000)
    place: str = Field("", max_length=200)
    location_id: Id | None = None
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    capacity: int = Field(ge=1, le=1_000_000)
    fee_minor: AmountMinor = 0
    attendance_points: int = Field(0, ge=0, le=1_000_000)
    segment_id: Id | None = None
    product_ids: list[Id] = Field(default_factory=list, max_length=200)
    status: EventStatus = EventStatus.DRAFT


class EventPatch(StrictSchema):
    kind: EventKind = omittable()
    title: str = omittable(min_length=1, max_length=150)
    description: str = omittable(max_length=5000)
    place: str = omittable(max_length=200)
    location_id: Id | None = omittable()
    starts_at: dt.datetime = omittable()
    ends_at: dt.datetime | None = omittable()
    capacity: int = omittable(ge=1, le=1_000_000)
    fee_minor: AmountMinor = omittable()
    attendance_points: int = omittable(ge=0, le=1_000_000)
    segment_id: Id | None = omittable()
    product_ids: list[Id] = omittable(max_length=200)
    status: EventStatus = omittable()


class StatsOut(Schema):
    invited: int
    going: int
    waiting: int
    declined: int
    cancelled: int
    attended: int
    no_shows: int
    no_show_rate: int | None
    free: int


class RegistrationOut(Schema):
    id: int
    event_id: int
    customer_id: int
    status: str
    source: str
    waiting_position: int | None
    answered_at: dt.datetime | None
    attended_at: dt.datetime | None

    @staticmethod
    def resolve_waiting_position(obj: Registration) -> int | None:
        return waiting_position(obj)


class RsvpIn(StrictSchema):
    customer_id: Id
    going: bool = True


class CheckInIn(StrictSchema):
    query: str = Field("", max_length=300, description="card number, card page link or phone")
    customer_id: Id | None = None


class CheckInOut(Schema):
    registration: RegistrationOut
    points: int
    already: bool
    walk_in: bool


def _event(request: HttpRequest, event_id: int) -> Event:
    return get_owned(Event, current_business(request), pk=event_id)


@router.get("/events", response=list[EventOut])
@paginate(CursorPagination)
def event_list(request: HttpRequest) -> Any:
    return events_of(current_business(request)).prefetch_related("products")


@router.post("/events", response={201: EventOut})
def event_create(request: HttpRequest, payload: EventIn) -> Status[Event]:
    require_role(request, Role.MANAGER)
    event = event_save(
        business=current_business(request),
        api_key=request.auth,  # type: ignore[attr-defined]
        **payload.dict(),
    )
    return Status(201, event)


@router.get("/events/{event_id}", response=EventOut)
def event_get(request: HttpRequest, event_id: int) -> Event:
    return _event(request, event_id)


@router.patch("/events/{event_id}", response=EventOut)
def event_update(request: HttpRequest, event_id: int, payload: EventPatch) -> Event:
    require_role(request, Role.MANAGER)
    return event_save(
        business=current_business(request),
        event=_event(request, event_id),
        api_key=request.auth,  # type: ignore[attr-defined]
        **payload.dict(exclude_unset=True),
    )


@router.get("/events/{event_id}/stats", response=StatsOut)
def event_figures(request: HttpRequest, event_id: int) -> dict[str, Any]:
    return event_stats(_event(request, event_id))


@router.get("/events/{event_id}/registrations", response=list[RegistrationOut])
@paginate(CursorPagination)
def registration_list(request: HttpRequest, event_id: int) -> Any:
    return Registration.objects.filter(event=_event(request, event_id)).select_related("event")


@router.post("/events/{event_id}/rsvp", response=RegistrationOut)
def event_rsvp(request: HttpRequest, event_id: int, payload: RsvpIn) -> Registration:
    """A customer's answer: a place while there is one, else the waiting list; no gives a
    place back to the first waiting."""
    require_role(request, Role.CASHIER)
    event = _event(request, event_id)
    customer = get_owned(Customer, event.business, pk=payload.customer_id)
    return rsvp(event=event, customer=customer, going=payload.going, source="api")


@router.post("/events/{event_id}/check-in", response=CheckInOut)
def event_check_in(request: HttpRequest, event_id: int, payload: CheckInIn) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    event = _event(request, event_id)
    customer = (
        get_owned(Customer, event.business, pk=payload.customer_id) if payload.customer_id else None
    )
    done = check_in(event=event, query=payload.query, customer=customer)
    return {
        "registration": done.registration,
        "points": done.points,
        "already": done.already,
        "walk_in": done.walk_in,
    }
