"""The cost estimate of an offer: the past months' sales replayed with and without it.

Each past sale of the window (the last ``months`` × 30 days; voided and fully refunded sales
left out) is rebuilt as a cart (its lines, or its total; what the customer paid with points or
cashback earns nothing) with the customer as they were then (purchases before it, current card,
tier and tags) and evaluated by the rules engine twice, as checkout would price it:

* **without** the offer: the business's programme as it stands today — every active offer that
  needs no code (the base earn rule ``points_per_amount``, cashback, other offers) and the
  tiers' discounts and points multipliers;
* **with** it: the same, plus the offer.

The estimate is the *difference* (extra discount, extra cashback, extra points and their money
value at the wallet's ``point_value_minor``, free items), so a double-points offer costs the
points it adds on top of the base rule, and an offer that displaces another costs only what it
adds. Offers' start and end dates are left out (the question is "what if it had run then");
weekdays, hours, channels, places, audiences and conditions are kept. An offer that needs a code
is counted as if every buyer had the code: the most it could cost.

Limits work as at checkout (`promotions.selectors.budgets_for`, `orders.checkout`): every applied
offer leaves a redemption holding its discount; what is left of an offer's uses (``max_uses``)
and money (``budget_minor``) is counted in its period (``period_start``: the UTC day, week or
month of the sale, or in total), a customer's uses (``max_uses_per_customer``) in total; the
engine stops an offer whose limit is reached and caps its discount at what is left of the
budget. Both replays keep their own counts (the offer may use up another's budget differently).

The result also gives the extra cost per 30-day slice of the window (its lowest and highest:
the range the page shows as "per month"), the reach (sales and customers it changes), the
limits applied, and the measured results of similar past offers (same type, active or ended,
used at least once) when a ``measure`` (analytics' uplift) is given.

Stored and in the background: `simulation_request` marks an offer's `OfferSimulation` queued
(one more generation) and hands it to the worker (`register_background_runner`, registered by
wateja.jobs); `simulation_run` computes and stores it unless a newer request came meanwhile.
The offer page only reads the stored row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import DomainError
from wateja.core.rules import Cart, Context, CustomerFacts, Evaluation, Line, evaluate
from wateja.core.rules.index import PromotionIndex
from wateja.core.rules.model import Budget, EffectKind, Schedule
from wateja.core.rules.model import Promotion as EnginePromotion
from wateja.customers.models import Card, Customer, CustomerTag
from wateja.orders.models import (
    OfferSimulation,
    Order,
    OrderLine,
    OrderStatus,
    SimulationStatus,
)
from wateja.promotions.models import (
    CustomerTier,
    Promotion,
    PromotionStatus,
    Referral,
    ReferralCode,
    ReferralStatus,
)
from wateja.promotions.selectors import period_start, tier_promotions, to_engine
from wateja.wallet.services import wallet_settings

log = logging.getLogger(__name__)

MAX_ORDERS = 200_000
SLICE_DAYS = 30  # one "month" of the range
PAGE = 5_000  # sales read at a time (their lines in one more query)
SIMILAR = 3  # similar past offers shown at most
SIM_CODE = "SIM"  # the code every buyer is assumed to have entered
_LIMIT_REJECTIONS = frozenset({"usage_limit_reached", "customer_limit_reached", "budget_exhausted"})
_REPLAYED = [OrderStatus.COMPLETED, OrderStatus.PARTIALLY_REFUNDED]

Measure = Callable[..., Any]  # analytics.services.promotion_uplift_get(business=, promotion_id=)


# --------------------------------------------------------------------------------------------
# Budgets as checkout counts them, kept in memory while the sales are replayed


class _Budgets:
    """What `budgets_for` would answer before each replayed sale: live redemptions counted per
    offer and period (uses, discount) and per offer and customer (uses)."""

    def __init__(self, promotions: list[Promotion]) -> None:
        self.limited = {
            p.pk: p
            for p in promotions
            if p.max_uses or p.budget_minor is not None or p.max_uses_per_customer
        }
        self.uses: dict[tuple[int, dt.datetime | None], int] = {}
        self.spent: dict[tuple[int, dt.datetime | None], int] = {}
        self.customer_uses: dict[tuple[int, int], int] = {}

    def now(self, customer_id: int | None, at: dt.datetime) -> dict[int, Budget]:
        result: dict[int, Budget] = {}
        for pid, p in self.limited.items():
            key = (pid, period_start(p.budget_period, at))
            result[pid] = Budget(
                uses_left=max(p.max_uses - self.uses.get(key, 0), 0) if p.max_uses else None,
                amount_left_minor=(
                    max(p.budget_minor - self.spent.get(key, 0), 0)
                    if p.budget_minor is not None
                    else None
                ),
                customer_uses_left=(
                    max(p.max_uses_per_customer - self.customer_uses.get((pid, customer_id), 0), 0)
                    if p.max_uses_per_customer and customer_id is not None
                    else None
                ),
            )
        return result

    def record(self, evaluation: Evaluation, customer_id: int | None, at: dt.datetime) -> None:
        """Each applied stored offer leaves one redemption with its discount (as reserve)."""
        for applied in evaluation.applied:
            p = self.limited.get(applied.promotion_id)
            if p is None:
                continue
            key = (p.pk, period_start(p.budget_period, at))
            self.uses[key] = self.uses.get(key, 0) + 1
            self.spent[key] = self.spent.get(key, 0) + applied.discount_minor
            if customer_id is not None:
                ck = (p.pk, customer_id)
                self.customer_uses[ck] = self.customer_uses.get(ck, 0) + 1


@dataclasses.dataclass
class _Scenario:
    index: PromotionIndex
    budgets: _Budgets

    def price(
        self, cart: Cart, facts: CustomerFacts | None, context: Context, customer_id: int | None
    ) -> Evaluation:
        index = self.index
        if self.budgets.limited:
            index = index.with_budgets(self.budgets.now(customer_id, context.now))
        evaluation = evaluate(cart, facts, index, context)
        if self.budgets.limited:
            self.budgets.record(evaluation, customer_id, context.now)
        return evaluation


def _undated(engine: EnginePromotion) -> EnginePromotion:
    """The offer as if it had run in the whole window: its weekdays and hours kept."""
    schedule = engine.schedule
    return dataclasses.replace(
        engine, schedule=Schedule(weekdays=schedule.weekdays, hours=schedule.hours)
    )


# --------------------------------------------------------------------------------------------
# The customers as they were


@dataclasses.dataclass(slots=True)
class _History:
    count: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    spent: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class _Known:
    """What the rules may know of a customer that the replay does not change."""

    is_member: bool = False
    tier: str = ""
    tags: frozenset[str] = frozenset()
    birth_month: int | None = None
    birth_day: int | None = None
    card_issued_at: dt.datetime | None = None
    referrals_converted: int = 0
    referral_rewards_used: int = 0
    stamps_carried: int = 0  # visits brought over from the old system (a stamp card's count)


def _known_customers(business_id: int) -> dict[int, _Known]:
    """Cards, tier, tags, birthday and referrals of the business's customers: six queries."""
    customers = Customer.objects.for_business(business_id)
    birthdays = {
        pk: (month, day)
        for pk, month, day in customers.filter(birth_month__isnull=False).values_list(
            "pk", "birth_month", "birth_day"
        )
    }
    cards = {
        row["customer_id"]: row
        for row in Card.objects.for_business(business_id)
        .values("customer_id")
        .annotate(first=Min("issued_at"), active=Count("id", filter=Q(status="active")))
    }
    tiers = dict(
        CustomerTier.objects.for_business(business_id)
        .filter(tier__isnull=False)
        .values_list("customer_id", "tier__name")
    )
    tags: dict[int, set[str]] = {}
    for customer_id, name in CustomerTag.objects.for_business(business_id).values_list(
        "customer_id", "tag__name"
    ):
        tags.setdefault(customer_id, set()).add(name)
    converted = dict(
        Referral.objects.for_business(business_id)
        .filter(status=ReferralStatus.QUALIFIED)
        .values("referrer_id")
        .annotate(n=Count("id"))
        .values_list("referrer_id", "n")
    )
    rewards_used = dict(
        ReferralCode.objects.for_business(business_id)
        .filter(rewards_used__gt=0)
        .values_list("customer_id", "rewards_used")
    )
    stamps = dict(customers.filter(stamps_carried__gt=0).values_list("pk", "stamps_carried"))
    ids = set(birthdays) | set(cards) | set(tiers) | set(tags) | set(converted) | set(rewards_used)
    ids |= set(stamps)
    known: dict[int, _Known] = {}
    for pk in ids:
        card = cards.get(pk)
        month, day = birthdays.get(pk, (None, None))
        known[pk] = _Known(
            is_member=bool(card and card["active"]),
            tier=tiers.get(pk, ""),
            tags=frozenset(tags.get(pk, ())),
            birth_month=month,
            birth_day=day,
            card_issued_at=card["first"] if card else None,
            referrals_converted=converted.get(pk, 0),
            referral_rewards_used=rewards_used.get(pk, 0),
            stamps_carried=stamps.get(pk, 0),
        )
    return known


