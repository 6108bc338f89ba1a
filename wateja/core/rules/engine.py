"""`evaluate`: which promotions apply to a cart, what each gives, and why the others do not.

The steps, for a cart, a customer (None: anonymous), promotions and a context:

1. **Candidates.** A `PromotionIndex` gives only the promotions the cart can trigger; a plain
   sequence is compiled on the spot. They are taken in the order (-priority, id).
2. **Gates**, in this order, each with its rejection code: the code (a promotion with codes is
   considered only when one of them was entered; otherwise it is silently left out, so the
   rejections never reveal codes), validity (``invalid_promotion``), schedule (``not_started``,
   ``expired``, ``outside_schedule``), channel (``wrong_channel``), location
   (``wrong_location``), audience (``not_a_member``, ``tier_required``, ``not_in_segment``),
   budget (``usage_limit_reached``, ``customer_limit_reached``, ``budget_exhausted``), then the
   promotion's conditions (see conditions.py). Gates and conditions look at the cart as entered.
3. **Discounts**, in order, each on what is left of each line after the promotions before it
   (no line goes below zero). A promotion's discount is capped by ``max_discount_minor`` and by
   the budget's ``amount_left_minor`` (effects then carry ``capped: True`` and ``cap``:
   ``"max_discount"`` or ``"budget"``). Order discounts are spread over the lines in proportion
   to what is left of them (`money.allocate`: remainders to the largest lines), so the line
   discounts add up exactly to the discount; consecutive order discounts are spread together,
   when a line discount or the result next needs the lines (see `benefits.Basket`), so their
   per-line split is reported only in total (``line_discounts_minor``). A total-only cart has
   no line discounts.
4. **Rewards**, on the net amounts after every discount, less what the customer pays with
   rewards (``Cart.rewards_paid_minor``, spread over the lines in proportion, so what points
   or cashback pay for earns nothing): base points (``points_per_amount``),
   then bonus points, cashback and points multipliers in order. On a line the highest
   multiplier wins (multipliers never multiply each other; a tie goes to the one first in
   order) and multiplies the base points of that line; each multiplier's effect carries the
   extra points it adds.

Stacking:

* **Exclusive groups.** When the first member of a group that the cart can trigger is reached
  (one whose items, if it needs any, are in the cart: a member that cannot give anything does
  not move the moment, so the index's candidates decide exactly as the whole list), every
  eligible member is valued on the cart as it stands; the best for the customer applies there
  and the others are rejected ``lower_value_in_group {winner_id}``. Value is (money: discount
  + cashback + value of free items, then points); a tie goes to the member first in order.
* **Non-stackable promotions** (``stackable=False``) apply alone. The engine runs the
  combination of all stackable ones, and each non-stackable one alone; the best non-stackable
  one wins if it is worth strictly more to the customer than the combination (or the same while
  the combination gives nothing), and then everything else is rejected ``not_stackable
  {winner_ids}``; otherwise the non-stackable ones are rejected ``not_stackable {winner_ids}``
  naming the promotions of the combination.
* The base earn rule (``points_per_amount``) is the program's, not an offer: groups and
  non-stackable promotions never block it.

A promotion that passes its gates but gives nothing is rejected: ``nothing_to_discount`` (no
money left to take off), ``nothing_to_earn`` (no points or cashback), or its benefit's own code
(see benefits.py), or ``better_multiplier_applied {winner_ids}``. A promotion reached by a code
carries ``code`` in its rejection params. Every applied promotion's effects and every rejection
are in (-priority, id) order; the result depends only on the inputs (not on their order).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wateja.core.money import allocate
from wateja.core.rules.benefits import Basket, Phase, PointsBook
from wateja.core.rules.conditions import Facts, Failure, RuleError, aware, hour_in
from wateja.core.rules.index import RANK, CompiledPromotion, PromotionIndex, compile_promotion
from wateja.core.rules.model import (
    AppliedPromotion,
    Cart,
    Context,
    CustomerFacts,
    Effect,
    EffectKind,
    Evaluation,
    Promotion,
    Rejection,
)

__all__ = ["PromotionIndex", "RuleError", "evaluate", "validate_promotion"]

_DISCOUNT_KINDS = frozenset({EffectKind.LINE_DISCOUNT, EffectKind.ORDER_DISCOUNT})
_GIFT_KINDS = frozenset({EffectKind.GIFT, EffectKind.FREE_ITEM})


def validate_promotion(promotion: Promotion) -> None:
    """Raise `RuleError` (code ``invalid_promotion``, with ``path`` and ``reason``) if the
    promotion's type, params, conditions, schedule or audience are malformed."""
    compiled = compile_promotion(promotion)
    if compiled.error is not None:
        raise compiled.error


