"""The end-of-day summary at the till: a cashier sees today's at their location, a manager picks
the day and the location; printable on the receipt printer (58 or 80 mm) or on paper."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.localtime import local_today
from wateja.orders.shift import API_KEY, STAFF, Part, shift_summary
from wateja.tenants.models import Business, Location
from wateja.tenants.roles import Role, role_at_least
from wateja.web.permissions import staff_required
from wateja.web.till.order_views import paper_links, paper_of


def _who(part: Part) -> str:
    who = part.who
    if who is None or who.kind not in (STAFF, API_KEY):
        return _("Not recorded")
    if who.kind == API_KEY:
        return _("API key: %(name)s") % {"name": who.name}
    return who.name


def _where(part: Part) -> str:
    return part.location.name if part.location is not None else _("No location")


@staff_required(Role.CASHIER)
def shift(request: HttpRequest) -> HttpResponse:
    business: Business = request.business  # type: ignore[attr-defined]
    staff = request.staff  # type: ignore[attr-defined]
    manager = role_at_least(staff.role, Role.MANAGER)
    today = local_today(business.timezone)
    day, location, problems = today, None, []
    locations = list(Location.objects.for_business(business).order_by("name"))
    if manager:
        wanted = request.GET.get("day", "").strip()
        if wanted:
            try:
                day = dt.date.fromisoformat(wanted)
            except ValueError:
                problems.append(_("Choose a day from the calendar."))
            else:
                if day > today:
                    problems.append(_("That day has not come yet: here is today."))
                    day = today
        place = request.GET.get("location", "").strip()
        location = next((p for p in locations if str(p.pk) == place), None)
    else:
        location = staff.location  # a cashier's own till
    summary = shift_summary(business, day, location)
    context: dict[str, Any] = {
        "summary": summary,
        "figures": summary.total,
        "by_cashier": [(_who(part), part.figures) for part in summary.by_cashier],
        "by_location": [(_where(part), part.figures) for part in summary.by_location],
        "manager": manager,
        "today": today,
        "locations": locations,
        "problems": problems,
        "printed_at": timezone.now(),
        "paper": paper_of(request),
        "paper_links": paper_links(request),
    }
    return render(request, "web/till/shift.html", context)
