"""Benefits: what a promotion gives, as small strategy classes registered by ``type``.

Each `Benefit` reads its params once (`parse`, raising `RuleError`; `validate` is the same
without the result) and then, per evaluation, `apply(basket, parsed)` returns the effects it
would have on the `Basket` (the cart as it stands: what is left to pay of each line after the
promotions before it), or a `Failure` when it cannot apply. Benefits never mutate the basket;
the engine clamps, caps, allocates and commits their effects.

``phase`` says when a benefit runs: ``DISCOUNT`` benefits take money off the price in priority
order; ``REWARD`` benefits (points, cashback) run after every discount is settled, on the net
amounts. The base earn rule (``points_per_amount``) is ``exempt``: it is the program's rule, not
an offer, so stacking (non-stackable promotions, exclusive groups) never blocks it.

Params per type (``?`` optional; ``*_bp`` are basis points, 1500 = 15%; money in minor units;
``skus?``/``categories?`` restrict to the lines whose sku or category is listed, none: all):

=======================  ===================================================================
percent_off_order        ``{percent_bp}``
amount_off_order         ``{amount_minor}``
percent_off_items        ``{percent_bp, skus?, categories?}``
amount_off_items         ``{amount_minor, skus?, categories?}`` (per unit)
volume_discount          ``{min_quantity, skus?, categories?, percent_bp | unit_price_minor}``
bundle                   ``{sets: [{skus, quantity?, price_minor? | percent_bp?}], price_minor?
                         | percent_bp?}`` (a set's own price wins over the promotion's)
free_item                ``{sku, quantity?, value_minor?}``
gift                     ``{description, sku?, quantity?, partner_pool_id?}``
message                  ``{template}``
next_order_coupon        ``{percent_bp | amount_minor, valid_days, min_subtotal_minor?}``
tier_discount            ``{tiers: {tier: percent_bp}}``
referral_reward          ``{steps: [[referrals, percent_bp], ...]}`` (referrals increasing)
points_per_amount        ``{points, per_amount_minor, rounding?="down", skus?, categories?}``
points_multiplier        ``{multiplier_bp, skus?, categories?}`` (20000 = x2; > 10000)
bonus_points             ``{points}``
cashback_percent         ``{percent_bp, rounding?="half_even"}``
=======================  ===================================================================

Failure codes of benefits: ``no_matching_items {skus, categories}``, ``min_quantity_not_met
{missing, required}``, ``bundle_incomplete {missing_skus}``, ``tier_required {tiers}``,
``customer_required``, ``no_referral_reward {referrals_converted}``.

Bundles: every unit of a sku is worth its share of what is left of its line; a set instance
takes the most valuable units of each of its skus, and saves ``value - price_minor`` (never
below zero) or ``percent_bp`` of its value. The engine chooses how many times to use each set:
when there are few possibilities (at most `BUNDLE_EXHAUSTIVE_LIMIT` combinations of counts) it
tries them all and keeps the one that saves the customer most (ties: the first in enumeration
order); beyond that it is greedy, taking the instance that saves most next (ties: lower set
index) until no instance saves anything.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import product
from typing import Any, ClassVar, Generic, TypeVar

from wateja.core.money import ROUNDING_MODES, allocate, div_round, percent_of
from wateja.core.rules.conditions import (
    Facts,
    Failure,
    Params,
    RuleError,
    Trigger,
    as_int,
    as_list,
)
from wateja.core.rules.model import (
    Cart,
    Context,
    CustomerFacts,
    Effect,
    EffectKind,
)

__all__ = [
    "BENEFITS",
    "BUNDLE_EXHAUSTIVE_LIMIT",
    "Basket",
    "Benefit",
    "Phase",
    "PointsBook",
    "Scope",
]

# enum members as module constants: a class attribute lookup less in the hot paths
_LINE_DISCOUNT = EffectKind.LINE_DISCOUNT
_ORDER_DISCOUNT = EffectKind.ORDER_DISCOUNT
_FREE_ITEM = EffectKind.FREE_ITEM
_GIFT = EffectKind.GIFT
_MESSAGE = EffectKind.MESSAGE
_ISSUE_COUPON = EffectKind.ISSUE_COUPON
_POINTS = EffectKind.POINTS
_POINTS_MULTIPLIER = EffectKind.POINTS_MULTIPLIER
_CASHBACK = EffectKind.CASHBACK

BUNDLE_EXHAUSTIVE_LIMIT = 512
BUNDLE_MAX_UNITS = 2000  # units of one sku a bundle looks at (the most valuable ones)
MAX_PERCENT_BP = 10_000
NO_MULTIPLIER_BP = 10_000


class Phase(StrEnum):
    DISCOUNT = "discount"  # takes money off the price, in priority order, on what is left
    REWARD = "reward"  # points and cashback on the net amounts, after every discount


class Basket:
    """The cart as it stands: what is left to pay of each line and of the whole order.

    Order discounts are not spread over the lines one at a time: since the last line discount
    they add up in ``pending``, and `remaining` spreads their sum in one go (`money.allocate`
    in proportion to what was left of each line, remainders to the largest lines). So a run of
    order discounts costs one split, and the split depends only on the discounts committed,
    never on who looked at the lines in between.
    """

    __slots__ = ("_base", "_view", "_view_pending", "facts", "pending", "remaining_total")

    def __init__(self, facts: Facts, remaining: list[int], remaining_total: int) -> None:
        self.facts = facts
        self._base = remaining  # the lines after the last line discount
        self._view: list[int] | None = None  # _base less `pending`, spread
        self._view_pending = 0
        self.remaining_total = remaining_total
        self.pending = 0  # order discounts taken off remaining_total, not yet off the lines

    @classmethod
    def start(cls, facts: Facts) -> Basket:
        remaining = list(facts.line_totals)
        total = sum(remaining) if facts.cart.lines else max(0, facts.subtotal)
        return cls(facts, remaining, total)

    @property
    def remaining(self) -> list[int]:
        """What is left to pay of each line (read only)."""
        if not self.pending:
            return self._base
        if self._view is None or self._view_pending != self.pending:
            shares = allocate(self.pending, self._base)
            self._view = list(map(operator.sub, self._base, shares))  # same length
            self._view_pending = self.pending
        return self._view

    def take(self, per_line: Mapping[int, int] | None, order_amount: int) -> None:
        """Take ``per_line`` (line index: amount) off the lines and ``order_amount`` off the
        order (spread over the lines when next read)."""
        if per_line:
            remaining = list(self.remaining)
            for i, amount in per_line.items():
                remaining[i] -= amount
                self.remaining_total -= amount
            self._base = remaining
            self._view = None
            self.pending = 0
        if order_amount:
            self.remaining_total -= order_amount
            if self._base:
                self.pending += order_amount

    @property
    def cart(self) -> Cart:
        return self.facts.cart

    @property
    def customer(self) -> CustomerFacts | None:
        return self.facts.customer

    @property
    def context(self) -> Context:
        return self.facts.context


@dataclass(frozen=True, slots=True)
class Scope:
    """Which lines a benefit looks at: those whose sku or category is listed; none: all."""

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()

    @classmethod
    def read(cls, p: Params) -> Scope:
        return cls(p.texts("skus"), p.texts("categories"))

    @property
    def everything(self) -> bool:
        return not self.skus and not self.categories

    def lines(self, facts: Facts) -> Sequence[int]:
        """Indexes of the cart lines in scope, ascending (cached for the evaluation)."""
        key = id(self)
        found: Sequence[int] | None = facts.memo.get(key)
        if found is not None:
            return found
        if self.everything:
            found = range(len(facts.skus))
        else:
            matched: list[list[int]] = []  # the line lists of the keys in the cart
            by_sku, by_category = facts.line_index()
            for keys, index in ((self.skus, by_sku), (self.categories, by_category)):
                if not keys:
                    continue
                if len(keys) <= len(index):
                    for k in keys:
                        got = index.get(k)
                        if got:
                            matched.append(got)
                else:
                    for k, lines in index.items():
                        if k in keys:
                            matched.append(lines)
            if len(matched) == 1:
                found = list(matched[0])  # one key: its lines, already ascending and distinct
            else:
                found = sorted({i for lines in matched for i in lines})
        facts.memo[key] = found
        return found

    @property
    def trigger(self) -> Trigger | None:
        return None if self.everything else Trigger(self.skus, self.categories)

    def no_match(self) -> Failure:
        return Failure(
            "no_matching_items", {"skus": sorted(self.skus), "categories": sorted(self.categories)}
        )


P = TypeVar("P")


class Benefit(Generic[P]):
    """A benefit strategy: `parse` params once, `apply` them to a basket many times."""

    phase: ClassVar[Phase] = Phase.DISCOUNT
    exempt: ClassVar[bool] = False  # the base earn rule: never blocked by stacking
    multiplies: ClassVar[bool] = False  # a points multiplier, settled by a PointsBook

    def read(self, p: Params) -> P:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def parse(self, params: object, path: str = "params") -> P:
        reader = Params(params, path)
        parsed = self.read(reader)
        reader.done()
        return parsed

    def validate(self, params: object) -> None:
        """Raise `RuleError` if ``params`` are not valid for this benefit."""
        self.parse(params)

    def trigger(self, parsed: P) -> Trigger | None:
        """What the cart must contain for this benefit to give anything (None: no need)."""
        return None

    def apply(
        self, basket: Basket, parsed: P
    ) -> list[Effect] | Failure:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


def _percent(p: Params) -> int:
    return p.integer("percent_bp", minimum=1, maximum=MAX_PERCENT_BP)


def _rounding(p: Params, default: str) -> str:
    return p.choice("rounding", ROUNDING_MODES, default)


# --------------------------------------------------------------------------------------------
# Order discounts


class PercentOffOrder(Benefit[int]):
    def read(self, p: Params) -> int:
        return _percent(p)

    def apply(self, basket: Basket, parsed: int) -> list[Effect] | Failure:
        amount = percent_of(basket.remaining_total, parsed)
        return [Effect(_ORDER_DISCOUNT, amount_minor=amount, data={"percent_bp": parsed})]


class AmountOffOrder(Benefit[int]):
    def read(self, p: Params) -> int:
        return p.integer("amount_minor", minimum=1)

    def apply(self, basket: Basket, parsed: int) -> list[Effect] | Failure:
        return [Effect(_ORDER_DISCOUNT, amount_minor=min(parsed, basket.remaining_total))]


@dataclass(frozen=True, slots=True)
class _TierParams:
    tiers: Mapping[str, int]


class TierDiscount(Benefit[_TierParams]):
    """A percent of the order by the customer's tier (storage computes the tier from spend)."""

    def read(self, p: Params) -> _TierParams:
        return _TierParams(p.int_map("tiers", minimum=1, maximum=MAX_PERCENT_BP))

    def apply(self, basket: Basket, parsed: _TierParams) -> list[Effect] | Failure:
        customer = basket.customer
        percent = parsed.tiers.get(customer.tier) if customer is not None else None
        if customer is None or percent is None:
            return Failure("tier_required", {"tiers": sorted(parsed.tiers)})
        amount = percent_of(basket.remaining_total, percent)
        data = {"tier": customer.tier, "percent_bp": percent}
        return [Effect(_ORDER_DISCOUNT, amount_minor=amount, data=data)]


