"""Deciding to send: for each customer, which channel (if any) a message goes on, and the
Message rows written for it in the caller's transaction. The worker sends them later.

Checked here, per customer: blocked or erased, a contact on the channel, consent for the
channel and purpose (marketing needs a granted consent; a service message only stops when the
customer withdrew it, e.g. by STOP), the frequency cap (marketing only, across all campaigns
and automations), then the holdout group drawn from the customers who would get the message.
Quiet hours set `not_before`; they defer a message, never drop it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from wateja.core import sms
from wateja.core.sending import in_holdout, next_send_time
from wateja.customers.links import public_url
from wateja.customers.models import Consent, Customer
from wateja.messaging.composing import (
    active_variants,
    choose_variant,
    compose,
    customer_language,
    customer_values,
    needed_placeholders,
)
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import (
    Automation,
    Campaign,
    ChannelChoice,
    Message,
    MessageStatus,
    MessagingSettings,
    Purpose,
    SendChannel,
    SkipReason,
    Template,
    Variant,
)
from wateja.tenants.models import Business

_kicker: Callable[[], object] | None = None
SENDING_STATUSES = (
    MessageStatus.QUEUED,
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
)


def register_kicker(kick: Callable[[], object]) -> None:
    """The worker's entry (wateja.jobs registers a Huey task here) called after a commit that
    queued messages, so they leave at once instead of at the next periodic run."""
    global _kicker  # one process-wide registration, like customers.hooks
    _kicker = kick


def kick_after_commit() -> None:
    if _kicker is not None:
        transaction.on_commit(_kicker)


@dataclass
class Plan:
    """What to send and to whom: the templates per channel, how to pick the channel, the
    values every message shares, and where the messages belong (campaign or automation)."""

    business: Business
    templates: dict[str, Template]  # channel → template
    channel_choice: str = ChannelChoice.PREFERRED
    purpose: str = Purpose.MARKETING
    salt: str = ""
    holdout_percent: int = 0
    base_values: dict[str, object] = field(default_factory=dict)
    link_url: str = ""
    link_is_feedback: bool = False
    campaign: Campaign | None = None
    automation: Automation | None = None
    immediate: bool = False  # a reply the customer asked for: ignores quiet hours
    record_skips: bool = False  # write a skipped row (automations); campaigns only count


def batches(items: Iterable[Customer], size: int) -> Iterator[list[Customer]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def consent_map(business: Business, customer_ids: list[int]) -> dict[tuple[int, str, str], bool]:
    """Latest consent per (customer, channel, purpose) for a batch, in one query."""
    state: dict[tuple[int, str, str], bool] = {}
    rows = (
        Consent.objects.filter(business=business, customer_id__in=customer_ids)
        .order_by("recorded_at", "id")
        .values_list("customer_id", "channel", "purpose", "granted")
    )
    for customer_id, channel, purpose, granted in rows:
        state[(customer_id, channel, purpose)] = granted
    return state


def recent_marketing_counts(
    business: Business, customer_ids: list[int], since: dt.datetime
) -> dict[int, int]:
    rows = (
        Message.objects.filter(
            business=business,
            customer_id__in=customer_ids,
            purpose=Purpose.MARKETING,
            status__in=SENDING_STATUSES,
            created_at__gte=since,
        )
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    return dict(rows)


def address_of(customer: Customer, channel: str) -> str:
    """The customer's phone for SMS, e-mail address for e-mail ("" when missing)."""
    return customer.phone if channel == SendChannel.SMS else customer.email


def consent_allows(
    consents: dict[tuple[int, str, str], bool], customer_id: int, channel: str, purpose: str
) -> bool:
    if purpose == Purpose.MARKETING:
        return consents.get((customer_id, channel, Purpose.MARKETING)) is True
    return consents.get((customer_id, channel, Purpose.SERVICE)) is not False


