"""Template context for the staff shell: navigation, businesses, languages.

The navigation lists only the screens the signed-in role can open. Which role a screen needs
is not repeated here: it is read from the screen's own view (`staff_required(...)` marks it,
see wateja.web.permissions), so the link and the page's door always agree."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wateja.tenants.roles import Role, role_at_least
from wateja.web.permissions import minimum_role

NAVIGATION: list[tuple[str, Promise]] = [
    ("web:customers", _("Customers")),
    ("web:checkout", _("Checkout")),
    ("web:products", _("Products")),
    ("web:rewards", _("Rewards")),
    ("web:messages", _("Messages")),
    ("web:feedback_ratings", _("Feedback")),
    ("web:events", _("Events")),
    ("web:payments", _("Payments")),
    ("web:reports", _("Reports")),
    ("web:settings", _("Settings")),
]


def screen_role(url_name: str) -> Role:
    """The role the screen named `url_name` needs; a page that is not a staff screen is
    kept to the owner (the navigation test makes sure none is)."""
    return minimum_role(resolve(reverse(url_name)).func) or Role.OWNER


def navigation_for(role: str | None) -> list[tuple[str, Promise]]:
    """The navigation entries a staff member with `role` can open (none without a role)."""
    if not role:
        return []
    return [(name, label) for name, label in NAVIGATION if role_at_least(role, screen_role(name))]


def shell(request: HttpRequest) -> dict[str, Any]:
    staff = getattr(request, "staff", None)
    return {
        "navigation": navigation_for(staff.role if staff is not None else None),
        "memberships": getattr(request, "memberships", []),
        "current_business": getattr(request, "business", None),
        "current_staff": staff,
        "languages": settings.LANGUAGES,
        "language_names": {"en": "English", "sw": "Kiswahili", "hy": "Հայերեն", "ru": "Русский"},
    }
