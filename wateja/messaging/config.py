"""A business's messaging settings and the channel configuration built from them, and the
one rule for links in messages staff write (`link_check`): only to the business's own
websites (`link_domains`, set by the owner) or to Wateja's own address."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wateja.core.errors import Forbidden, ValidationFailed
from wateja.messaging.channels import channel_for
from wateja.messaging.channels.base import Channel, ChannelConfig
from wateja.messaging.hook_auth import callback_address
from wateja.messaging.models import (
    MESSENGERS,
    EmailProvider,
    MessagingSettings,
    MessengerMode,
    SendChannel,
    SmsProvider,
)
from wateja.tenants.models import Business

MESSENGER_FIELDS = (
    "whatsapp_mode",
    "whatsapp_phone_number_id",
    "whatsapp_number",
    "whatsapp_access_token",
    "whatsapp_app_secret",
    "whatsapp_price_minor",
    "telegram_mode",
    "telegram_bot_token",
    "telegram_bot_username",
    "viber_mode",
    "viber_auth_token",
    "viber_bot_uri",
    "viber_bot_name",
    "viber_price_minor",
)
MESSENGER_CREDENTIALS = (
    "whatsapp_mode", "whatsapp_phone_number_id", "whatsapp_number", "whatsapp_access_token",
    "whatsapp_app_secret", "telegram_mode", "telegram_bot_token", "telegram_bot_username",
    "viber_mode", "viber_auth_token", "viber_bot_uri", "viber_bot_name",
)  # fmt: skip
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
    "link_domains",
    *MESSENGER_FIELDS,
)


SECRETS = (
    "at_api_key",
    "twilio_auth_token",
    "whatsapp_access_token",
    "whatsapp_app_secret",
    "telegram_bot_token",
    "viber_auth_token",
)


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
    "email_provider", "email_from", *MESSENGER_CREDENTIALS,
)  # fmt: skip
# what only the owner changes: the provider and its keys decide where customers' numbers go
# and what the business pays; the sender id is the name customers trust; the link domains
# are where a message may send customers.
OWNER_ONLY = (*CREDENTIALS, "sms_sender", "link_domains")


def messaging_settings_update(
    *, business: Business, by_owner: bool = True, **changes: Any
) -> MessagingSettings:
    """Change the settings; the provider, its credentials, the sender address and id and
    the link domains only by the owner (OWNER_ONLY)."""
    row = messaging_settings(business)
    if "link_domains" in changes:
        changes["link_domains"] = _domains_cleaned(changes["link_domains"])
    touched = [k for k in OWNER_ONLY if k in changes and changes[k] != getattr(row, k)]
    if touched and not by_owner:
        message = _(
            "Only the owner can change the provider, its keys, the sender id and the websites "
            "messages link to."
        )
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
        if key.endswith("_mode") and value not in MessengerMode.values:
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
    errors.update(_messenger_problems(row))
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    row.save()
    return row


def _messenger_problems(row: MessagingSettings) -> dict[str, object]:
    """A chat app switched on for real needs its credentials."""
    errors: dict[str, object] = {}
    live = MessengerMode.LIVE
    if row.whatsapp_mode == live and not (
        row.whatsapp_phone_number_id and row.whatsapp_access_token and row.whatsapp_app_secret
    ):
        errors["whatsapp_access_token"] = _(
            "WhatsApp needs the phone number ID, an access token and the app secret."
        )
    if row.telegram_mode == live and not (row.telegram_bot_token and row.telegram_bot_username):
        errors["telegram_bot_token"] = _("Telegram needs the bot's token and username.")
    if row.viber_mode == live and not (
        row.viber_auth_token and row.viber_bot_uri and row.viber_bot_name
    ):
        errors["viber_auth_token"] = _("Viber needs the bot's token, URI and name.")
    return errors


def messengers_on(row: MessagingSettings) -> tuple[str, ...]:
    """The chat apps this business sends on (live or recorded), in SendChannel order."""
    return tuple(
        channel for channel in MESSENGERS if getattr(row, f"{channel}_mode") != MessengerMode.OFF
    )


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
    if channel in MESSENGERS:
        live = getattr(row, f"{channel}_mode") == MessengerMode.LIVE
        provider = channel if live else "outbox"
        if channel == SendChannel.WHATSAPP:
            return ChannelConfig(
                provider=provider,
                sender=row.whatsapp_phone_number_id,
                auth_token=row.whatsapp_access_token,
                api_base=row.whatsapp_api_base,
            )
        if channel == SendChannel.TELEGRAM:
            return ChannelConfig(
                provider=provider, auth_token=row.telegram_bot_token, api_base=row.telegram_api_base
            )
        return ChannelConfig(
            provider=provider,
            sender=row.viber_bot_name,
            auth_token=row.viber_auth_token,
            api_base=row.viber_api_base,
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


# ---------------------------------------------------------------------------------------------
# Links in messages

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")


class InvalidDomain(ValueError):
    pass


def _ascii_host(host: str) -> str:
    """A host name in its ASCII (IDNA) form, lower-cased: "Ծաղիկ.am" → "xn--…am"."""
    try:
        return host.strip().rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidDomain(host) from None


def domain_normalize(text: str) -> str:
    """One domain as the owner may type or paste it ("https://www.Kahawa.co.ke/menu" →
    "www.kahawa.co.ke"); InvalidDomain when it is not a domain name."""
    cleaned = _SCHEME.sub("", text.strip().lower())
    cleaned = cleaned.split("/")[0].split("?")[0].split(":")[0].removeprefix("*.").rstrip(".")
    labels = _ascii_host(cleaned).split(".") if cleaned else []
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidDomain(text)
    return cleaned


def _domains_cleaned(value: Any) -> str:
    parts = [p for p in re.split(r"[,\s;]+", str(value or "")) if p]
    domains: list[str] = []
    bad: list[str] = []
    for part in parts:
        try:
            domain = domain_normalize(part)
        except InvalidDomain:
            bad.append(part)
        else:
            if domain not in domains:
                domains.append(domain)
    if bad:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {
                "link_domains": _("Not a domain name: %(names)s. Write them like kahawa.co.ke.")
                % {"names": ", ".join(bad)}
            },
        )
    cleaned = ", ".join(domains)
    if len(cleaned) > 500:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"link_domains": _("Too long: at most %(max)s characters.") % {"max": 500}},
        )
    return cleaned


def _own_domains(row: MessagingSettings) -> list[str]:
    return [d for d in re.split(r"[,\s]+", row.link_domains or "") if d]


def link_domains_allowed(row: MessagingSettings) -> list[str]:
    """Where this business's messages may link: its own domains (and their subdomains), and
    Wateja's own public address (customers' card pages, unsubscribe)."""
    domains = _own_domains(row)
    public = urlsplit(settings.PUBLIC_URL).hostname
    if public and public not in domains:
        domains.append(public)
    return domains


def link_check(business: Business, url: str) -> str:
    """The link a campaign, an automation or a message written by staff may carry: "" stays
    "", an http(s) address on one of `link_domains_allowed` is returned as given; anything
    else (another site, javascript:, a user name in the address) raises ValidationFailed
    `link_not_allowed` naming the allowed domains on the field `link_url`."""
    url = str(url or "").strip()
    if not url:
        return ""
    row = messaging_settings(business)
    allowed = link_domains_allowed(row)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        ascii_host = _ascii_host(host) if host else ""
        has_user = parts.username is not None
    except (ValueError, InvalidDomain):
        ascii_host, has_user, parts = "", False, urlsplit("")
    if (
        parts.scheme not in ("http", "https")
        or not ascii_host
        or has_user
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
    ):
        message = _("Enter a web address that starts with https:// or http://.")
    else:
        for domain in allowed:
            try:
                wanted = _ascii_host(domain)
            except InvalidDomain:
                continue
            if ascii_host == wanted or ascii_host.endswith("." + wanted):
                return url
        own = _own_domains(row)
        message = _("Messages may link only to %(domains)s (and their subdomains).") % {
            "domains": ", ".join(own or allowed)  # Wateja's own address goes without saying
        }
        if not own:
            message = " ".join(
                [
                    message,
                    _("The owner adds the business's own websites in the messaging settings."),
                ]
            )
    raise ValidationFailed(
        message,
        code="link_not_allowed",
        details={"fields": {"link_url": [message]}, "allowed": allowed},
    )
