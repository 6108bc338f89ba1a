"""Sending the outbox: claim a due message, check it may still go, hand it to the business's
channel, record the attempt, and retry with backoff or fail with the reason.

A message is claimed by a conditional UPDATE (queued → sending), so two workers never send
the same one. A message left in "sending" by a worker that died is marked failed, never sent
again: a provider may already have delivered it, and a customer should not get it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.core import sms
from wateja.core.sending import next_send_time, retry_delay
from wateja.core.templating import text_to_html
from wateja.customers.links import public_url
from wateja.messaging.channels.base import Channel, Outgoing, SendResult
from wateja.messaging.chat_addresses import window_open
from wateja.messaging.config import channel_of, messaging_settings
from wateja.messaging.models import (
    MESSENGERS,
    Delivery,
    Message,
    MessageStatus,
    MessagingSettings,
    Purpose,
    SendChannel,
    SkipReason,
)
from wateja.messaging.outbox import consent_allows, consent_map

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_AFTER = dt.timedelta(minutes=10)


@dataclass
class _RateLimiter:
    """At most `per_second` sends per business from this worker process."""

    last: dict[int, float] = field(default_factory=dict)

    def wait(self, business_id: int, per_second: int) -> None:
        gap = 1.0 / max(1, per_second)
        now = time.monotonic()
        ready = self.last.get(business_id, 0.0) + gap
        if ready > now:
            time.sleep(ready - now)
        self.last[business_id] = max(now, ready)


_limiter = _RateLimiter()


def _claim(message_id: int, now: dt.datetime) -> bool:
    return bool(
        Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, claimed_at=now
        )
    )


def _record(message: Message, outcome: str, detail: str, raw: object, now: dt.datetime) -> None:
    Delivery.objects.create(
        business_id=message.business_id,
        message=message,
        attempt=message.attempts,
        outcome=outcome,
        detail=detail[:500],
        raw=raw if isinstance(raw, dict) else {"value": str(raw)},
        at=now,
    )


def _email_parts(message: Message) -> tuple[str, dict[str, str], str]:
    """HTML, headers and the plain-text footer of an e-mail (unsubscribe link for marketing)."""
    business = message.business
    unsubscribe = public_url(f"/u/{message.token}/")
    with translation.override(message.language or business.default_language):
        lines = [business.name]
        if business.address:
            lines.append(business.address)
        if message.purpose == Purpose.MARKETING:
            lines.append(_("Unsubscribe: %(url)s") % {"url": unsubscribe})
        footer = "\n".join(lines)
    html = (
        '<div style="font-family:sans-serif;max-width:560px">'
        + text_to_html(message.body)
        + '<hr><p style="color:#666;font-size:12px">'
        + text_to_html(footer).replace("<p>", "").replace("</p>", "<br>")
        + "</p></div>"
    )
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return html, headers, footer


def _outgoing(message: Message, row: MessagingSettings, now: dt.datetime) -> Outgoing:
    business = message.business
    if message.channel == SendChannel.EMAIL:
        html, headers, footer = _email_parts(message)
        return Outgoing(
            message_id=message.pk,
            channel=message.channel,
            to=message.to_address,
            body=f"{message.body}\n\n-- \n{footer}",
            subject=message.subject,
            html=html,
            sender_name=business.name,
            reply_to=business.support_email,
            headers=headers,
        )
    if message.channel in MESSENGERS:
        return Outgoing(
            message_id=message.pk,
            channel=message.channel,
            to=message.to_address,
            body=message.body,
            window_open=message.channel == SendChannel.WHATSAPP
            and window_open(
                message.business_id, message.customer_id, message.channel, now, message.to_address
            ),
            payload=message.payload,
        )
    return Outgoing(
        message_id=message.pk, channel=message.channel, to=message.to_address, body=message.body
    )


def _still_allowed(message: Message) -> str:
    """A skip reason when the message may no longer go (consent withdrawn since it was
    queued, customer blocked or erased), else "". A message the customer asked for (a reply
    to their SMS, a receipt) is neither a campaign nor an automation and always goes."""
    customer = message.customer
    if customer is None or (message.campaign_id is None and message.automation_id is None):
        return ""
    if customer.is_blocked or customer.erased_at is not None:
        return SkipReason.BLOCKED
    consents = consent_map(message.business, [customer.pk])
    if not consent_allows(consents, customer.pk, message.channel, message.purpose):
        return SkipReason.NO_CONSENT
    return ""


@dataclass
class _Senders:
    """Each business's settings and channels, read and built once per worker run (a provider
    SDK client is not rebuilt for every message)."""

    rows: dict[int, MessagingSettings] = field(default_factory=dict)
    channels: dict[tuple[int, str], Channel] = field(default_factory=dict)

    def row(self, business_id: int) -> MessagingSettings:
        if business_id not in self.rows:
            self.rows[business_id] = messaging_settings(business_id)
        return self.rows[business_id]

    def channel(self, business_id: int, channel: str) -> Channel:
        key = (business_id, channel)
        if key not in self.channels:
            self.channels[key] = channel_of(self.row(business_id), channel)
        return self.channels[key]


def message_send(
    message: Message, *, now: dt.datetime | None = None, senders: _Senders | None = None
) -> str:
    """Send one claimed message; returns its new status."""
    now = now or timezone.now()
    senders = senders or _Senders()
    row = senders.row(message.business_id)
    reason = _still_allowed(message)
    if reason:
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SKIPPED, skip_reason=reason
        )
        return MessageStatus.SKIPPED
    if message.not_before is not None:  # None: the customer asked for it just now
        tz = zoneinfo.ZoneInfo(message.business.timezone)
        resume = next_send_time(now, tz, row.quiet_start, row.quiet_end)
        if resume > now:  # quiet hours began while it waited: defer, never drop
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.QUEUED, not_before=resume
            )
            return MessageStatus.QUEUED
    channel = senders.channel(message.business_id, message.channel)
    _limiter.wait(message.business_id, row.rate_per_second)
    message.attempts += 1
    try:
        result = channel.send(_outgoing(message, row, now))
    except Exception as error:  # a channel bug must not leave the message "sending"
        log.exception("channel %s failed on message %s", channel.name, message.pk)
        result = SendResult(
            status="failed", error=f"{type(error).__name__}: {error}", retryable=True
        )
    return _apply_result(message, channel.name, result, now)


def _apply_result(message: Message, provider: str, result: SendResult, now: dt.datetime) -> str:
    if result.status in ("sent", "queued"):
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT,
            attempts=message.attempts,
            provider=provider,
            provider_id=result.provider_id,
            sent_at=now,
            last_error="",
        )
        _record(message, result.status, result.cost, dict(result.raw), now)
        return MessageStatus.SENT
    if result.retryable and message.attempts < MAX_ATTEMPTS:
        retry_at = now + dt.timedelta(seconds=retry_delay(message.attempts))
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.QUEUED,
            attempts=message.attempts,
            not_before=retry_at,
            last_error=result.error[:500],
            provider=provider,
        )
        _record(message, "retry", result.error, dict(result.raw), now)
        return MessageStatus.QUEUED
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED,
        attempts=message.attempts,
        last_error=result.error[:500],
        provider=provider,
    )
    _record(message, "failed", result.error, dict(result.raw), now)
    fallback_queue(message, now=now)
    return MessageStatus.FAILED


def fallback_queue(message: Message, *, now: dt.datetime) -> Message | None:
    """A chat-app message that failed for good goes by SMS, once, with the SMS wording
    composed when it was queued (the customer allowed SMS then; checked again on sending)."""
    if message.channel not in MESSENGERS or not message.fallback_body or message.customer is None:
        return None
    phone = message.customer.phone
    if not phone or Message.objects.filter(fallback_of=message).exists():
        return None
    body = sms.prepare_sms(message.fallback_body)
    segments = sms.sms_info(body, normalize=False).segments
    fallback = Message.objects.create(
        business_id=message.business_id,
        customer=message.customer,
        campaign_id=message.campaign_id,
        automation_id=message.automation_id,
        variant_id=message.variant_id,
        channel=SendChannel.SMS,
        purpose=message.purpose,
        to_address=phone,
        language=message.language,
        body=body,
        segments=segments,
        cost_minor=segments * messaging_settings(message.business_id).sms_price_minor,
        status=MessageStatus.QUEUED,
        link_url=message.link_url,
        fallback_of=message,
        created_at=now,
    )
    _record(message, "fallback", f"SMS {fallback.pk}", {}, now)
    return fallback


def due_messages(now: dt.datetime, business_id: int | None = None, limit: int = 500) -> list[int]:
    qs = Message.objects.filter(status=MessageStatus.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    if business_id is not None:
        qs = qs.filter(business_id=business_id)
    return list(qs.order_by("id").values_list("id", flat=True)[:limit])


def outbox_send_due(
    *, business_id: int | None = None, now: dt.datetime | None = None, limit: int = 500
) -> Counter[str]:
    """Send what is due (oldest first); returns counts by resulting status."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    outbox_release_stale(now=now)
    senders = _Senders()
    for message_id in due_messages(now, business_id, limit):
        if not _claim(message_id, now):
            counts["taken"] += 1  # another worker has it
            continue
        message = Message.objects.select_related("business", "customer").get(pk=message_id)
        # no transaction around the provider call: the claim is committed, and each
        # outcome below is written in one statement (a crash in between leaves "sending")
        counts[message_send(message, now=now, senders=senders)] += 1
    return counts


def outbox_release_stale(*, now: dt.datetime | None = None) -> int:
    """Fail messages a dead worker left in "sending" (never resent: it may have gone)."""
    now = now or timezone.now()
    return Message.objects.filter(
        status=MessageStatus.SENDING, claimed_at__lt=now - STALE_AFTER
    ).update(
        status=MessageStatus.FAILED,
        last_error="interrupted while sending; not resent to avoid a duplicate",
    )


HEARTBEAT_KEY = "wateja:worker:heartbeat"
HEARTBEAT_FRESH = dt.timedelta(minutes=3)


def worker_heartbeat(now: dt.datetime | None = None) -> None:
    """The worker says it is alive (every minute), in the cache every web process reads."""
    from django.core.cache import cache

    cache.set(HEARTBEAT_KEY, (now or timezone.now()).isoformat(), timeout=24 * 3600)


def worker_running(now: dt.datetime | None = None) -> bool:
    """Whether a worker said it was alive in the last few minutes: without one, messages
    wait in the outbox and nothing runs on a clock."""
    from django.core.cache import cache

    seen = cache.get(HEARTBEAT_KEY)
    if not seen:
        return False
    return (now or timezone.now()) - dt.datetime.fromisoformat(seen) < HEARTBEAT_FRESH