def evaluate(
    cart: Cart,
    customer: CustomerFacts | None,
    promotions: Sequence[Promotion] | PromotionIndex,
    context: Context,
) -> Evaluation:
    """Apply ``promotions`` to ``cart`` for ``customer`` in ``context`` (see the module doc)."""
    facts = Facts.build(cart, customer, context)
    if isinstance(promotions, PromotionIndex):
        ordered = promotions.select(facts)
    else:
        ordered = sorted((compile_promotion(p) for p in promotions), key=RANK)

    seen: set[int] = set()
    codes: dict[int, str] = {}  # the code that reached each code promotion
    failures: dict[int, Failure] = {}
    considered: list[CompiledPromotion] = []
    eligible: list[CompiledPromotion] = []
    for c in ordered:
        pid = c.id
        if pid in seen:
            continue  # a repeated id: the first in order counts
        seen.add(pid)
        if c.codes:
            entered = c.codes & facts.codes
            if not entered:
                continue  # never reveal a code promotion whose code was not entered
            codes[pid] = min(entered)
        considered.append(c)
        if c.gated or c.error is not None:
            failure = _gate(c, facts)
        else:  # only conditions to check (the usual case)
            condition = c.condition
            failure = condition.check(facts) if condition is not None else None
        if failure is None:
            eligible.append(c)
        else:
            failures[pid] = failure

    run, blocked = _settle(eligible, facts)
    failures.update(run.failures)
    failures.update(blocked)
    return _evaluation(facts, considered, codes, run, failures)


# --------------------------------------------------------------------------------------------
# Gates


def _gate(c: CompiledPromotion, facts: Facts) -> Failure | None:
    if c.error is not None:
        return Failure("invalid_promotion", {"path": c.error.path, "reason": c.error.reason})
    if not c.gated:
        return c.condition.check(facts) if c.condition is not None else None
    promotion = c.promotion
    return (
        _schedule_failure(promotion, facts)
        or _place_failure(promotion, facts)
        or _audience_failure(promotion, facts)
        or _budget_failure(promotion)
        or (c.condition.check(facts) if c.condition is not None else None)
    )


def _schedule_failure(promotion: Promotion, facts: Facts) -> Failure | None:
    schedule = promotion.schedule
    if schedule.starts_at is not None and facts.now < aware(schedule.starts_at):
        starts = aware(schedule.starts_at).astimezone(facts.tz)
        return Failure("not_started", {"starts_at": starts.isoformat()})
    if schedule.ends_at is not None and facts.now >= aware(schedule.ends_at):
        ended = aware(schedule.ends_at).astimezone(facts.tz)
        return Failure("expired", {"ended_at": ended.isoformat()})
    if schedule.weekdays and facts.local_now.weekday() not in schedule.weekdays:
        return Failure("outside_schedule", {"weekdays": sorted(schedule.weekdays)})
    if schedule.hours is not None and not hour_in(facts.local_now.hour, *schedule.hours):
        start, end = schedule.hours
        return Failure("outside_schedule", {"from_hour": start, "to_hour": end})
    return None


def _place_failure(promotion: Promotion, facts: Facts) -> Failure | None:
    context = facts.context
    if promotion.channels and context.channel not in promotion.channels:
        return Failure(
            "wrong_channel", {"channels": sorted(promotion.channels), "channel": context.channel}
        )
    if promotion.locations and context.location_id not in promotion.locations:
        return Failure("wrong_location", {"locations": sorted(promotion.locations)})
    return None


