"""Reads for messaging screens and the API: results per campaign, variant and automation
(sent, delivered, clicked, converted, revenue, unsubscribes, holdout uplift) and a customer's
message log. Everything is counted in the database."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from wateja.messaging.models import (
    Automation,
    Campaign,
    Conversion,
    Message,
    MessageStatus,
    SendChannel,
)

SENT = (MessageStatus.SENT, MessageStatus.DELIVERED)


def _results(messages: QuerySet[Message]) -> dict[str, Any]:
    """Counts for a set of messages; conversions are per distinct customer, so a customer
    who got both an SMS and an e-mail counts once."""
    row = messages.aggregate(
        total=Count("id"),
        queued=Count("id", filter=Q(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING])),
        sent=Count("id", filter=Q(status__in=SENT)),
        delivered=Count("id", filter=Q(status=MessageStatus.DELIVERED)),
        failed=Count("id", filter=Q(status=MessageStatus.FAILED)),
        skipped=Count("id", filter=Q(status=MessageStatus.SKIPPED)),
        holdout=Count("customer", filter=Q(status=MessageStatus.HOLDOUT), distinct=True),
        reached=Count("customer", filter=Q(status__in=SENT), distinct=True),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
        cost_minor=Sum("cost_minor", filter=Q(status__in=SENT)),
    )
    conversions = Conversion.objects.filter(message__in=messages.values("pk"))
    by_group = conversions.aggregate(
        converted=Count(
            "message__customer", filter=~Q(message__status=MessageStatus.HOLDOUT), distinct=True
        ),
        orders=Count("id", filter=~Q(message__status=MessageStatus.HOLDOUT)),
        revenue=Sum("revenue_minor", filter=~Q(message__status=MessageStatus.HOLDOUT)),
        holdout_converted=Count(
            "message__customer", filter=Q(message__status=MessageStatus.HOLDOUT), distinct=True
        ),
        holdout_revenue=Sum("revenue_minor", filter=Q(message__status=MessageStatus.HOLDOUT)),
    )
    result = {k: v or 0 for k, v in {**row, **by_group}.items()}
    result["revenue_minor"] = result.pop("revenue")
    result["holdout_revenue_minor"] = result.pop("holdout_revenue")
    result["uplift"] = uplift(
        result["converted"], result["reached"], result["holdout_converted"], result["holdout"]
    )
    return result


def uplift(
    converted: int, reached: int, holdout_converted: int, holdout: int
) -> dict[str, Any] | None:
    """Conversion rate of the messaged group minus the holdout's, in percentage points, with
    a 95% normal-approximation interval; None without both groups."""
    if not reached or not holdout:
        return None
    p1, p0 = converted / reached, holdout_converted / holdout
    diff = p1 - p0
    se = math.sqrt(p1 * (1 - p1) / reached + p0 * (1 - p0) / holdout)
    return {
        "rate": round(p1 * 100, 2),
        "holdout_rate": round(p0 * 100, 2),
        "points": round(diff * 100, 2),
        "low": round((diff - 1.96 * se) * 100, 2),
        "high": round((diff + 1.96 * se) * 100, 2),
    }


def campaign_results(campaign: Campaign) -> dict[str, Any]:
    messages = Message.objects.filter(business_id=campaign.business_id, campaign=campaign)
    result = _results(messages)
    result["counts"] = campaign.counts
    result["variants"] = variant_results(messages)
    return result


def automation_results(automation: Automation) -> dict[str, Any]:
    messages = Message.objects.filter(business_id=automation.business_id, automation=automation)
    result = _results(messages)
    result["variants"] = variant_results(messages)
    return result


def variant_results(messages: QuerySet[Message]) -> list[dict[str, Any]]:
    rows = []
    for variant_id, label, template in (
        messages.exclude(variant__isnull=True)
        .values_list("variant_id", "variant__label", "variant__template__name")
        .distinct()
        .order_by("variant__template__name", "variant__label")
    ):
        result = _results(messages.filter(variant_id=variant_id))
        rows.append({"variant_id": variant_id, "label": label, "template": template, **result})
    return rows


def customer_messages(customer_id: int, business_id: int, limit: int = 100) -> QuerySet[Message]:
    messages: QuerySet[Message] = (
        Message.objects.filter(business_id=business_id, customer_id=customer_id)
        .select_related("campaign", "automation")
        .annotate(converted=Count("conversions"))
        .order_by("-created_at", "-id")[:limit]
    )
    return messages


def campaigns_list(business_id: int) -> QuerySet[Campaign]:
    campaigns: QuerySet[Campaign] = (
        Campaign.objects.filter(business_id=business_id)
        .annotate(
            sent=Count("messages", filter=Q(messages__status__in=SENT)),
            clicked=Count("messages", filter=Q(messages__clicked_at__isnull=False)),
        )
        .order_by("-created_at", "-id")
    )
    return campaigns


def latest_sms(business_id: int, limit: int = 10) -> list[Message]:
    """The newest SMS written to the outbox (what a record-only setup shows instead of
    sending: the demo's enrolment codes, replies and receipts)."""
    return list(
        Message.objects.filter(business_id=business_id, channel=SendChannel.SMS)
        .exclude(status=MessageStatus.SKIPPED)
        .order_by("-created_at", "-id")[:limit]
    )


def outbox_summary(business_id: int) -> dict[str, int]:
    return dict(
        Message.objects.filter(business_id=business_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
