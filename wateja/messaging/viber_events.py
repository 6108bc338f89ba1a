"""What a Viber callback does for the business whose bot it reached (the view checked the
signature and `channels.viber.parse_event` read the body).

- ``conversation_started`` from the deep link on a customer's card carries the link code as
  its context: handed to `messengers.chat_message` as "START <code>", which links the chat and
  queues the answer. Viber lets a bot write to someone who has not subscribed only through
  the welcome message, the body of its answer to this callback: so for a non-subscriber the
  queued answer is returned here to go as that body, and recorded as sent. Without a context
  nothing happens (an empty answer: Viber shows nothing).
- ``message``: `chat_message` (keywords, linking; once per message_token: Viber retries).
- ``unsubscribed``: the chat is unlinked and its consent withdrawn. ``subscribed`` re-links
  nothing: a customer who left links again from their card.
- ``delivered`` / ``seen`` / ``failed``: the message's status (`inbound.delivery_apply`; a
  final failure queues the SMS fallback).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from wateja.messaging.channels.viber import ViberEvent, delivery_report, text_message
from wateja.messaging.inbound import delivery_apply
from wateja.messaging.messengers import chat_message, contact_unlink
from wateja.messaging.models import (
    Delivery,
    Message,
    MessageStatus,
    MessagingSettings,
    MessengerMode,
    SendChannel,
)

VIBER = SendChannel.VIBER


def _welcomed(reply: Message, now: dt.datetime) -> None:
    """The answer went as the welcome message: sent, so the worker leaves it alone."""
    claimed = Message.objects.filter(pk=reply.pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENT, provider="viber", attempts=1, sent_at=now, last_error=""
    )
    if claimed:
        Delivery.objects.create(
            business_id=reply.business_id,
            message=reply,
            attempt=1,
            outcome="sent",
            detail="Viber welcome message",
            raw={},
            at=now,
        )


def _conversation_started(
    row: MessagingSettings, event: ViberEvent, now: dt.datetime
) -> dict[str, Any] | None:
    inbound = chat_message(
        business=row.business,
        channel=VIBER,
        external_id=event.user_id,
        text=f"START {event.context}",
        display_name=event.user_name,
        provider_id=event.message_token,
        now=now,
    )
    reply = inbound.reply
    if reply is None or event.subscribed or row.viber_mode != MessengerMode.LIVE:
        return None  # a subscriber gets the answer from the worker like any message
    _welcomed(reply, now)  # a retried callback finds it sent already
    sender = row.viber_bot_name or row.business.name
    return text_message(reply.body, sender, str(reply.pk))


@transaction.atomic
def viber_event_receive(
    *, row: MessagingSettings, event: ViberEvent, now: dt.datetime | None = None
) -> dict[str, Any] | None:
    """Act on one signed Viber callback; returns the body to answer with (the welcome
    message), or None for an empty answer. One transaction: the worker, woken when it
    commits, finds a welcome message already sent."""
    now = now or timezone.now()
    if event.event in ("delivered", "seen", "failed"):
        delivery_apply(business_id=row.business_id, report=delivery_report(event), now=now)
        return None
    if event.event == "unsubscribed":
        contact_unlink(business=row.business, channel=VIBER, external_id=event.user_id, now=now)
        return None
    if event.event == "conversation_started" and event.context:
        return _conversation_started(row, event, now)
    if event.event == "message":  # a retried message_token is answered once (chat_message)
        chat_message(
            business=row.business,
            channel=VIBER,
            external_id=event.user_id,
            text=event.text,
            display_name=event.user_name,
            provider_id=event.message_token,
            now=now,
        )
    return None  # the webhook check, subscribed, and the events we do not use
