"""How far a customer is from their next reward, as the pocket card shows it: the stamp card
("3 of 10 stamps", "7 visits to go to a free coffee"), the next tier ("spend 4,000 KES more to
reach Gold"), and the offers open to them now, each in one plain sentence. Lives beside the
orders because tier progress counts the customer's net spend from their orders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from wateja.customers.models import Customer
from wateja.orders.selectors import spend_minor
from wateja.promotions.describe import describe
from wateja.promotions.models import (
    Audience,
    CustomerTier,
    Promotion,
    PromotionStatus,
    Tier,
    TierBasis,
)
from wateja.promotions.recipes import product_names

BASE_TYPES = ("points_per_amount", "cashback_percent")


@dataclass(frozen=True)
class StampProgress:
    have: int  # stamps on the card now
    size: int  # stamps that make the card full (that visit is the free one)
    to_go: int  # visits until the free one, that visit included
    product: str  # what is free

    @property
    def slots(self) -> list[bool]:
        """One per stamp of the card, filled or not (none for a card too long to draw)."""
        return [i < self.have for i in range(self.size)] if self.size <= 30 else []


@dataclass(frozen=True)
class TierProgress:
    current: str  # "" when the customer holds no tier yet
    next_name: str  # "" at the top tier
    missing_minor: int  # spend still needed for the next tier
    next_min_minor: int
    spend_minor: int
    rolling: bool  # the spend counted is the last 12 months'


def _stamp_card(customer: Customer) -> Promotion | None:
    active = Promotion.objects.for_business(customer.business_id).filter(
        status=PromotionStatus.ACTIVE
    )
    for promotion in active.filter(Q(recipe="stamps") | Q(type="free_item")).order_by("pk"):
        condition = promotion.conditions or {}
        if isinstance(condition, dict) and condition.get("type") == "nth_visit_every":
            found: Promotion = promotion
            return found
    return None


def stamp_progress(customer: Customer) -> StampProgress | None:
    """The customer's stamp card, when the business runs one: each visit is a stamp (stamps
    carried over from the old card count), and the visit that fills the card is free."""
    promotion = _stamp_card(customer)
    if promotion is None:
        return None
    size = int((promotion.conditions or {}).get("n") or 0)
    if size < 2:
        return None
    have = (customer.purchase_count + customer.stamps_carried) % size
    sku = str((promotion.recipe_values or {}).get("sku") or promotion.params.get("sku") or "")
    names = product_names(customer.business, [sku]) if sku else []
    return StampProgress(
        have=have, size=size, to_go=size - have, product=names[0] if names else promotion.name
    )


def tier_progress(customer: Customer, now: dt.datetime | None = None) -> TierProgress | None:
    """Where the customer stands on the tier ladder, when the business has tiers."""
    tiers = list(Tier.objects.for_business(customer.business_id).order_by("min_spend_minor", "pk"))
    if not tiers:
        return None
    now = now or timezone.now()
    rolling = tiers[0].basis == TierBasis.ROLLING_12
    spend = spend_minor(customer, since=now - dt.timedelta(days=365) if rolling else None)
    state = CustomerTier.objects.filter(customer=customer).select_related("tier").first()
    held = state.tier if state is not None else None
    if held is None:
        reached = [t for t in tiers if spend >= t.min_spend_minor]
        held = reached[-1] if reached else None
    floor = held.min_spend_minor if held is not None else -1
    above = [t for t in tiers if t.min_spend_minor > max(floor, spend)]
    following = above[0] if above else None
    return TierProgress(
        current=held.name if held is not None else "",
        next_name=following.name if following is not None else "",
        missing_minor=max(following.min_spend_minor - spend, 0) if following is not None else 0,
        next_min_minor=following.min_spend_minor if following is not None else 0,
        spend_minor=spend,
        rolling=rolling,
    )


def offers_open(customer: Customer, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The active offers this customer can get now, in plain words: not the base programme
    or the stamp card (shown above them), not ones needing a promo code, ended or not yet
    started, nor meant for a tier or segment the customer is not in."""
    now = now or timezone.now()
    tier_name = (
        CustomerTier.objects.filter(customer=customer).values_list("tier__name", flat=True).first()
    )
    stamp = _stamp_card(customer)
    found = (
        Promotion.objects.for_business(customer.business_id)
        .filter(status=PromotionStatus.ACTIVE, requires_code=False)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .exclude(type__in=BASE_TYPES)
        .exclude(audience=Audience.SEGMENT)
        .select_related("business")
        .order_by("-priority", "pk")
    )
    offers = []
    for promotion in found:
        if stamp is not None and promotion.pk == stamp.pk:
            continue
        if promotion.audience == Audience.TIER and tier_name not in (
            promotion.audience_values or []
        ):
            continue
        text = describe(promotion)
        offers.append(
            {"name": promotion.name, "what": text["what"], "rules": text["rules"],
             "ends_at": promotion.ends_at}
        )  # fmt: skip
    return offers
