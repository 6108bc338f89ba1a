"""Request middleware: the staff member's current business, and the language to answer in."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from wateja.tenants.language import activate_for_request
from wateja.tenants.selectors import memberships_for_user

SESSION_KEY = "wateja_business_id"


class CurrentBusinessMiddleware:
    """Sets request.memberships, request.staff and request.business for a logged-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.memberships = []  # type: ignore[attr-defined]
        request.staff = None  # type: ignore[attr-defined]
        request.business = None  # type: ignore[attr-defined]
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            memberships = memberships_for_user(request.user)
            wanted = request.session.get(SESSION_KEY)
            current = next((m for m in memberships if m.business_id == wanted), None)
            if current is None and memberships:
                current = memberships[0]
            request.memberships = memberships  # type: ignore[attr-defined]
            request.staff = current  # type: ignore[attr-defined]
            request.business = current.business if current else None  # type: ignore[attr-defined]
            if current is not None:
                timezone.activate(zoneinfo.ZoneInfo(current.business.timezone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class LanguageMiddleware:
    """Activates the language for this request (see tenants.language for the order)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        business = getattr(request, "business", None)
        activate_for_request(request, business.default_language if business else None)
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        translation.deactivate()
        return response
