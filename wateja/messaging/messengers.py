"""Customers on chat apps (WhatsApp, Telegram, Viber): linking a chat to a card, the address
each app sends to, WhatsApp's 24-hour window, and what a customer's chat message does.

A customer links a chat from their pocket card: a deep link carries a one-time code
(`link_code_issue`, `deep_link`) that the bot receives as `/start <code>` (Telegram), as the
conversation's context (Viber) or as the prefilled text "START <code>" (WhatsApp). Linking
records the chat (`MessengerContact`) and the customer's consent to hear from the business
there. Every provider's webhook hands a customer's message to `chat_message`, which answers
STOP, START, BALANCE/SALIO, OFFERS and CARD in the customer's language on the same chat.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.core.contacts import InvalidPhone, normalize_phone
from wateja.core.sending import classify_inbound
from wateja.customers.models import ConsentSource, Customer
from wateja.customers.selectors import active_customers
from wateja.messaging.composing import customer_language
from wateja.messaging.config import messengers_on
from wateja.messaging.inbound import balance_text, keyword_reply, set_channel_consent
from wateja.messaging.keywords import own_keywords
from wateja.messaging.models import (
    InboundAction,
    InboundMessage,
    MessagingSettings,
    MessengerContact,
    MessengerLinkCode,
    SendChannel,
)
from wateja.messaging.outbox import direct_queue
from wateja.tenants.models import Business

log = logging.getLogger(__name__)

LINK_CODE_TTL = dt.timedelta(hours=1)
REPLIES_PER_CHAT_PER_DAY = 20
_LINK_WORDS = re.compile(r"^\s*/?(?:start|anza|старт|սկսել)\s+([A-Za-z0-9_-]{16,64})\s*$", re.I)
NAMES = {SendChannel.WHATSAPP: "WhatsApp", SendChannel.TELEGRAM: "Telegram", "viber": "Viber"}


def link_code_issue(
    customer: Customer, channel: str, *, now: dt.datetime | None = None
) -> MessengerLinkCode:
    """A one-time code for the deep link from the customer's card (A–Z a–z 0–9 _ -, 32
    characters: within Telegram's 64 and Viber's context limits)."""
    now = now or timezone.now()
    return MessengerLinkCode.objects.create(
        business_id=customer.business_id,
        customer=customer,
        channel=channel,
        code=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + LINK_CODE_TTL,
    )


def deep_link(row: MessagingSettings, channel: str, code: str) -> str:
    """Where the card's button leads: the business's bot, carrying the link code."""
    if channel == SendChannel.TELEGRAM:
        return f"https://t.me/{row.telegram_bot_username}?start={code}"
    if channel == SendChannel.VIBER:
        return f"viber://pa?chatURI={quote(row.viber_bot_uri)}&context={code}"
    if channel == SendChannel.WHATSAPP:
        digits = re.sub(r"\D", "", row.whatsapp_number)
        return f"https://wa.me/{digits}?text={quote('START ' + code)}"
    raise ValueError(f"no deep link for {channel!r}")


def link_targets(row: MessagingSettings) -> list[str]:
    """The chat apps a customer can link from their card: switched on and with an address
    (a bot username, a bot URI, a WhatsApp number)."""
    usable: dict[str, bool] = {
        SendChannel.WHATSAPP: bool(row.whatsapp_number),
        SendChannel.TELEGRAM: bool(row.telegram_bot_username),
        SendChannel.VIBER: bool(row.viber_bot_uri),
    }
    return [c for c in messengers_on(row) if usable.get(c)]


def linked_channels(customer: Customer) -> set[str]:
    return set(
        MessengerContact.objects.filter(
            business_id=customer.business_id, customer=customer, unlinked_at__isnull=True
        ).values_list("channel", flat=True)
    )


def _consent_text(business: Business, channel: str, language: str) -> str:
    with translation.override(language):
        return _(
            "Linked %(channel)s to the %(shop)s loyalty card: balance, receipts and offers "
            "there. Reply STOP to stop."
        ) % {"channel": NAMES.get(channel, channel), "shop": business.name}


@transaction.atomic
def contact_link(
    *,
    business: Business,
    channel: str,
    external_id: str,
    code: str,
    display_name: str = "",
    now: dt.datetime | None = None,
) -> MessengerContact | None:
    """Link the chat that sent `code` to the code's customer; None for an unknown, used or
    expired code (or one for another business or app). A chat linked to someone else before
    moves to this customer: whoever holds the chat now holds the card's link."""
    now = now or timezone.now()
    link = (
        MessengerLinkCode.objects.select_for_update()
        .select_related("customer")
        .filter(business=business, channel=channel, code=code, used_at__isnull=True)
        .first()
    )
    if link is None or link.expires_at <= now:
        return None
    customer = link.customer
    if customer.erased_at is not None or customer.is_blocked:
        return None
    link.used_at = now
    link.save(update_fields=["used_at"])
    contact, _created = MessengerContact.objects.update_or_create(
        business=business,
        channel=channel,
        external_id=external_id[:64],
        defaults={
            "customer": customer,
            "display_name": display_name[:100],
            "linked_at": now,
            "last_inbound_at": now,
            "unlinked_at": None,
        },
    )
    text = _consent_text(business, channel, customer_language(customer, business))
    set_channel_consent(
        customer, text, now, granted=True, channel=channel, source=ConsentSource.MESSENGER
    )
    return contact