@dataclass(frozen=True, slots=True)
class _ReferralParams:
    steps: tuple[tuple[int, int], ...]  # (referrals converted at least, percent_bp), increasing


class ReferralReward(Benefit[_ReferralParams]):
    """The referrer's one-time percent off the order, growing with friends who ordered.

    Applies while ``referrals_converted > referral_rewards_used``; the effect's data carries
    ``referrals_converted`` so the storage layer can record the reward as used up to there.
    """

    def read(self, p: Params) -> _ReferralParams:
        raw = p.get("steps")
        path = p.at("steps")
        if raw is None:
            raise RuleError(path, "required")
        items = as_list(raw, path)
        if not items:
            raise RuleError(path, "empty")
        steps: list[tuple[int, int]] = []
        for i, item in enumerate(items):
            pair = as_list(item, f"{path}[{i}]")
            if len(pair) != 2:
                raise RuleError(f"{path}[{i}]", "out_of_range", minimum=2, maximum=2)
            count = as_int(pair[0], f"{path}[{i}][0]", 1)
            percent = as_int(pair[1], f"{path}[{i}][1]", 1, MAX_PERCENT_BP)
            if steps and count <= steps[-1][0]:
                raise RuleError(f"{path}[{i}][0]", "not_increasing")
            steps.append((count, percent))
        return _ReferralParams(tuple(steps))

    def apply(self, basket: Basket, parsed: _ReferralParams) -> list[Effect] | Failure:
        customer = basket.customer
        if customer is None:
            return Failure("customer_required")
        converted = customer.referrals_converted
        percent = 0
        for count, step_percent in parsed.steps:
            if converted >= count:
                percent = step_percent
        if converted <= customer.referral_rewards_used or percent == 0:
            return Failure("no_referral_reward", {"referrals_converted": converted})
        amount = percent_of(basket.remaining_total, percent)
        data = {"percent_bp": percent, "referrals_converted": converted}
        return [Effect(_ORDER_DISCOUNT, amount_minor=amount, data=data)]


