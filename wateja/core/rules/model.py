"""Value types of the rules engine: what goes in (cart, customer facts, context, promotions)
and what comes out (effects, applied promotions, rejections with typed reasons).

All money is integer minor units in the cart's currency; quantities are integers (weight in
grams); times are timezone-aware. Everything is immutable so an evaluation can be replayed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    quantity: int
    unit_price_minor: int
    name: str = ""
    category: str = ""
    weight_grams: int = 0  # per unit

    @property
    def total_minor(self) -> int:
        return self.quantity * self.unit_price_minor


@dataclass(frozen=True, slots=True)
class Cart:
    """A cart with lines, or only a total (many shops ring up a total): then `lines` is empty
    and `total_only_minor` holds the amount. `rewards_paid_minor` is the part of the bill
    the customer pays with rewards (points, cashback): it earns nothing, so points and
    cashback follow the money actually paid."""

    currency: str
    lines: tuple[Line, ...] = ()
    total_only_minor: int | None = None
    rewards_paid_minor: int = 0

    @property
    def subtotal_minor(self) -> int:
        if self.total_only_minor is not None and not self.lines:
            return self.total_only_minor
        return sum(line.total_minor for line in self.lines)

    @property
    def weight_grams(self) -> int:
        return sum(line.weight_grams * line.quantity for line in self.lines)


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the rules may know of the customer (None: an anonymous sale)."""

    id: int
    is_member: bool = True  # holds a loyalty card
    tier: str = ""
    tags: frozenset[str] = frozenset()
    segments: frozenset[int] = frozenset()
    purchase_count: int = 0  # completed orders before this one
    first_purchase_at: dt.datetime | None = None
    last_purchase_at: dt.datetime | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    card_issued_at: dt.datetime | None = None
    referrals_converted: int = 0  # friends whose first order counted
    referral_rewards_used: int = 0
    total_spent_minor: int = 0
    spent_last_12_months_minor: int = 0


@dataclass(frozen=True, slots=True)
class Context:
    now: dt.datetime
    timezone: str = "UTC"
    channel: str = "store"  # store, online, phone, ussd
    location_id: int | None = None
    codes: tuple[str, ...] = ()  # promo codes entered, normalised upper-case
    flags: frozenset[str] = frozenset()  # cashier ticks, e.g. "own_cup"
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Schedule:
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    weekdays: frozenset[int] = frozenset()  # 0 = Monday; empty: every day
    hours: tuple[int, int] | None = None  # local [from, to) hours


@dataclass(frozen=True, slots=True)
class Budget:
    """What is left of the promotion's limits for this cart, computed by the storage layer
    (per promotion, per customer, per period). None: unlimited."""

    uses_left: int | None = None
    amount_left_minor: int | None = None
    customer_uses_left: int | None = None


@dataclass(frozen=True, slots=True)
class Promotion:
    id: int
    name: str
    type: str  # a benefit strategy registered in benefits.py
    params: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] | None = None  # see conditions.py
    priority: int = 0  # higher first
    exclusive_group: str = ""  # at most one per group: the best for the customer
    stackable: bool = True  # False: applies alone or not at all
    max_discount_minor: int | None = None  # per-order cap of this promotion
    schedule: Schedule = Schedule()
    audience: str = "everyone"  # everyone, members, segment, tier
    audience_values: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()  # empty: all
    locations: frozenset[int] = frozenset()  # empty: all
    code: str = ""  # non-empty: applies only when this code (or one of its batch) is entered
    codes: frozenset[str] = frozenset()
    budget: Budget = Budget()


class EffectKind(StrEnum):
    LINE_DISCOUNT = "line_discount"
    ORDER_DISCOUNT = "order_discount"
    FREE_ITEM = "free_item"
    GIFT = "gift"
    POINTS = "points"  # points to credit on commit
    POINTS_MULTIPLIER = "points_multiplier"
    CASHBACK = "cashback"
    ISSUE_COUPON = "issue_coupon"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Effect:
    kind: EffectKind
    amount_minor: int = 0  # discounts, cashback; points for POINTS
    line_index: int | None = None
    sku: str = ""
    quantity: int = 0
    multiplier_bp: int = 0  # 20000 = ×2
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    promotion_id: int
    name: str
    effects: tuple[Effect, ...]
    discount_minor: int  # what it takes off the price
    code: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a promotion did not apply: a stable code and the numbers a message needs."""

    promotion_id: int
    name: str
    code: str  # min_subtotal_not_met, code_expired, usage_limit_reached, not_a_member, …
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Evaluation:
    currency: str
    subtotal_minor: int
    discount_minor: int
    total_minor: int
    line_discounts_minor: tuple[int, ...]  # per cart line, order discounts allocated exactly
    applied: tuple[AppliedPromotion, ...]
    rejected: tuple[Rejection, ...]
    points: int  # points to earn on commit (after multipliers)
    cashback_minor: int
    gifts: tuple[Effect, ...]
    coupons: tuple[Effect, ...]
    messages: tuple[Effect, ...]
