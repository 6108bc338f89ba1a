"""Request middleware: staff sessions that end after inactivity, the staff member's current
business, and the language to answer in."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

from wateja.tenants.language import activate_for_request
from wateja.tenants.selectors import memberships_for_user

SESSION_KEY = "wateja_business_id"
LAST_SEEN = "wateja_last_seen"  # when the session last made a request (Unix seconds)
IDLE_SIGNED_OUT = "wateja_idle_signed_out"  # minutes, for the login page's sentence
SEEN_EVERY = 60  # the last request's time is written at most once a minute


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _login_url() -> str:
    return str(resolve_url(settings.LOGIN_URL))


class IdleSessionMiddleware:
    """Signs a staff session out after settings.SESSION_IDLE_SECONDS without a request, and
    leaves the login page a sentence saying so. Bearer-key API calls carry no session and
    are not touched. An htmx request that finds itself signed out (a redirect to the login
    page) gets `HX-Redirect`, so the whole page goes to the login page instead of a login
    form being swapped into a fragment."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._touch(request)
        response = self.get_response(request)
        if _is_htmx(request) and response.status_code == 302:
            location = response.get("Location", "")
            if location.split("?", 1)[0] == _login_url():
                return self._to_login(request)
        return response

    def _touch(self, request: HttpRequest) -> None:
        now = int(timezone.now().timestamp())
        last = request.session.get(LAST_SEEN)
        limit = int(settings.SESSION_IDLE_SECONDS)
        if isinstance(last, int) and now - last > limit:
            logout(request)  # a new, empty session
            request.session[IDLE_SIGNED_OUT] = max(1, limit // 60)
        elif not isinstance(last, int) or now - last >= SEEN_EVERY:
            request.session[LAST_SEEN] = now

    def _to_login(self, request: HttpRequest) -> HttpResponse:
        page = request.headers.get("HX-Current-URL", "")
        path = page.split("://", 1)[-1]
        path = path[path.find("/") :] if "/" in path else "/"
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{_login_url()}?{urlencode({'next': path})}"
        return response


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
