"""A guest's answer page for an event, reached from the invitation's link without a login
(the signed link names the event and the customer): the event, their place or number on the
waiting list, a yes and a no button, and after a tasting the stars per product."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from wateja.core.errors import DomainError
from wateja.events.links import registration_of, rsvp_open
from wateja.events.models import EventKind, RegistrationSource, RegistrationStatus
from wateja.events.services import ratings_save, rsvp, waiting_position
from wateja.messaging.event_messages import event_messages_run
from wateja.tenants.language import activate_for_request
from wateja.web.ratelimit import Limit, RateLimited, client_ip, limit_hit, too_many_response

RSVP_PER_IP = Limit("event-rsvp-ip", 30, 10 * 60)
RSVP_PER_GUEST = Limit("event-rsvp-guest", 10, 60 * 60)


@require_http_methods(["GET", "POST"])
def rsvp_page(request: HttpRequest, token: str) -> HttpResponse:
    opened = rsvp_open(token)
    if opened is None:
        raise Http404
    event, customer = opened
    business = event.business
    activate_for_request(request, customer.language or business.default_language)
    context: dict[str, Any] = {"page_business": business, "event": event, "customer": customer}
    error = ""
    if request.method == "POST":
        try:
            limit_hit(RSVP_PER_IP, client_ip(request) or "unknown")
            limit_hit(RSVP_PER_GUEST, f"{event.pk}:{customer.pk}")
        except RateLimited as problem:
            return too_many_response(request, problem, "web/public/event_rsvp.html", context)
        try:
            if "answer" in request.POST:
                before = registration_of(event, customer)
                rsvp(
                    event=event,
                    customer=customer,
                    going=request.POST["answer"] == "yes",
                    source=RegistrationSource.LINK,
                )
                if before is not None and before.status == RegistrationStatus.GOING:
                    event_messages_run(business=business)  # the one moved up hears at once
            elif "rate" in request.POST:
                registration = registration_of(event, customer)
                if registration is None or registration.attended_at is None:
                    raise Http404
                stars = {
                    int(name.removeprefix("product_")): int(value)
                    for name, value in request.POST.dict().items()
                    if name.startswith("product_") and value.isdigit()
                }
                ratings_save(registration=registration, ratings=stars)
                context["rated"] = True
        except DomainError as problem:
            error = str(problem.message)
        except ValueError:
            error = ""
        if not error and "rated" not in context:
            return redirect("web:event_rsvp", token=token)
    registration = registration_of(event, customer)
    local = event.starts_at.astimezone(zoneinfo.ZoneInfo(business.timezone))
    context.update(
        {
            "registration": registration,
            "position": waiting_position(registration) if registration else None,
            "error": error,
            "starts_local": local,
            "started": event.starts_at <= timezone.now(),
            "can_rate": (
                event.kind == EventKind.TASTING
                and registration is not None
                and registration.attended_at is not None
            ),
            "products": list(event.products.order_by("name", "pk")),
            "mine": {
                r.product_id: r.stars for r in (registration.ratings.all() if registration else [])
            },
            "stars": range(1, 6),
        }
    )
    return render(request, "web/public/event_rsvp.html", context)