def _audience_failure(promotion: Promotion, facts: Facts) -> Failure | None:
    customer = facts.customer
    audience = promotion.audience
    if audience == "members":
        if customer is None or not customer.is_member:
            return Failure("not_a_member")
    elif audience == "tier":
        if customer is None or customer.tier not in promotion.audience_values:
            return Failure("tier_required", {"tiers": sorted(promotion.audience_values)})
    elif audience == "segment" and (
        customer is None or not any(str(s) in promotion.audience_values for s in customer.segments)
    ):
        return Failure("not_in_segment", {"segment_ids": _ids(promotion.audience_values)})
    return None


def _ids(values: frozenset[str]) -> list[int | str]:
    return [int(v) if v.isdigit() else v for v in sorted(values, key=lambda v: (len(v), v))]


def _budget_failure(promotion: Promotion) -> Failure | None:
    budget = promotion.budget
    if budget.uses_left is not None and budget.uses_left <= 0:
        return Failure("usage_limit_reached")
    if budget.customer_uses_left is not None and budget.customer_uses_left <= 0:
        return Failure("customer_limit_reached")
    if budget.amount_left_minor is not None and budget.amount_left_minor <= 0:
        return Failure("budget_exhausted")
    return None


# --------------------------------------------------------------------------------------------
# Trials: what one promotion would do to the basket as it stands


@dataclass(slots=True)
class _Trial:
    effects: list[Effect]
    discount: int = 0
    cashback: int = 0
    points: int = 0
    free_value: int = 0
    per_line: dict[int, int] | None = None  # what it takes off each line, by index
    order_amount: int = 0  # what it takes off the order as a whole
    extras: bool = False  # has gifts, free items, coupons or messages

    @property
    def value(self) -> tuple[int, int]:
        return (self.discount + self.cashback + self.free_value, self.points)


def _cap(promotion: Promotion) -> tuple[int | None, str]:
    cap: int | None = promotion.max_discount_minor
    reason = "max_discount"
    left = promotion.budget.amount_left_minor
    if left is not None and (cap is None or left < cap):
        cap, reason = max(0, left), "budget"
    return cap, reason


def _with_amount(effect: Effect, amount: int, data: Mapping[str, Any] | None = None) -> Effect:
    return Effect(
        effect.kind,
        amount,
        effect.line_index,
        effect.sku,
        effect.quantity,
        effect.multiplier_bp,
        effect.data if data is None else data,
    )


def _capped(effect: Effect, amount: int, reason: str) -> Effect:
    return _with_amount(effect, amount, {**effect.data, "capped": True, "cap": reason})


_NOTHING_TO_DISCOUNT = Failure("nothing_to_discount")
_NOTHING_TO_EARN = Failure("nothing_to_earn")
_LINE = EffectKind.LINE_DISCOUNT
_ORDER = EffectKind.ORDER_DISCOUNT
_FREE = EffectKind.FREE_ITEM
_CASHBACK = EffectKind.CASHBACK
_POINTS = EffectKind.POINTS
_POINTS_MULTIPLIER = EffectKind.POINTS_MULTIPLIER
_ISSUE_COUPON = EffectKind.ISSUE_COUPON
_MESSAGE = EffectKind.MESSAGE
_DISCOUNT_PHASE = Phase.DISCOUNT
_REWARD_PHASE = Phase.REWARD


