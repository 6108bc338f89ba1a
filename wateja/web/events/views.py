"""The events screens: the list with no-show figures, the event form, and the event's page
with its guests, waiting list, tasting ratings and the check-in box for the door (a card
scanned or typed, the card's QR, or a phone number, then Enter: a big answer, ready for the
next guest)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.core.money import Money, format_money
from wateja.events.models import Event, Registration, RegistrationSource, RegistrationStatus
from wateja.events.services import (
    check_in,
    event_save,
    event_stats,
    events_of,
    guest_find,
    no_show_summary,
    product_ratings,
    rsvp,
    waiting_position,
)
from wateja.messaging.event_messages import event_invite, event_messages_run
from wateja.tenants.models import Business
from wateja.tenants.roles import Role, role_at_least
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form
from wateja.web.events.forms import EventForm, GuestForm
from wateja.web.permissions import owned_or_404, staff_required


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _event(request: HttpRequest, event_id: int) -> Event:
    return owned_or_404(Event, request, pk=event_id)


def _can_manage(request: HttpRequest) -> bool:
    return role_at_least(request.staff.role, Role.MANAGER)  # type: ignore[attr-defined]


@staff_required(Role.CASHIER)
def event_list(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    now = timezone.now()
    events = list(events_of(business).order_by("-starts_at", "-pk")[:200])
    rows = [{"event": e, "stats": event_stats(e, now), "past": e.starts_at <= now} for e in events]
    return render(
        request,
        "web/events/list.html",
        {
            "upcoming": [r for r in rows if not r["past"]][::-1],
            "past": [r for r in rows if r["past"]],
            "summary": no_show_summary(business, now),
            "can_manage": _can_manage(request),
        },
    )


def _local_input(moment: dt.datetime | None, business: Business) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zoneinfo.ZoneInfo(business.timezone)).strftime("%Y-%m-%dT%H:%M")


def _initial(event: Event) -> dict[str, Any]:
    business = event.business
    return {
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "place": event.place,
        "location": str(event.location_id or ""),
        "starts_at": _local_input(event.starts_at, business),
        "ends_at": _local_input(event.ends_at, business),
        "capacity": event.capacity,
        "fee": format_money(
            Money(event.fee_minor, business.currency),
            translation.get_language() or "en",
            with_currency=False,
        )
        if event.fee_minor
        else "",
        "attendance_points": event.attendance_points,
        "segment": str(event.segment_id or ""),
        "products": [str(pk) for pk in event.products.values_list("pk", flat=True)],
        "status": event.status,
    }


def _edit(request: HttpRequest, event: Event | None) -> HttpResponse:
    business = _business(request)
    initial = _initial(event) if event else {"status": "open", "attendance_points": 0}
    form = EventForm(request.POST or None, initial=initial, business=business)
    if request.method == "POST" and form.is_valid():
        try:
            saved = event_save(
                business=business,
                event=event,
                actor=request.user,  # type: ignore[arg-type]
                **form.values(),
            )
        except DomainError as error:
            apply_to_form(form, error)
        else:
            event_messages_run(business=business)  # more places: those moved up hear at once
            messages.success(request, _("%(title)s is saved.") % {"title": saved.title})
            return redirect("web:event", event_id=saved.pk)
    return render(request, "web/events/edit.html", {"form": form, "event": event})


@staff_required(Role.MANAGER)
def event_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@staff_required(Role.MANAGER)
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    return _edit(request, _event(request, event_id))


def _by_name(registration: Registration) -> tuple[str, int]:
    return (registration.customer.name.casefold(), registration.pk)


def _guests(event: Event) -> dict[str, list[Any]]:
    rows = (
        Registration.objects.filter(event=event)
        .select_related("customer")
        .order_by("waiting_since", "answered_at", "pk")
    )
    groups: dict[str, list[Any]] = {"going": [], "waiting": [], "other": []}
    for registration in rows:
        if registration.status == RegistrationStatus.GOING:
            groups["going"].append(registration)
        elif registration.status == RegistrationStatus.WAITING:
            groups["waiting"].append(registration)
        else:
            groups["other"].append(registration)
    for number, registration in enumerate(groups["waiting"], start=1):
        registration.position = number
    groups["going"].sort(key=_by_name)
    return groups


@staff_required(Role.CASHIER)
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id)
    now = timezone.now()
    ends = event.ends_at or event.starts_at + dt.timedelta(hours=12)
    return render(
        request,
        "web/events/detail.html",
        {
            "event": event,
            "started": event.starts_at <= now,
            "door_open": event.status == "open" and ends > now,
            "stats": event_stats(event),
            "guests": _guests(event),
            "ratings": product_ratings(event) if event.products.exists() else [],
            "can_manage": _can_manage(request),
            "checkin_form": GuestForm(),
            "guest_form": GuestForm(),
        },
    )


@require_POST
@staff_required(Role.CASHIER)
def event_checkin(request: HttpRequest, event_id: int) -> HttpResponse:
    """One guest at the door. With htmx only the answer box is swapped; without, the page."""
    event = _event(request, event_id)
    form = GuestForm(request.POST)
    result: dict[str, Any] = {"event": event}
    if form.is_valid():
        try:
            done = check_in(
                event=event,
                query=form.cleaned_data["query"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            result["error"] = str(error.message)
        else:
            result["done"] = done
    else:
        result["error"] = _("Scan a card or type a card or phone number.")
    if request.headers.get("HX-Request"):
        result["stats"] = event_stats(event)
        return render(request, "web/events/_checkin_result.html", result)
    if "error" in result:
        messages.error(request, result["error"])
    else:
        messages.success(
            request, _("%(name)s is checked in.") % {"name": result["done"].customer.name}
        )
    return redirect("web:event", event_id=event.pk)


@require_POST
@staff_required(Role.MANAGER)
def event_guest_add(request: HttpRequest, event_id: int) -> HttpResponse:
    """A manager puts a customer on the list (a phone call, a visit): a place, or the
    waiting list when full."""
    event = _event(request, event_id)
    form = GuestForm(request.POST)
    if form.is_valid():
        try:
            customer = guest_find(event.business, form.cleaned_data["query"])
            registration = rsvp(
                event=event, customer=customer, going=True, source=RegistrationSource.STAFF
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            if registration.status == RegistrationStatus.WAITING:
                messages.success(
                    request,
                    _("%(name)s is number %(position)s on the waiting list.")
                    % {"name": customer.name, "position": waiting_position(registration)},
                )
            else:
                messages.success(request, _("%(name)s has a place.") % {"name": customer.name})
    return redirect("web:event", event_id=event.pk)


@require_POST
@staff_required(Role.MANAGER)
def event_guest_cancel(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    """Give a guest's place back: the first on the waiting list moves up and is told."""
    event = _event(request, event_id)
    registration = owned_or_404(Registration, request, pk=registration_id, event=event)
    asked = confirm_first(
        request,
        question=_("Give %(name)s's place back?") % {"name": registration.customer.name},
        consequence=_("The first on the waiting list gets the place and a message."),
        yes=_("Give the place back"),
        cancel_url=reverse("web:event", kwargs={"event_id": event.pk}),
    )
    if asked is not None:
        return asked
    try:
        rsvp(
            event=event,
            customer=registration.customer,
            going=False,
            source=RegistrationSource.STAFF,
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        event_messages_run(business=event.business)
        messages.success(request, _("The place is given back."))
    return redirect("web:event", event_id=event.pk)


@require_POST
@staff_required(Role.MANAGER)
def event_send_invitations(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id)
    if event.status != "open":
        messages.error(request, _("Open the event for sign-up before inviting."))
        return redirect("web:event", event_id=event.pk)
    asked = confirm_first(
        request,
        question=_("Send the invitation to %(event)s?") % {"event": event.title},
        consequence=_(
            "Each customer of the audience who agreed to get offers gets a message with a "
            "link to answer; quiet hours and the limit of messages apply. Sent messages "
            "cannot be called back."
        ),
        yes=_("Send the invitations"),
        cancel_url=reverse("web:event", kwargs={"event_id": event.pk}),
    )
    if asked is not None:
        return asked
    campaign = event_invite(event=event, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        _("%(count)s invitations are on their way.") % {"count": campaign.counts.get("queued", 0)},
    )
    return redirect("web:event", event_id=event.pk)