def _history_before(business_id: int, since: dt.datetime) -> dict[int, _History]:
    """Each customer's purchases before the window, as the customer's figures count them."""
    return {
        row["customer_id"]: _History(
            count=row["n"],
            first=row["first"],
            last=row["last"],
            spent=int(row["paid"] or 0) - int(row["refunded"] or 0),
        )
        for row in Order.objects.for_business(business_id)
        .filter(customer__isnull=False, placed_at__lt=since)
        .values("customer_id")
        .annotate(
            n=Count("id"),
            first=Min("placed_at"),
            last=Max("placed_at"),
            paid=Sum("total_minor"),
            refunded=Sum("refunded_minor"),
        )
        .order_by()
    }


# --------------------------------------------------------------------------------------------
# The sales of the window


_ORDER_FIELDS = (
    "pk",
    "placed_at",
    "customer_id",
    "subtotal_minor",
    "total_minor",
    "refunded_minor",
    "paid_points_minor",
    "paid_cashback_minor",
    "channel",
    "location_id",
    "status",
)


def _sales(
    business_id: int, since: dt.datetime, until: dt.datetime, limit: int
) -> Iterator[tuple[tuple[Any, ...], tuple[Line, ...]]]:
    """Every sale of the window in time order with its lines, a page at a time (keyset on
    placed_at, id), every status (the history counts all; the caller skips voided ones)."""
    orders = (
        Order.objects.for_business(business_id)
        .filter(placed_at__lt=until)
        .order_by("placed_at", "pk")
    )
    after: tuple[dt.datetime, int] | None = None
    seen = 0
    while seen < limit:
        page_qs = orders.filter(placed_at__gte=since)
        if after is not None:
            page_qs = orders.filter(
                Q(placed_at__gt=after[0]) | Q(placed_at=after[0], pk__gt=after[1])
            )
        page = list(page_qs.values_list(*_ORDER_FIELDS)[: min(PAGE, limit - seen)])
        if not page:
            return
        lines: dict[int, list[Line]] = {}
        for order_id, sku, quantity, price, category, weight in (
            OrderLine.objects.filter(order_id__in=[row[0] for row in page])
            .order_by("order_id", "pk")
            .values_list(
                "order_id", "sku", "quantity", "unit_price_minor", "category", "weight_grams"
            )
        ):
            lines.setdefault(order_id, []).append(
                Line(
                    sku=sku,
                    quantity=quantity,
                    unit_price_minor=price,
                    category=category,
                    weight_grams=weight,
                )
            )
        for row in page:
            yield row, tuple(lines.get(row[0], ()))
        seen += len(page)
        after = (page[-1][1], page[-1][0])


