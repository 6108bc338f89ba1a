"""The API's one error format: {"code": "...", "message": "...", "details": {...}}.

Every failure the caller can cause ends here as a 4xx with a stable code and a message in the
request's language; nothing the caller sends produces a 500.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from wateja.core.errors import DomainError
from wateja.core.money import MoneyError

logger = logging.getLogger(__name__)

# Seconds a caller should wait before retrying when the database is busy (503).
RETRY_AFTER_SECONDS = 2
# PostgreSQL's "try again" states: serialization failure, deadlock, lock not available.
_BUSY_SQLSTATES = {"40001", "40P01", "55P03"}


def error_response(
    status: int, code: str, message: object, details: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": str(message), "details": details or {}}, status=status
    )


def _core_message(exc: MoneyError) -> str:
    messages = {
        "invalid_amount": _("The amount is not valid."),
        "unknown_currency": _("Unknown currency code."),
        "currency_mismatch": _("The currencies do not match."),
    }
    return messages.get(exc.code, str(exc))


def _field_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if error.get("input_was_null") and kind != "missing":
        return _("This field cannot be null.")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("too_large", "less_than_equal"):
        return _("Too large: the most allowed is %(limit)s.") % {
            "limit": ctx.get("limit", ctx.get("le"))
        }
    if kind == "less_than":
        return _("Too large: it must be below %(limit)s.") % {"limit": ctx.get("lt")}
    if kind in ("too_small", "greater_than_equal"):
        return _("Too small: the least allowed is %(limit)s.") % {
            "limit": ctx.get("limit", ctx.get("ge"))
        }
    if kind == "greater_than":
        return _("Too small: it must be above %(limit)s.") % {"limit": ctx.get("gt")}
    if kind == "string_too_long":
        return _("Too long: at most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _("This cannot be empty.")
        return _("Too short: at least %(min)s characters.") % {"min": ctx.get("min_length")}
    if kind == "too_long":
        return _("Too many items: at most %(max)s.") % {"max": ctx.get("max_length")}
    if kind == "enum":
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in ("int_parsing", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("finite_number", "not_finite"):
        return _("Enter a number.")
    if kind.endswith(("_type", "_parsing")):
        return _("Wrong type of value.")
    return str(error.get("msg", _("Invalid value.")))


def validation_details(errors: list[dict[str, Any]]) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja prefixes the location with the source and the parameter name
        path = ".".join(loc[2:] if len(loc) > 2 and loc[0] == "body" else loc[1:] or loc)
        fields.setdefault(path or "body", []).append(_field_message(error))
    return {"fields": fields}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(MoneyError)
    def money_error(request: HttpRequest, exc: MoneyError) -> HttpResponse:
        return error_response(422, exc.code, _core_message(exc))

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            422,
            "validation_error",
            _("Some fields are not valid."),
            validation_details(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            401,
            "authentication_required",
            _("Send an API key: Authorization: Bearer wj_…"),
        )

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(403, "forbidden", _("Your role does not allow this."))

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(403, "forbidden", _("Your role does not allow this."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        cause = exc.__cause__
        if isinstance(cause, RequestDataTooBig):
            return too_large_response()
        if isinstance(cause, (MultiPartParserError, SuspiciousOperation, BadRequest)):
            return bad_request_response(cause)
        if isinstance(cause, (json.JSONDecodeError, UnicodeDecodeError)):
            return error_response(
                400,
                "malformed_json",
                _("The request body is not valid JSON."),
                {"error": str(cause)},
            )
        if isinstance(cause, (ValueError, RecursionError)):  # e.g. nested too deep
            return error_response(400, "malformed_json", _("The request body is not valid JSON."))
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 429: "throttled"}
        return error_response(exc.status_code, codes.get(exc.status_code, "error"), exc.message)

    @api.exception_handler(MultiPartParserError)
    def multipart_error(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return bad_request_response(exc)

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return bad_request_response(exc)

    @api.exception_handler(BadRequest)
    def bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
        return bad_request_response(exc)

    @api.exception_handler(OperationalError)
    def database_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
        if not database_busy(exc):
            return unexpected(request, exc)
        logger.warning("database busy on %s %s: %s", request.method, request.path, exc)
        return database_busy_response()

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error on %s %s", request.method, request.path)
        if settings.DEBUG:
            raise exc
        return error_response(500, "internal_error", _("Something went wrong on our side."))


def database_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (another writer kept the lock past the busy timeout) or
    PostgreSQL's lock and serialization failures: nothing wrong with the request, try again."""
    text = str(exc).lower()
    if "database is locked" in text or "database table is locked" in text:
        return True
    return getattr(exc.__cause__, "sqlstate", None) in _BUSY_SQLSTATES


def database_busy_response() -> JsonResponse:
    response = error_response(
        503,
        "database_busy",
        _("The database is busy with other requests. Try again in a few seconds."),
        {"retry_after_seconds": RETRY_AFTER_SECONDS},
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request_response(exc: Exception) -> JsonResponse:
    """A body Django cannot read as a form: a broken multipart upload, too many parts."""
    if isinstance(exc, RequestDataTooBig):
        return too_large_response()
    if isinstance(exc, MultiPartParserError):
        return error_response(
            400,
            "malformed_multipart",
            _(
                "The upload is not a valid multipart/form-data body: send the file as a "
                "form field named file, with the boundary given in the Content-Type header."
            ),
        )
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return error_response(
            400, "too_many_parts", _("The form has too many fields or files: send one file.")
        )
    return error_response(400, "bad_request", _("The request could not be read."))


def too_large_response() -> JsonResponse:
    return error_response(
        413,
        "payload_too_large",
        _("The request body is larger than %(limit)s bytes.") % {"limit": settings.MAX_BODY_BYTES},
        {"limit_bytes": settings.MAX_BODY_BYTES},
    )