# --------------------------------------------------------------------------------------------
# Line discounts


@dataclass(frozen=True, slots=True)
class _ItemsParams:
    scope: Scope
    percent_bp: int | None = None
    amount_minor: int | None = None


def _line_discount(basket: Basket, index: int, amount: int, **data: Any) -> Effect:
    line = basket.facts.cart.lines[index]
    return Effect(_LINE_DISCOUNT, amount, index, line.sku, line.quantity, 0, data)


class PercentOffItems(Benefit[_ItemsParams]):
    def read(self, p: Params) -> _ItemsParams:
        return _ItemsParams(Scope.read(p), percent_bp=_percent(p))

    def trigger(self, parsed: _ItemsParams) -> Trigger | None:
        return parsed.scope.trigger

    def apply(self, basket: Basket, parsed: _ItemsParams) -> list[Effect] | Failure:
        lines = parsed.scope.lines(basket.facts)
        if not lines:
            return parsed.scope.no_match()
        percent = parsed.percent_bp or 0
        remaining = basket.remaining
        effects = []
        for i in lines:
            amount = percent_of(remaining[i], percent)
            if amount > 0:
                effects.append(_line_discount(basket, i, amount, percent_bp=percent))
        return effects


class AmountOffItems(Benefit[_ItemsParams]):
    def read(self, p: Params) -> _ItemsParams:
        return _ItemsParams(Scope.read(p), amount_minor=p.integer("amount_minor", minimum=1))

    def trigger(self, parsed: _ItemsParams) -> Trigger | None:
        return parsed.scope.trigger

    def apply(self, basket: Basket, parsed: _ItemsParams) -> list[Effect] | Failure:
        lines = parsed.scope.lines(basket.facts)
        if not lines:
            return parsed.scope.no_match()
        per_unit = parsed.amount_minor or 0
        cart_lines = basket.cart.lines
        remaining = basket.remaining
        effects = []
        for i in lines:
            amount = min(remaining[i], per_unit * max(0, cart_lines[i].quantity))
            if amount > 0:
                effects.append(_line_discount(basket, i, amount))
        return effects


