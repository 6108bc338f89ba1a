"""Campaigns: a segment, a channel rule and templates; a preview of reach and cost before
sending; sending now or at a time; the audience streamed into the outbox in batches."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core import sms
from wateja.core.errors import Conflict, ValidationFailed
from wateja.customers.models import Customer, Segment
from wateja.customers.segments import segment_customers
from wateja.customers.selectors import active_customers
from wateja.messaging.chat_addresses import WINDOW
from wateja.messaging.composing import (
    active_variants,
    compose,
    customer_values,
    needed_placeholders,
)
from wateja.messaging.config import link_check, messaging_settings
from wateja.messaging.models import (
    MESSENGERS,
    Campaign,
    CampaignStatus,
    ChannelChoice,
    MessagingSettings,
    MessengerContact,
    Purpose,
    SendChannel,
    Survey,
    Template,
)
from wateja.messaging.outbox import (
    Plan,
    batches,
    counts_as_dict,
    decide,
    messages_queue,
    with_chat_apps,
)
from wateja.tenants.models import Business

FIELDS = ("name", "segment_id", "channel", "sms_template_id", "email_template_id", "offer",
          "code", "link_url", "holdout_percent", "survey_id")  # fmt: skip


def _invalid(errors: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed.fields(_("Some fields are not valid."), errors)


def _clean(business: Business, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            errors[key] = _("Unknown field.")
        else:
            cleaned[key] = value.strip() if isinstance(value, str) else value
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = _("Enter a name.")
    if "channel" in cleaned and cleaned["channel"] not in ChannelChoice.values:
        errors["channel"] = _("Unknown value.")
    if cleaned.get("segment_id"):
        if not Segment.objects.filter(business=business, pk=cleaned["segment_id"]).exists():
            errors["segment_id"] = _("Choose one of your segments.")
    elif "segment_id" in cleaned:  # null or empty: no segment, every active customer
        cleaned["segment_id"] = None
    if cleaned.get("survey_id"):  # its {link} opens the survey page
        if not Survey.objects.filter(business=business, pk=cleaned["survey_id"]).exists():
            errors["survey_id"] = _("Choose one of your surveys.")
    elif "survey_id" in cleaned:
        cleaned["survey_id"] = None
    for key, channel in (("sms_template_id", "sms"), ("email_template_id", "email")):
        if cleaned.get(key):
            template = Template.objects.filter(business=business, pk=cleaned[key]).first()
            if template is None or template.channel != channel:
                errors[key] = _("Choose one of your %(channel)s templates.") % {
                    "channel": SendChannel(channel).label
                }
        elif key in cleaned:  # null or empty clears it; left out, it stays as it is
            cleaned[key] = None
    holdout = cleaned.get("holdout_percent", 0)
    try:
        cleaned["holdout_percent"] = int(holdout or 0)
        if not 0 <= cleaned["holdout_percent"] <= 50:
            raise ValueError
    except (TypeError, ValueError):
        errors["holdout_percent"] = _("Enter a share from 0 to 50%.")
    link_error = None
    if cleaned.get("link_url"):
        try:
            cleaned["link_url"] = link_check(business, cleaned["link_url"])
        except ValidationFailed as error:
            link_error = error
            errors["link_url"] = error.details["fields"]["link_url"][0]
    if link_error is not None and list(errors) == ["link_url"]:
        raise link_error  # its own code, link_not_allowed
    if errors:
        raise _invalid(errors)
    return cleaned


def _require_templates(campaign: Campaign) -> None:
    needs = {
        ChannelChoice.SMS: ["sms_template"],
        ChannelChoice.EMAIL: ["email_template"],
        ChannelChoice.WHATSAPP: ["sms_template"],
        ChannelChoice.TELEGRAM: ["sms_template"],
        ChannelChoice.VIBER: ["sms_template"],
    }.get(ChannelChoice(campaign.channel), [])
    errors = {
        f"{n}_id": _("Choose a template.") for n in needs if getattr(campaign, f"{n}_id") is None
    }
    if not campaign.sms_template_id and not campaign.email_template_id:
        errors["sms_template_id"] = _("Choose a template for SMS, e-mail or both.")
    if errors:
        raise _invalid(errors)


@transaction.atomic
def campaign_save(
    *, business: Business, campaign: Campaign | None = None, actor: Any = None, **values: Any
) -> Campaign:
    cleaned = _clean(business, values)
    if campaign is None:
        if not cleaned.get("name"):
            raise _invalid({"name": _("Enter a name.")})
        campaign = Campaign(
            business=business,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    elif campaign.status != CampaignStatus.DRAFT:
        raise Conflict(_("Only a draft campaign can be changed."), code="campaign_not_draft")
    for key, value in cleaned.items():
        setattr(campaign, key, value)
    _require_templates(campaign)
    campaign.save()
    return campaign


def campaign_templates(campaign: Campaign) -> dict[str, Template]:
    templates: dict[str, Template] = {}
    if campaign.sms_template_id and campaign.channel != ChannelChoice.EMAIL:
        templates[SendChannel.SMS] = campaign.sms_template  # type: ignore[assignment]
    if campaign.email_template_id and campaign.channel in (
        ChannelChoice.EMAIL,
        ChannelChoice.BOTH,
        ChannelChoice.PREFERRED,
    ):
        templates[SendChannel.EMAIL] = campaign.email_template  # type: ignore[assignment]
    return with_chat_apps(campaign.business, templates, campaign.channel)


def campaign_audience(campaign: Campaign) -> QuerySet[Customer]:
    business = campaign.business
    if campaign.segment_id:
        qs = segment_customers(business, campaign.segment.filters)  # type: ignore[union-attr]
    else:
        qs = active_customers(business)
    return qs.order_by("pk")


def _plan(campaign: Campaign) -> Plan:
    templates = campaign_templates(campaign)
    purpose = (
        Purpose.SERVICE
        if templates and all(t.purpose == Purpose.SERVICE for t in templates.values())
        else Purpose.MARKETING
    )
    return Plan(
        business=campaign.business,
        templates=templates,
        channel_choice=campaign.channel,
        purpose=purpose,
        salt=f"campaign:{campaign.pk}",
        holdout_percent=campaign.holdout_percent,
        base_values={"offer": campaign.offer, "code": campaign.code},
        link_url=campaign.link_url,
        link_is_survey=campaign.survey_id is not None,
        campaign=campaign,
    )


def campaign_preview(
    campaign: Campaign,
    *,
    sample_size: int = 200,
    progress: Callable[[int], object] | None = None,
) -> dict[str, Any]:
    """Reach and cost before sending: audience, who can be reached on which channel (consent,
    contact and linked chats counted on the whole audience in the database, with the same
    `decide` as the send), SMS segments and cost from a sample of real customers rendered in
    their languages, the reach and cost per channel (`channels`), and a rendered example per
    language. `cost_minor` is the total over the channels."""
    plan = _plan(campaign)
    audience = campaign_audience(campaign)
    row = messaging_settings(campaign.business)
    now = timezone.now()
    cap_since = now - dt.timedelta(days=row.cap_days)
    reach: Counter[str] = Counter()
    fallback: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    in_window = 0
    total = 0
    fields = ("id", "phone", "email", "preferred_channel", "is_blocked", "erased_at")
    for batch in batches(audience.only(*fields).iterator(chunk_size=2000), 2000):
        on_whatsapp: list[int] = []
        for decision in decide(plan, batch, cap_count=row.cap_count, cap_since=cap_since):
            total += 1
            if not decision.channels:
                skipped[decision.reason] += 1
                continue
            if decision.holdout:
                reach["holdout"] += 1
                continue
            for channel in decision.channels:
                reach[channel] += 1
                if channel in MESSENGERS and decision.fallback:
                    fallback[channel] += 1
                if channel == SendChannel.WHATSAPP:
                    on_whatsapp.append(decision.customer.pk)
        in_window += _wrote_within_window(campaign.business, on_whatsapp, now)
        if progress is not None:  # a background job shows how far it got
            progress(total)
    examples, segments_per_sms = _examples(campaign, plan, sample_size, row.sms_price_minor)
    sms_count = reach.get(SendChannel.SMS, 0)
    segments = round(sms_count * segments_per_sms)
    channels = _per_channel(plan, row, reach, fallback, segments, in_window)
    return {
        "audience": total,
        "sms": sms_count,
        "email": reach.get(SendChannel.EMAIL, 0),
        **{app: reach.get(app, 0) for app in MESSENGERS},
        "holdout": reach.get("holdout", 0),
        "skipped": dict(skipped),
        "sms_segments": segments,
        "sms_cost_minor": segments * row.sms_price_minor,
        "cost_minor": sum(entry["cost_minor"] for entry in channels),
        "currency": campaign.business.currency,
        "channels": channels,
        "examples": examples,
    }


def _wrote_within_window(business: Business, customer_ids: list[int], now: dt.datetime) -> int:
    """How many of these customers wrote to the WhatsApp number within the last 24 hours."""
    if not customer_ids:
        return 0
    return (
        MessengerContact.objects.filter(
            business=business,
            customer_id__in=customer_ids,
            channel=SendChannel.WHATSAPP,
            unlinked_at__isnull=True,
            last_inbound_at__gt=now - WINDOW,
        )
        .values("customer_id")
        .distinct()
        .count()
    )


def _per_channel(
    plan: Plan,
    row: MessagingSettings,
    reach: Counter[str],
    fallback: Counter[str],
    segments: int,
    in_window: int,
) -> list[dict[str, Any]]:
    """One entry per channel the campaign can go on (or reaches): customers, how many of the
    chat-app ones have SMS as fallback, the price of one message and the cost. SMS: segments
    x the segment price; WhatsApp: template messages x its price when the SMS template has an
    approved WhatsApp name (else nothing, and only who wrote in the last 24 hours gets it);
    Viber: messages x its price; Telegram and e-mail: free."""
    entries: list[dict[str, Any]] = []
    for channel in SendChannel.values:
        customers = reach.get(channel, 0)
        if channel not in plan.templates and not customers:
            continue
        entry: dict[str, Any] = {
            "channel": channel,
            "label": str(SendChannel(channel).label),
            "customers": customers,
            "fallback_sms": fallback.get(channel, 0),
            "segments": 0,
            "price_minor": 0,
            "cost_minor": 0,
            "note": "",
        }
        if channel == SendChannel.SMS:
            entry.update(
                segments=segments,
                price_minor=row.sms_price_minor,
                cost_minor=segments * row.sms_price_minor,
            )
        elif channel == SendChannel.WHATSAPP:
            template = plan.templates.get(channel)
            entry["approved"] = bool(template and template.whatsapp_name)
            entry["in_window"] = in_window
            if entry["approved"]:
                entry["price_minor"] = row.whatsapp_price_minor
                entry["cost_minor"] = customers * row.whatsapp_price_minor
            elif customers:
                entry["note"] = _(
                    "The SMS template has no approved WhatsApp template name: only customers "
                    "who wrote in the last 24 hours get it on WhatsApp (%(n)s now), the rest "
                    "by SMS."
                ) % {"n": in_window}
        elif channel == SendChannel.VIBER:
            entry["price_minor"] = row.viber_price_minor
            entry["cost_minor"] = customers * row.viber_price_minor
        entries.append(entry)
    return entries


def _examples(
    campaign: Campaign, plan: Plan, sample_size: int, price: int
) -> tuple[list[dict[str, Any]], float]:
    """One rendered message per (channel, language) from real customers, and the average
    number of SMS segments over a sample (names and balances change the length). The chat
    apps get the same text, so they share one example per language."""
    business = campaign.business
    sample = list(campaign_audience(campaign)[:sample_size])
    examples: dict[tuple[str, str], dict[str, Any]] = {}
    segments: list[int] = []
    for channel, template in plan.templates.items():
        variants = active_variants(template)
        if not variants:
            continue
        values = customer_values(
            business=business,
            customers=sample,
            needed=needed_placeholders(variants),
            base=plan.base_values,
        )
        for customer in sample:
            personal = dict(values[customer.pk])
            if plan.link_url or personal.get("link"):
                personal["link"] = "https://…/r/XXXXXXXX"
            variant = variants[customer.pk % len(variants)]
            composed = compose(
                business=business,
                variant=variant,
                channel=channel,
                purpose=plan.purpose,
                customer_language=customer.language,
                values=personal,
                sms_price_minor=price,
            )
            if channel == SendChannel.SMS:
                segments.append(composed.segments)
            group = "chat" if channel in MESSENGERS else channel
            key = (group, composed.language)
            if key in examples:
                if channel not in examples[key]["channels"]:
                    examples[key]["channels"].append(channel)
                continue
            info = sms.sms_info(composed.body, normalize=False) if channel == "sms" else None
            examples[key] = {
                "channel": channel,
                "channels": [channel],
                "language": composed.language,
                "variant": variant.label,
                "subject": composed.subject,
                "body": composed.body,
                "encoding": info.encoding if info else "",
                "segments": composed.segments,
            }
    for example in examples.values():
        example["label"] = ", ".join(str(SendChannel(c).label) for c in example["channels"])
    average = sum(segments) / len(segments) if segments else 1.0
    return list(examples.values()), average


@transaction.atomic
def campaign_launch(
    *,
    campaign: Campaign,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    enqueue: bool = True,
) -> Campaign:
    """Send now (at=None or in the past) or schedule. Only drafts can be launched. With
    enqueue=False a campaign sent now is only marked sending: the caller (a background job)
    runs `campaign_enqueue` next."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(_("This campaign was already launched."), code="campaign_not_draft")
    _require_templates(campaign)
    if at is not None and at > now:
        campaign.status, campaign.scheduled_at = CampaignStatus.SCHEDULED, at
        campaign.save(update_fields=["status", "scheduled_at"])
        return campaign
    campaign.status, campaign.scheduled_at = CampaignStatus.SENDING, now
    campaign.save(update_fields=["status", "scheduled_at"])
    if not enqueue:
        return campaign
    return campaign_enqueue(campaign=campaign, now=now)