def choose_channels(
    customer: Customer,
    plan: Plan,
    consents: dict[tuple[int, str, str], bool],
) -> tuple[list[str], str]:
    """The channels this customer gets the message on, or ([], skip reason)."""
    if customer.is_blocked or customer.erased_at is not None:
        return [], SkipReason.BLOCKED
    if plan.channel_choice in (ChannelChoice.SMS, ChannelChoice.EMAIL):
        candidates = [plan.channel_choice]
    else:
        preferred = customer.preferred_channel or SendChannel.SMS
        candidates = [preferred] + [c for c in SendChannel.values if c != preferred]
    with_template = [c for c in candidates if c in plan.templates]
    if not with_template:
        return [], SkipReason.NO_TEMPLATE
    reachable = [c for c in with_template if address_of(customer, c)]
    if not reachable:
        return [], SkipReason.NO_CONTACT
    allowed = [c for c in reachable if consent_allows(consents, customer.pk, c, plan.purpose)]
    if not allowed:
        return [], SkipReason.NO_CONSENT
    if plan.channel_choice == ChannelChoice.BOTH:
        return allowed, ""
    return allowed[:1], ""


def decide(
    plan: Plan, batch: list[Customer], *, cap_count: int, cap_since: dt.datetime
) -> Iterator[tuple[Customer, list[str], str, bool]]:
    """For each customer of a batch: the channels the message goes on (or none and the skip
    reason) and whether the customer is in the holdout group. Consent and recent marketing
    messages are read for the whole batch, one query each. The campaign preview and the
    send decide with this same function, so the preview's reach is the send's."""
    ids = [c.pk for c in batch]
    consents = consent_map(plan.business, ids)
    marketing = plan.purpose == Purpose.MARKETING
    recent = recent_marketing_counts(plan.business, ids, cap_since) if marketing else {}
    for customer in batch:
        channels, reason = choose_channels(customer, plan, consents)
        if channels and marketing and recent.get(customer.pk, 0) + len(channels) > cap_count:
            channels, reason = [], SkipReason.FREQUENCY_CAP
        holdout = bool(channels) and plan.holdout_percent > 0
        holdout = holdout and in_holdout(plan.salt, customer.pk, plan.holdout_percent)
        yield customer, channels, reason, holdout


@dataclass
class _Prepared:
    row_settings: MessagingSettings
    variants: dict[str, list[Variant]]
    needed: set[str]
    tz: zoneinfo.ZoneInfo


def _prepare(plan: Plan) -> _Prepared:
    variants = {c: active_variants(t) for c, t in plan.templates.items()}
    variants = {c: v for c, v in variants.items() if v}
    plan.templates = {c: t for c, t in plan.templates.items() if c in variants}
    needed = (
        set().union(*(needed_placeholders(v) for v in variants.values())) if variants else set()
    )
    return _Prepared(
        messaging_settings(plan.business),
        variants,
        needed,
        zoneinfo.ZoneInfo(plan.business.timezone),
    )


def messages_queue(
    plan: Plan,
    customers: Iterable[Customer],
    *,
    dedupe: Callable[[Customer, str], str | None] | None = None,
    now: dt.datetime | None = None,
    batch_size: int = 1000,
) -> Counter[str]:
    """Write the Message rows `plan` decides on, in batches; returns counts by outcome
    ("queued", "holdout", and each skip reason). Rows whose dedupe key exists already are
    left alone, so a re-run after a crash or a second look at the same event sends nothing
    twice."""
    now = now or timezone.now()
    prepared = _prepare(plan)
    counts: Counter[str] = Counter()
    row = prepared.row_settings
    not_before = (
        None if plan.immediate else next_send_time(now, prepared.tz, row.quiet_start, row.quiet_end)
    )
    cap_since = now - dt.timedelta(days=row.cap_days)
    for batch in batches(customers, batch_size):
        values = customer_values(
            business=plan.business,
            customers=batch,
            needed=prepared.needed | {"link"},
            base=plan.base_values,
            now=now,
        )
        rows: list[Message] = []
        for customer, channels, reason, holdout in decide(
            plan, batch, cap_count=row.cap_count, cap_since=cap_since
        ):
            if not channels:
                counts[reason] += 1
                if plan.record_skips:
                    rows.append(_skipped(plan, customer, reason, dedupe, now))
                continue
            for channel in channels:
                rows.append(
                    _message(
                        plan,
                        prepared,
                        customer,
                        channel,
                        values[customer.pk],
                        holdout,
                        dedupe,
                        now,
                        not_before,
                    )
                )
                counts["holdout" if holdout else "queued"] += 1
        Message.objects.bulk_create(
            rows, batch_size=batch_size, ignore_conflicts=dedupe is not None
        )
    if counts["queued"]:
        kick_after_commit()
    return counts