# --------------------------------------------------------------------------------------------
# The simulation


def _limits(promotion: Promotion) -> dict[str, Any]:
    return {
        "max_uses": promotion.max_uses,
        "max_uses_per_customer": promotion.max_uses_per_customer,
        "budget_minor": promotion.budget_minor,
        "budget_period": promotion.budget_period,
        "max_discount_minor": promotion.max_discount_minor,
    }


def simulate(
    *,
    promotion: Promotion,
    months: int = 3,
    now: dt.datetime | None = None,
    measure: Measure | None = None,
) -> dict[str, Any]:
    """Replay the last ``months`` × 30 days with and without ``promotion`` (see the module
    doc). Money in the business's currency, minor units; every figure is the difference the
    offer makes. Keys kept from the first version: promotion_id, months, orders_evaluated,
    orders_touched, customers_touched, discount_minor, points, cashback_minor, currency,
    average_discount_minor."""
    now = now or timezone.now()
    months = max(1, int(months))
    since = now - dt.timedelta(days=SLICE_DAYS * months)
    business = promotion.business
    point_value = wallet_settings(business).point_value_minor

    stored_base = [
        p
        for p in Promotion.objects.for_business(business).filter(status=PromotionStatus.ACTIVE)
        if p.pk != promotion.pk and not p.requires_code
    ]
    tiers = tier_promotions(business)
    base = [_undated(to_engine(p)) for p in stored_base] + tiers
    offer = _undated(to_engine(promotion))
    if promotion.requires_code:
        offer = dataclasses.replace(offer, codes=frozenset({SIM_CODE}), code=SIM_CODE)
    without = _Scenario(PromotionIndex(base), _Budgets(stored_base))
    with_offer = _Scenario(PromotionIndex([*base, offer]), _Budgets([*stored_base, promotion]))

    # Both replays give the same answer while the offer stays out of the engine's run (no
    # candidate, or stopped at a gate: schedule, place, audience, its limits) and the other
    # offers' budgets stand the same in both; then the sale is evaluated once.
    limited_base = frozenset(without.budgets.limited)
    diverged = False
    history = _history_before(business.pk, since)
    known = _known_customers(business.pk)
    nobody = _Known()
    codes = (SIM_CODE,)
    tz = business.timezone
    currency = business.currency
    slices = [0] * months
    evaluated = touched = limited = coupons = 0
    customers: set[int] = set()
    discount = points = cashback = free = 0
    base_points = 0
    for row, lines in _sales(business.pk, since, now, MAX_ORDERS):
        (
            _pk,
            placed_at,
            customer_id,
            subtotal,
            total,
            refunded,
            paid_points,
            paid_cashback,
            channel,
            location_id,
            status,
        ) = row
        past = history.get(customer_id) if customer_id is not None else None
        if status in _REPLAYED:
            facts = None
            if customer_id is not None:
                k = known.get(customer_id, nobody)
                facts = CustomerFacts(
                    id=customer_id,
                    is_member=k.is_member,
                    tier=k.tier,
                    tags=k.tags,
                    purchase_count=(past.count if past else 0) + k.stamps_carried,
                    first_purchase_at=past.first if past else None,
                    last_purchase_at=past.last if past else None,
                    birth_month=k.birth_month,
                    birth_day=k.birth_day,
                    card_issued_at=k.card_issued_at,
                    referrals_converted=k.referrals_converted,
                    referral_rewards_used=k.referral_rewards_used,
                    total_spent_minor=past.spent if past else 0,
                )
            cart = Cart(
                currency=currency,
                lines=lines,
                total_only_minor=None if lines else subtotal,
                rewards_paid_minor=paid_points + paid_cashback,
            )
            context = Context(
                now=placed_at,
                timezone=tz,
                channel=channel,
                location_id=location_id,
                codes=codes,
            )
            after = with_offer.price(cart, facts, context, customer_id)
            if not diverged and _left_out(after, promotion.pk):
                before = after  # the same sale, the same budgets: the same answer
                without.budgets.record(before, customer_id, placed_at)
            else:
                before = without.price(cart, facts, context, customer_id)
                diverged = diverged or _limited_uses(before, limited_base) != _limited_uses(
                    after, limited_base
                )
            evaluated += 1
            base_points += before.points
            extra_discount = after.discount_minor - before.discount_minor
            extra_free = _free_value(after) - _free_value(before)
            if customer_id is not None:
                extra_points = after.points - before.points
                extra_cashback = after.cashback_minor - before.cashback_minor
            else:  # an anonymous sale earns nothing (checkout credits a customer's wallet)
                extra_points = extra_cashback = 0
            discount += extra_discount
            points += extra_points
            cashback += extra_cashback
            free += extra_free
            cost = extra_discount + extra_cashback + extra_free + extra_points * point_value
            n = min(int((placed_at - since) / dt.timedelta(days=SLICE_DAYS)), months - 1)
            slices[max(n, 0)] += cost
            mine = next((a for a in after.applied if a.promotion_id == promotion.pk), None)
            if mine is not None and (
                customer_id is not None or mine.discount_minor > 0 or extra_free > 0
            ):
                touched += 1
                if customer_id is not None:  # coupons, like points, go to a customer
                    customers.add(customer_id)
                    coupons += sum(
                        1 for c in after.coupons if c.data.get("promotion_id") == promotion.pk
                    )
                if any(e.data.get("cap") == "budget" for e in mine.effects):
                    limited += 1
            elif any(
                r.promotion_id == promotion.pk and r.code in _LIMIT_REJECTIONS
                for r in after.rejected
            ):
                limited += 1
        if customer_id is not None:  # the next sale sees this one in the customer's history
            if past is None:
                past = history[customer_id] = _History(first=placed_at)
            past.count += 1
            past.first = past.first or placed_at
            past.last = placed_at
            past.spent += total - refunded

    cost_total = discount + cashback + free + points * point_value
    return {
        "promotion_id": promotion.pk,
        "months": months,
        "since": since.isoformat(),
        "until": now.isoformat(),
        "orders_evaluated": evaluated,
        "orders_touched": touched,
        "customers_touched": len(customers),
        "discount_minor": discount,
        "points": points,
        "cashback_minor": cashback,
        "free_items_minor": free,
        "coupons_issued": coupons,
        "currency": currency,
        "average_discount_minor": discount // touched if touched else 0,
        "point_value_minor": point_value,
        "points_value_minor": points * point_value,
        "base_points": base_points,
        "cost_minor": cost_total,
        "monthly_cost_minor": slices,
        "monthly_low_minor": min(slices),
        "monthly_high_minor": max(slices),
        "orders_limited": limited,
        "limits": _limits(promotion),
        "code_only": promotion.requires_code,
        "compared_with": [p.name for p in stored_base],
        "tiers_counted": bool(tiers),
        "similar": similar_offers(promotion=promotion, measure=measure),
    }