def _discount_trial(c: CompiledPromotion, basket: Basket) -> _Trial | Failure:
    """What ``c`` would take off the basket as it stands: its effects clamped to what is left
    of each line (and of the order) and capped. Never changes the basket."""
    assert c.benefit is not None
    out = c.benefit.apply(basket, c.params)
    if isinstance(out, Failure):
        return out
    promotion = c.promotion
    uncapped = c.uncapped
    if uncapped and len(out) == 1 and out[0].kind is _ORDER:  # the common order discount
        effect = out[0]
        amount = min(effect.amount_minor, basket.remaining_total)
        if amount <= 0:
            return _NOTHING_TO_DISCOUNT
        if amount != effect.amount_minor:
            effect = _with_amount(effect, amount)
        return _Trial([effect], discount=amount, order_amount=amount)
    taken: dict[int, int] | None = None
    line_effects: list[Effect] = []
    order_effects: list[Effect] = []
    others: list[Effect] = []
    free_value = 0
    line_total = 0
    for effect in out:
        kind = effect.kind
        if kind is _LINE:
            if taken is None:
                remaining = basket.remaining
                n = len(remaining)
                taken = {}
            i = effect.line_index
            if i is None or not 0 <= i < n:
                continue
            amount = effect.amount_minor
            before = taken.get(i, 0)
            room = remaining[i] - before
            if amount > room:
                amount = room
            if amount <= 0:
                continue
            taken[i] = before + amount
            line_total += amount
            line_effects.append(
                effect if amount == effect.amount_minor else _with_amount(effect, amount)
            )
        elif kind is _ORDER:
            order_effects.append(effect)
        else:
            if kind is _FREE:
                free_value += max(0, effect.amount_minor)
            others.append(effect)

    order_amounts: list[int] = []
    total = line_total
    if order_effects:
        room = basket.remaining_total - line_total
        for effect in order_effects:
            amount = max(0, min(effect.amount_minor, room))
            room -= amount
            order_amounts.append(amount)
            total += amount

    if not uncapped:
        cap, reason = _cap(promotion)
        if cap is not None and total > cap:
            parts = [e.amount_minor for e in line_effects] + order_amounts
            amounts = [cap] if len(parts) == 1 else allocate(cap, parts)
            total = cap
            k = len(line_effects)
            line_effects = [
                _capped(e, a, reason) for e, a in zip(line_effects, amounts, strict=False)
            ]
            order_effects = [
                _capped(e, a, reason) for e, a in zip(order_effects, amounts[k:], strict=True)
            ]
            order_amounts = amounts[k:]
            if taken is not None:
                taken = {}
                for e in line_effects:
                    i = e.line_index or 0
                    taken[i] = taken.get(i, 0) + e.amount_minor
            line_effects = [e for e in line_effects if e.amount_minor > 0]

    effects = line_effects
    order_total = 0
    for effect, amount in zip(order_effects, order_amounts, strict=True):
        if amount > 0:
            order_total += amount
            effects.append(
                effect if amount == effect.amount_minor else _with_amount(effect, amount)
            )
    if others:
        effects.extend(others)
    if not effects:
        return _NOTHING_TO_DISCOUNT
    return _Trial(
        effects,
        discount=total,
        free_value=free_value,
        per_line=taken,
        order_amount=order_total,
        extras=bool(others),
    )


def _reward_trial(
    c: CompiledPromotion, basket: Basket, book: PointsBook | None
) -> _Trial | Failure:
    assert c.benefit is not None
    out = c.benefit.apply(basket, c.params)
    if isinstance(out, Failure):
        return out
    if c.multiplier:
        # valued (for a group) by the extra points it would add now
        gain = book.gain(book.lines(c.params.scope), c.params.multiplier_bp) if book else 0
        return _Trial(out, points=gain) if gain > 0 else _NOTHING_TO_EARN
    effects: list[Effect] = []
    points = cashback = 0
    cap, reason = (None, "") if c.uncapped else _cap(c.promotion)
    for effect in out:
        if effect.kind is _CASHBACK:
            amount = max(0, effect.amount_minor)
            if cap is not None and amount > cap:
                effect = _capped(effect, cap, reason)
                amount = cap
            if amount:
                cashback += amount
                effects.append(effect)
        elif effect.kind is _POINTS:
            if effect.amount_minor > 0:
                points += effect.amount_minor
                effects.append(effect)
        else:
            effects.append(effect)
    if not effects:
        return _NOTHING_TO_EARN
    return _Trial(effects, cashback=cashback, points=points)


def _commit(trial: _Trial, basket: Basket) -> None:
    basket.take(trial.per_line, trial.order_amount)


# --------------------------------------------------------------------------------------------
# Runs: a selection of eligible promotions applied in order


@dataclass(slots=True)
class _Run:
    basket: Basket
    trials: dict[int, _Trial] = field(default_factory=dict)
    failures: dict[int, Failure] = field(default_factory=dict)
    after_discounts: list[int] | None = None  # the lines before rewards paid for some

    @property
    def value(self) -> tuple[int, int]:
        money = points = 0
        for trial in self.trials.values():
            money += trial.discount + trial.cashback + trial.free_value
            points += trial.points
        return money, points

    def gives_anything(self, exempt_ids: set[int]) -> bool:
        return any(pid not in exempt_ids for pid in self.trials)