def contact_touch(
    *,
    business: Business,
    channel: str,
    external_id: str,
    display_name: str = "",
    now: dt.datetime | None = None,
) -> MessengerContact | None:
    """The customer wrote: their chat (WhatsApp's 24-hour window opens again). A WhatsApp
    number of a member is their chat even before they linked it: WhatsApp names the sender
    by the phone number itself."""
    now = now or timezone.now()
    contact: MessengerContact | None = (
        MessengerContact.objects.select_related("customer")
        .filter(business=business, channel=channel, external_id=external_id[:64])
        .first()
    )
    if contact is None and channel == SendChannel.WHATSAPP:
        customer = _member_by_phone(business, external_id)
        if customer is None:
            return None
        contact = MessengerContact.objects.create(
            business=business,
            customer=customer,
            channel=channel,
            external_id=external_id[:64],
            display_name=display_name[:100],
            linked_at=now,
        )
    if contact is None:
        return None
    contact.last_inbound_at = now
    contact.save(update_fields=["last_inbound_at"])
    return contact


def _member_by_phone(business: Business, wa_id: str) -> Customer | None:
    try:
        phone = normalize_phone("+" + wa_id.lstrip("+"), business.country)
    except InvalidPhone:
        return None
    return active_customers(business).filter(phone=phone).first()


@transaction.atomic
def contact_unlink(
    *, business: Business, channel: str, external_id: str, now: dt.datetime | None = None
) -> MessengerContact | None:
    """The customer left the chat (Viber "unsubscribed", a blocked Telegram bot, an address
    WhatsApp says is not on WhatsApp): nothing more goes there and the consent is withdrawn."""
    now = now or timezone.now()
    contact: MessengerContact | None = (
        MessengerContact.objects.select_for_update()
        .select_related("customer")
        .filter(business=business, channel=channel, external_id=external_id[:64])
        .first()
    )
    if contact is None or contact.unlinked_at is not None:
        return contact
    contact.unlinked_at = now
    contact.save(update_fields=["unlinked_at"])
    set_channel_consent(contact.customer, f"{channel}: left the chat", now, granted=False,
                        channel=channel)  # fmt: skip
    return contact


def _replies_today(business: Business, channel: str, external_id: str, now: dt.datetime) -> int:
    return InboundMessage.objects.filter(
        business=business,
        channel=channel,
        from_phone=external_id[:64],
        reply__isnull=False,
        received_at__gte=now - dt.timedelta(days=1),
    ).count()


def _linked_reply(business: Business, customer: Customer, channel: str, now: dt.datetime) -> str:
    with translation.override(customer_language(customer, business)):
        hello = _("%(shop)s: your card is linked to %(channel)s.") % {
            "shop": business.name,
            "channel": NAMES.get(channel, channel),
        }
        commands = _("Write BALANCE, OFFERS, CARD or STOP at any time.")
        return f"{hello} {balance_text(customer, business, now)} {commands}"


def _stranger_reply(business: Business) -> str:
    with translation.override(business.default_language or "en"):
        return _(
            "%(shop)s: this chat is not linked to a loyalty card. Open your card's page and "
            "tap the button for this app."
        ) % {"shop": business.name}


@transaction.atomic
def chat_message(
    *,
    business: Business,
    channel: str,
    external_id: str,
    text: str,
    display_name: str = "",
    provider_id: str = "",
    now: dt.datetime | None = None,
) -> InboundMessage:
    """Act on a customer's message to the business's bot or WhatsApp number and answer on
    the same chat: a link code links the chat to a card; otherwise the keywords of every
    channel (STOP, START, BALANCE/SALIO, OFFERS, CARD, in each language; bot commands too).
    At most REPLIES_PER_CHAT_PER_DAY answers a day per chat. A message whose `provider_id`
    was recorded already (the provider retried) is answered once: the first record comes back."""
    now = now or timezone.now()
    if provider_id:
        seen: InboundMessage | None = InboundMessage.objects.filter(
            business=business, channel=channel, provider_id=provider_id[:100]
        ).first()
        if seen is not None:
            return seen
    match = _LINK_WORDS.match(text or "")
    contact = None
    action: str = classify_inbound(text, own_keywords(business))
    reply = ""
    if match:
        contact = contact_link(
            business=business,
            channel=channel,
            external_id=external_id,
            code=match.group(1),
            display_name=display_name,
            now=now,
        )
        if contact is not None:
            action = InboundAction.LINKED
            reply = _linked_reply(business, contact.customer, channel, now)
    if contact is None:
        contact = contact_touch(
            business=business,
            channel=channel,
            external_id=external_id,
            display_name=display_name,
            now=now,
        )
        customer = contact.customer if contact is not None else None
        if customer is not None and contact is not None and contact.unlinked_at is not None:
            customer = None if action != "start" else customer
        reply = keyword_reply(business, customer, action, text, now, channel=channel)
        if action == "start" and customer is not None and contact is not None:
            MessengerContact.objects.filter(pk=contact.pk).update(unlinked_at=None)
        if customer is None and not reply:
            reply = _stranger_reply(business)
    customer = contact.customer if contact is not None else None
    message = None
    if reply and _replies_today(business, channel, external_id, now) < REPLIES_PER_CHAT_PER_DAY:
        message = direct_queue(
            business=business,
            channel=channel,
            to=external_id,
            body=reply,
            customer=customer,
            now=now,
        )
    return InboundMessage.objects.create(
        business=business,
        customer=customer,
        channel=channel,
        from_phone=external_id[:64],
        text=(text or "")[:1000],
        action=action if action in InboundAction.values else InboundAction.UNKNOWN,
        provider_id=provider_id[:100],
        reply=message,
        received_at=now,
    )