def campaign_enqueue(
    *,
    campaign: Campaign,
    now: dt.datetime | None = None,
    progress: Callable[[int], object] | None = None,
) -> Campaign:
    """Write the campaign's messages into the outbox (streamed, in batches); re-running after
    an interruption adds only what is missing (dedupe key per customer and channel).
    `progress` is told how many customers were read so far."""
    now = now or timezone.now()
    plan = _plan(campaign)
    audience = 0

    def customers() -> Iterator[Customer]:
        nonlocal audience
        for customer in campaign_audience(campaign).iterator(chunk_size=2000):
            audience += 1
            if progress is not None and audience % 500 == 0:
                progress(audience)
            yield customer

    counts = messages_queue(
        plan,
        customers(),
        dedupe=lambda customer, channel: f"c{campaign.pk}:{customer.pk}:{channel}",
        now=now,
        batch_size=2000,
    )
    campaign.counts = {"audience": audience, **counts_as_dict(counts)}
    campaign.status = CampaignStatus.SENT
    campaign.started_at = campaign.started_at or now
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["counts", "status", "started_at", "finished_at"])
    return campaign


def campaign_cancel(*, campaign: Campaign) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            raise Conflict(
                _("Only a draft or scheduled campaign can be cancelled."),
                code="campaign_not_cancellable",
            )
        campaign.status = CampaignStatus.CANCELLED
        campaign.save(update_fields=["status"])
    return campaign


def campaigns_due(*, now: dt.datetime | None = None) -> int:
    """Start every scheduled campaign whose time has come; returns how many."""
    now = now or timezone.now()
    started = 0
    for campaign_id in Campaign.objects.filter(
        status=CampaignStatus.SCHEDULED, scheduled_at__lte=now
    ).values_list("id", flat=True):
        with transaction.atomic():
            updated = Campaign.objects.filter(
                pk=campaign_id, status=CampaignStatus.SCHEDULED
            ).update(status=CampaignStatus.SENDING, started_at=now)
            if not updated:
                continue
            campaign = Campaign.objects.select_related("business").get(pk=campaign_id)
            campaign_enqueue(campaign=campaign, now=now)
        started += 1
    return started