# rejections at the engine's gates, before any benefit is tried: the offer never ran
_GATE_REJECTIONS = frozenset(
    {
        "not_started",
        "expired",
        "outside_schedule",
        "wrong_channel",
        "wrong_location",
        "not_a_member",
        "not_in_segment",
        "usage_limit_reached",
        "customer_limit_reached",
        "budget_exhausted",
    }
)


def _left_out(evaluation: Evaluation, promotion_id: int) -> bool:
    """Whether the offer took no part in the run: not a candidate, or stopped at a gate."""
    for r in evaluation.rejected:
        if r.promotion_id == promotion_id:
            return r.code in _GATE_REJECTIONS
    return all(a.promotion_id != promotion_id for a in evaluation.applied)


def _limited_uses(evaluation: Evaluation, limited: frozenset[int]) -> list[tuple[int, int]]:
    if not limited:
        return []
    return [
        (a.promotion_id, a.discount_minor) for a in evaluation.applied if a.promotion_id in limited
    ]


def _free_value(evaluation: Evaluation) -> int:
    return sum(g.amount_minor for g in evaluation.gifts if g.kind is EffectKind.FREE_ITEM)


def similar_offers(*, promotion: Promotion, measure: Measure | None = None) -> list[dict[str, Any]]:
    """Offers of the same type that ran (active, paused or ended, used at least once), the
    most recent first, with what they cost and, given a ``measure``, their measured uplift:
    orders and sales per day while they ran against the days before (or their holdout)."""
    found = (
        Promotion.objects.for_business(promotion.business_id)
        .filter(
            type=promotion.type,
            status__in=[PromotionStatus.ACTIVE, PromotionStatus.PAUSED, PromotionStatus.ENDED],
            uses_count__gt=0,
        )
        .exclude(pk=promotion.pk)
        .order_by(F("ends_at").desc(nulls_first=True), "-updated_at")[:SIMILAR]
    )
    result = []
    for other in found:
        entry: dict[str, Any] = {
            "promotion_id": other.pk,
            "name": other.name,
            "status": other.status,
            "uses": other.uses_count,
            "discount_minor": other.discount_total_minor,
            "measured": None,
        }
        if measure is not None:
            try:
                uplift = measure(business=promotion.business, promotion_id=other.pk)
            except DomainError:  # e.g. it did not run long enough to compare
                uplift = None
            except Exception:  # a measurement that fails leaves the estimate standing
                log.exception("uplift of offer %s failed", other.pk)
                uplift = None
            if uplift is not None:
                entry["measured"] = _uplift_summary(uplift)
        result.append(entry)
    return result


