"""Ledger arithmetic, free of storage: which lots a spend consumes, when a credit expires,
how a refund splits exactly, and what a balance must satisfy.

Amounts are integers (points, or minor units of money). Times are aware datetimes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from wateja.core.localtime import local_date, local_start
from wateja.core.money import allocate


class LedgerError(ValueError):
    code = "ledger_error"


class InsufficientBalance(LedgerError):
    code = "insufficient_balance"

    def __init__(self, available: int, wanted: int) -> None:
        super().__init__(f"available {available}, wanted {wanted}")
        self.available = available
        self.wanted = wanted


class InvalidAmount(LedgerError):
    code = "invalid_amount"


def check_amount(amount: object, maximum: int | None = None) -> int:
    """A positive integer amount no larger than `maximum`."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount("amount must be an integer")
    if amount <= 0:
        raise InvalidAmount("amount must be positive")
    if maximum is not None and amount > maximum:
        raise InvalidAmount(f"amount over the maximum of {maximum}")
    return amount


@dataclass(frozen=True, slots=True)
class LotView:
    """What the arithmetic needs to know of a lot: its id, what is left, when it expires."""

    id: int
    remaining: int
    expires_at: dt.datetime | None


def consume(lots: Iterable[LotView], amount: int) -> list[tuple[int, int]]:
    """(lot id, amount taken) pairs that cover `amount`, soonest expiry first (lots without
    expiry last, older ids first among equals). Raises InsufficientBalance."""
    check_amount(amount)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    ordered = sorted(
        (lot for lot in lots if lot.remaining > 0),
        key=lambda lot: (lot.expires_at or far, lot.id),
    )
    available = sum(lot.remaining for lot in ordered)
    if available < amount:
        raise InsufficientBalance(available, amount)
    taken: list[tuple[int, int]] = []
    left = amount
    for lot in ordered:
        take = min(lot.remaining, left)
        taken.append((lot.id, take))
        left -= take
        if left == 0:
            break
    return taken


class ExpiryRule(StrEnum):
    NEVER = "never"
    DAYS = "days"  # N days after earning, at the end of that local day
    END_OF_MONTH = "end_of_month"  # end of the month N months after earning (N=0: this month)
    END_OF_YEAR = "end_of_year"  # end of the year N years after earning
    FIXED_DATE = "fixed_date"  # every lot expires at the end of one local date
    ROLLING = "rolling"  # N days after the account's last activity


@dataclass(frozen=True, slots=True)
class ExpiryPolicy:
    rule: ExpiryRule = ExpiryRule.NEVER
    n: int = 0
    fixed_date: dt.date | None = None

    def __post_init__(self) -> None:
        if self.n < 0:
            raise LedgerError("expiry n must be 0 or more")
        if self.rule == ExpiryRule.FIXED_DATE and self.fixed_date is None:
            raise LedgerError("a fixed-date expiry needs the date")
        if self.rule in (ExpiryRule.DAYS, ExpiryRule.ROLLING) and self.n < 1:
            raise LedgerError("expiry after days needs at least 1 day")


def end_of_local_day(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first instant after `day` ends in `tz`, as UTC: lots expire at local midnight."""
    return local_start(tz, day + dt.timedelta(days=1))


def expiry_for(
    policy: ExpiryPolicy, earned_at: dt.datetime, tz: zoneinfo.ZoneInfo
) -> dt.datetime | None:
    """When a credit earned at `earned_at` expires, in UTC (None: never). Dates are the
    business's local dates, so "30 days" ends at local midnight, not at a UTC hour."""
    if earned_at.tzinfo is None:
        raise LedgerError("earned_at must be timezone-aware")
    local = local_date(earned_at, tz)
    if policy.rule == ExpiryRule.NEVER:
        return None
    if policy.rule in (ExpiryRule.DAYS, ExpiryRule.ROLLING):
        return end_of_local_day(local + dt.timedelta(days=policy.n), tz)
    if policy.rule == ExpiryRule.END_OF_MONTH:
        month_index = local.year * 12 + local.month - 1 + policy.n
        year, month = divmod(month_index, 12)
        last = calendar.monthrange(year, month + 1)[1]
        return end_of_local_day(dt.date(year, month + 1, last), tz)
    if policy.rule == ExpiryRule.END_OF_YEAR:
        return end_of_local_day(dt.date(local.year + policy.n, 12, 31), tz)
    assert policy.fixed_date is not None
    return end_of_local_day(policy.fixed_date, tz)


def rolling_expiry(
    policy: ExpiryPolicy, last_activity: dt.datetime, tz: zoneinfo.ZoneInfo
) -> dt.datetime | None:
    """For a rolling policy, every lot of the account expires N days after its last activity."""
    if policy.rule != ExpiryRule.ROLLING:
        return None
    return expiry_for(policy, last_activity, tz)


def proportional_share(total: int, part: int, whole: int) -> int:
    """floor(total × part / whole) for non-negative integers (whole > 0)."""
    if whole <= 0 or part < 0 or total < 0 or part > whole:
        raise LedgerError("share needs 0 <= part <= whole and whole > 0")
    return total * part // whole


def refund_delta(amount: int, refunded_before: int, refunded_now: int, order_total: int) -> int:
    """How much of `amount` (points earned, or points spent) a refund reverses now.

    Computed on cumulative refunds, so a series of partial refunds reverses exactly `amount`
    once the whole order is refunded, whatever the remainders were along the way."""
    if refunded_now < 0 or refunded_before < 0:
        raise LedgerError("refunds are non-negative")
    if refunded_before + refunded_now > order_total:
        raise LedgerError("refund exceeds the order total")
    if order_total == 0:
        return 0
    after = proportional_share(amount, refunded_before + refunded_now, order_total)
    before = proportional_share(amount, refunded_before, order_total)
    return after - before


def split_by_weights(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` over parts in proportion to `weights`, exact, remainders to the
    largest parts (the same rule as money allocation)."""
    return allocate(amount, list(weights))
