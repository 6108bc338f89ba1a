"""The `Idempotency-Key` header every value-moving POST takes, and its typed refusal."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Header

from wateja.core.errors import ValidationFailed

IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    description="Unique per request; a retry returns the first result",
)


def required_key(key: str | None) -> str:
    if not key:
        raise ValidationFailed(
            _("Send an Idempotency-Key header with every request that moves value."),
            code="idempotency_key_required",
            status=400,
        )
    return key
