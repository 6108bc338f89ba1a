"""Refuses request bodies over WATEJA_MAX_BODY_BYTES with 413 before anything reads them.

Spreadsheet uploads are the one exception: multipart bodies to the import endpoint (and to
the staff screens, which upload files) may reach WATEJA_IMPORT_MAX_BYTES; Django streams big
file parts to a temporary file, and the import service checks the file's own size again.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from wateja.api.errors import error_response, too_large_response
from wateja.customers.importing import file_too_large
from wateja.tenants.language import activate_for_request

IMPORT_PATH = "/api/v1/imports"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the small form fields beside the file


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= settings.MAX_BODY_BYTES:
            return self.get_response(request)
        is_multipart = request.content_type == "multipart/form-data"
        is_api = request.path.startswith("/api/")
        upload_limit = settings.IMPORT_MAX_BYTES + MULTIPART_OVERHEAD
        is_upload = is_multipart and (not is_api or request.path.rstrip("/") == IMPORT_PATH)
        if is_upload and length <= upload_limit:
            return self.get_response(request)
        activate_for_request(request)
        try:
            if is_upload:
                error = file_too_large()
                if is_api:
                    return error_response(error.status, error.code, error.message, error.details)
                return HttpResponse(
                    str(error.message), status=413, content_type="text/plain; charset=utf-8"
                )
            return too_large_response()
        finally:
            translation.deactivate()