@dataclass(frozen=True, slots=True)
class _VolumeParams:
    scope: Scope
    min_quantity: int
    percent_bp: int | None
    unit_price_minor: int | None


class VolumeDiscount(Benefit[_VolumeParams]):
    """``min_quantity`` or more units of the scope: a percent off those lines, or each unit at
    ``unit_price_minor`` (never raising a price)."""

    def read(self, p: Params) -> _VolumeParams:
        scope = Scope.read(p)
        minimum = p.integer("min_quantity", minimum=1)
        which = p.one_of("percent_bp", "unit_price_minor")
        if which == "percent_bp":
            return _VolumeParams(scope, minimum, _percent(p), None)
        return _VolumeParams(scope, minimum, None, p.integer("unit_price_minor", minimum=0))

    def trigger(self, parsed: _VolumeParams) -> Trigger | None:
        return parsed.scope.trigger

    def apply(self, basket: Basket, parsed: _VolumeParams) -> list[Effect] | Failure:
        scope, facts = parsed.scope, basket.facts
        have = -1
        if scope.skus and not scope.categories:  # quick count, no line is counted twice
            have, sku_qty = 0, facts.sku_qty
            for sku in scope.skus:
                have += sku_qty.get(sku, 0)
        elif scope.categories and not scope.skus:
            have, category_qty = 0, facts.category_qty
            for category in scope.categories:
                have += category_qty.get(category, 0)
        if 0 < have < parsed.min_quantity:
            return Failure(
                "min_quantity_not_met",
                {"missing": parsed.min_quantity - have, "required": parsed.min_quantity},
            )
        lines = scope.lines(facts)
        if not lines:
            return scope.no_match()
        cart_lines = basket.cart.lines
        have = sum(max(0, cart_lines[i].quantity) for i in lines)
        if have < parsed.min_quantity:
            return Failure(
                "min_quantity_not_met",
                {"missing": parsed.min_quantity - have, "required": parsed.min_quantity},
            )
        effects = []
        remaining = basket.remaining
        for i in lines:
            left = remaining[i]
            if parsed.percent_bp is not None:
                amount = percent_of(left, parsed.percent_bp)
            else:
                amount = max(0, left - (parsed.unit_price_minor or 0) * cart_lines[i].quantity)
            effects.append(_line_discount(basket, i, amount))
        return effects


@dataclass(frozen=True, slots=True)
class _FreeItemParams:
    sku: str
    quantity: int
    value_minor: int | None


class FreeItem(Benefit[_FreeItemParams]):
    """``quantity`` units of ``sku`` free: taken off the price of those units when they are in
    the cart (at most ``value_minor`` a unit), handed over by the cashier (FREE_ITEM) when not."""

    def read(self, p: Params) -> _FreeItemParams:
        return _FreeItemParams(
            p.text("sku"),
            p.integer("quantity", minimum=1, maximum=1000, default=1),
            p.optional_integer("value_minor", minimum=0),
        )

    def apply(self, basket: Basket, parsed: _FreeItemParams) -> list[Effect] | Failure:
        effects: list[Effect] = []
        left = parsed.quantity
        lines_left = basket.remaining
        for i, line in enumerate(basket.cart.lines):
            if left == 0:
                break
            if line.sku != parsed.sku or line.quantity <= 0:
                continue
            units = min(left, line.quantity)
            left -= units
            remaining = lines_left[i]
            amount = remaining if units == line.quantity else remaining * units // line.quantity
            if parsed.value_minor is not None:
                amount = min(amount, parsed.value_minor * units)
            effects.append(
                Effect(
                    _LINE_DISCOUNT,
                    amount_minor=amount,
                    line_index=i,
                    sku=line.sku,
                    quantity=units,
                    data={"free_units": units},
                )
            )
        if left:
            effects.append(
                Effect(
                    _FREE_ITEM,
                    amount_minor=(parsed.value_minor or 0) * left,
                    sku=parsed.sku,
                    quantity=left,
                )
            )
        return effects


