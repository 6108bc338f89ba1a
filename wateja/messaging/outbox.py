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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from wateja.core import sms
from wateja.core.sending import in_holdout, next_send_time
from wateja.core.templating import placeholders_in
from wateja.customers.links import public_url
from wateja.customers.models import Consent, Customer
from wateja.messaging.chat_addresses import messenger_addresses
from wateja.messaging.composing import (
    active_variants,
    choose_variant,
    compose,
    customer_language,
    customer_values,
    needed_placeholders,
)
from wateja.messaging.config import messaging_settings, messengers_on
from wateja.messaging.models import (
    MESSENGERS,
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
from wateja.tenants.partitioning import skipping_duplicate_keys

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
    link_is_survey: bool = False  # {link} opens /s/<token>/: the survey, or the interests page
    campaign: Campaign | None = None
    automation: Automation | None = None
    immediate: bool = False  # a reply the customer asked for: ignores quiet hours
    record_skips: bool = False  # write a skipped row (automations); campaigns only count


def with_chat_apps(
    business: Business, templates: dict[str, Template], channel_choice: str
) -> dict[str, Template]:
    """An SMS template's wording goes on the chat apps the business has switched on too (no
    SMS length there): for customers who prefer one, or when the sending names that app."""
    text = templates.get(SendChannel.SMS)
    if text is not None:
        for app in messengers_on(messaging_settings(business)):
            if channel_choice in (ChannelChoice.PREFERRED, app):
                templates[app] = text
    return templates


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


def address_of(
    customer: Customer, channel: str, chats: Mapping[tuple[int, str], str] | None = None
) -> str:
    """The customer's phone for SMS, e-mail address for e-mail, the linked chat on Telegram
    and Viber ("" when missing). WhatsApp: the linked chat, else the phone number (WhatsApp
    names its users by their number), digits only."""
    if channel == SendChannel.SMS:
        return customer.phone
    if channel == SendChannel.EMAIL:
        return customer.email
    if chats is None:
        chats = messenger_addresses(customer.business_id, [customer.pk])
    linked = chats.get((customer.pk, channel), "")
    if channel == SendChannel.WHATSAPP and not linked:
        return customer.phone.lstrip("+")
    return linked


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
    chats: Mapping[tuple[int, str], str] | None = None,
) -> tuple[list[str], str, str]:
    """The channels this customer gets the message on, or ([], skip reason); and the channel
    a chat-app message falls back to if the app cannot deliver it (SMS, when allowed)."""
    if customer.is_blocked or customer.erased_at is not None:
        return [], SkipReason.BLOCKED, ""
    if plan.channel_choice in (ChannelChoice.BOTH, ChannelChoice.PREFERRED):
        preferred = customer.preferred_channel or SendChannel.SMS
        candidates = [preferred] + [c for c in SendChannel.values if c != preferred]
    else:
        candidates = [plan.channel_choice]
    if plan.channel_choice == ChannelChoice.BOTH:
        candidates = [c for c in candidates if c in (SendChannel.SMS, SendChannel.EMAIL)]
    with_template = [c for c in candidates if c in plan.templates]
    if not with_template:
        return [], SkipReason.NO_TEMPLATE, ""
    reachable = [c for c in with_template if address_of(customer, c, chats or {})]
    if not reachable:
        return [], SkipReason.NO_CONTACT, ""
    allowed = [c for c in reachable if consent_allows(consents, customer.pk, c, plan.purpose)]
    if not allowed:
        return [], SkipReason.NO_CONSENT, ""
    if plan.channel_choice == ChannelChoice.BOTH:
        return allowed, "", ""
    sms_allowed = bool(customer.phone) and (
        SendChannel.SMS in plan.templates
        and consent_allows(consents, customer.pk, SendChannel.SMS, plan.purpose)
    )
    fallback = SendChannel.SMS if allowed[0] in MESSENGERS and sms_allowed else ""
    return allowed[:1], "", fallback


class Decision(NamedTuple):
    customer: Customer
    channels: list[str]
    reason: str  # why no channel, when none
    holdout: bool
    fallback: str  # SMS when a chat-app message may fall back to it
    address: dict[str, str]  # channel → where it goes


