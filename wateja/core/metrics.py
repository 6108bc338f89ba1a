"""Loyalty and retention formulas (MISSION.md section 4), pure Python.

The database does the counting and summing (`wateja.analytics.queries`); these functions turn
those counts into figures. A figure that cannot be computed because there is nothing to divide
by (no customers at the start of a period, no points issued, no orders) is `None`, which the
screens show as "not enough data". Nothing here raises ZeroDivisionError.

Definitions used throughout:

* A *purchase* (visit) is a day on which a customer placed at least one order; two orders on
  the same day are one visit. An *order* is one sale.
* A customer is *active* at the end of a day when their last visit is fewer than `window` days
  old (the business's activity window, 90 days by default). The *recency histogram* of a day
  holds, at index r, how many customers had their last visit r days before that day (0 = that
  day); most period figures are read from it (see `active_customers`, `period_buyers`, `lost`).
* Rates are percentages (0–100) as floats; money is in integer minor units.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TypeVar

from wateja.core.money import div_round

K = TypeVar("K", bound=Hashable)


# ---------------------------------------------------------------- basic ratios


def percent(part: float, whole: float) -> float | None:
    """part / whole × 100, or None when whole is 0."""
    if whole == 0:
        return None
    return part * 100.0 / whole


def percent_change(current: float | None, previous: float | None) -> float | None:
    """Change from `previous` to `current` in percent; None when either is unknown or the
    previous value is 0 (growth from nothing has no percentage)."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) * 100.0 / abs(previous)


# ---------------------------------------------------------------- customers


def retention_rate(*, at_start: int, at_end: int, new: int) -> float | None:
    """Customer retention rate = (customers at end − new customers) / customers at start × 100.

    `at_start` and `at_end` count active customers at the start and the end of the period;
    `new` counts the customers whose first purchase falls in the period and who are among
    `at_end` (a customer is an active one; with a period no longer than the activity window
    that is every new customer). None when there were no customers at the start. Customers
    who had lapsed and came back count as retained, so the rate can pass 100 %."""
    return percent(at_end - new, at_start)


def churn_rate(*, at_start: int, lost: int) -> float | None:
    """Churn rate = customers active at the start and no longer active at the end / customers
    at start × 100. None when there were no customers at the start."""
    return percent(lost, at_start)


def repeat_purchase_rate(*, buyers: int, one_time_buyers: int) -> float | None:
    """Share of the period's buyers who have purchased on at least two days by the period's
    end (a returning customer, or a new one who already came back). `one_time_buyers` are the
    period's buyers whose single visit so far lies in the period."""
    return percent(buyers - one_time_buyers, buyers)


def average_order_value(*, revenue_minor: int, orders: int) -> int | None:
    """Revenue / orders in minor units, rounded half to even."""
    if orders == 0:
        return None
    return div_round(revenue_minor, orders)


def purchase_frequency(*, orders: int, buyers: int) -> float | None:
    """Orders per buying customer in the period."""
    if buyers == 0:
        return None
    return orders / buyers


def mean_days_between(*, gap_days_total: int, gaps: int) -> float | None:
    """Average number of days between a customer's consecutive visits."""
    if gaps == 0:
        return None
    return gap_days_total / gaps


def purchase_gaps(days: Sequence[dt.date]) -> list[int]:
    """Days between consecutive visits of one customer (same-day orders are one visit)."""
    unique = sorted(set(days))
    return [(b - a).days for a, b in itertools.pairwise(unique)]


def linear_trend(values: Sequence[float]) -> float | None:
    """Least-squares slope of `values` per step (e.g. the change of the average order value per
    week). None with fewer than two points."""
    n = len(values)
    if n < 2:
        return None
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    den = sum((x - mean_x) ** 2 for x in range(n))
    return num / den


# ---------------------------------------------------------------- the recency histogram


def active_customers(recency: Sequence[int], window: int) -> int:
    """Customers whose last visit is fewer than `window` days old."""
    return sum(recency[:window])


def period_buyers(recency: Sequence[int], days: int) -> int:
    """Customers with a visit in the last `days` days (the period ending on the histogram's
    day): read from the period's last day."""
    return sum(recency[:days])


def lost(recency: Sequence[int], *, window: int, days: int) -> int | None:
    """Customers active at the start of a `days`-long period and inactive at its end, read from
    the histogram of its last day: their last visit is at least `window` days old but no older
    than the start's window. Exact only when the period is no longer than the window (else a
    customer may have bought inside the period and lapsed again): None then."""
    if days > window:
        return None
    return sum(recency[window : window + days])


def recency_next_day(
    recency: Sequence[int], *, new: int, returning_by_age: Mapping[int, int], cap: int
) -> list[int]:
    """The histogram of the next day from today's: everyone ages by a day, and the day's
    visitors move to 0. `returning_by_age[r]` counts visitors whose previous visit was r days
    before the new day (they were at r − 1); `new` counts first-time visitors. Ages above `cap`
    are dropped."""
    visitors = new + sum(returning_by_age.values())
    result = [visitors, *recency[:cap]]
    for age, count in returning_by_age.items():
        if 1 <= age <= cap:
            result.extend([0] * (age + 1 - len(result)))
            result[age] = max(0, result[age] - count)
    while result and result[-1] == 0:
        result.pop()
    return result


