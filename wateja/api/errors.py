"""The API's one error format: {"code": "...", "message": "...", "details": {...}}.

Every failure the caller can cause ends here as a 4xx with a stable code and a message in the
request's language; nothing the caller sends produces a 500.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from wateja.core.errors import DomainError
from wateja.core.money import MoneyError

logger = logging.getLogger(__name__)


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
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
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
        if isinstance(cause, (json.JSONDecodeError, UnicodeDecodeError)):
            return error_response(
                400,
                "malformed_json",
                _("The request body is not valid JSON."),
                {"error": str(cause)},
            )
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 429: "throttled"}
        return error_response(exc.status_code, codes.get(exc.status_code, "error"), exc.message)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error on %s %s", request.method, request.path)
        if settings.DEBUG:
            raise exc
        return error_response(500, "internal_error", _("Something went wrong on our side."))


def too_large_response() -> JsonResponse:
    return error_response(
        413,
        "payload_too_large",
        _("The request body is larger than %(limit)s bytes.") % {"limit": settings.MAX_BODY_BYTES},
        {"limit_bytes": settings.MAX_BODY_BYTES},
    )
