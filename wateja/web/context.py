"""Template context for the staff shell: navigation, businesses, languages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

NAVIGATION = [
    ("web:customers", _("Customers")),
    ("web:checkout", _("Checkout")),
    ("web:rewards", _("Rewards")),
    ("web:messages", _("Messages")),
    ("web:reports", _("Reports")),
    ("web:settings", _("Settings")),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    return {
        "navigation": NAVIGATION,
        "memberships": getattr(request, "memberships", []),
        "current_business": getattr(request, "business", None),
        "current_staff": getattr(request, "staff", None),
        "languages": settings.LANGUAGES,
        "language_names": {"en": "English", "sw": "Kiswahili", "hy": "Հայերեն", "ru": "Русский"},
    }