def _run(selection: Sequence[CompiledPromotion], facts: Facts) -> _Run:
    basket = Basket.start(facts)
    run = _Run(basket)
    done: set[int] = set()
    decided: set[str] = set()
    failures = run.failures
    trials = run.trials
    # the selection split once by what each loop below looks at (order kept)
    discounts: list[CompiledPromotion] = []
    rewards: list[CompiledPromotion] = []
    exempt: list[CompiledPromotion] = []
    groups: dict[str, list[CompiledPromotion]] = {}
    for c in selection:
        if c.group:
            groups.setdefault(c.group, []).append(c)
        if c.phase is _DISCOUNT_PHASE:
            discounts.append(c)
        else:
            rewards.append(c)
        if c.exempt:
            exempt.append(c)
    base_rules = [c.params for c in exempt]
    skus, categories = facts.sku_qty, facts.category_qty

    def triggered(c: CompiledPromotion) -> bool:
        trigger = c.trigger
        return (
            trigger is None
            or any(sku in skus for sku in trigger.skus)
            or any(category in categories for category in trigger.categories)
        )

    def decide(group: str, book: PointsBook | None) -> None:
        decided.add(group)
        members = [m for m in groups[group] if m.id not in done]
        if len(members) < 2:
            return
        best: tuple[CompiledPromotion, _Trial] | None = None
        valued: list[CompiledPromotion] = []
        for m in members:
            # the basket does not change while the members are valued, so one points book
            # (only multipliers read it) serves them all
            if m.phase is _DISCOUNT_PHASE:
                result = _discount_trial(m, basket)
            else:
                if book is None and m.multiplier:
                    book = PointsBook(basket, base_rules)
                result = _reward_trial(m, basket, book)
            if isinstance(result, Failure):
                failures[m.id] = result
                done.add(m.id)
                continue
            valued.append(m)
            if best is None or result.value > best[1].value:
                best = (m, result)
        if best is None:
            return
        winner, winning = best
        for m in valued:
            if m is not winner:
                failures[m.id] = Failure("lower_value_in_group", {"winner_id": winner.id})
                done.add(m.id)
        if winner.phase is _DISCOUNT_PHASE:
            _commit(winning, basket)
            trials[winner.id] = winning
            done.add(winner.id)

    for c in discounts:
        pid = c.id
        if pid in done:
            continue
        if c.group and c.group not in decided and triggered(c):
            decide(c.group, None)
            if pid in done:
                continue
        result = _discount_trial(c, basket)
        done.add(pid)
        if isinstance(result, Failure):
            failures[pid] = result
        else:
            basket.take(result.per_line, result.order_amount)  # as `_commit`
            trials[pid] = result

    paid_with_rewards = min(max(0, facts.cart.rewards_paid_minor), basket.remaining_total)
    if paid_with_rewards:
        run.after_discounts = list(basket.remaining)
        basket.take(None, paid_with_rewards)
    book = PointsBook(basket, base_rules)
    for c in exempt:
        pid = c.id
        if pid not in done:
            done.add(pid)
            result = _reward_trial(c, basket, book)
            if isinstance(result, Failure):
                failures[pid] = result
            else:
                trials[pid] = result

    multipliers: list[tuple[CompiledPromotion, Sequence[int]]] = []
    for c in rewards:
        pid = c.id
        if pid in done:
            continue
        if c.group and c.group not in decided and triggered(c):
            decide(c.group, book)
            if pid in done:
                continue
        done.add(pid)
        if c.multiplier:
            lines = book.lines(c.params.scope)
            if not lines:
                failures[pid] = c.params.scope.no_match()
                continue
            book.put(lines, c.params.multiplier_bp, pid)
            multipliers.append((c, lines))
            continue
        result = _reward_trial(c, basket, book)
        if isinstance(result, Failure):
            failures[pid] = result
        else:
            trials[pid] = result

    if multipliers:
        extra = book.extra_by_owner()
        for c, lines in multipliers:
            share = extra.get(c.id)
            if share is None:
                winners = sorted({o for o in (book.owner[i] for i in lines) if o is not None})
                failures[c.id] = Failure("better_multiplier_applied", {"winner_ids": winners})
            elif share <= 0:
                failures[c.id] = _NOTHING_TO_EARN
            else:
                effect = Effect(
                    _POINTS_MULTIPLIER,
                    amount_minor=share,
                    multiplier_bp=c.params.multiplier_bp,
                )
                trials[c.id] = _Trial([effect], points=share)
    return run