def _uplift_summary(uplift: Any) -> dict[str, Any]:
    """The parts of analytics' `Uplift` the estimate shows (plain values for JSON)."""
    by = {c.measure: c for c in getattr(uplift, "comparisons", [])}

    def part(measure: str) -> dict[str, Any] | None:
        c = by.get(measure)
        if c is None:
            return None
        return {"uplift_percent": c.uplift, "significant": bool(c.significant), "unit": c.unit}

    period = getattr(uplift, "period", None)
    return {
        "method": getattr(uplift, "method", ""),
        "start": period.start.isoformat() if period else None,
        "end": period.end.isoformat() if period else None,
        "orders": part("orders"),
        "revenue": part("revenue_minor"),
    }


# --------------------------------------------------------------------------------------------
# Stored, in the background

_background_runner: Callable[[int, int], object] | None = None


def register_background_runner(runner: Callable[[int, int], object]) -> None:
    """The worker's entry (wateja.jobs.simulation_tasks registers its Huey task here), so this
    app queues estimates without importing the jobs layer."""
    global _background_runner  # one process-wide registration, like customers.importing
    _background_runner = runner


def simulation_stored(promotion: Promotion) -> OfferSimulation | None:
    """The stored estimate of an offer (one query, no order read)."""
    return OfferSimulation.objects.filter(promotion=promotion).first()