def decide(
    plan: Plan, batch: list[Customer], *, cap_count: int, cap_since: dt.datetime
) -> Iterator[Decision]:
    """For each customer of a batch: the channels the message goes on (or none and the skip
    reason) and whether the customer is in the holdout group. Consent, linked chats and recent
    marketing messages are read for the whole batch, one query each. The campaign preview and
    the send decide with this same function, so the preview's reach is the send's."""
    ids = [c.pk for c in batch]
    consents = consent_map(plan.business, ids)
    chats = messenger_addresses(plan.business, ids) if set(plan.templates) & set(MESSENGERS) else {}
    marketing = plan.purpose == Purpose.MARKETING
    recent = recent_marketing_counts(plan.business, ids, cap_since) if marketing else {}
    for customer in batch:
        channels, reason, fallback = choose_channels(customer, plan, consents, chats)
        if channels and marketing and recent.get(customer.pk, 0) + len(channels) > cap_count:
            channels, reason, fallback = [], SkipReason.FREQUENCY_CAP, ""
        holdout = bool(channels) and plan.holdout_percent > 0
        holdout = holdout and in_holdout(plan.salt, customer.pk, plan.holdout_percent)
        address = {c: address_of(customer, c, chats) for c in [*channels, fallback] if c}
        yield Decision(customer, channels, reason, holdout, fallback, address)


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
        for decision in decide(plan, batch, cap_count=row.cap_count, cap_since=cap_since):
            customer = decision.customer
            if not decision.channels:
                counts[decision.reason] += 1
                if plan.record_skips:
                    rows.append(_skipped(plan, customer, decision.reason, dedupe, now))
                continue
            for channel in decision.channels:
                rows.append(
                    _message(
                        plan,
                        prepared,
                        decision,
                        channel,
                        values[customer.pk],
                        dedupe,
                        now,
                        not_before,
                    )
                )
                counts["holdout" if decision.holdout else "queued"] += 1
        if dedupe is None:
            Message.objects.bulk_create(rows, batch_size=batch_size)
        else:
            # a message whose key was already used is skipped (partitioned: by the key table)
            with skipping_duplicate_keys():
                Message.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
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
    decision: Decision,
    channel: str,
    values: dict[str, object],
    dedupe: Callable[[Customer, str], str | None] | None,
    now: dt.datetime,
    not_before: dt.datetime | None,
) -> Message:
    customer, holdout = decision.customer, decision.holdout
    token = secrets.token_urlsafe(18)
    target = plan.link_url or str(values.get("link") or "")
    personal = dict(values)
    if plan.link_is_feedback:
        personal["link"] = public_url(f"/f/{token}/")
        target = ""
    elif plan.link_is_survey:
        personal["link"] = public_url(f"/s/{token}/")
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
    payload: dict[str, object] = {}
    fallback_body = ""
    if channel == SendChannel.WHATSAPP:
        payload = whatsapp_payload(plan.templates[channel], variant, composed.language, personal)
    if channel in MESSENGERS and decision.fallback:
        fallback_body = compose(
            business=plan.business,
            variant=variant,
            channel=SendChannel.SMS,
            purpose=plan.purpose,
            customer_language=customer.language,
            values=personal,
        ).body
    cost = chat_cost(prepared.row_settings, channel, payload) or composed.cost_minor
    return Message(
        business=plan.business,
        customer=customer,
        campaign=plan.campaign,
        automation=plan.automation,
        variant=variant,
        channel=channel,
        purpose=plan.purpose,
        to_address=decision.address[channel],
        language=composed.language,
        subject=composed.subject,
        body=composed.body,
        segments=composed.segments,
        cost_minor=0 if holdout else cost,
        payload=payload,
        fallback_body=fallback_body,
        status=MessageStatus.HOLDOUT if holdout else MessageStatus.QUEUED,
        not_before=not_before,
        link_url=target[:500],
        dedupe_key=dedupe(customer, channel) if dedupe else None,
        token=token,
        created_at=now,
        sent_at=now if holdout else None,  # holdout rows count conversions from "would-be sent"
    )


def whatsapp_payload(
    template: Template, variant: Variant, language: str, values: Mapping[str, object]
) -> dict[str, object]:
    """The approved WhatsApp template for a message that may go outside the 24-hour window:
    its name, the language, and the wording's placeholders filled in their order of
    appearance ({{1}}, {{2}} … in the template Meta approved). Empty without an approved
    name: such a message goes only within the window, else by the fallback."""
    if not template.whatsapp_name:
        return {}
    body = str(variant.texts.get(language, {}).get("body", ""))
    params = [str(values.get(name, "")) for name in placeholders_in(body)]
    return {"template": template.whatsapp_name, "language": language, "params": params}


def chat_cost(row: MessagingSettings, channel: str, payload: Mapping[str, object]) -> int:
    """What a chat-app message costs the business: a WhatsApp template message (business
    initiated) and a Viber message at the prices in the settings; Telegram is free."""
    if channel == SendChannel.WHATSAPP and payload:
        return row.whatsapp_price_minor
    if channel == SendChannel.VIBER:
        return row.viber_price_minor
    return 0


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
