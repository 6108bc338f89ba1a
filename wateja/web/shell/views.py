"""The shell every staff page shares: the home page and the business switcher (login and
logout are Django's own views, wired in this package's urls)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.tenants.middleware import SESSION_KEY
from wateja.tenants.models import Location, Staff
from wateja.web.permissions import staff_required


@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    business = request.business  # type: ignore[attr-defined]
    return render(
        request,
        "web/shell/home.html",
        {
            "locations": Location.objects.for_business(business),
            "staff_count": Staff.objects.for_business(business).count(),
        },
    )


@require_POST
def switch_business(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:login")
    try:
        wanted = int(request.POST.get("business", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Choose a business."))
    if any(m.business_id == wanted for m in request.memberships):  # type: ignore[attr-defined]
        request.session[SESSION_KEY] = wanted
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    return redirect(next_url or "/")