def _skipped(
    plan: Plan,
    customer: Customer,
    reason: str,
    dedupe: Callable[[Customer, str], str | None] | None,
    now: dt.datetime,
) -> Message:
    channel = next(iter(plan.templates), SendChannel.SMS)
    return Message(
        business=plan.business,
        customer=customer,
        campaign=plan.campaign,
        automation=plan.automation,
        channel=channel,
        purpose=plan.purpose,
        status=MessageStatus.SKIPPED,
        skip_reason=reason,
        dedupe_key=dedupe(customer, channel) if dedupe else None,
        created_at=now,
    )


def _message(
    plan: Plan,
    prepared: _Prepared,
    customer: Customer,
    channel: str,
    values: dict[str, object],
    holdout: bool,
    dedupe: Callable[[Customer, str], str | None] | None,
    now: dt.datetime,
    not_before: dt.datetime | None,
) -> Message:
    token = secrets.token_urlsafe(18)
    target = plan.link_url or str(values.get("link") or "")
    personal = dict(values)
    if plan.link_is_feedback:
        personal["link"] = public_url(f"/f/{token}/")
        target = ""
    elif target:
        personal["link"] = public_url(f"/r/{token}/")
    variant = choose_variant(prepared.variants[channel], plan.salt, customer.pk)
    composed = compose(
        business=plan.business,
        variant=variant,
        channel=channel,
        purpose=plan.purpose,
        customer_language=customer.language,
        values=personal,
        sms_price_minor=prepared.row_settings.sms_price_minor,
    )
    return Message(
        business=plan.business,
        customer=customer,
        campaign=plan.campaign,
        automation=plan.automation,
        variant=variant,
        channel=channel,
        purpose=plan.purpose,
        to_address=address_of(customer, channel),
        language=composed.language,
        subject=composed.subject,
        body=composed.body,
        segments=composed.segments,
        cost_minor=0 if holdout else composed.cost_minor,
        status=MessageStatus.HOLDOUT if holdout else MessageStatus.QUEUED,
        not_before=not_before,
        link_url=target[:500],
        dedupe_key=dedupe(customer, channel) if dedupe else None,
        token=token,
        created_at=now,
        sent_at=now if holdout else None,  # holdout rows count conversions from "would-be sent"
    )


def direct_queue(
    *,
    business: Business,
    to: str,
    body: str,
    channel: str = SendChannel.SMS,
    subject: str = "",
    customer: Customer | None = None,
    dedupe_key: str | None = None,
    now: dt.datetime | None = None,
    language: str = "",
) -> Message:
    """A message the customer asked for (a reply to their SMS, a receipt): one row, sent at
    once, regardless of marketing consent (they asked) and quiet hours (they are awake).
    `language`: the one `body` is written in, when not the customer's (no customer yet)."""
    now = now or timezone.now()
    segments = cost = 0
    if channel == SendChannel.SMS:
        body = sms.prepare_sms(body)
        segments = sms.sms_info(body, normalize=False).segments
        cost = segments * messaging_settings(business).sms_price_minor
    message = Message.objects.create(
        business=business,
        customer=customer,
        channel=channel,
        purpose=Purpose.SERVICE,
        to_address=to,
        language=language or customer_language(customer, business),
        subject=subject if channel == SendChannel.EMAIL else "",
        body=body,
        segments=segments,
        cost_minor=cost,
        status=MessageStatus.QUEUED,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    kick_after_commit()
    return message


def counts_as_dict(counts: Counter[str]) -> dict[str, Any]:
    return {key: value for key, value in counts.items() if value}
