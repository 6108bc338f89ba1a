"""Access to staff screens: logged in, working for a business, with at least a given role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from wateja.tenants.roles import Role, role_at_least

View = Callable[..., HttpResponse]


def staff_required(minimum: str = Role.VIEWER) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            staff = request.staff  # type: ignore[attr-defined]
            if staff is None:
                return render(
                    request,
                    "web/shell/forbidden.html",
                    {"reason": _("Your account does not belong to any business yet.")},
                    status=403,
                )
            if not role_at_least(staff.role, minimum):
                return render(
                    request,
                    "web/shell/forbidden.html",
                    {
                        "reason": _("This page needs the %(role)s role.")
                        % {"role": Role(minimum).label}
                    },
                    status=403,
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
