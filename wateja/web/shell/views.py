"""The shell every staff page shares: the home page, the business switcher and switching
cashiers at a shared till by PIN (signing in is in signin_views; logout is Django's view)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from wateja.analytics import today
from wateja.core.errors import DomainError
from wateja.tenants import two_factor
from wateja.tenants.middleware import SESSION_KEY
from wateja.tenants.models import Location, Staff
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.staff import PIN_LOCK, TillLocked, till_switch
from wateja.web.errors import error_lines
from wateja.web.permissions import staff_required


@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    """Home is today: the first week's steps until they are done, today's and this week's
    figures, what needs doing and what is going wrong."""
    business = request.business  # type: ignore[attr-defined]
    steps = today.checklist(business)
    manager = role_at_least(request.staff.role, Role.MANAGER)  # type: ignore[attr-defined]
    return render(
        request,
        "web/shell/home.html",
        {
            "steps": steps if manager and not all(s.done for s in steps) else [],
            "steps_done": sum(s.done for s in steps),
            "figures": today.figures(business) if manager else None,
            "todo": today.todo(business),
            "alerts": today.alerts(business) if manager else [],
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


def _safe_next(request: HttpRequest, wanted: str) -> str:
    """`wanted` if it is a page of this site, else the start page."""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, {request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return "/"


def _till(request: HttpRequest) -> str:
    """This browser's name for the PIN lock: its session key (a session is made if needed)."""
    if not request.session.session_key:
        request.session.save()
    return str(request.session.session_key)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required()
def till_switch_view(request: HttpRequest) -> HttpResponse:
    """The PIN form of a shared till: the right PIN signs its staff member in on this browser,
    in the same business, and goes back where the switch started. Wrong PINs count against
    this browser, which the service locks after too many (HTTP 429). Someone whose sign-in
    needs a second step is not switched in by PIN: they sign in at the login page."""
    business = request.business  # type: ignore[attr-defined]
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    problems: list[str] = []
    status, retry_after = 200, None
    if request.method == "POST":
        try:
            member = till_switch(
                business=business, pin=request.POST.get("pin", "").strip(), till=_till(request)
            )
        except DomainError as error:
            if error.code == "wrong_pin" and error.details.get("tries_left", 1) <= 0:
                # that PIN used the last try: the till is locked now, say so at once
                error = TillLocked(
                    _("Too many wrong PINs: this till is locked for %(minutes)s minutes.")
                    % {"minutes": int(PIN_LOCK.total_seconds() // 60)},
                    details={"retry_after": int(PIN_LOCK.total_seconds())},
                )
            problems = error_lines(error)
            status, retry_after = error.status, error.details.get("retry_after")
        else:
            if two_factor.next_step(member.user) is not None:
                # a PIN is not a second step: whoever needs one signs in at the login page
                problems = [
                    _("%(name)s signs in with a password and a code: log out, then log in.")
                    % {"name": member.user.get_full_name() or member.user.get_username()}
                ]
                status = 403
            else:
                login(request, member.user)  # a new session for the new person
                request.session[SESSION_KEY] = business.pk  # in the same business
                messages.success(
                    request,
                    _("%(name)s is signed in.")
                    % {"name": member.user.get_full_name() or member.user.get_username()},
                )
                return redirect(next_url)
    response = render(
        request,
        "web/shell/till_switch.html",
        {"next": next_url, "problems": problems},
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
