"""Typed domain errors: a stable machine `code`, a human message and structured details.

Services raise these; the API turns them into `{"code", "message", "details"}` responses with
the HTTP status named here, and the web screens show the message.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A caller's mistake or a rule that refused the request (never a bug)."""

    code: str = "invalid_request"
    status: int = 400

    def __init__(
        self,
        message: object = "",
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message) if message else self.code)
        self.message = message or self.code
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details: dict[str, Any] = details or {}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class ValidationFailed(DomainError):
    """Input that breaks a rule; `details["fields"]` maps each field to its problems."""

    code = "validation_error"
    status = 422

    @classmethod
    def fields(cls, message: object, errors: dict[str, object]) -> ValidationFailed:
        return cls(message, details={"fields": {k: [str(v)] for k, v in errors.items()}})