# ---------------------------------------------------------------- points


def redemption_rate(*, issued: int, redeemed: int) -> float | None:
    """Points redeemed / points issued × 100 (within one period)."""
    return percent(redeemed, issued)


def breakage_rate(*, issued: int, expired: int) -> float | None:
    """Points that expired unused / points issued × 100 (within one period)."""
    return percent(expired, issued)


@dataclass(frozen=True)
class LotHistory:
    """What became of closed lots of one kind: points redeemed from them and points expired."""

    redeemed: int
    expired: int

    @property
    def probability(self) -> float | None:
        """The share of a closed lot's points that got redeemed rather than expired."""
        total = self.redeemed + self.expired
        return None if total == 0 else self.redeemed / total


def predicted_redemptions(
    *, open_points: Mapping[K, int], history: Mapping[K, LotHistory]
) -> float | None:
    """Future redemptions expected from open lots: each class of open lots (e.g. by size) times
    the redemption probability of closed lots of that class, or of all closed lots when the
    class has no history. Lots already past their expiry belong to no class (probability 0):
    leave them out. None when there is no history at all and something is open."""
    overall = LotHistory(
        sum(h.redeemed for h in history.values()), sum(h.expired for h in history.values())
    ).probability
    total = 0.0
    for key, points in open_points.items():
        if points <= 0:
            continue
        known = history.get(key)
        probability = known.probability if known is not None else None
        if probability is None:
            probability = overall
        if probability is None:
            return None
        total += points * probability
    return total


def ultimate_redemption_rate(
    *, issued: int, redeemed: int, predicted_future: float | None
) -> float | None:
    """Ultimate redemption rate = (points redeemed so far + predicted future redemptions) /
    points issued so far × 100."""
    if predicted_future is None:
        return None
    return percent(redeemed + predicted_future, issued)


# ---------------------------------------------------------------- margin and ROI


def gross_margin(amount_minor: int, margin_bp: int) -> int:
    """The gross margin on a sales amount at `margin_bp` basis points (6000 = 60 %)."""
    return div_round(amount_minor * margin_bp, 10_000)


def margin_after_rewards(
    *,
    sales_minor: int,
    refunded_minor: int,
    discount_minor: int,
    rewards_minor: int,
    messages_minor: int,
    margin_bp: int,
) -> int:
    """A customer's margin once the program's costs on them are paid: the gross margin of what
    they bought at list price (`sales_minor` before discounts, less refunds) minus the
    discounts they got, the rewards they redeemed (points at their value, cashback) and the
    messages sent to them. Below zero, the customer is unprofitable."""
    return (
        gross_margin(sales_minor - refunded_minor, margin_bp)
        - discount_minor
        - rewards_minor
        - messages_minor
    )


@dataclass(frozen=True)
class ProgramCost:
    discounts_minor: int
    rewards_minor: int
    messages_minor: int

    @property
    def total_minor(self) -> int:
        return self.discounts_minor + self.rewards_minor + self.messages_minor


def incremental_margin(
    *, members: int, member_margin_minor: int, baseline: int, baseline_margin_minor: int
) -> int | None:
    """Margin the members brought beyond a comparable baseline: (members' margin per unit −
    the baseline's margin per unit) × member units. A unit is whatever both groups are counted
    in: an order (members' orders vs anonymous orders) or a customer (a campaign audience vs
    its holdout). None when either group is empty."""
    if members == 0 or baseline == 0:
        return None
    per_member = member_margin_minor / members
    per_baseline = baseline_margin_minor / baseline
    return round((per_member - per_baseline) * members)


def loyalty_roi(*, incremental_margin_minor: int | None, cost_minor: int) -> float | None:
    """Loyalty program ROI = incremental gross margin / program cost (1.0: the program paid
    for itself; 2.0: every unit spent brought two back). None without a cost or a margin."""
    if incremental_margin_minor is None or cost_minor <= 0:
        return None
    return incremental_margin_minor / cost_minor


# ---------------------------------------------------------------- uplift with a confidence interval


@dataclass(frozen=True)
class SampleStats:
    """n observations with their mean and sample variance (n − 1 in the denominator)."""

    n: int
    mean: float
    variance: float

    @classmethod
    def from_sums(cls, n: int, total: float, total_sq: float) -> SampleStats:
        """From the count, the sum and the sum of squares (what SQL aggregates give)."""
        if n == 0:
            return cls(0, 0.0, 0.0)
        mean = total / n
        variance = max(0.0, (total_sq - n * mean * mean) / (n - 1)) if n > 1 else 0.0
        return cls(n, mean, variance)

    @classmethod
    def of(cls, values: Sequence[float]) -> SampleStats:
        return cls.from_sums(len(values), sum(values), sum(v * v for v in values))