# --------------------------------------------------------------------------------------------
# Bundles


@dataclass(frozen=True, slots=True)
class _BundleSet:
    needs: tuple[tuple[str, int], ...]  # (sku, units) sorted by sku
    price_minor: int | None
    percent_bp: int | None

    def saving(self, value: int) -> int:
        if self.percent_bp is not None:
            return percent_of(value, self.percent_bp)
        return max(0, value - (self.price_minor or 0))


@dataclass(frozen=True, slots=True)
class _BundleParams:
    sets: tuple[_BundleSet, ...]


def _price(p: Params, required: bool) -> tuple[int | None, int | None]:
    given = [key for key in ("price_minor", "percent_bp") if p.has(key)]
    p.get("price_minor")
    p.get("percent_bp")
    if len(given) > 1 or (required and not given):
        raise RuleError(p.path, "one_of", keys=["price_minor", "percent_bp"])
    if not given:
        return None, None
    if given[0] == "price_minor":
        return p.integer("price_minor", minimum=0), None
    return None, _percent(p)


class _Pools:
    """For each sku of the bundle, its units' values (most valuable first) and lines."""

    def __init__(self, basket: Basket, skus: set[str]) -> None:
        units: dict[str, list[tuple[int, int]]] = {sku: [] for sku in skus}
        remaining = basket.remaining
        for i, line in enumerate(basket.cart.lines):
            pool = units.get(line.sku)
            if pool is None or line.quantity <= 0:
                continue
            base, extra = divmod(remaining[i], line.quantity)
            pool.extend([(base + 1, i)] * min(extra, BUNDLE_MAX_UNITS))
            pool.extend([(base, i)] * min(line.quantity - extra, BUNDLE_MAX_UNITS))
        for pool in units.values():
            pool.sort(key=lambda unit: (-unit[0], unit[1]))
            del pool[BUNDLE_MAX_UNITS:]
        self.units = units

    def available(self, sku: str) -> int:
        return len(self.units[sku])


