"""From stored promotions to the engine's values: conversion, live budgets, and a cached
index of each business's active promotions (rebuilt when any promotion changes)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from django.db.models import Count, Max, Q, Sum

from wateja.core.rules.model import Budget, Schedule
from wateja.core.rules.model import Promotion as EnginePromotion
from wateja.customers.models import Customer
from wateja.promotions.models import (
    BudgetPeriod,
    Promotion,
    PromotionStatus,
    Redemption,
    RedemptionStatus,
    Tier,
)
from wateja.tenants.models import Business

LIVE = [RedemptionStatus.RESERVED, RedemptionStatus.COMMITTED]


def to_engine(
    promotion: Promotion, *, codes: frozenset[str] = frozenset(), budget: Budget | None = None
) -> EnginePromotion:
    hours = None
    if promotion.hour_from is not None and promotion.hour_to is not None:
        hours = (promotion.hour_from, promotion.hour_to)
    return EnginePromotion(
        id=promotion.pk or 0,
        name=promotion.name,
        type=promotion.type,
        params=dict(promotion.params or {}),
        conditions=promotion.conditions or None,
        priority=promotion.priority,
        exclusive_group=promotion.exclusive_group,
        stackable=promotion.stackable,
        max_discount_minor=promotion.max_discount_minor,
        schedule=Schedule(
            starts_at=promotion.starts_at,
            ends_at=promotion.ends_at,
            weekdays=frozenset(int(d) for d in promotion.weekdays or []),
            hours=hours,
        ),
        audience=promotion.audience,
        audience_values=frozenset(str(v) for v in promotion.audience_values or []),
        channels=frozenset(promotion.channels or []),
        locations=frozenset(int(v) for v in promotion.locations or []),
        codes=codes if promotion.requires_code else frozenset(),
        code="" if not promotion.requires_code else "*",
        budget=budget or Budget(),
    )


def period_start(period: str, now: dt.datetime) -> dt.datetime | None:
    if period == BudgetPeriod.DAY:
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == BudgetPeriod.WEEK:
        day = now - dt.timedelta(days=now.weekday())
        return day.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == BudgetPeriod.MONTH:
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "year":
        return now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return None


def _since_period_start(promotions: list[Promotion], now: dt.datetime) -> Q:
    """Redemptions that count against each promotion's per-customer limit: those since the
    start of its period (a birthday bonus once a year), all of them for a lifetime limit."""
    which = Q()
    for promotion in promotions:
        start = period_start(promotion.customer_limit_period, now)
        which |= Q(promotion=promotion) & (Q(created_at__gte=start) if start else Q())
    return which


def budgets_for(
    promotions: list[Promotion], customer: Customer | None, now: dt.datetime
) -> dict[int, Budget]:
    """What is left of each limited promotion's budget, from live redemptions (reserved or
    used): one aggregate per promotion with a budget (its period differs), and one grouped
    query for all per-customer limits."""
    limited = [p for p in promotions if p.max_uses or p.budget_minor is not None]
    per_customer = [p for p in promotions if p.max_uses_per_customer]
    result: dict[int, Budget] = {}
    totals: dict[int, dict[str, Any]] = {}
    for promotion in limited:
        start = period_start(promotion.budget_period, now)
        live = Redemption.objects.filter(promotion=promotion, status__in=LIVE)
        if start is not None:
            live = live.filter(created_at__gte=start)
        totals[promotion.pk] = live.aggregate(uses=Count("id"), spent=Sum("discount_minor"))
    customer_uses: dict[int, int] = {}
    if customer is not None and per_customer:
        customer_uses = dict(
            Redemption.objects.filter(
                promotion__in=per_customer, customer=customer, status__in=LIVE
            )
            .filter(_since_period_start(per_customer, now))
            .values("promotion")
            .annotate(n=Count("id"))
            .values_list("promotion", "n")
        )
    for promotion in {p.pk: p for p in [*limited, *per_customer]}.values():
        used = totals.get(promotion.pk, {})
        result[promotion.pk] = Budget(
            uses_left=(
                max(promotion.max_uses - int(used.get("uses") or 0), 0)
                if promotion.max_uses
                else None
            ),
            amount_left_minor=(
                max(promotion.budget_minor - int(used.get("spent") or 0), 0)
                if promotion.budget_minor is not None
                else None
            ),
            customer_uses_left=(
                max(promotion.max_uses_per_customer - customer_uses.get(promotion.pk, 0), 0)
                if promotion.max_uses_per_customer and customer is not None
                else None
            ),
        )
    return result


class _IndexCache:
    """Per process: business id → (version, stored promotions, engine index)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[int, tuple[Any, list[Promotion], Any]] = {}


_cache = _IndexCache()


def active_promotions(business: Business) -> list[Promotion]:
    return list(Promotion.objects.for_business(business).filter(status=PromotionStatus.ACTIVE))


def promotions_version(business: Business) -> Any:
    row = Promotion.objects.for_business(business).aggregate(
        changed=Max("updated_at"), count=Count("id"), active=Count("id", filter=Q(status="active"))
    )
    tiers = tuple(
        Tier.objects.for_business(business)
        .order_by("id")
        .values_list("id", "name", "discount_bp", "earn_multiplier_bp")
    )
    return (row["changed"], row["count"], row["active"], tiers)


def tier_promotions(business: Business) -> list[EnginePromotion]:
    """Tiers act through the engine: one tier discount, and a points multiplier per tier.
    Their ids are negative: they are not stored promotions and leave no redemption."""
    tiers = list(Tier.objects.for_business(business))
    result: list[EnginePromotion] = []
    discounts = {t.name: t.discount_bp for t in tiers if t.discount_bp}
    if discounts:
        result.append(
            EnginePromotion(
                id=-1,
                name="Tier discount",
                type="tier_discount",
                params={"tiers": discounts},
                priority=-100,
            )
        )
    for tier in tiers:
        if tier.earn_multiplier_bp and tier.earn_multiplier_bp != 10_000:
            result.append(
                EnginePromotion(
                    id=-(1000 + tier.pk),
                    name=f"{tier.name} points",
                    type="points_multiplier",
                    params={"multiplier_bp": tier.earn_multiplier_bp},
                    audience="tier",
                    audience_values=frozenset({tier.name}),
                )
            )
    return result


def cached_active(business: Business) -> tuple[list[Promotion], Any]:
    """The business's active promotions and an engine PromotionIndex over them (budgets and
    codes are per request, so the index holds the promotions without them)."""
    from wateja.core.rules.index import PromotionIndex

    version = promotions_version(business)
    with _cache.lock:
        entry = _cache.entries.get(business.pk)
        if entry is not None and entry[0] == version:
            return entry[1], entry[2]
    stored = active_promotions(business)
    # code promotions join per request, only when one of their codes is entered
    engine = [to_engine(p) for p in stored if not p.requires_code]
    index = PromotionIndex([*engine, *tier_promotions(business)])
    with _cache.lock:
        _cache.entries[business.pk] = (version, stored, index)
    return stored, index


def cashier_flags(business: Business) -> list[str]:
    """The conditions a cashier ticks at the till (e.g. "own_cup"), from active promotions."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "flag" and node.get("name"):
                found.add(str(node["name"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for conditions in (
        Promotion.objects.for_business(business)
        .filter(status=PromotionStatus.ACTIVE)
        .values_list("conditions", flat=True)
    ):
        walk(conditions)
    return sorted(found)
