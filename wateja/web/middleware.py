"""Responses that may hold personal data are never kept by a browser or a proxy cache:
every page and API answer says `Cache-Control: private, no-store` unless it chose otherwise.
Static files (served before this, by WhiteNoise) keep their long cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response
