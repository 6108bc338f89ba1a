"""Calls to Safaricom's Daraja API for one business: an OAuth access token from the consumer
key and secret, and registering the business's C2B validation and confirmation addresses.

The base address follows the business's environment (sandbox or production); the setting
DARAJA_BASE_URL (WATEJA_DARAJA_URL) points every business at another address: a local stand-in
in tests, a proxy in production.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from wateja.core.errors import DomainError
from wateja.customers.links import public_url
from wateja.payments.models import PaymentSettings, Payout
from wateja.payments.mpesa import callback_addresses

BASE_URLS = {
    "sandbox": "https://sandbox.safaricom.co.ke",
    "production": "https://api.safaricom.co.ke",
}
TIMEOUT_SECONDS = 15


class DarajaError(DomainError):
    code = "daraja_error"
    status = 502


def base_url(row: PaymentSettings) -> str:
    url = (settings.DARAJA_BASE_URL or BASE_URLS[row.mpesa_environment]).rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise DomainError(_("The M-Pesa address must start with https://."), code="daraja_url")
    return url


def _call(request: urllib.request.Request) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            data = json.load(response)
    except urllib.error.HTTPError as error:
        try:
            answer = json.load(error)
        except ValueError:
            answer = {}
        said = answer.get("errorMessage") or answer.get("ResponseDescription") or error.reason
        raise DarajaError(
            _("M-Pesa refused the request (%(status)s): %(said)s")
            % {"status": error.code, "said": said}
        ) from error
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise DarajaError(_("M-Pesa could not be reached: %(error)s") % {"error": error}) from error
    if not isinstance(data, dict):
        raise DarajaError(_("M-Pesa answered with something unexpected."))
    return data


def access_token(row: PaymentSettings) -> str:
    if not (row.mpesa_consumer_key and row.mpesa_consumer_secret):
        raise DomainError(
            _("Enter the Daraja consumer key and secret first."), code="daraja_not_configured"
        )
    pair = f"{row.mpesa_consumer_key}:{row.mpesa_consumer_secret}".encode()
    request = urllib.request.Request(  # noqa: S310 (base_url is http or https)
        f"{base_url(row)}/oauth/v1/generate?grant_type=client_credentials",
        headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
    )
    token = _call(request).get("access_token")
    if not isinstance(token, str) or not token:
        raise DarajaError(_("M-Pesa gave no access token."))
    return token


def register_urls(row: PaymentSettings) -> dict[str, Any]:
    """Tell M-Pesa where to send the business's payments. ResponseType "Completed": when our
    validation address cannot be reached, M-Pesa completes the payment anyway (a sale is never
    lost because the server was down); the confirmation arrives later and is matched."""
    if not row.mpesa_shortcode:
        raise DomainError(
            _("Enter the M-Pesa till or paybill number first."), code="daraja_not_configured"
        )
    addresses = callback_addresses(row)
    body = {
        "ShortCode": row.mpesa_shortcode,
        "ResponseType": "Completed",
        "ConfirmationURL": addresses["confirmation"],
        "ValidationURL": addresses["validation"],
    }
    request = urllib.request.Request(  # noqa: S310 (base_url is http or https)
        f"{base_url(row)}/mpesa/c2b/v1/registerurl",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {access_token(row)}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    answer = _call(request)
    if str(answer.get("ResponseCode", "0")) not in ("0", "00000000"):
        raise DarajaError(
            _("M-Pesa refused the addresses: %(said)s")
            % {"said": answer.get("ResponseDescription", "")}
        )
    return answer


def b2c_addresses(row: PaymentSettings) -> dict[str, str]:
    base = f"/hooks/{row.hook_token}/b2c/{row.hook_secret}"
    return {"result": public_url(f"{base}/result/"), "timeout": public_url(f"{base}/timeout/")}


def b2c_payment(row: PaymentSettings, payout: Payout) -> dict[str, Any]:
    """Ask M-Pesa to pay `payout` to the customer's number (BusinessPayment); the outcome
    arrives later at the result address."""
    if not (row.b2c_initiator and row.b2c_security_credential):
        raise DomainError(
            _("Enter the B2C initiator name and security credential first."),
            code="daraja_not_configured",
        )
    body = {
        "OriginatorConversationID": payout.conversation_id,
        "InitiatorName": row.b2c_initiator,
        "SecurityCredential": row.b2c_security_credential,
        "CommandID": "BusinessPayment",
        "Amount": payout.amount_minor // 100,
        "PartyA": row.b2c_shortcode or row.mpesa_shortcode,
        "PartyB": payout.phone.lstrip("+"),
        "Remarks": "Cashback",
        "QueueTimeOutURL": b2c_addresses(row)["timeout"],
        "ResultURL": b2c_addresses(row)["result"],
        "Occasion": f"payout {payout.pk}",
    }
    request = urllib.request.Request(  # noqa: S310 (base_url is http or https)
        f"{base_url(row)}/mpesa/b2c/v3/paymentrequest",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {access_token(row)}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    answer = _call(request)
    if str(answer.get("ResponseCode", "")) != "0":
        raise DarajaError(
            _("M-Pesa refused the payment: %(said)s")
            % {"said": answer.get("ResponseDescription") or answer.get("errorMessage", "")}
        )
    return answer
