"""Which promotions a cart can trigger, so 1,000 active promotions cost little more than 10.

`PromotionIndex(promotions)` validates and compiles every promotion once (the storage layer
caches the index per business and rebuilds it when a promotion changes) and files each under:

* its codes, when it has any: looked up only for the codes entered;
* else the skus / categories its benefit or conditions need (the fewest keys of the two: an
  item-scoped benefit needs a line in its scope; ``has_items``, ``bundle_present`` and a
  ``min_quantity`` of a sku or category need theirs): looked up for the cart's skus and
  categories;
* else "always".

`candidates(cart, context)` returns the promotions filed under what the cart holds, in the
engine's order (higher priority first, then lower id). Promotions that fail validation are
kept (the engine rejects them with ``invalid_promotion``) and listed in `invalid`. Budgets
change with every sale: `with_budgets({promotion_id: Budget})` gives a cheap view of the same
index with what is left of each budget now, to pass to `evaluate`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import operator
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from wateja.core.rules.benefits import BENEFITS, Benefit, Phase
from wateja.core.rules.conditions import (
    Condition,
    Facts,
    RuleError,
    Trigger,
    as_int,
    as_text,
    aware,
    compile_condition,
)
from wateja.core.rules.model import Budget, Cart, Context, Promotion, Schedule

__all__ = ["AUDIENCES", "RANK", "CompiledPromotion", "PromotionIndex", "compile_promotion"]

AUDIENCES = ("everyone", "members", "segment", "tier")
_NO_SCHEDULE = Schedule()
_NO_BUDGET = Budget()


class CompiledPromotion:
    """A promotion with its params parsed and conditions compiled (or the error found), and
    what the engine asks of it often kept as plain attributes."""

    __slots__ = (
        "benefit",
        "codes",
        "condition",
        "error",
        "exempt",
        "gated",
        "group",
        "id",
        "multiplier",
        "params",
        "phase",
        "promotion",
        "rank",
        "stackable",
        "trigger",
        "uncapped",
    )

    def __init__(
        self,
        promotion: Promotion,
        benefit: Benefit[Any] | None,
        params: Any,
        condition: Condition | None,
        codes: frozenset[str],
        trigger: Trigger | None,
        error: RuleError | None,
    ) -> None:
        self.promotion = promotion
        self.id: int = promotion.id
        self.rank: tuple[int, int] = (-promotion.priority, promotion.id)  # the engine's order
        self.benefit = benefit
        self.params = params
        self.condition = condition
        self.codes = codes  # upper-case
        self.trigger = trigger
        self.error = error
        self.exempt: bool = benefit is not None and benefit.exempt
        self.group: str = "" if self.exempt else promotion.exclusive_group
        self.stackable: bool = self.exempt or promotion.stackable
        self.phase: Phase = benefit.phase if benefit is not None else Phase.DISCOUNT
        self.multiplier: bool = benefit is not None and benefit.multiplies
        # neither a per-order cap nor a money budget limits its discount
        self.uncapped: bool = (
            promotion.max_discount_minor is None and promotion.budget.amount_left_minor is None
        )
        # anything to check besides the conditions: schedule, place, audience, budget
        self.gated: bool = (
            promotion.schedule != _NO_SCHEDULE
            or bool(promotion.channels)
            or bool(promotion.locations)
            or promotion.audience != "everyone"
            or promotion.budget != _NO_BUDGET
        )


RANK = operator.attrgetter("rank")  # sort key: the engine's order


def compile_promotion(promotion: Promotion) -> CompiledPromotion:
    """Parse and check ``promotion``; never raises (the error, if any, is kept)."""
    codes = frozenset(
        code.strip().upper()
        for code in (promotion.code, *promotion.codes)
        if isinstance(code, str) and code.strip()
    )
    benefit = BENEFITS.get(promotion.type)
    try:
        _check_fields(promotion)
        if benefit is None:
            raise RuleError("type", "unknown_type", allowed=sorted(BENEFITS))
        params = benefit.parse(promotion.params)
        condition = (
            compile_condition(promotion.conditions) if promotion.conditions is not None else None
        )
    except RuleError as error:
        return CompiledPromotion(promotion, None, None, None, codes, None, error)
    trigger = Trigger.tightest(
        benefit.trigger(params), condition.trigger if condition is not None else None
    )
    return CompiledPromotion(promotion, benefit, params, condition, codes, trigger, None)


def _check_fields(promotion: Promotion) -> None:
    as_int(promotion.priority, "priority", -1_000_000, 1_000_000)
    if promotion.max_discount_minor is not None:
        as_int(promotion.max_discount_minor, "max_discount_minor", 0)
    if promotion.audience not in AUDIENCES:
        raise RuleError("audience", "unknown_type", allowed=list(AUDIENCES))
    if promotion.audience in ("segment", "tier") and not promotion.audience_values:
        raise RuleError("audience_values", "empty")
    for value in promotion.audience_values:
        as_text(value, "audience_values")
    for code in (*promotion.codes, *([promotion.code] if promotion.code else [])):
        as_text(code, "codes", 64)
    schedule = promotion.schedule
    for name, moment in (("starts_at", schedule.starts_at), ("ends_at", schedule.ends_at)):
        if moment is not None and not isinstance(moment, dt.datetime):
            raise RuleError(f"schedule.{name}", "required")
    if (
        schedule.starts_at is not None
        and schedule.ends_at is not None
        and aware(schedule.ends_at) <= aware(schedule.starts_at)
    ):
        raise RuleError("schedule.ends_at", "out_of_range")
    for day in schedule.weekdays:
        as_int(day, "schedule.weekdays", 0, 6)
    if schedule.hours is not None:
        if len(schedule.hours) != 2:
            raise RuleError("schedule.hours", "out_of_range", minimum=2, maximum=2)
        start = as_int(schedule.hours[0], "schedule.hours[0]", 0, 23)
        end = as_int(schedule.hours[1], "schedule.hours[1]", 0, 24)
        if start == end % 24:
            raise RuleError("schedule.hours", "empty")


class PromotionIndex:
    """The promotions of one business, compiled once and filed by what can trigger them."""

    def __init__(self, promotions: Iterable[Promotion]) -> None:
        compiled = sorted((compile_promotion(p) for p in promotions), key=RANK)
        self._all = tuple(compiled)
        self._always: list[CompiledPromotion] = []
        self._by_code: dict[str, list[CompiledPromotion]] = {}
        self._by_sku: dict[str, list[CompiledPromotion]] = {}
        self._by_category: dict[str, list[CompiledPromotion]] = {}
        for c in compiled:
            if c.codes:
                for code in c.codes:
                    self._by_code.setdefault(code, []).append(c)
            elif c.trigger is not None:
                for sku in c.trigger.skus:
                    self._by_sku.setdefault(sku, []).append(c)
                for category in c.trigger.categories:
                    self._by_category.setdefault(category, []).append(c)
            else:
                self._always.append(c)
        self._overrides: dict[int, CompiledPromotion] = {}
        self._by_id: dict[int, CompiledPromotion] = {}
        for c in compiled:
            self._by_id.setdefault(c.id, c)

    def with_budgets(self, budgets: Mapping[int, Budget]) -> PromotionIndex:
        """This index with the budgets of some promotions (by id) replaced: what is left of
        them now, as the storage layer computes per request. Cheap: nothing is re-parsed and
        the index itself is shared; ids not in the index are ignored."""
        view = copy.copy(self)
        view._overrides = dict(self._overrides)
        for pid, budget in budgets.items():
            base = self._by_id.get(pid)
            if base is not None:
                promotion = dataclasses.replace(base.promotion, budget=budget)
                view._overrides[pid] = CompiledPromotion(
                    promotion,
                    base.benefit,
                    base.params,
                    base.condition,
                    base.codes,
                    base.trigger,
                    base.error,
                )
        return view

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[Promotion]:
        return (c.promotion for c in self._all)

    @property
    def invalid(self) -> tuple[tuple[Promotion, RuleError], ...]:
        return tuple((c.promotion, c.error) for c in self._all if c.error is not None)

    def candidates(self, cart: Cart, context: Context) -> list[Promotion]:
        """The promotions ``cart`` can trigger in ``context``, in the engine's order."""
        return [c.promotion for c in self.select(Facts.build(cart, None, context))]

    def select(self, facts: Facts) -> list[CompiledPromotion]:
        """Compiled candidates for the facts of one evaluation, in the engine's order."""
        hits: dict[int, CompiledPromotion] = {}
        for code in facts.codes:
            for c in self._by_code.get(code, ()):
                hits[id(c)] = c
        if self._by_sku:
            for sku in facts.sku_qty:
                for c in self._by_sku.get(sku, ()):
                    hits[id(c)] = c
        if self._by_category:
            for category in facts.category_qty:
                for c in self._by_category.get(category, ()):
                    hits[id(c)] = c
        found = sorted([*self._always, *hits.values()], key=RANK) if hits else list(self._always)
        if self._overrides:
            overrides = self._overrides
            found = [overrides.get(c.id, c) for c in found]
        return found
