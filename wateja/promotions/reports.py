"""Promotion reports: who used which code how often and what it cost."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum

from wateja.promotions.models import Promotion, Redemption, RedemptionStatus


def code_usage_report(promotion: Promotion) -> dict[str, Any]:
    """Reach (customers), uses, repeat uses per customer and discount given, per code and in
    total — e.g. "15% of users used it two or three times in one weekend"."""
    used = Redemption.objects.filter(promotion=promotion, status=RedemptionStatus.COMMITTED)
    per_customer = list(
        used.exclude(customer__isnull=True).values("customer").annotate(n=Count("id"))
    )
    reach = len(per_customer)
    repeat = sum(1 for row in per_customer if row["n"] >= 2)
    codes = [
        {
            "code": row["code__code"],
            "uses": row["uses"],
            "customers": row["customers"],
            "discount_minor": int(row["discount"] or 0),
        }
        for row in used.exclude(code__isnull=True)
        .values("code__code")
        .annotate(
            uses=Count("id"),
            customers=Count("customer", distinct=True),
            discount=Sum("discount_minor"),
        )
        .order_by("-uses", "code__code")[:500]
    ]
    totals = used.aggregate(uses=Count("id"), discount=Sum("discount_minor"))
    return {
        "promotion_id": promotion.pk,
        "uses": totals["uses"],
        "discount_minor": int(totals["discount"] or 0),
        "customers": reach,
        "repeat_customers": repeat,
        "repeat_share_bp": repeat * 10_000 // reach if reach else 0,
        "codes_issued": promotion.promo_codes.count(),
        "codes": codes,
    }
