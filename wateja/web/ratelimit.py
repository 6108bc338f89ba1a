"""Rate limits for pages anyone may post to without signing in (the enrolment page): fixed
windows counted in Django's cache, which every web worker shares (Redis in production, a
file cache on one machine, each test process its own memory).

A `Limit` allows `count` tries per `seconds`-long window for one key (an address, a phone
number, a business). `limit_hit` counts a try and raises `RateLimited` once the window's
count is over, saying in the active language how long until the window ends;
`too_many_response` answers it with a 429 page and a Retry-After header.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from wateja.core.errors import DomainError
from wateja.tenants.signin import _ip as signin_ip


@dataclass(frozen=True)
class Limit:
    name: str  # part of the cache key, e.g. "join-ip"
    count: int  # tries allowed per window
    seconds: int  # the window's length


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            ngettext(
                "Too many tries. Please try again in %(minutes)s minute.",
                "Too many tries. Please try again in %(minutes)s minutes.",
                minutes,
            )
            % {"minutes": minutes},
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after
        self.minutes = minutes


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, as the sign-in throttle reads it (behind our HTTPS proxy, the
    address the proxy saw)."""
    return signin_ip(request)


def limit_hit(limit: Limit, key: str, *, now: float | None = None) -> None:
    """Count one try for `key`; RateLimited when the window already had `limit.count`."""
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no phone number in the cache
    cache_key = f"wateja:rate:{limit.name}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=limit.seconds + 60)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=limit.seconds + 60)
        count = 1
    if count > limit.count:
        raise RateLimited(max(1, math.ceil((window + 1) * limit.seconds - now)))


def too_many_response(
    request: HttpRequest, error: RateLimited, template: str, context: dict[str, Any]
) -> HttpResponse:
    """`template` as a 429 page (it says `error.message`) with a Retry-After header."""
    response = render(request, template, {**context, "error": error}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response
