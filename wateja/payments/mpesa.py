"""M-Pesa C2B callbacks for one business: who may call, and what each call answers.

Daraja signs nothing, so the address itself carries two secrets: the token that names the
business and a second secret the owner can rotate; an optional list of addresses (Safaricom's
published ones) narrows who may call. Daraja refuses callback addresses that contain words such
as "mpesa" or "safaricom", hence `/hooks/<token>/c2b/<secret>/confirm/` and `/validate/`.
Validation accepts any readable payment to the business's own till: a shop never turns money
away because the payer mistyped the account; that payment waits for staff to match it.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.utils.translation import gettext as _

from wateja.core.errors import NotFound, ValidationFailed
from wateja.core.mpesa import BadPayload, c2b_payment
from wateja.customers.links import public_url
from wateja.messaging.hook_auth import HookRefused, address_allowed
from wateja.payments.models import Payment, PaymentProvider, PaymentSettings
from wateja.payments.services import payment_receive

ACCEPTED = {"ResultCode": 0, "ResultDesc": "Accepted"}
# Daraja's validation result codes
INVALID_AMOUNT = "C2B00013"
INVALID_SHORTCODE = "C2B00015"
OTHER_ERROR = "C2B00016"


def callback_addresses(row: PaymentSettings) -> dict[str, str]:
    """The validation and confirmation addresses to register with Daraja (owner only)."""
    base = f"/hooks/{row.hook_token}/c2b/{row.hook_secret}"
    return {
        "validation": public_url(f"{base}/validate/"),
        "confirmation": public_url(f"{base}/confirm/"),
    }


def settings_for_caller(token: str, remote_ip: str) -> PaymentSettings:
    """The business whose payment address `token` is, when `remote_ip` may call it; else
    NotFound / HookRefused. Each kind of call then proves itself (a secret, a signature)."""
    row: PaymentSettings | None = (
        PaymentSettings.objects.select_related("business").filter(hook_token=token).first()
    )
    if row is None:
        raise NotFound(_("No such callback address."))
    if not address_allowed(row.hook_allowed_ips, remote_ip):
        raise HookRefused(_("This address may not call back."))
    return row


def settings_for_call(token: str, secret: str, remote_ip: str) -> PaymentSettings:
    """The business a callback is for, or NotFound / HookRefused."""
    row = settings_for_caller(token, remote_ip)
    if not hmac.compare_digest(secret.encode(), row.hook_secret.encode()):
        raise HookRefused(_("The callback secret is missing or wrong."))
    return row


def _payload(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed(_("The callback is not a JSON object."), code="bad_payload")
    return data


def validation_answer(row: PaymentSettings, body: bytes) -> dict[str, Any]:
    """Accept or reject a payment before M-Pesa takes the money."""
    try:
        payment = c2b_payment(_payload(body))
    except ValidationFailed:
        return {"ResultCode": OTHER_ERROR, "ResultDesc": "Rejected"}
    except BadPayload as error:
        code = INVALID_AMOUNT if error.field == "TransAmount" else OTHER_ERROR
        return {"ResultCode": code, "ResultDesc": "Rejected"}
    if row.mpesa_shortcode and payment.shortcode and payment.shortcode != row.mpesa_shortcode:
        return {"ResultCode": INVALID_SHORTCODE, "ResultDesc": "Rejected"}
    return ACCEPTED


def confirmation_receive(row: PaymentSettings, body: bytes) -> tuple[Payment, bool]:
    """Store (once) and ring up a confirmed payment; ValidationFailed when it can't be read."""
    data = _payload(body)
    try:
        payment = c2b_payment(data)
    except BadPayload as error:
        raise ValidationFailed(
            _("The payment cannot be read: %(problem)s") % {"problem": str(error)},
            code="bad_payload",
        ) from error
    return payment_receive(
        business=row.business,
        provider=PaymentProvider.MPESA,
        reference=payment.reference,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        paid_at=payment.paid_at,
        account=payment.account,
        payer_phone=payment.payer_phone,
        payer_name=payment.payer_name,
        payload=data,
    )
