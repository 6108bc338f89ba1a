"""Staff sign-in throttling, for the web login and /admin/ alike: after USER_LIMIT failures
for one username within the window, that username is locked until the window has passed since
its last failure; after IP_LIMIT failures from one address (whatever the usernames), that
address is. A success clears the username's failures. Failures are rows in the database, so
every web worker sees the same count.

The second step of sign-in (wateja.tenants.two_factor) counts here too: a wrong code is a
failure of the username, and a correct password clears the count only when no code is asked
after it (else the count clears after the right code), so codes cannot be guessed between
correct passwords."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from wateja.tenants import two_factor
from wateja.tenants.models import SignInFailure

USER_LIMIT = 5
IP_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)


def _ip(request: Any) -> str | None:
    """The caller's address: behind our HTTPS proxy (WATEJA_HTTPS=1), the one the proxy
    appended to X-Forwarded-For (the last; earlier ones are the caller's to invent)."""
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _key(username: str) -> str:
    return username.strip().lower()[:150]


def locked_until(
    username: str, ip: str | None, now: dt.datetime | None = None
) -> dt.datetime | None:
    """When the username (or the address) may try again; None: it may now."""
    now = now or timezone.now()
    recent = SignInFailure.objects.filter(at__gt=now - WINDOW)
    ends: list[dt.datetime] = []
    for rows, limit in ((recent.filter(username=_key(username)), USER_LIMIT),
                        (recent.filter(ip=ip) if ip else None, IP_LIMIT)):  # fmt: skip
        if rows is None:
            continue
        found = rows.aggregate(n=Count("id"), last=Max("at"))
        if found["n"] >= limit and found["last"] is not None:
            ends.append(found["last"] + WINDOW)
    return max(ends) if ends else None


def lock_message(username: str, ip: str | None, now: dt.datetime | None = None) -> str | None:
    """A sentence saying when a locked username or address may try again (None: not locked)."""
    now = now or timezone.now()
    until = locked_until(username, ip, now)
    if until is None:
        return None
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)s minute.",
        "Too many failed attempts. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


def client_ip(request: Any) -> str | None:
    return _ip(request)


def failure_record(username: str, ip: str | None, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    SignInFailure.objects.create(username=_key(username), ip=ip, at=now)


def success_record(username: str) -> None:
    SignInFailure.objects.filter(username=_key(username)).delete()


def failures_prune(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _kinds = SignInFailure.objects.filter(at__lt=now - WINDOW * 4).delete()
    return deleted


class _Throttled:
    """Mixed into Django's sign-in forms: refuse a locked username or address with a message
    saying when to try again, and count every failure."""

    request: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        ip = _ip(self.request)
        locked = lock_message(username, ip)
        if locked is not None:
            raise forms.ValidationError(locked, code="locked")
        try:
            data: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            failure_record(username, ip)
            raise
        if not two_factor.is_enrolled(self.get_user()):  # type: ignore[attr-defined]
            success_record(username)
        return data


class ThrottledAuthenticationForm(_Throttled, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("Wrong username or password."),
    }


class ThrottledAdminAuthenticationForm(_Throttled, AdminAuthenticationForm):
    pass