class Bundle(Benefit[_BundleParams]):
    def read(self, p: Params) -> _BundleParams:
        default_price, default_percent = _price(p, required=False)
        raw = p.get("sets")
        path = p.at("sets")
        if raw is None:
            raise RuleError(path, "required")
        items = as_list(raw, path)
        if not items:
            raise RuleError(path, "empty")
        if len(items) > 20:
            raise RuleError(path, "too_large", maximum=20)
        sets = []
        for i, item in enumerate(items):
            sp = Params(item, f"{path}[{i}]")
            skus = sp.text_list("skus")
            quantity = sp.integer("quantity", minimum=1, maximum=100, default=1)
            price, percent = _price(sp, required=False)
            if price is None and percent is None:
                price, percent = default_price, default_percent
            if price is None and percent is None:
                raise RuleError(sp.path, "one_of", keys=["price_minor", "percent_bp"])
            sp.done()
            counts: dict[str, int] = {}
            for sku in skus:
                counts[sku] = counts.get(sku, 0) + quantity
            sets.append(_BundleSet(tuple(sorted(counts.items())), price, percent))
        return _BundleParams(tuple(sets))

    def trigger(self, parsed: _BundleParams) -> Trigger | None:
        # every set needs all of its skus, so the cart must hold the first sku of some set
        return Trigger(skus=frozenset(s.needs[0][0] for s in parsed.sets))

    def apply(self, basket: Basket, parsed: _BundleParams) -> list[Effect] | Failure:
        sets = parsed.sets
        pools = _Pools(basket, {sku for s in sets for sku, _ in s.needs})
        limits = [min(pools.available(sku) // units for sku, units in s.needs) for s in sets]
        if not any(limits):
            return self._incomplete(sets, pools)
        combinations = math.prod(limit + 1 for limit in limits)
        if combinations <= BUNDLE_EXHAUSTIVE_LIMIT:
            best_counts: tuple[int, ...] = ()
            best_saving = -1
            for counts in product(*(range(limit + 1) for limit in limits)):
                saving = self._assign(sets, counts, pools, None)
                if saving > best_saving:
                    best_counts, best_saving = counts, saving
            counts_used = list(best_counts)
        else:
            counts_used = self._greedy(sets, pools)
        per_line: dict[int, int] = {}
        self._assign(sets, tuple(counts_used), pools, per_line)
        used = tuple(counts_used)
        return [
            _line_discount(basket, i, amount, sets_used=used)
            for i, amount in sorted(per_line.items())
            if amount > 0
        ]

    @staticmethod
    def _incomplete(sets: Sequence[_BundleSet], pools: _Pools) -> Failure:
        best: list[str] = []
        best_missing = -1
        for s in sets:
            missing_units = sum(max(0, units - pools.available(sku)) for sku, units in s.needs)
            if best_missing < 0 or missing_units < best_missing:
                best_missing = missing_units
                best = [sku for sku, units in s.needs if pools.available(sku) < units]
        return Failure("bundle_incomplete", {"missing_skus": best})

    @staticmethod
    def _assign(
        sets: Sequence[_BundleSet],
        counts: Sequence[int],
        pools: _Pools,
        per_line: dict[int, int] | None,
    ) -> int:
        """Use set ``k`` ``counts[k]`` times, units most valuable first, sets in order; return
        the saving (-1 if there are not enough units) and, given ``per_line``, spread each
        instance's saving over its lines in proportion to the units' values."""
        taken = dict.fromkeys(pools.units, 0)
        for s, count in zip(sets, counts, strict=True):
            for sku, need in s.needs:
                taken[sku] += need * count
        if any(taken[sku] > pools.available(sku) for sku in taken):
            return -1  # not enough units for these counts
        taken = dict.fromkeys(pools.units, 0)
        total = 0
        for s, count in zip(sets, counts, strict=True):
            for _ in range(count):
                units: list[tuple[int, int]] = []
                for sku, need in s.needs:
                    start = taken[sku]
                    units.extend(pools.units[sku][start : start + need])
                    taken[sku] = start + need
                saving = s.saving(sum(value for value, _ in units))
                total += saving
                if per_line is not None and saving:
                    shares = allocate(saving, [value for value, _ in units])
                    for share, (_, line) in zip(shares, units, strict=True):
                        per_line[line] = per_line.get(line, 0) + share
        return total

    @staticmethod
    def _greedy(sets: Sequence[_BundleSet], pools: _Pools) -> list[int]:
        counts = [0] * len(sets)
        taken = dict.fromkeys(pools.units, 0)
        while True:
            best, best_saving = -1, 0
            for k, s in enumerate(sets):
                value = 0
                for sku, need in s.needs:
                    start = taken[sku]
                    if start + need > pools.available(sku):
                        break
                    value += sum(v for v, _ in pools.units[sku][start : start + need])
                else:
                    saving = s.saving(value)
                    if saving > best_saving:
                        best, best_saving = k, saving
            if best < 0:
                return counts
            counts[best] += 1
            for sku, need in sets[best].needs:
                taken[sku] += need


# --------------------------------------------------------------------------------------------
# Gifts, messages, coupons


@dataclass(frozen=True, slots=True)
class _GiftParams:
    description: str
    sku: str
    quantity: int
    partner_pool_id: int | None


class Gift(Benefit[_GiftParams]):
    """Something handed over with the order (no discount): a pack of coffee, a partner's
    coupon from a pool (``partner_pool_id``, drawn by the storage layer on commit)."""

    def read(self, p: Params) -> _GiftParams:
        return _GiftParams(
            p.text("description", max_length=500),
            p.text("sku", default=""),
            p.integer("quantity", minimum=1, maximum=1000, default=1),
            p.optional_integer("partner_pool_id", minimum=1),
        )

    def apply(self, basket: Basket, parsed: _GiftParams) -> list[Effect] | Failure:
        data: dict[str, Any] = {"description": parsed.description}
        if parsed.partner_pool_id is not None:
            data["partner_pool_id"] = parsed.partner_pool_id
        return [Effect(_GIFT, sku=parsed.sku, quantity=parsed.quantity, data=data)]


class Message(Benefit[str]):
    def read(self, p: Params) -> str:
        return p.text("template", max_length=100)

    def apply(self, basket: Basket, parsed: str) -> list[Effect] | Failure:
        return [Effect(_MESSAGE, data={"template": parsed})]


@dataclass(frozen=True, slots=True)
class _CouponParams:
    percent_bp: int | None
    amount_minor: int | None
    valid_days: int
    min_subtotal_minor: int | None
    coupon_promotion_id: int | None = None  # the code promotion the issued codes belong to


class NextOrderCoupon(Benefit[_CouponParams]):
    """A coupon for the next order; the storage layer creates its code on commit. Data:
    ``percent_bp`` or ``amount_minor``, ``valid_days``, ``valid_until`` (local date, ISO),
    ``min_subtotal_minor`` when set."""

    def read(self, p: Params) -> _CouponParams:
        which = p.one_of("percent_bp", "amount_minor")
        percent = _percent(p) if which == "percent_bp" else None
        amount = p.integer("amount_minor", minimum=1) if which == "amount_minor" else None
        p.get("percent_bp")
        p.get("amount_minor")
        return _CouponParams(
            percent,
            amount,
            p.integer("valid_days", minimum=1, maximum=3660),
            p.optional_integer("min_subtotal_minor", minimum=0),
            p.optional_integer("coupon_promotion_id", minimum=1),
        )

    def apply(self, basket: Basket, parsed: _CouponParams) -> list[Effect] | Failure:
        until = basket.facts.today + dt.timedelta(days=parsed.valid_days)
        data: dict[str, Any] = {"valid_days": parsed.valid_days, "valid_until": until.isoformat()}
        if parsed.percent_bp is not None:
            data["percent_bp"] = parsed.percent_bp
        if parsed.amount_minor is not None:
            data["amount_minor"] = parsed.amount_minor
        if parsed.min_subtotal_minor is not None:
            data["min_subtotal_minor"] = parsed.min_subtotal_minor
        if parsed.coupon_promotion_id is not None:
            data["coupon_promotion_id"] = parsed.coupon_promotion_id
        return [Effect(_ISSUE_COUPON, amount_minor=parsed.amount_minor or 0, data=data)]


# --------------------------------------------------------------------------------------------
# Rewards: points and cashback on the net amounts


@dataclass(frozen=True, slots=True)
class _EarnParams:
    points: int
    per_amount_minor: int
    rounding: str
    scope: Scope


def _reward_lines(scope: Scope, basket: Basket) -> Sequence[int]:
    """The indexes into `PointsBook.net`: cart lines, or the one total of a total-only cart."""
    if basket.cart.lines:
        return scope.lines(basket.facts)
    return (0,) if scope.everything else ()


class PointsPerAmount(Benefit[_EarnParams]):
    """The program's base earn rule: ``points`` per ``per_amount_minor`` of net paid (after all
    discounts), rounded once over the whole matching amount."""

    phase = Phase.REWARD
    exempt = True

    def read(self, p: Params) -> _EarnParams:
        return _EarnParams(
            p.integer("points", minimum=1, maximum=1_000_000),
            p.integer("per_amount_minor", minimum=1),
            _rounding(p, "down"),
            Scope.read(p),
        )

    def trigger(self, parsed: _EarnParams) -> Trigger | None:
        return parsed.scope.trigger

    def apply(self, basket: Basket, parsed: _EarnParams) -> list[Effect] | Failure:
        lines = _reward_lines(parsed.scope, basket)
        if not lines:
            return parsed.scope.no_match()
        if basket.facts.cart.lines:
            remaining = basket.remaining
            # lines are distinct indexes: as many as the cart's lines means every line
            net = (
                sum(remaining) if len(lines) == len(remaining) else sum(remaining[i] for i in lines)
            )
        else:
            net = basket.remaining_total
        points = div_round(net * parsed.points, parsed.per_amount_minor, parsed.rounding)
        return [Effect(_POINTS, amount_minor=points, data={"net_minor": net})]


@dataclass(frozen=True, slots=True)
class _MultiplierParams:
    multiplier_bp: int
    scope: Scope


class PointsMultiplier(Benefit[_MultiplierParams]):
    """Multiplies the base earn of its lines (double points days, category multipliers). On a
    line several multipliers do not multiply together: the highest wins (ties: the promotion
    first in priority order). The effect's ``amount_minor`` is the extra points it adds."""

    phase = Phase.REWARD
    multiplies = True

    def read(self, p: Params) -> _MultiplierParams:
        return _MultiplierParams(
            p.integer("multiplier_bp", minimum=NO_MULTIPLIER_BP + 1, maximum=1_000_000),
            Scope.read(p),
        )

    def trigger(self, parsed: _MultiplierParams) -> Trigger | None:
        return parsed.scope.trigger

    def apply(self, basket: Basket, parsed: _MultiplierParams) -> list[Effect] | Failure:
        # The engine settles multipliers with a PointsBook; alone, it only names itself.
        if not _reward_lines(parsed.scope, basket):
            return parsed.scope.no_match()
        return [Effect(_POINTS_MULTIPLIER, multiplier_bp=parsed.multiplier_bp)]


class BonusPoints(Benefit[int]):
    """A fixed number of points (milestones, birthdays); never multiplied."""

    phase = Phase.REWARD

    def read(self, p: Params) -> int:
        return p.integer("points", minimum=1, maximum=1_000_000_000)

    def apply(self, basket: Basket, parsed: int) -> list[Effect] | Failure:
        return [Effect(_POINTS, amount_minor=parsed)]


@dataclass(frozen=True, slots=True)
class _CashbackParams:
    percent_bp: int
    rounding: str


class CashbackPercent(Benefit[_CashbackParams]):
    """Money back to the customer's cashback balance: a percent of the net paid."""

    phase = Phase.REWARD

    def read(self, p: Params) -> _CashbackParams:
        return _CashbackParams(_percent(p), _rounding(p, "half_even"))

    def apply(self, basket: Basket, parsed: _CashbackParams) -> list[Effect] | Failure:
        net = basket.remaining_total
        amount = percent_of(net, parsed.percent_bp, parsed.rounding)
        data = {"percent_bp": parsed.percent_bp, "net_minor": net}
        return [Effect(_CASHBACK, amount_minor=amount, data=data)]


class PointsBook:
    """Points of one basket: the base earn rules over the net amounts, and the multiplier each
    line carries (the highest one wins on a line; 10000 = none).

    Points of a rule are ``round(sum(net * multiplier) * points / (per_amount * 10000))`` over
    its lines, rounded once with the rule's rounding, so small lines add up before rounding.
    """

    def __init__(self, basket: Basket, rules: Sequence[_EarnParams]) -> None:
        self.net: list[int] = (
            list(basket.remaining) if basket.cart.lines else [basket.remaining_total]
        )
        self._basket = basket
        self.rules = [
            (_reward_lines(rule.scope, basket), rule.points, rule.per_amount_minor, rule.rounding)
            for rule in rules
        ]
        self.multiplier = [NO_MULTIPLIER_BP] * len(self.net)
        self.owner: list[int | None] = [None] * len(self.net)

    def lines(self, scope: Scope) -> Sequence[int]:
        return _reward_lines(scope, self._basket)

    def total(self, multiplier: Sequence[int] | None = None) -> int:
        mult = self.multiplier if multiplier is None else multiplier
        net = self.net
        points = 0
        every = len(net)
        for lines, rate, per, rounding in self.rules:
            if len(lines) == every:  # every line (lines are distinct indexes)
                weighted = sum(map(operator.mul, net, mult))
            else:
                weighted = sum(net[i] * mult[i] for i in lines)
            points += div_round(weighted * rate, per * NO_MULTIPLIER_BP, rounding)
        return points

    def base(self) -> int:
        """`total` with no multiplier on any line (sum(net * 10000) is 10000 * sum(net))."""
        net = self.net
        points = 0
        every = len(net)
        for lines, rate, per, rounding in self.rules:
            amount = sum(net) if len(lines) == every else sum([net[i] for i in lines])
            weighted = amount * NO_MULTIPLIER_BP
            points += div_round(weighted * rate, per * NO_MULTIPLIER_BP, rounding)
        return points

    def gain(self, lines: Sequence[int], multiplier_bp: int) -> int:
        """Extra points if ``multiplier_bp`` were put on ``lines`` now."""
        trial = list(self.multiplier)
        for i in lines:
            trial[i] = max(trial[i], multiplier_bp)
        return self.total(trial) - self.total()

    def put(self, lines: Sequence[int], multiplier_bp: int, owner: int) -> None:
        for i in lines:
            if multiplier_bp > self.multiplier[i]:
                self.multiplier[i] = multiplier_bp
                self.owner[i] = owner

    def extra_by_owner(self) -> dict[int, int]:
        """The extra points over the base, split exactly among the multipliers that won lines
        in proportion to what each added before rounding."""
        owners = sorted({o for o in self.owner if o is not None})
        if not owners:
            return {}
        extra = self.total() - self.base()
        if len(owners) == 1:
            return {owners[0]: max(0, extra)}
        scale = math.lcm(*(per for _, _, per, _ in self.rules)) if self.rules else 1
        weights = dict.fromkeys(owners, 0)
        owner_of, multiplier, net = self.owner, self.multiplier, self.net
        every = len(net)
        for lines, rate, per, _ in self.rules:
            factor = rate * (scale // per)
            if len(lines) == every:  # every line, in order
                for owner, bp, amount in zip(owner_of, multiplier, net, strict=True):
                    if owner is not None:
                        weights[owner] += amount * (bp - NO_MULTIPLIER_BP) * factor
                continue
            for i in lines:
                owner = owner_of[i]
                if owner is not None:
                    weights[owner] += net[i] * (multiplier[i] - NO_MULTIPLIER_BP) * factor
        if extra <= 0 or not any(weights.values()):
            return dict.fromkeys(owners, 0)
        shares = allocate(extra, [weights[o] for o in owners])
        return dict(zip(owners, shares, strict=True))


# --------------------------------------------------------------------------------------------
# The registry

BENEFITS: dict[str, Benefit[Any]] = {
    "percent_off_order": PercentOffOrder(),
    "amount_off_order": AmountOffOrder(),
    "percent_off_items": PercentOffItems(),
    "amount_off_items": AmountOffItems(),
    "volume_discount": VolumeDiscount(),
    "bundle": Bundle(),
    "free_item": FreeItem(),
    "gift": Gift(),
    "message": Message(),
    "next_order_coupon": NextOrderCoupon(),
    "tier_discount": TierDiscount(),
    "referral_reward": ReferralReward(),
    "points_per_amount": PointsPerAmount(),
    "points_multiplier": PointsMultiplier(),
    "bonus_points": BonusPoints(),
    "cashback_percent": CashbackPercent(),
}
