"""Signing in, in two steps: the password (Django's LoginView with the throttled form), then,
when the user has an authenticator app, its 6-digit code or a recovery code; when they have
none and a business they work for requires one for their role, setting it up before the
session starts. The screens and /admin/ go through the same steps.

Between the steps the session holds only who is half signed in (`PENDING`), not a login; it
lapses after PENDING_SECONDS. Wrong codes count as failed sign-ins of the username in the
throttling of wateja.tenants.signin. The rules are wateja.tenants.two_factor's."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wateja.core.errors import Conflict
from wateja.customers.codes import qr_svg
from wateja.tenants import two_factor
from wateja.tenants.middleware import IDLE_SIGNED_OUT
from wateja.tenants.signin import (
    ThrottledAdminAuthenticationForm,
    ThrottledAuthenticationForm,
    client_ip,
    failure_record,
    lock_message,
    success_record,
)

PENDING = "wateja_two_step"
PENDING_SECONDS = 5 * 60


def _now() -> float:
    return timezone.now().timestamp()


def idle_notice(request: HttpRequest) -> str | None:
    """The sentence for a session that ended after inactivity (once)."""
    minutes = request.session.pop(IDLE_SIGNED_OUT, None)
    if not minutes:
        return None
    return ngettext(
        "You were signed out after %(minutes)s minute without activity.",
        "You were signed out after %(minutes)s minutes without activity.",
        int(minutes),
    ) % {"minutes": int(minutes)}


def password_done(request: HttpRequest, user: Any, typed: str, next_url: str) -> HttpResponse:
    """After a correct password: sign in now, or ask for the second step."""
    step = two_factor.next_step(user)
    if step is None:
        auth_login(request, user)
        return redirect(next_url)
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "username": typed,
        "next": next_url,
        "since": _now(),
        "step": step,
    }
    return redirect("web:login_code" if step == "code" else "web:login_enrol")


class SignInView(LoginView):
    """The password step (the screens' /login/)."""

    template_name = "web/shell/login.html"
    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form: Any) -> HttpResponse:
        return password_done(
            self.request, form.get_user(), form.cleaned_data["username"], self.get_success_url()
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["notice"] = idle_notice(self.request)
        return context


class AdminSignInView(SignInView):
    """/admin/login/: the same steps, for accounts that may use the admin; then the admin."""

    authentication_form = ThrottledAdminAuthenticationForm  # type: ignore[assignment]
    redirect_authenticated_user = False
    next_page = "admin:index"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if request.method == "GET" and user.is_active and user.is_staff:
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)


def _restart(request: HttpRequest, next_url: str = "") -> HttpResponse:
    request.session.pop(PENDING, None)
    url = reverse("web:login")
    return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


def _pending(request: HttpRequest, step: str) -> tuple[dict[str, Any], Any] | HttpResponse:
    """Who is half signed in and what they were to do, or where to go instead."""
    data = request.session.get(PENDING)
    if not isinstance(data, dict):
        return redirect("web:login")
    if _now() - float(data.get("since", 0)) > PENDING_SECONDS:
        messages.info(request, _("The sign-in took too long. Enter your password again."))
        return _restart(request, data.get("next", ""))
    user = get_user_model().objects.filter(pk=int(data.get("user") or 0), is_active=True).first()
    if user is None:
        return _restart(request)
    if data.get("step") != step:
        return redirect("web:login_code" if data.get("step") == "code" else "web:login_enrol")
    return data, user


def _finish(request: HttpRequest, data: dict[str, Any], user: Any) -> None:
    request.session.pop(PENDING, None)
    auth_login(request, user, backend=data.get("backend"))


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the app, or a recovery code."""
    found = _pending(request, "code")
    if isinstance(found, HttpResponse):
        return found
    data, user = found
    problems: list[str] = []
    if request.method == "POST":
        username, ip = data["username"], client_ip(request)
        locked = lock_message(username, ip)
        if locked is not None:
            problems = [locked]
        else:
            try:
                how = two_factor.verify(user=user, code=request.POST.get("code", ""))
            except two_factor.WrongCode as error:
                failure_record(username, ip)
                problems = [lock_message(username, ip) or str(error.message)]
            else:
                success_record(username)
                _finish(request, data, user)
                if how == "recovery":
                    left = two_factor.recovery_codes_left(user)
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code: %(count)s is left. "
                            "Make new ones on your Security page.",
                            "You signed in with a recovery code: %(count)s are left. "
                            "Make new ones on your Security page.",
                            left,
                        )
                        % {"count": left},
                    )
                return redirect(data["next"])
    return render(request, "web/shell/login_code.html", {"problems": problems})


def enrol_context(user: Any, secret: str) -> dict[str, Any]:
    """What the set-up panel shows: the QR code for the app and the secret to type."""
    return {
        "qr": qr_svg(
            two_factor.provisioning_uri(user, secret),
            size_mm=40,
            label=_("QR code to add Wateja to your authenticator app"),
        ),
        "secret_groups": two_factor.secret_groups(secret),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Setting up the second step before the first session (the user's role requires it):
    the QR code and the secret, a first code to confirm, then the recovery codes, once."""
    found = _pending(request, "enrol")
    if isinstance(found, HttpResponse):
        return found
    data, user = found
    if two_factor.is_enrolled(user):  # set up meanwhile (another tab): ask for a code
        data["step"] = "code"
        request.session[PENDING] = data
        return redirect("web:login_code")
    problems: list[str] = []
    if request.method == "POST":
        try:
            codes = two_factor.enrol_confirm(user=user, code=request.POST.get("code", ""))
        except two_factor.WrongCode as error:
            problems = [str(error.message)]
        except Conflict as error:
            problems = [str(error.message)]
        else:
            success_record(data["username"])
            _finish(request, data, user)
            return render(
                request,
                "web/shell/recovery_codes.html",
                {"codes": codes, "next": data["next"], "first_time": True},
            )
    secret = two_factor.enrol_secret(user) or two_factor.enrol_start(user=user)
    context = enrol_context(user, secret)
    context["problems"] = problems
    return render(request, "web/shell/login_enrol.html", context)
