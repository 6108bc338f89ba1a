"""The `Idempotency-Key` header every value-moving POST takes, and its typed refusal."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Header

from wateja.core.errors import ValidationFailed
from wateja.wallet.services import CLIENT_KEY_MAX

IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    description="Unique per request; a retry returns the first result",
)


def required_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise ValidationFailed(
            _("Send an Idempotency-Key header with every request that moves value."),
            code="idempotency_key_required",
            status=400,
        )
    if len(key) > CLIENT_KEY_MAX:
        raise ValidationFailed(
            _("The Idempotency-Key is too long: at most %(count)s characters.")
            % {"count": CLIENT_KEY_MAX},
            code="idempotency_key_invalid",
            status=400,
        )
    return key