@dataclass(frozen=True)
class Interval:
    """Difference treated − control with a confidence interval (normal approximation)."""

    treated: float
    control: float
    difference: float
    low: float
    high: float
    confidence: float

    @property
    def relative(self) -> float | None:
        """The difference as a percentage of the control value (the "uplift")."""
        return percent(self.difference, self.control) if self.control else None

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero."""
        return self.low > 0 or self.high < 0


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def welch_interval(
    treated: SampleStats, control: SampleStats, *, confidence: float = 0.95
) -> Interval | None:
    """Difference of two means with Welch's unpooled standard error,
    se = sqrt(s_t²/n_t + s_c²/n_c), and the normal quantile (1.96 at 95 %): a fair
    approximation from about 30 observations per group. None when a group has fewer than two
    observations (no variance to speak of)."""
    if treated.n < 2 or control.n < 2:
        return None
    se = math.sqrt(treated.variance / treated.n + control.variance / control.n)
    diff = treated.mean - control.mean
    half = _z(confidence) * se
    return Interval(treated.mean, control.mean, diff, diff - half, diff + half, confidence)


def proportion_interval(
    *,
    treated_hits: int,
    treated_n: int,
    control_hits: int,
    control_n: int,
    confidence: float = 0.95,
) -> Interval | None:
    """Difference of two proportions (e.g. the share of an audience that ordered vs the
    holdout's), Wald interval with the unpooled standard error; proportions as 0–1."""
    if treated_n == 0 or control_n == 0:
        return None
    pt, pc = treated_hits / treated_n, control_hits / control_n
    se = math.sqrt(pt * (1 - pt) / treated_n + pc * (1 - pc) / control_n)
    half = _z(confidence) * se
    return Interval(pt, pc, pt - pc, pt - pc - half, pt - pc + half, confidence)


# ---------------------------------------------------------------- RFM

RFM_SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose_them",
    "hibernating",
    "lost",
)


def _grid_cell(r: int, f: int) -> str:
    if r == 5 and f >= 4:
        return "champions"
    if r in (3, 4) and f >= 4:
        return "loyal"
    if r >= 4 and f in (2, 3):
        return "potential_loyalists"
    if r >= 4:
        return "new_customers" if r == 5 else "promising"
    if r == 3:
        return "need_attention" if f == 3 else "about_to_sleep"
    if f == 5:
        return "cant_lose_them"
    if f >= 3:
        return "at_risk"
    return "hibernating" if r == 2 else "lost"


# (recency score, frequency score) → segment; each of the 25 cells is named once:
#   F→  1               2..3                 4..5
#   R5  new_customers   potential_loyalists  champions
#   R4  promising       potential_loyalists  loyal
#   R3  about_to_sleep  about_to_sleep(2) / need_attention(3)  loyal
#   R2  hibernating     hibernating(2) / at_risk(3)            at_risk(4) / cant_lose_them(5)
#   R1  lost            lost(2) / at_risk(3)                   at_risk(4) / cant_lose_them(5)
RFM_GRID: dict[tuple[int, int], str] = {
    (r, f): _grid_cell(r, f) for r in range(1, 6) for f in range(1, 6)
}


def rfm_segment(recency_score: int, frequency_score: int) -> str:
    """The segment of a customer from their recency and frequency scores (1–5 each)."""
    return RFM_GRID[(recency_score, frequency_score)]


RFM_BANDS = (0.2, 0.4, 0.6, 0.8)


def rfm_score(percent_rank: float) -> int:
    """Score 1–5 from a percent rank (0 = lowest value, 1 = highest): quintiles."""
    return 1 + sum(1 for band in RFM_BANDS if percent_rank >= band)


def rfm_scores(values: Sequence[float]) -> list[int]:
    """Scores 1–5 for values where more is better, by percent rank as SQL's PERCENT_RANK()
    computes it ((number of smaller values) / (n − 1)); equal values get equal scores. For
    recency pass the last purchase day (a later day is better), not the days since."""
    n = len(values)
    ordered = sorted(values)
    result = []
    for value in values:
        smaller = _count_smaller(ordered, value)
        rank = smaller / (n - 1) if n > 1 else 0.0
        result.append(rfm_score(rank))
    return result


def _count_smaller(ordered: Sequence[float], value: float) -> int:
    low, high = 0, len(ordered)
    while low < high:
        mid = (low + high) // 2
        if ordered[mid] < value:
            low = mid + 1
        else:
            high = mid
    return low


# ---------------------------------------------------------------- cohorts and codes


def cohort_retention(*, cohort_size: int, active: int) -> float | None:
    """Share of a cohort (customers by month of first purchase) buying in a later month."""
    return percent(active, cohort_size)


def repeat_use_share(*, customers: int, repeat_customers: int) -> float | None:
    """Share of a code's users who used it at least twice."""
    return percent(repeat_customers, customers)
