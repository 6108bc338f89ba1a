"""The generic payment webhook, for wallets and tills other than M-Pesa (Tigo Pesa, Airtel
Money, Idram, a shop's POS): the sender signs each body with the business's signing secret
(wateja.core.signatures: HMAC-SHA256 over timestamp and body, replay-proof), and the payment is
matched, rung up and made idempotent exactly as an M-Pesa one (`payment_receive`)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.signatures import BadSignature, secrets_in_force, signature_verify
from wateja.messaging.hook_auth import HookRefused
from wateja.payments.models import Payment, PaymentSettings
from wateja.payments.mpesa import settings_for_caller
from wateja.payments.services import payment_receive
from wateja.tenants.services import audit_record

SIGNATURE_HEADER = "X-Wateja-Signature"


def signing_secrets(row: PaymentSettings, now: dt.datetime) -> list[str]:
    """The secrets a signature may use: the current one, and the previous one for a day."""
    return secrets_in_force(
        row.signing_secret, row.signing_secret_previous, row.signing_rotated_at, now
    )


def incoming_settings(
    token: str, *, header: str, body: bytes, remote_ip: str, now: dt.datetime | None = None
) -> PaymentSettings:
    """The business a signed call is for, or NotFound / HookRefused."""
    now = now or timezone.now()
    row = settings_for_caller(token, remote_ip)
    try:
        signature_verify(signing_secrets(row, now), header, body, int(now.timestamp()))
    except BadSignature as error:
        raise HookRefused(
            _("The request's signature is not valid: %(why)s") % {"why": str(error)}
        ) from error
    return row


def incoming_receive(row: PaymentSettings, data: dict[str, Any]) -> tuple[Payment, bool]:
    return payment_receive(business=row.business, **data)


@transaction.atomic
def signing_secret_rotate(row: PaymentSettings, *, actor: User | None = None) -> PaymentSettings:
    """A new signing secret; the old one keeps working for a day so senders can switch."""
    locked: PaymentSettings = PaymentSettings.objects.select_for_update().get(pk=row.pk)
    locked.signing_secret_previous = locked.signing_secret
    locked.signing_secret = secrets.token_urlsafe(18)
    locked.signing_rotated_at = timezone.now()
    locked.save(
        update_fields=[
            "signing_secret",
            "signing_secret_previous",
            "signing_rotated_at",
            "updated_at",
        ]
    )
    audit_record(
        business=locked.business,
        action="payment_signing_secret_rotated",
        object_type="payment_settings",
        object_id=locked.pk,
        actor=actor,
    )
    return locked