def _settle(eligible: Sequence[CompiledPromotion], facts: Facts) -> tuple[_Run, dict[int, Failure]]:
    """Choose between the stackable combination and the best non-stackable promotion alone."""
    exempt = [c for c in eligible if c.exempt]
    solo = [c for c in eligible if not c.stackable]
    combination = [c for c in eligible if c.stackable]
    combined = _run(combination, facts)
    if not solo:
        return combined, {}
    exempt_ids = {c.id for c in exempt}
    blocked: dict[int, Failure] = {}
    best: tuple[CompiledPromotion, _Run] | None = None
    for c in solo:
        alone = _run(sorted([c, *exempt], key=RANK), facts)
        if c.id in alone.failures:
            blocked[c.id] = alone.failures[c.id]
        elif best is None or alone.value > best[1].value:
            best = (c, alone)
    if best is not None and (
        best[1].value > combined.value
        or (best[1].value == combined.value and not combined.gives_anything(exempt_ids))
    ):
        winner, chosen = best
        beaten = Failure("not_stackable", {"winner_ids": [winner.id]})
        for c in eligible:
            if c is not winner and not c.exempt and c.id not in blocked:
                blocked[c.id] = beaten
        return chosen, blocked
    winners = sorted(pid for pid in combined.trials if pid not in exempt_ids)
    beaten = Failure("not_stackable", {"winner_ids": winners})
    for c in solo:
        blocked.setdefault(c.id, beaten)
    return combined, blocked


# --------------------------------------------------------------------------------------------
# The result


def _evaluation(
    facts: Facts,
    considered: Sequence[CompiledPromotion],
    codes: dict[int, str],
    run: _Run,
    failures: dict[int, Failure],
) -> Evaluation:
    trials = run.trials
    applied: list[AppliedPromotion] = []
    rejected: list[Rejection] = []
    discount = points = cashback = 0
    gifts: list[Effect] = []
    coupons: list[Effect] = []
    messages: list[Effect] = []
    for c in considered:
        pid = c.id
        failure = failures.get(pid)
        trial = trials.get(pid) if failure is None else None
        if trial is None:
            if failure is None:  # pragma: no cover - every eligible promotion is settled
                failure = _NOTHING_TO_DISCOUNT
            # a fresh copy: failures built at compile time are shared between evaluations
            given = failure.params
            params = dict(given)
            for k, v in given.items():
                if isinstance(v, list):
                    params[k] = list(v)
            if pid in codes:
                params["code"] = codes[pid]
            rejected.append(Rejection(pid, c.promotion.name, failure.code, params))
            continue
        discount += trial.discount
        points += trial.points
        cashback += trial.cashback
        if trial.extras:
            for effect in trial.effects:
                if effect.kind in _GIFT_KINDS:
                    gifts.append(_tagged(effect, pid))
                elif effect.kind is _ISSUE_COUPON:
                    coupons.append(_tagged(effect, pid))
                elif effect.kind is _MESSAGE:
                    messages.append(_tagged(effect, pid))
        applied.append(
            AppliedPromotion(
                pid, c.promotion.name, tuple(trial.effects), trial.discount, codes.get(pid, "")
            )
        )
    subtotal = facts.subtotal
    # every discount was committed to the basket, line by line
    left = run.basket.remaining if run.after_discounts is None else run.after_discounts
    line_discounts = tuple(map(operator.sub, facts.line_totals, left))  # as many of each
    return Evaluation(
        facts.cart.currency,
        subtotal,
        discount,
        subtotal - discount,
        line_discounts,
        tuple(applied),
        tuple(rejected),
        points,
        cashback,
        tuple(gifts),
        tuple(coupons),
        tuple(messages),
    )


def _tagged(effect: Effect, promotion_id: int) -> Effect:
    return Effect(
        effect.kind,
        effect.amount_minor,
        effect.line_index,
        effect.sku,
        effect.quantity,
        effect.multiplier_bp,
        {**effect.data, "promotion_id": promotion_id},
    )
