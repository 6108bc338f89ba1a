"""Who may call a business's provider callbacks (`/hooks/<token>/…`).

The token in the address only names the business: it travels in provider dashboards and could
leak. So each call must also prove it comes from the provider: Twilio signs every request
(X-Twilio-Signature over the URL it called and the form); Africa's Talking and the others carry
the business's callback secret as HTTP basic auth, written into the callback address the
settings page shows (https://wateja:<secret>@host/hooks/<token>/…). An optional list of
addresses or networks narrows who may call at all. The owner can rotate token and secret.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.utils.translation import gettext as _

from wateja.core.errors import Unauthorized
from wateja.customers.links import public_url
from wateja.messaging.channels.twilio import twilio_signature_valid
from wateja.messaging.models import MessagingSettings, SmsProvider

BASIC_USER = "wateja"


class HookRefused(Unauthorized):
    code = "callback_not_authenticated"


def callback_address(row: MessagingSettings, kind: str) -> str:
    """The address to paste into the provider's dashboard: with the basic-auth secret for
    providers that cannot sign; without it for Twilio, which signs each request."""
    address = public_url(f"/hooks/{row.hook_token}/{kind}/")
    if row.sms_provider == SmsProvider.TWILIO:
        return address
    parts = urlsplit(address)
    netloc = f"{BASIC_USER}:{row.hook_secret}@{parts.netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def address_allowed(allowed: str, remote_ip: str) -> bool:
    """True when `allowed` (addresses or networks, one per line) is empty or holds the caller."""
    lines = [line.strip() for line in allowed.split() if line.strip()]
    if not lines:
        return True
    try:
        address = ipaddress.ip_address(remote_ip)
    except ValueError:
        return False
    for line in lines:
        try:
            if address in ipaddress.ip_network(line, strict=False):
                return True
        except ValueError:
            continue
    return False


def _basic_secret(authorization: str) -> str:
    scheme, _space, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return ""
    try:
        user, _colon, password = base64.b64decode(encoded).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return password if user == BASIC_USER else ""


def hook_authenticate(
    row: MessagingSettings,
    *,
    path: str,
    form: Mapping[str, str],
    headers: Mapping[str, str],
    remote_ip: str,
) -> None:
    """Raise HookRefused unless the call comes from the business's provider."""
    if not address_allowed(row.hook_allowed_ips, remote_ip):
        raise HookRefused(_("This address may not call back."))
    if row.sms_provider == SmsProvider.TWILIO:
        signature = headers.get("X-Twilio-Signature", "")
        if twilio_signature_valid(row.twilio_auth_token, public_url(path), form, signature):
            return
        raise HookRefused(_("The request's signature is not valid."))
    given = _basic_secret(headers.get("Authorization", ""))
    if not given or not hmac.compare_digest(given, row.hook_secret):
        raise HookRefused(_("The callback secret is missing or wrong."))


@transaction.atomic
def hook_rotate(row: MessagingSettings) -> MessagingSettings:
    """A new callback address and secret; the old ones stop working at once."""
    row.hook_token = secrets.token_urlsafe(18)
    row.hook_secret = secrets.token_urlsafe(18)
    row.save(update_fields=["hook_token", "hook_secret"])
    return row
