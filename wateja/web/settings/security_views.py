"""Settings → Security, each staff member's own sign-in: turning two-step sign-in on (the QR
code, a first code, the recovery codes shown once), making new recovery codes, turning it off
where no business requires it; and the owner's choice of whose sign-in the business requires
it for. The rules are in wateja.tenants.two_factor; a wrong code here counts as a failed
sign-in of the account. (Clearing a staff member's second step is on their staff page.)"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.tenants import two_factor
from wateja.tenants.roles import Role
from wateja.tenants.signin import client_ip, failure_record, lock_message
from wateja.web.errors import error_lines
from wateja.web.permissions import staff_required
from wateja.web.settings.forms import TwoFactorPolicyForm
from wateja.web.shell.signin_views import enrol_context


def _page(request: HttpRequest, problems: list[str] | None = None, status: int = 200) -> Any:
    user = request.user
    context: dict[str, Any] = {
        "enrolled": two_factor.is_enrolled(user),
        "required": two_factor.required_for(user),
        "codes_left": two_factor.recovery_codes_left(user),
        "problems": problems or [],
        "action": reverse("web:security_confirm"),
    }
    secret = None if context["enrolled"] else two_factor.enrol_secret(user)
    if secret:
        context.update(enrol_context(user, secret))
    return render(request, "web/settings/security.html", context, status=status)


def _checked(request: HttpRequest, use: Any) -> tuple[Any, list[str]]:
    """`use(code)` unless the account is locked; a wrong code counts as a failed sign-in."""
    username, ip = request.user.get_username(), client_ip(request)
    locked = lock_message(username, ip)
    if locked is not None:
        return None, [locked]
    try:
        return use(request.POST.get("code", "")), []
    except two_factor.WrongCode as error:
        failure_record(username, ip)
        return None, [lock_message(username, ip) or str(error.message)]
    except DomainError as error:
        return None, error_lines(error)


@never_cache
@staff_required()
def security_page(request: HttpRequest) -> HttpResponse:
    return _page(request)  # type: ignore[no-any-return]


@require_POST
@staff_required()
def security_start(request: HttpRequest) -> HttpResponse:
    try:
        two_factor.enrol_start(user=request.user)
    except DomainError as error:
        messages.error(request, " ".join(error_lines(error)))
    return redirect("web:security")


@never_cache
@require_POST
@staff_required()
def security_confirm(request: HttpRequest) -> HttpResponse:
    codes, problems = _checked(
        request, lambda code: two_factor.enrol_confirm(user=request.user, code=code)
    )
    if problems:
        return _page(request, problems)  # type: ignore[no-any-return]
    return render(
        request,
        "web/shell/recovery_codes.html",
        {"codes": codes, "next": reverse("web:security"), "first_time": True},
    )


@never_cache
@require_POST
@staff_required()
def security_recovery_codes(request: HttpRequest) -> HttpResponse:
    codes, problems = _checked(
        request, lambda code: two_factor.recovery_codes_regenerate(user=request.user, code=code)
    )
    if problems:
        return _page(request, problems)  # type: ignore[no-any-return]
    return render(
        request, "web/shell/recovery_codes.html", {"codes": codes, "next": reverse("web:security")}
    )


@require_POST
@staff_required()
def security_off(request: HttpRequest) -> HttpResponse:
    _done, problems = _checked(
        request, lambda code: two_factor.disable(user=request.user, code=code)
    )
    if problems:
        return _page(request, problems)  # type: ignore[no-any-return]
    messages.success(request, _("Two-step sign-in is off."))
    return redirect("web:security")


@require_POST
@staff_required(Role.OWNER)
def two_factor_policy(request: HttpRequest) -> HttpResponse:
    """The owner chooses whose sign-in needs the second step in this business."""
    form = TwoFactorPolicyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Some fields are not valid."))
        return redirect("web:settings")
    try:
        two_factor.policy_set(
            business=request.business,  # type: ignore[attr-defined]
            policy=form.cleaned_data["two_factor_required"],
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, " ".join(error_lines(error)))
    else:
        messages.success(request, _("Sign-in rule saved."))
    return redirect("web:settings")
