"""A business's messaging settings and the channel configuration built from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wateja.core.errors import Forbidden, ValidationFailed
from wateja.messaging.channels import channel_for
from wateja.messaging.channels.base import Channel, ChannelConfig
from wateja.messaging.hook_auth import callback_address
from wateja.messaging.models import EmailProvider, MessagingSettings, SendChannel, SmsProvider
from wateja.tenants.models import Business

EDITABLE = (
    "sms_provider",
    "sms_sender",
    "at_username",
    "at_api_key",
    "twilio_account_sid",
    "twilio_auth_token",
    "sms_price_minor",
    "email_provider",
    "email_from",
    "quiet_start",
    "quiet_end",
    "cap_count",
    "cap_days",
    "rate_per_second",
    "attribution_days",
)


SECRETS = ("at_api_key", "twilio_auth_token")


def masked(secret: str) -> str:
    """A saved secret as shown back (screens, API): only that one is saved and how it ends."""
    if not secret:
        return ""
    return "••••" + secret[-4:] if len(secret) > 8 else "••••"


def messaging_settings(business: Business | int) -> MessagingSettings:
    business_id = business if isinstance(business, int) else business.pk
    row: MessagingSettings | None = MessagingSettings.objects.filter(
        business_id=business_id
    ).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return MessagingSettings.objects.create(business_id=business_id)
    except IntegrityError:  # created by a concurrent caller
        return MessagingSettings.objects.get(business_id=business_id)


def _as_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


CREDENTIALS = (
    "sms_provider", "at_username", "at_api_key", "twilio_account_sid", "twilio_auth_token",
    "email_provider", "email_from",
)  # fmt: skip


def messaging_settings_update(
    *, business: Business, by_owner: bool = True, **changes: Any
) -> MessagingSettings:
    """Change the settings; the provider, its credentials and the sender address only by
    the owner (they decide where customers' numbers go and what the business pays)."""
    row = messaging_settings(business)
    touched = [k for k in CREDENTIALS if k in changes and changes[k] != getattr(row, k)]
    if touched and not by_owner:
        message = _("Only the owner can change the provider and its keys.")
        raise Forbidden(
            message, code="owner_required", details={"fields": {k: [message] for k in touched}}
        )
    errors: dict[str, object] = {}
    for key, value in changes.items():
        if key not in EDITABLE:
            errors[key] = _("Unknown field.")
            continue
        if key in ("quiet_start", "quiet_end"):
            try:
                value = _as_time(value)
            except ValueError:
                errors[key] = _("Enter a time like 21:00.")
                continue
        if key == "sms_provider" and value not in SmsProvider.values:
            errors[key] = _("Unknown value.")
        if key == "email_provider" and value not in EmailProvider.values:
            errors[key] = _("Unknown value.")
        if key in ("cap_days", "rate_per_second", "attribution_days") and int(value) < 1:
            errors[key] = _("Enter a number of at least 1.")
        setattr(row, key, value)
    provider = changes.get("sms_provider", row.sms_provider)
    if provider == SmsProvider.AFRICASTALKING and not (row.at_username and row.at_api_key):
        errors["at_api_key"] = _("Africa's Talking needs a username and an API key.")
    if provider == SmsProvider.TWILIO and not (
        row.twilio_account_sid and row.twilio_auth_token and row.sms_sender
    ):
        errors["twilio_auth_token"] = _("Twilio needs an account SID, an auth token and a number.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    row.save()
    return row


def hook_url(row: MessagingSettings, kind: str) -> str:
    """The public address a provider calls back (delivery reports, inbound SMS, USSD), with
    the business's callback secret in it where the provider cannot sign its calls."""
    return callback_address(row, kind)


def channel_config(row: MessagingSettings, channel: str) -> ChannelConfig:
    if channel == SendChannel.EMAIL:
        return ChannelConfig(
            provider="smtp" if row.email_provider == "smtp" else "outbox",
            sender=row.email_from or settings.DEFAULT_FROM_EMAIL,
        )
    return ChannelConfig(
        provider=row.sms_provider,
        sender=row.sms_sender,
        username=row.at_username,
        api_key=row.at_api_key,
        account_sid=row.twilio_account_sid,
        auth_token=row.twilio_auth_token,
        api_base=row.provider_api_base,
        callback_url=hook_url(row, "sms/delivery"),
    )


def channel_of(row: MessagingSettings, channel: str) -> Channel:
    return channel_for(channel_config(row, channel))
