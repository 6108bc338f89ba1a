"""Access to staff screens: logged in, working for a business, with at least a given role.

The role a screen needs is said once, by its view's `staff_required(...)`; the decorator
records it on the view (`minimum_role`), so the navigation shows a screen only to the roles
that can open it without keeping a second table."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.scoping import BusinessOwned

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=BusinessOwned)


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

        wrapper.minimum_role = Role(minimum)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def minimum_role(view: Callable[..., Any]) -> Role | None:
    """The role a view needs, as its `staff_required` says (None: not a staff screen).
    Decorators applied over it with functools.wraps (require_POST…) keep the mark."""
    found = getattr(view, "minimum_role", None)
    return Role(found) if found is not None else None


def owned_or_404(model: type[M], request: HttpRequest, **lookup: Any) -> M:
    """A row of the signed-in business's `model`, or the 404 page: another business's row and
    a missing one look the same."""
    from django.http import Http404

    from wateja.core.errors import NotFound
    from wateja.tenants.scoping import get_owned

    try:
        return get_owned(model, request.business, **lookup)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404 from None
