"""The referral report: who brought whom, how each referral stands, the referral rewards
used (their count and the discount they gave) and the attempts the program refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from wateja.promotions.models import (
    Redemption,
    RedemptionStatus,
    Referral,
    ReferralCode,
    ReferralRefusal,
    ReferralStatus,
)
from wateja.tenants.models import Business

REFUSAL_REASONS = {
    "self_referral": gettext_lazy("The same person (phone, e-mail or card)"),
    "not_a_new_customer": gettext_lazy("Not a new customer: had already bought"),
    "already_referred": gettext_lazy("Already brought by someone else"),
}
REFUSAL_SOURCES = {
    "till": gettext_lazy("At the till"),
    "join": gettext_lazy("Enrolment page"),
    "api": gettext_lazy("API"),
}


def refusal_reason_label(code: str) -> str:
    return str(REFUSAL_REASONS.get(code, gettext_lazy("Refused")))


@dataclass(frozen=True)
class ReferrerRow:
    customer_id: int
    name: str
    brought: int
    counted: int
    pending: int
    refused: int
    rewards_used: int
    reward_discount_minor: int


@dataclass(frozen=True)
class ReferralRow:
    referrer_id: int
    referrer: str
    friend_id: int
    friend: str
    status: str
    status_label: str
    at: dt.datetime


@dataclass(frozen=True)
class RefusalRow:
    friend_id: int
    friend: str
    referrer_id: int | None
    referrer: str
    reason: str
    reason_label: str
    source_label: str
    at: dt.datetime


@dataclass(frozen=True)
class ReferralReport:
    referrers: list[ReferrerRow]
    referrals: list[ReferralRow]
    refusals: list[RefusalRow]


def referral_report(business: Business, *, limit: int = 200) -> ReferralReport:
    """The newest `limit` referrals and refusals, and every referrer's totals (aggregated in
    the database)."""
    referrals = list(
        Referral.objects.for_business(business)
        .select_related("referrer", "friend")
        .order_by("-created_at", "-id")[:limit]
    )
    refusals = list(
        ReferralRefusal.objects.for_business(business)
        .select_related("referrer", "friend")
        .order_by("-at", "-id")[:limit]
    )
    totals = {
        row["referrer_id"]: row
        for row in Referral.objects.for_business(business)
        .values("referrer_id", "referrer__name")
        .annotate(
            brought=Count("id"),
            counted=Count("id", filter=Q(status=ReferralStatus.QUALIFIED)),
            pending=Count("id", filter=Q(status=ReferralStatus.PENDING)),
        )
        .order_by()
    }
    refused = dict(
        ReferralRefusal.objects.for_business(business)
        .filter(referrer__isnull=False)
        .values("referrer_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("referrer_id", "n")
    )
    used = dict(
        ReferralCode.objects.for_business(business)
        .filter(rewards_used__gt=0)
        .values_list("customer_id", "rewards_used")
    )
    discount = dict(
        Redemption.objects.for_business(business)
        .filter(status=RedemptionStatus.COMMITTED, promotion__type="referral_reward")
        .values("customer_id")
        .annotate(total=Coalesce(Sum("discount_minor"), 0))
        .order_by()
        .values_list("customer_id", "total")
    )
    referrers = [
        ReferrerRow(
            customer_id=customer_id,
            name=row["referrer__name"],
            brought=row["brought"],
            counted=row["counted"],
            pending=row["pending"],
            refused=refused.get(customer_id, 0),
            rewards_used=used.get(customer_id, 0),
            reward_discount_minor=int(discount.get(customer_id, 0)),
        )
        for customer_id, row in totals.items()
    ]
    referrers.sort(key=lambda r: (-r.counted, -r.brought, r.name, r.customer_id))
    labels = dict(ReferralStatus.choices)
    return ReferralReport(
        referrers=referrers,
        referrals=[
            ReferralRow(
                referrer_id=r.referrer_id,
                referrer=r.referrer.name,
                friend_id=r.friend_id,
                friend=r.friend.name,
                status=r.status,
                status_label=str(labels.get(r.status, "")),
                at=r.created_at,
            )
            for r in referrals
        ],
        refusals=[
            RefusalRow(
                friend_id=f.friend_id,
                friend=f.friend.name,
                referrer_id=f.referrer_id,
                referrer=f.referrer.name if f.referrer else "",
                reason=f.reason,
                reason_label=refusal_reason_label(f.reason),
                source_label=str(REFUSAL_SOURCES.get(f.source, "")),
                at=f.at,
            )
            for f in refusals
        ],
    )