def simulation_request(*, promotion: Promotion, months: int | None = None) -> OfferSimulation:
    """Mark the offer's estimate queued (its last result kept until the new one is stored) and,
    after commit, hand it to the worker. Without a registered worker entry it runs at once."""
    with transaction.atomic():
        simulation, _created = OfferSimulation.objects.get_or_create(
            promotion=promotion, defaults={"business_id": promotion.business_id}
        )
        OfferSimulation.objects.filter(pk=simulation.pk).update(
            generation=F("generation") + 1,
            status=SimulationStatus.QUEUED,
            requested_at=timezone.now(),
            months=months or simulation.months,
        )
        simulation.refresh_from_db()
    sim_id, generation = simulation.pk, simulation.generation
    if _background_runner is None:
        transaction.on_commit(lambda: simulation_run(simulation_id=sim_id, generation=generation))
    else:
        runner = _background_runner
        transaction.on_commit(lambda: runner(sim_id, generation))
    return simulation


def simulation_run(
    *,
    simulation_id: int,
    generation: int,
    measure: Measure | None = None,
    now: dt.datetime | None = None,
) -> OfferSimulation | None:
    """Compute and store one requested estimate; nothing when a newer request superseded it
    (that request's own run stores the newer estimate)."""
    claimed = OfferSimulation.objects.filter(pk=simulation_id, generation=generation).update(
        status=SimulationStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    simulation: OfferSimulation = OfferSimulation.objects.select_related("promotion__business").get(
        pk=simulation_id
    )
    try:
        result = simulate(
            promotion=simulation.promotion, months=simulation.months, now=now, measure=measure
        )
    except Exception:
        log.exception("offer estimate %s failed", simulation_id)
        OfferSimulation.objects.filter(pk=simulation_id, generation=generation).update(
            status=SimulationStatus.FAILED,
            error=_("The estimate could not be computed. Try again; if it fails again, tell us."),
        )
        simulation.refresh_from_db()
        return simulation
    OfferSimulation.objects.filter(pk=simulation_id, generation=generation).update(
        status=SimulationStatus.DONE,
        result=result,
        orders_seen=result["orders_evaluated"],
        computed_at=timezone.now(),
        error="",
    )
    simulation.refresh_from_db()
    return simulation


def simulation_now(
    *, promotion: Promotion, months: int, measure: Measure | None = None
) -> OfferSimulation:
    """Compute and store the estimate in this request (the API's explicit recompute)."""
    with transaction.atomic():
        simulation, _created = OfferSimulation.objects.get_or_create(
            promotion=promotion, defaults={"business_id": promotion.business_id}
        )
        OfferSimulation.objects.filter(pk=simulation.pk).update(
            generation=F("generation") + 1, months=months, requested_at=timezone.now()
        )
        simulation.refresh_from_db()
    done = simulation_run(
        simulation_id=simulation.pk, generation=simulation.generation, measure=measure
    )
    assert done is not None
    return done
