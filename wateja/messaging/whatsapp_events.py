"""What a WhatsApp webhook does for the business whose number it reached (the view only maps
these outcomes and errors to HTTP; `channels.whatsapp` reads the body).

- The subscription check Meta makes when the owner enters the callback address: the echo of
  ``hub.challenge`` when ``hub.verify_token`` is the business's (`subscription_answer`).
- Every POST is signed with the business's app secret; the signature is checked on the raw
  body before anything is read (`webhook_receive`). Then each customer's message goes to
  `messengers.chat_message` (keywords, link codes, the answer on the same chat), once per
  message id (Meta resends until it gets a 200, sometimes in parallel); a message with no
  words we act on (an image, a voice note, a location) is recorded as not understood and
  answered with nothing, though it opens the 24-hour window like any other. Each status goes
  to `inbound.delivery_apply` ("read" counts as delivered; a failure queues the SMS fallback,
  once).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
from collections import Counter

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import Forbidden, NotFound
from wateja.messaging.channels.base import MalformedCallback
from wateja.messaging.channels.whatsapp import ChatMessage, signature_valid, webhook_events
from wateja.messaging.hook_auth import HookRefused
from wateja.messaging.inbound import BadCallback, delivery_apply, settings_by_hook
from wateja.messaging.messengers import chat_message, contact_touch
from wateja.messaging.models import (
    InboundAction,
    InboundMessage,
    MessagingSettings,
    MessengerMode,
    SendChannel,
)

log = logging.getLogger(__name__)

WHATSAPP = SendChannel.WHATSAPP


class SubscriptionRefused(Forbidden):
    code = "subscription_refused"


def whatsapp_settings(token: str) -> MessagingSettings:
    """The settings of the business whose WhatsApp callback address this is; NotFound for an
    unknown address or a business with WhatsApp off."""
    row = settings_by_hook(token)
    if row.whatsapp_mode == MessengerMode.OFF:
        raise NotFound(_("Unknown address."))
    return row


def subscription_answer(
    row: MessagingSettings, *, mode: str, verify_token: str, challenge: str
) -> str:
    """The challenge to echo when Meta checks the callback address with the business's
    verify token; SubscriptionRefused otherwise."""
    expected = row.whatsapp_verify_token.encode()
    if mode != "subscribe" or not verify_token or not expected:
        raise SubscriptionRefused(_("This is not a subscription with the right verify token."))
    if not hmac.compare_digest(verify_token.encode(), expected):
        raise SubscriptionRefused(_("This is not a subscription with the right verify token."))
    return challenge


def webhook_receive(
    *, row: MessagingSettings, body: bytes, signature: str, now: dt.datetime | None = None
) -> Counter[str]:
    """Act on a signed webhook body; returns counts of what it held. HookRefused when the
    signature is missing or not the app secret's, BadCallback when the body is not a
    WhatsApp webhook (nothing is recorded in either case)."""
    now = now or timezone.now()
    if not signature:
        raise HookRefused(_("The request is not signed."))
    if not signature_valid(row.whatsapp_app_secret, body, signature):
        log.warning("WhatsApp webhook with a wrong signature for business %s", row.business_id)
        raise HookRefused(_("The request's signature is not valid."))
    try:
        events = webhook_events(json.loads(body), phone_number_id=row.whatsapp_phone_number_id)
    except (ValueError, MalformedCallback) as error:  # JSONDecodeError is a ValueError
        log.warning("unreadable WhatsApp webhook for business %s: %s", row.business_id, error)
        raise BadCallback(_("The body is not a WhatsApp webhook.")) from None
    counts: Counter[str] = Counter()
    for chat in events.messages:
        counts[_message_receive(row, chat, now)] += 1
    for report in events.statuses:
        message = delivery_apply(business_id=row.business_id, report=report, now=now)
        counts["status" if message is not None else "status_unknown"] += 1
    return counts


@transaction.atomic
def _message_receive(row: MessagingSettings, chat: ChatMessage, now: dt.datetime) -> str:
    # one message of this business at a time: Meta may resend a webhook while the first
    # delivery is still being handled, and the answer must go once
    list(MessagingSettings.objects.select_for_update().filter(pk=row.pk).values_list("pk"))
    seen = InboundMessage.objects.filter(
        business_id=row.business_id, channel=WHATSAPP, provider_id=chat.provider_id[:100]
    )
    if seen.exists():
        return "repeated"
    if chat.understood:
        chat_message(
            business=row.business,
            channel=WHATSAPP,
            external_id=chat.wa_id,
            text=chat.text,
            display_name=chat.display_name,
            provider_id=chat.provider_id,
            now=now,
        )
        return "message"
    contact = contact_touch(
        business=row.business,
        channel=WHATSAPP,
        external_id=chat.wa_id,
        display_name=chat.display_name,
        now=now,
    )
    InboundMessage.objects.create(
        business=row.business,
        customer=contact.customer if contact is not None else None,
        channel=WHATSAPP,
        from_phone=chat.wa_id[:64],
        text=f"[{chat.kind}]"[:1000],
        action=InboundAction.UNKNOWN,
        provider_id=chat.provider_id[:100],
        received_at=now,
    )
    return "not_understood"
