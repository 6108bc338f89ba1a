"""Refuses request bodies over WATEJA_MAX_BODY_BYTES with 413 before anything reads them."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from wateja.api.errors import too_large_response
from wateja.tenants.language import activate_for_request


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # file uploads are streamed to disk by Django and limited by their own screens
        is_upload = request.content_type == "multipart/form-data" and not request.path.startswith(
            "/api/"
        )
        if length > settings.MAX_BODY_BYTES and not is_upload:
            activate_for_request(request)
            response = too_large_response()
            translation.deactivate()
            return response
        return self.get_response(request)
