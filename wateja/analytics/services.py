"""The analytics API the dashboard, the JSON API and `wateja report` use. Stable: add
fields, don't rename them.

Every read takes a `Period` (inclusive business-local dates, from `period_parse`) and
`Filters` (an optional location, saved segment and RFM segment, from `filters_parse`) and
returns frozen dataclasses of plain values: ints, floats, dates, strings. Money is always an
integer amount in minor units of the business currency (`currency` says which); rates are
percentages 0–100 (floats); `None` means "not enough data" (nothing to divide by), with the
reason in `notes` where a screen should explain it. `as_dict(result)` makes any of them
JSON-ready (dates as ISO strings).

    period_parse(business=, start=, end=, today=) -> Period              (PeriodInvalid)
    filters_parse(business=, location=, segment=, rfm=) -> Filters    (NotFound, ValidationFailed)
    figures_get(business=, period=, filters=) -> PeriodFigures           one period, all counts
    dashboard_get(business=, period=, filters=) -> Dashboard             headline Figures vs the
                                                                         previous period, ROI
    activity_get(...) -> list[ActivityDay]                               per day, for charts
    cart_trend_get(..., bucket="day"|"week"|"month") -> CartTrend       order value trend
    cohorts_get(business=, period=, filters=, months=12) -> Cohorts      cohort matrix + curve
    points_get(...) -> PointsFigures           issued/redeemed/expired, breakage, ultimate rate
    roi_get(...) -> Roi                        incremental margin vs program cost
    unprofitable_get(..., limit=20) -> Unprofitable
    rfm_get(business=, filters=) -> Rfm        customers per RFM segment
    tiers_get(business=, period=) -> Tiers     distribution now, movements in the period
    promotion_uplift_get(business=, promotion_id=, period=None) -> Uplift
    code_usage_get(business=, promotion_id=, period=) -> CodeUsage
    report_get(business=, period=, filters=) -> Report                  the CLI's main figures
    analytics_settings(business) / analytics_settings_update(business=, ...)
    analytics_nightly(business=, now=) / analytics_nightly_due(business, now)

Elsewhere: `rfm.rfm_customers(business, segment)` (a campaign audience), `rfm.RFM_LABELS`,
`reports.report_text(report)` (the CLI's text), `rollups.rollups_build/cohorts_build` (rebuild a
range, e.g. after importing old sales).

Figures come from the nightly rollups (`rollups.py`) for whole days up to yesterday — built on
first use when missing — and from the raw orders for today. With a saved segment or an RFM
segment they are computed from the raw orders of those customers (segments change daily).
Wallet figures (points, cashback) belong to the whole business: a location filter does not
narrow them, a segment filter does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import IntegrityError
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.analytics import queries, rollups
from wateja.analytics.models import AnalyticsSettings, CohortCell, CustomerRfm, DailyRollup
from wateja.analytics.queries import CustomerSet, Scope
from wateja.analytics.rfm import rfm_check, rfm_customers, rfm_label, rfm_score
from wateja.analytics.rollups import RECENCY_CAP, SUM_FIELDS, Day
from wateja.analytics.value import clv_refit
from wateja.core import metrics
from wateja.core.errors import ValidationFailed
from wateja.core.localtime import local_start, local_today
from wateja.customers.models import Customer, Segment
from wateja.customers.segments import segment_customers
from wateja.promotions.models import Audience, Promotion, Tier
from wateja.tenants.models import Business, Location
from wateja.tenants.scoping import get_owned
from wateja.wallet.services import wallet_settings

MAX_PERIOD_DAYS = 3660
EARLIEST = dt.date(2000, 1, 1)
DEFAULT_DAYS = 30
MIN_HOLDOUT = 30  # messages on each side before a holdout comparison says anything


# ---------------------------------------------------------------- periods and filters


class PeriodInvalid(ValidationFailed):
    code = "period_invalid"


@dataclass(frozen=True)
class Period:
    """Business-local dates, both included."""

    start: dt.date
    end: dt.date
    days: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", (self.end - self.start).days + 1)

    def previous(self) -> Period:
        """The period of the same length just before."""
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))


def _date(value: str | dt.date | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise PeriodInvalid.fields(
            _("The period is not valid."), {name: _("Enter a date as YYYY-MM-DD.")}
        ) from None


def period_parse(
    *,
    business: Business,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    today: dt.date | None = None,
    default_days: int = DEFAULT_DAYS,
) -> Period:
    """A period from ISO dates in the business's time zone. Missing ends default to the last
    `default_days` days up to today. Refused, with a message: a malformed date, an end before
    the start, a date after today, a start before 2000, more than ten years."""
    today = today or local_today(business.timezone)
    first, last = _date(start, "start"), _date(end, "end")
    if last is None:
        last = today if first is None or first <= today else first
    if first is None:
        first = last - dt.timedelta(days=default_days - 1)
    if last < first:
        raise PeriodInvalid(
            _("The end of the period comes before its start."),
            code="period_end_before_start",
            details={"fields": {"end": [_("Choose an end on or after the start.")]}},
        )
    if last > today:
        raise PeriodInvalid(
            _("The period reaches into the future: choose dates up to today (%(today)s).")
            % {"today": today.isoformat()},
            code="period_in_future",
            details={"fields": {"start" if first > today else "end": [today.isoformat()]}},
        )
    if first < EARLIEST:
        raise PeriodInvalid(
            _("The period starts too early: choose a start from %(date)s on.")
            % {"date": EARLIEST.isoformat()},
            code="period_too_early",
            details={"fields": {"start": [EARLIEST.isoformat()]}},
        )
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise PeriodInvalid(
            _("The period is too long: at most %(days)s days.") % {"days": MAX_PERIOD_DAYS},
            code="period_too_long",
            details={"fields": {"start": [str(MAX_PERIOD_DAYS)]}},
        )
    return Period(first, last)


@dataclass(frozen=True)
class Filters:
    location_id: int | None = None
    segment_id: int | None = None
    rfm: str | None = None

    @property
    def by_customers(self) -> bool:
        return self.segment_id is not None or self.rfm is not None


def filters_parse(
    *,
    business: Business,
    location: int | str | None = None,
    segment: int | str | None = None,
    rfm: str | None = None,
) -> Filters:
    """Filters checked against the business: another business's location or segment is
    NotFound (404), like a wrong id; an unknown RFM segment is a validation error."""
    location_id = segment_id = None
    if location not in (None, ""):
        location_id = get_owned(Location, business, pk=_id(location, "location")).pk
    if segment not in (None, ""):
        segment_id = get_owned(Segment, business, pk=_id(segment, "segment")).pk
    return Filters(location_id, segment_id, rfm_check(rfm) if rfm else None)


def _id(value: int | str | None, name: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {name: _("Enter a whole number.")}
        ) from None


def _customer_set(business: Business, filters: Filters) -> CustomerSet | None:
    if not filters.by_customers:
        return None
    qs: QuerySet[Customer] = Customer.objects.for_business(business)
    if filters.segment_id is not None:
        segment = get_owned(Segment, business, pk=filters.segment_id)
        qs = segment_customers(business, segment.filters)
    if filters.rfm is not None:
        _ensure_scores(business)
        qs = qs.filter(pk__in=rfm_customers(business, filters.rfm).values("pk"))
    return CustomerSet.of(qs)


def _ensure_scores(business: Business) -> None:
    """Score RFM now when the nightly run never did (a new installation, the tests)."""
    if CustomerRfm.objects.for_business(business).exists():
        return
    with contextlib.suppress(IntegrityError):  # another request scored them meanwhile
        rfm_score(business=business, as_of=local_today(business.timezone))


def _scope(business: Business, filters: Filters, *, with_location: bool = True) -> Scope:
    return Scope(
        business.pk,
        business.timezone,
        filters.location_id if with_location else None,
        _customer_set(business, filters),
    )


# ---------------------------------------------------------------- settings


def analytics_settings(business: Business) -> AnalyticsSettings:
    row, _created = AnalyticsSettings.objects.get_or_create(business=business)
    return row


def analytics_settings_update(
    *,
    business: Business,
    activity_window_days: int | None = None,
    gross_margin_bp: int | None = None,
) -> AnalyticsSettings:
    """Change the activity window (1–365 days) or the gross margin (0–10000 basis points).
    Rollups keep full histograms, so a new window applies to every period at once."""
    row = analytics_settings(business)
    errors: dict[str, Any] = {}
    if activity_window_days is not None:
        if not 1 <= activity_window_days <= 365:
            errors["activity_window_days"] = _("Between 1 and 365 days.")
        row.activity_window_days = activity_window_days
    if gross_margin_bp is not None:
        if not 0 <= gross_margin_bp <= 10_000:
            errors["gross_margin_bp"] = _("Between 0 and 10000.")
        row.gross_margin_bp = gross_margin_bp
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    row.save()
    return row


# ---------------------------------------------------------------- where the days come from


class _Source(Protocol):
    def sums(self, first: dt.date, last: dt.date) -> dict[str, int]: ...
    def state(self, day: dt.date) -> Day: ...
    def days(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, Day]]: ...


class _RollupSource:
    """Stored rollups for whole days up to yesterday; today from the raw orders, its
    histograms derived from yesterday's."""

    def __init__(self, business: Business, scope: Scope, first: dt.date, last: dt.date) -> None:
        self.business, self.scope = business, scope
        self.today = local_today(business.timezone)
        self._today: Day | None = None
        rollups.rollups_ensure(business=business, first=first, last=last)

    def _rows(self, *, wallet: bool = False) -> Any:
        qs = DailyRollup.objects.for_business(self.business)
        if self.scope.location_id is None or wallet:
            return qs.filter(location__isnull=True)
        return qs.filter(location_id=self.scope.location_id)

    def sums(self, first: dt.date, last: dt.date) -> dict[str, int]:
        stored_last = min(last, self.today - dt.timedelta(days=1))
        totals = dict.fromkeys(SUM_FIELDS, 0)
        if first <= stored_last:
            wallet_fields = queries.WALLET_FIELDS if self.scope.location_id is not None else ()
            fields = [f for f in SUM_FIELDS if f not in wallet_fields]
            span = {"day__gte": first, "day__lte": stored_last}
            row = self._rows().filter(**span).aggregate(**{f: Sum(f) for f in fields})
            if wallet_fields:
                row |= (
                    self._rows(wallet=True)
                    .filter(**span)
                    .aggregate(**{f: Sum(f) for f in wallet_fields})
                )
            totals.update({k: int(v or 0) for k, v in row.items()})
        if first <= self.today <= last:
            for key, value in self._live_today().sums.items():
                totals[key] += value
        return totals

    def state(self, day: dt.date) -> Day:
        if day >= self.today:
            return self._live_today()
        row = (
            self._rows()
            .filter(day=day)
            .values("customers_total", "recency", "recency_once")
            .first()
        )
        if row is None:
            rollups.rollups_ensure(business=self.business, first=day, last=day)
            row = (
                self._rows()
                .filter(day=day)
                .values("customers_total", "recency", "recency_once")
                .first()
            )
        if row is None:  # a location opened after its days were rolled up
            return Day()
        return Day(
            customers_total=row["customers_total"],
            recency=list(row["recency"]),
            recency_once=list(row["recency_once"]),
        )

    def days(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, Day]]:
        fields = ["day", *SUM_FIELDS, "customers_total", "recency", "recency_once"]
        stored = {
            row["day"]: row
            for row in self._rows().filter(day__gte=first, day__lte=last).values(*fields)
        }
        wallet: dict[dt.date, dict[str, Any]] = {}
        if self.scope.location_id is not None:
            wallet = {
                row["day"]: row
                for row in self._rows(wallet=True)
                .filter(day__gte=first, day__lte=last)
                .values("day", *queries.WALLET_FIELDS)
            }
        result = []
        day = first
        while day <= last:
            if day >= self.today:
                result.append((day, self._live_today()))
            else:
                row = stored.get(day)
                entry = Day()
                if row is not None:
                    entry.sums = {f: int(row[f]) for f in SUM_FIELDS}
                    if day in wallet:
                        entry.sums.update({f: int(wallet[day][f]) for f in queries.WALLET_FIELDS})
                    entry.customers_total = row["customers_total"]
                    entry.recency, entry.recency_once = row["recency"], row["recency_once"]
                result.append((day, entry))
            day += dt.timedelta(days=1)
        return result

    def _live_today(self) -> Day:
        """Today's sums from its orders and postings; its histograms from yesterday's, aged by
        a day, with today's buyers moved to 0."""
        if self._today is not None:
            return self._today
        tz = self.business.timezone
        start = local_start(tz, self.today)
        end = local_start(tz, self.today + dt.timedelta(days=1))
        entry = Day()
        for _part, _day, sums in queries.order_sums_by_day(self.scope, start, end):
            entry.sums.update(sums)
        wallet_scope = dataclasses.replace(self.scope, location_id=None)
        for sums in queries.wallet_sums_by_day(wallet_scope, start, end).values():
            entry.sums.update(sums)
        yesterday = self.state(self.today - dt.timedelta(days=1))
        new = 0
        returning: dict[int, int] = {}
        returning_once: dict[int, int] = {}
        for prev, single, count in queries.visitors_with_previous(self.scope, start, end):
            if prev is None:
                new += count
                continue
            age = (self.today - prev).days
            returning[age] = returning.get(age, 0) + count
            if single:
                returning_once[age] = returning_once.get(age, 0) + count
            entry.sums["gap_days"] += age * count
            entry.sums["gaps"] += count
        entry.sums["new_customers"] = new
        entry.sums["visits"] = new + sum(returning.values())
        entry.customers_total = yesterday.customers_total + new
        entry.recency = metrics.recency_next_day(
            yesterday.recency, new=new, returning_by_age=returning, cap=RECENCY_CAP
        )
        # a first-time buyer today has a single visit; one coming back leaves the "once" list
        once = metrics.recency_next_day(
            yesterday.recency_once, new=new, returning_by_age=returning_once, cap=RECENCY_CAP
        )
        once = [new, *once[1:]]
        while once and once[-1] == 0:
            once.pop()
        entry.recency_once = once
        self._today = entry
        return entry


class _LiveSource:
    """Everything computed from the raw orders once for a span of days (segment filters)."""

    def __init__(self, scope: Scope, first: dt.date, last: dt.date) -> None:
        self.first, self.last = first, last
        self.data = rollups.compute_days(scope, first, last)[0]

    def sums(self, first: dt.date, last: dt.date) -> dict[str, int]:
        totals = dict.fromkeys(SUM_FIELDS, 0)
        for day, entry in self.data.items():
            if first <= day <= last:
                for key, value in entry.sums.items():
                    totals[key] += value
        return totals

    def state(self, day: dt.date) -> Day:
        return self.data.get(day, Day())

    def days(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, Day]]:
        return [(d, e) for d, e in sorted(self.data.items()) if first <= d <= last]


def _source(business: Business, filters: Filters, first: dt.date, last: dt.date) -> _Source:
    """Days first..last (and the day before, for the state at the start)."""
    scope = _scope(business, filters)
    if filters.by_customers:
        return _LiveSource(scope, first - dt.timedelta(days=1), last)
    return _RollupSource(business, scope, first - dt.timedelta(days=1), last)


# ---------------------------------------------------------------- one period's figures


@dataclass(frozen=True)
class PeriodFigures:
    """Counts and sums of one period, and the rates derived from them."""

    period: Period
    currency: str
    window_days: int
    orders: int
    revenue_minor: int  # paid less refunded
    sales_minor: int  # at list price, before discounts
    discount_minor: int
    refunded_minor: int
    member_orders: int  # orders with a customer
    member_revenue_minor: int
    member_sales_minor: int
    member_refunded_minor: int
    buyers: int  # customers who bought in the period
    visits: int  # customer-days with a purchase
    new_customers: int  # first purchase in the period
    new_customers_active: int  # of whom active at the end (all, unless period > window)
    customers_at_start: int  # active at the end of the day before the period
    customers_at_end: int  # active at the end of the period
    lost_customers: int  # active at the start, inactive at the end
    reactivated_customers: int  # active at the end, neither new nor active at the start
    one_time_buyers: int  # buyers whose single visit so far is in the period
    customers_total: int  # ever bought, by the end
    gap_days: int
    gaps: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    cashback_issued_minor: int
    cashback_redeemed_minor: int
    average_order_minor: int | None
    retention_rate: float | None
    churn_rate: float | None
    repeat_purchase_rate: float | None
    purchase_frequency: float | None
    days_between_purchases: float | None
    member_revenue_share: float | None
    redemption_rate: float | None
    breakage_rate: float | None
    notes: dict[str, str] = field(default_factory=dict)


def _bounds(business: Business, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = business.timezone
    return local_start(tz, first), local_start(tz, last + dt.timedelta(days=1))


def _period_figures(
    business: Business, scope: Scope, source: _Source, period: Period, window: int
) -> PeriodFigures:
    s = source.sums(period.start, period.end)
    before = source.state(period.start - dt.timedelta(days=1))
    after = source.state(period.end)
    length = period.days
    at_start = metrics.active_customers(before.recency, window)
    at_end = metrics.active_customers(after.recency, window)
    if length <= RECENCY_CAP + 1:
        buyers = metrics.period_buyers(after.recency, length)
        once = metrics.period_buyers(after.recency_once, length)
    else:
        buyers, once = queries.buyers_live(scope, *_bounds(business, period.start, period.end))
    lost = metrics.lost(after.recency, window=window, days=length)
    if lost is None or window + length - 1 > RECENCY_CAP:
        lost = queries.lost_live(
            scope,
            start_window=local_start(business.timezone, period.start - dt.timedelta(days=window)),
            start=local_start(business.timezone, period.start),
            end_window=local_start(business.timezone, period.end - dt.timedelta(days=window - 1)),
            end=local_start(business.timezone, period.end + dt.timedelta(days=1)),
        )
    new_active = s["new_customers"]
    if length > window:  # some new customers may have lapsed again by the end
        new_active = queries.new_active_live(
            scope,
            start=local_start(business.timezone, period.start),
            end_window=local_start(business.timezone, period.end - dt.timedelta(days=window - 1)),
            end=local_start(business.timezone, period.end + dt.timedelta(days=1)),
        )
    revenue = s["paid_minor"] - s["refunded_minor"]
    member_revenue = s["member_paid_minor"] - s["member_refunded_minor"]
    notes: dict[str, str] = {}
    if at_start == 0:
        notes["retention_rate"] = notes["churn_rate"] = _(
            "Not enough data: no active customers at the start of the period."
        )
    elif at_end - new_active > at_start:
        notes["retention_rate"] = _(
            "Above 100 %%: %(count)s customers who had lapsed came back in the period."
        ) % {"count": at_end - new_active - (at_start - lost)}
    if s["orders"] == 0:
        notes["average_order_minor"] = _("Not enough data: no orders in the period.")
    if buyers == 0:
        notes["repeat_purchase_rate"] = notes["purchase_frequency"] = _(
            "Not enough data: no customer bought in the period."
        )
    if s["points_issued"] == 0:
        notes["redemption_rate"] = notes["breakage_rate"] = _(
            "Not enough data: no points were issued in the period."
        )
    return PeriodFigures(
        period=period,
        currency=business.currency,
        window_days=window,
        orders=s["orders"],
        revenue_minor=revenue,
        sales_minor=s["sales_minor"],
        discount_minor=s["discount_minor"],
        refunded_minor=s["refunded_minor"],
        member_orders=s["member_orders"],
        member_revenue_minor=member_revenue,
        member_sales_minor=s["member_sales_minor"],
        member_refunded_minor=s["member_refunded_minor"],
        buyers=buyers,
        visits=s["visits"],
        new_customers=s["new_customers"],
        new_customers_active=new_active,
        customers_at_start=at_start,
        customers_at_end=at_end,
        lost_customers=lost,
        reactivated_customers=at_end - new_active - (at_start - lost),
        one_time_buyers=once,
        customers_total=after.customers_total,
        gap_days=s["gap_days"],
        gaps=s["gaps"],
        points_issued=s["points_issued"],
        points_redeemed=s["points_redeemed"],
        points_expired=s["points_expired"],
        cashback_issued_minor=s["cashback_issued_minor"],
        cashback_redeemed_minor=s["cashback_redeemed_minor"],
        average_order_minor=metrics.average_order_value(revenue_minor=revenue, orders=s["orders"]),
        retention_rate=_round(
            metrics.retention_rate(at_start=at_start, at_end=at_end, new=new_active)
        ),
        churn_rate=_round(metrics.churn_rate(at_start=at_start, lost=lost)),
        repeat_purchase_rate=_round(
            metrics.repeat_purchase_rate(buyers=buyers, one_time_buyers=once)
        ),
        purchase_frequency=_round(
            metrics.purchase_frequency(orders=s["member_orders"], buyers=buyers)
        ),
        days_between_purchases=_round(
            metrics.mean_days_between(gap_days_total=s["gap_days"], gaps=s["gaps"])
        ),
        member_revenue_share=_round(metrics.percent(member_revenue, revenue)),
        redemption_rate=_round(
            metrics.redemption_rate(issued=s["points_issued"], redeemed=s["points_redeemed"])
        ),
        breakage_rate=_round(
            metrics.breakage_rate(issued=s["points_issued"], expired=s["points_expired"])
        ),
        notes=notes,
    )


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def figures_get(
    *, business: Business, period: Period, filters: Filters | None = None
) -> PeriodFigures:
    filters = filters or Filters()
    window = analytics_settings(business).activity_window_days
    source = _source(business, filters, period.start, period.end)
    return _period_figures(business, _scope(business, filters), source, period, window)


# ---------------------------------------------------------------- ROI


@dataclass(frozen=True)
class Roi:
    """Loyalty program ROI = incremental gross margin / program cost.

    `method` "holdout" when campaigns or automations kept holdout groups in the period (at
    least 30 messages sent and 30 held out, else the difference is noise): for each,
    (revenue attributed per message sent − per message held out) × messages sent, at the
    gross margin — measured, not assumed. Otherwise "members_vs_others": members' margin
    per order against the margin per order of sales without a customer (the comparable
    baseline), times members' orders. Both estimates are returned. The margin is the
    business's gross margin % of list-price sales (less refunds). Cost = discounts given +
    rewards (points redeemed at their value; cashback when issued, being money owed) +
    messages sent."""

    period: Period
    currency: str
    method: str
    gross_margin_bp: int
    member_orders: int
    baseline_orders: int
    member_margin_minor: int
    baseline_margin_minor: int
    incremental_margin_minor: int | None  # by `method`
    members_incremental_margin_minor: int | None
    holdout_groups: int  # campaigns and automations measured against a holdout
    holdout_incremental_margin_minor: int | None
    discounts_minor: int
    rewards_minor: int
    messages_minor: int
    cost_minor: int
    roi: float | None
    notes: dict[str, str] = field(default_factory=dict)


def _roi(business: Business, scope: Scope, figures: PeriodFigures) -> Roi:
    bp = analytics_settings(business).gross_margin_bp
    point_value = wallet_settings(business).point_value_minor
    period = figures.period
    member_sales = figures.member_sales_minor - figures.member_refunded_minor
    other_sales = figures.sales_minor - figures.refunded_minor - member_sales
    member_margin = metrics.gross_margin(member_sales, bp)
    baseline_margin = metrics.gross_margin(other_sales, bp)
    baseline_orders = figures.orders - figures.member_orders
    by_members = metrics.incremental_margin(
        members=figures.member_orders,
        member_margin_minor=member_margin,
        baseline=baseline_orders,
        baseline_margin_minor=baseline_margin,
    )
    start, end = _bounds(business, period.start, period.end)
    wallet_scope = dataclasses.replace(scope, location_id=None)
    groups = [
        g
        for g in queries.holdout_groups(wallet_scope, start, end)
        if min(g["treated"], g["holdout"]) >= MIN_HOLDOUT
    ]
    by_holdout = None
    if groups:
        extra_revenue = sum(
            metrics.incremental_margin(
                members=g["treated"],
                member_margin_minor=g["treated_revenue_minor"],
                baseline=g["holdout"],
                baseline_margin_minor=g["holdout_revenue_minor"],
            )
            or 0
            for g in groups
        )
        by_holdout = metrics.gross_margin(extra_revenue, bp)
    incremental = by_holdout if by_holdout is not None else by_members
    cost = metrics.ProgramCost(
        discounts_minor=figures.discount_minor,
        rewards_minor=figures.points_redeemed * point_value + figures.cashback_issued_minor,
        messages_minor=queries.message_cost_total(wallet_scope, start, end),
    )
    notes = {}
    if incremental is None:
        notes["roi"] = _(
            "Not enough data: ROI compares members' orders with sales without a customer, "
            "and the period lacks one of the two."
        )
    elif cost.total_minor == 0:
        notes["roi"] = _("Not enough data: the program cost nothing in the period.")
    return Roi(
        period=period,
        currency=business.currency,
        method="holdout" if by_holdout is not None else "members_vs_others",
        gross_margin_bp=bp,
        member_orders=figures.member_orders,
        baseline_orders=baseline_orders,
        member_margin_minor=member_margin,
        baseline_margin_minor=baseline_margin,
        incremental_margin_minor=incremental,
        members_incremental_margin_minor=by_members,
        holdout_groups=len(groups),
        holdout_incremental_margin_minor=by_holdout,
        discounts_minor=cost.discounts_minor,
        rewards_minor=cost.rewards_minor,
        messages_minor=cost.messages_minor,
        cost_minor=cost.total_minor,
        roi=_round(
            metrics.loyalty_roi(incremental_margin_minor=incremental, cost_minor=cost.total_minor),
            3,
        ),
        notes=notes,
    )


def roi_get(*, business: Business, period: Period, filters: Filters | None = None) -> Roi:
    filters = filters or Filters()
    figures = figures_get(business=business, period=period, filters=filters)
    return _roi(business, _scope(business, filters), figures)


# ---------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class Figure:
    """A headline number, the previous period's, and the change: for percentages the
    difference in percentage points, for everything else the relative change in percent."""

    value: int | float | None
    previous: int | float | None
    change: float | None
    unit: str  # "minor" (money), "count", "percent", "days", "ratio"


@dataclass(frozen=True)
class Dashboard:
    period: Period
    previous_period: Period
    currency: str
    window_days: int
    figures: dict[str, Figure]
    current: PeriodFigures
    previous: PeriodFigures
    roi: Roi
    notes: dict[str, str]


DASHBOARD_FIGURES: dict[str, str] = {
    "revenue_minor": "minor",
    "orders": "count",
    "average_order_minor": "minor",
    "buyers": "count",
    "new_customers": "count",
    "customers_at_start": "count",
    "customers_at_end": "count",
    "retention_rate": "percent",
    "churn_rate": "percent",
    "repeat_purchase_rate": "percent",
    "purchase_frequency": "ratio",
    "days_between_purchases": "days",
    "member_revenue_share": "percent",
    "discount_minor": "minor",
    "points_issued": "count",
    "points_redeemed": "count",
    "points_expired": "count",
    "redemption_rate": "percent",
    "breakage_rate": "percent",
}


def _figure(current: Any, previous: Any, unit: str) -> Figure:
    if unit == "percent":
        change = None if current is None or previous is None else round(current - previous, 2)
    else:
        change = _round(metrics.percent_change(current, previous), 1)
    return Figure(current, previous, change, unit)


def dashboard_get(
    *, business: Business, period: Period, filters: Filters | None = None
) -> Dashboard:
    """The headline figures of a period beside the previous period of the same length, and
    the program's ROI. Reads two periods of rollups (about 2 × days rows, in two aggregate
    queries) and the recency histograms of three days."""
    filters = filters or Filters()
    window = analytics_settings(business).activity_window_days
    previous = period.previous()
    scope = _scope(business, filters)
    source = _source(business, filters, previous.start, period.end)
    current = _period_figures(business, scope, source, period, window)
    before = _period_figures(business, scope, source, previous, window)
    figures = {
        name: _figure(getattr(current, name), getattr(before, name), unit)
        for name, unit in DASHBOARD_FIGURES.items()
    }
    roi = _roi(business, scope, current)
    figures["roi"] = Figure(roi.roi, None, None, "ratio")
    return Dashboard(
        period=period,
        previous_period=previous,
        currency=business.currency,
        window_days=window,
        figures=figures,
        current=current,
        previous=before,
        roi=roi,
        notes={**current.notes, **roi.notes},
    )


# ---------------------------------------------------------------- series


@dataclass(frozen=True)
class ActivityDay:
    day: dt.date
    orders: int
    revenue_minor: int
    buyers: int
    new_customers: int
    active_customers: int
    points_issued: int
    points_redeemed: int


def activity_get(
    *, business: Business, period: Period, filters: Filters | None = None
) -> list[ActivityDay]:
    """One row per day of the period, for charts."""
    filters = filters or Filters()
    window = analytics_settings(business).activity_window_days
    source = _source(business, filters, period.start, period.end)
    return [
        ActivityDay(
            day=day,
            orders=entry.sums["orders"],
            revenue_minor=entry.sums["paid_minor"] - entry.sums["refunded_minor"],
            buyers=entry.sums["visits"],
            new_customers=entry.sums["new_customers"],
            active_customers=metrics.active_customers(entry.recency, window),
            points_issued=entry.sums["points_issued"],
            points_redeemed=entry.sums["points_redeemed"],
        )
        for day, entry in source.days(period.start, period.end)
    ]


@dataclass(frozen=True)
class TrendPoint:
    start: dt.date
    end: dt.date
    orders: int
    revenue_minor: int
    average_order_minor: int | None


@dataclass(frozen=True)
class CartTrend:
    period: Period
    currency: str
    bucket: str
    points: list[TrendPoint]
    slope_minor: float | None  # least-squares change of the average order per bucket
    change: float | None  # first bucket to last, percent


def _bucket_start(day: dt.date, bucket: str) -> dt.date:
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def cart_trend_get(
    *, business: Business, period: Period, filters: Filters | None = None, bucket: str = "week"
) -> CartTrend:
    """Average order value per day, week (from Monday) or month, and its trend."""
    if bucket not in ("day", "week", "month"):
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"bucket": _("Choose day, week or month.")}
        )
    filters = filters or Filters()
    source = _source(business, filters, period.start, period.end)
    buckets: dict[dt.date, list[Any]] = {}
    for day, entry in source.days(period.start, period.end):
        key = max(_bucket_start(day, bucket), period.start)
        item = buckets.setdefault(key, [day, 0, 0])
        item[0] = day
        item[1] += entry.sums["orders"]
        item[2] += entry.sums["paid_minor"] - entry.sums["refunded_minor"]
    points = [
        TrendPoint(
            start,
            last,
            orders,
            revenue,
            metrics.average_order_value(revenue_minor=revenue, orders=orders),
        )
        for start, (last, orders, revenue) in sorted(buckets.items())
    ]
    values = [p.average_order_minor for p in points if p.average_order_minor is not None]
    return CartTrend(
        period=period,
        currency=business.currency,
        bucket=bucket,
        points=points,
        slope_minor=_round(metrics.linear_trend([float(v) for v in values])),
        change=_round(metrics.percent_change(values[-1], values[0]) if values else None, 1),
    )


# ---------------------------------------------------------------- cohorts


@dataclass(frozen=True)
class CohortRow:
    cohort: dt.date  # first day of the month of first purchase
    size: int
    customers: list[int]  # by month offset (0 = the cohort's own month)
    rates: list[float | None]  # the same as percentages of the size
    revenue_minor: list[int]


@dataclass(frozen=True)
class CurvePoint:
    offset: int
    cohorts: int  # cohorts old enough to have this month
    base: int  # their customers
    customers: int  # of whom bought in that month
    rate: float | None


@dataclass(frozen=True)
class Cohorts:
    period: Period
    currency: str
    rows: list[CohortRow]
    curve: list[CurvePoint]  # the retention curve: cohorts pooled by month offset


def _month_offset(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def cohorts_get(
    *, business: Business, period: Period, filters: Filters | None = None, months: int = 12
) -> Cohorts:
    """The cohort retention matrix: customers by month of first purchase (cohorts starting
    in the period), and how many of them bought again 1, 2, … months later (up to `months`,
    and not past the period's end); plus the retention curve pooled over those cohorts."""
    filters = filters or Filters()
    first_month, last_month = period.start.replace(day=1), period.end.replace(day=1)
    cells: dict[dt.date, dict[int, tuple[int, int]]] = {}
    if filters.by_customers:
        scope = _scope(business, filters)
        start, end = _bounds(business, first_month, period.end)
        for _loc, cohort, month, customers, _orders, paid in queries.cohort_rows(scope, start, end):
            if first_month <= cohort <= last_month and month <= last_month:
                cells.setdefault(cohort, {})[_month_offset(cohort, month)] = (customers, paid)
    else:
        rollups.rollups_ensure(business=business, first=period.end, last=period.end)
        if not CohortCell.objects.for_business(business).exists():
            rollups.cohorts_build(business=business)
        qs = CohortCell.objects.for_business(business).filter(
            cohort__gte=first_month, cohort__lte=last_month, month__lte=last_month
        )
        qs = (
            qs.filter(location_id=filters.location_id)
            if filters.location_id is not None
            else qs.filter(location__isnull=True)
        )
        for cohort, offset, customers, paid in qs.values_list(
            "cohort", "offset", "customers", "paid_minor"
        ):
            cells.setdefault(cohort, {})[offset] = (customers, paid)
    rows = []
    for cohort in sorted(cells):
        size = cells[cohort].get(0, (0, 0))[0]
        span = min(months, _month_offset(cohort, last_month))
        counts = [cells[cohort].get(n, (0, 0))[0] for n in range(span + 1)]
        rows.append(
            CohortRow(
                cohort=cohort,
                size=size,
                customers=counts,
                rates=[
                    _round(metrics.cohort_retention(cohort_size=size, active=c), 1) for c in counts
                ],
                revenue_minor=[cells[cohort].get(n, (0, 0))[1] for n in range(span + 1)],
            )
        )
    curve = []
    for offset in range(months + 1):
        having = [r for r in rows if len(r.customers) > offset]
        if not having:
            break
        base = sum(r.size for r in having)
        active = sum(r.customers[offset] for r in having)
        curve.append(
            CurvePoint(offset, len(having), base, active, _round(metrics.percent(active, base), 1))
        )
    return Cohorts(period=period, currency=business.currency, rows=rows, curve=curve)


# ---------------------------------------------------------------- points


@dataclass(frozen=True)
class PointsFigures:
    period: Period
    currency: str
    point_value_minor: int
    issued: int
    redeemed: int
    expired: int
    redemption_rate: float | None
    breakage_rate: float | None
    cashback_issued_minor: int
    cashback_redeemed_minor: int
    # program to date, as of the end of the period
    issued_to_date: int
    redeemed_to_date: int
    expired_to_date: int
    open_points: int  # in lots not yet closed or past expiry
    predicted_redemptions: float | None
    ultimate_redemption_rate: float | None
    liability_minor: int | None  # predicted redemptions at the point value
    notes: dict[str, str] = field(default_factory=dict)


def points_get(
    *, business: Business, period: Period, filters: Filters | None = None
) -> PointsFigures:
    """Points issued, redeemed and expired in the period, redemption and breakage rates, and
    the ultimate redemption rate as of the period's end: (redeemed so far + predicted future
    redemptions) / issued so far, the prediction being each open lot's points times the share
    redeemed (not expired) of closed lots of the same size class (or of all closed lots)."""
    filters = filters or Filters()
    scope = _scope(business, filters, with_location=False)
    figures = figures_get(
        business=business, period=period, filters=dataclasses.replace(filters, location_id=None)
    )
    _start, end = _bounds(business, period.start, period.end)
    totals = queries.wallet_totals(scope, end)
    classes = queries.lot_classes(scope, end)
    open_points = {c: o for c, o, _r, _e in classes}
    history = {c: metrics.LotHistory(r, e) for c, _o, r, e in classes if r or e}
    predicted = metrics.predicted_redemptions(open_points=open_points, history=history)
    urr = metrics.ultimate_redemption_rate(
        issued=totals["points_issued"],
        redeemed=totals["points_redeemed"],
        predicted_future=predicted,
    )
    point_value = wallet_settings(business).point_value_minor
    notes = {}
    if urr is None:
        notes["ultimate_redemption_rate"] = _(
            "Not enough data: no points issued yet, or no lot has been used up or expired yet "
            "to learn from."
        )
    return PointsFigures(
        period=period,
        currency=business.currency,
        point_value_minor=point_value,
        issued=figures.points_issued,
        redeemed=figures.points_redeemed,
        expired=figures.points_expired,
        redemption_rate=figures.redemption_rate,
        breakage_rate=figures.breakage_rate,
        cashback_issued_minor=figures.cashback_issued_minor,
        cashback_redeemed_minor=figures.cashback_redeemed_minor,
        issued_to_date=totals["points_issued"],
        redeemed_to_date=totals["points_redeemed"],
        expired_to_date=totals["points_expired"],
        open_points=sum(open_points.values()),
        predicted_redemptions=_round(predicted),
        ultimate_redemption_rate=_round(urr),
        liability_minor=None if predicted is None else round(predicted * point_value),
        notes={
            **{k: v for k, v in figures.notes.items() if k in ("redemption_rate", "breakage_rate")},
            **notes,
        },
    )


# ---------------------------------------------------------------- unprofitable customers


@dataclass(frozen=True)
class CustomerMargin:
    customer_id: int
    name: str
    orders: int
    revenue_minor: int
    discount_minor: int
    rewards_minor: int
    messages_minor: int
    margin_minor: int


@dataclass(frozen=True)
class Unprofitable:
    period: Period
    currency: str
    gross_margin_bp: int
    buyers: int
    unprofitable: int
    share: float | None
    revenue_minor: int  # what the unprofitable customers paid
    worst: list[CustomerMargin]


def unprofitable_get(
    *, business: Business, period: Period, filters: Filters | None = None, limit: int = 20
) -> Unprofitable:
    """Buyers of the period whose margin after rewards is below zero: the gross margin of
    what they bought (list price, less refunds) minus their discounts, their rewards (points
    redeemed at their value, cashback issued to them) and their messages."""
    filters = filters or Filters()
    bp = analytics_settings(business).gross_margin_bp
    start, end = _bounds(business, period.start, period.end)
    counts, rows = queries.customer_margins(
        _scope(business, filters),
        start,
        end,
        margin_bp=bp,
        point_value_minor=wallet_settings(business).point_value_minor,
        worst=max(0, min(limit, 500)),
    )
    names = dict(
        Customer.objects.for_business(business)
        .filter(pk__in=[r[0] for r in rows])
        .values_list("pk", "name")
    )
    worst = [
        CustomerMargin(
            customer_id=c,
            name=names.get(c, ""),
            orders=n,
            revenue_minor=paid,
            discount_minor=d,
            rewards_minor=rewards,
            messages_minor=msgs,
            margin_minor=metrics.margin_after_rewards(
                sales_minor=s,
                refunded_minor=r,
                discount_minor=d,
                rewards_minor=rewards,
                messages_minor=msgs,
                margin_bp=bp,
            ),
        )
        for c, s, r, d, rewards, msgs, paid, n in rows
    ]
    return Unprofitable(
        period=period,
        currency=business.currency,
        gross_margin_bp=bp,
        buyers=counts["buyers"],
        unprofitable=counts["unprofitable"],
        share=_round(metrics.percent(counts["unprofitable"], counts["buyers"])),
        revenue_minor=counts["paid_minor"],
        worst=worst,
    )


# ---------------------------------------------------------------- RFM


@dataclass(frozen=True)
class RfmSegment:
    segment: str
    label: str
    customers: int
    share: float | None
    recency_days: float | None  # averages over the segment
    orders: float | None
    spent_minor: int | None
    revenue_minor: int


@dataclass(frozen=True)
class Rfm:
    scored_on: dt.date | None
    currency: str
    customers: int
    segments: list[RfmSegment]  # every segment, in the grid's order, empty ones included


def rfm_get(*, business: Business, filters: Filters | None = None) -> Rfm:
    """Customers per RFM segment as scored last night (scored now when never scored)."""
    filters = filters or Filters()
    _ensure_scores(business)
    scope = _scope(business, filters, with_location=False)
    rows = {row["segment"]: row for row in queries.rfm_distribution(scope)}
    total = sum(int(r["customers"]) for r in rows.values())
    scored_on = (
        CustomerRfm.objects.for_business(business)
        .order_by("-scored_on")
        .values_list("scored_on", flat=True)
        .first()
    )
    segments = []
    for name in metrics.RFM_SEGMENTS:
        row = rows.get(name)
        count = int(row["customers"]) if row else 0
        segments.append(
            RfmSegment(
                segment=name,
                label=rfm_label(name),
                customers=count,
                share=_round(metrics.percent(count, total)),
                recency_days=_round(float(row["recency"]), 1) if row else None,
                orders=_round(float(row["frequency"]), 1) if row else None,
                spent_minor=round(float(row["monetary"])) if row else None,
                revenue_minor=int(row["revenue"] or 0) if row else 0,
            )
        )
    return Rfm(scored_on=scored_on, currency=business.currency, customers=total, segments=segments)


# ---------------------------------------------------------------- tiers


@dataclass(frozen=True)
class TierCount:
    tier_id: int | None
    name: str
    customers: int


@dataclass(frozen=True)
class TierMove:
    from_tier: str  # "" for none
    to_tier: str
    customers: int
    direction: str  # "up", "down" or "new"


@dataclass(frozen=True)
class Tiers:
    period: Period
    distribution: list[TierCount]  # now
    at_start: list[TierCount] | None  # snapshot of the day before the period, if taken
    moves: list[TierMove]  # seen by the nightly runs within the period
    upgrades: int
    downgrades: int


def tiers_get(*, business: Business, period: Period) -> Tiers:
    """How many customers hold each tier, and the tier changes the nightly runs saw during
    the period (upgrades, downgrades; movements before the first nightly run are unknown)."""
    tiers = {t.pk: t for t in Tier.objects.for_business(business)}
    rank = {pk: t.min_spend_minor for pk, t in tiers.items()}

    def name(tier_id: Any) -> str:
        tier = tiers.get(int(tier_id)) if tier_id not in (None, "-", "") else None
        return tier.name if tier else ""

    def counts(raw: dict[str, int]) -> list[TierCount]:
        return [
            TierCount(int(k), name(k), int(v))
            for k, v in sorted(raw.items(), key=lambda kv: rank.get(int(kv[0]), 0))
        ]

    scope = Scope(business.pk, business.timezone)
    rows = DailyRollup.objects.for_business(business).filter(location__isnull=True)
    start_row = rows.filter(day=period.start - dt.timedelta(days=1)).values("tiers").first()
    moves: dict[str, int] = {}
    for raw in rows.filter(day__gte=period.start, day__lte=period.end).values_list(
        "tier_moves", flat=True
    ):
        for key, value in (raw or {}).items():
            moves[key] = moves.get(key, 0) + int(value)
    result_moves = []
    up = down = 0
    for key, value in sorted(moves.items()):
        old, new = key.split(">")
        if old == "-":
            direction = "new"
        elif new == "-" or rank.get(int(new), 0) < rank.get(int(old), 0):
            direction = "down"
        else:
            direction = "up"
        up += value if direction in ("up", "new") else 0
        down += value if direction == "down" else 0
        result_moves.append(TierMove(name(old), name(new), value, direction))
    return Tiers(
        period=period,
        distribution=counts(queries.tier_counts(scope)),
        at_start=counts(start_row["tiers"]) if start_row and start_row["tiers"] else None,
        moves=result_moves,
        upgrades=up,
        downgrades=down,
    )


# ---------------------------------------------------------------- promotions


@dataclass(frozen=True)
class Comparison:
    """Treated vs control per unit (a day, or a customer), with a 95 % interval of the
    difference (normal approximation, Welch's unpooled standard error)."""

    measure: str  # "orders" or "revenue_minor"
    unit: str  # "day" or "customer"
    treated_mean: float
    control_mean: float
    difference: float
    low: float | None
    high: float | None
    uplift: float | None  # difference / control mean, percent
    significant: bool


@dataclass(frozen=True)
class Uplift:
    promotion_id: int
    name: str
    currency: str
    method: str  # "holdout" or "before_after"
    period: Period  # when the promotion ran (within the asked period)
    baseline: Period  # the control period (before_after) or the same period (holdout)
    after: Period | None  # the same length after the end, once it has passed (after-effect)
    audience: str
    uses: int
    comparisons: list[Comparison]
    after_effect: list[Comparison]
    notes: dict[str, str] = field(default_factory=dict)


def _audience_scope(business: Business, promotion: Promotion) -> tuple[Scope, bool]:
    """The customers a promotion addresses, and whether anonymous sales count too."""
    base = Scope(business.pk, business.timezone)
    if promotion.audience == Audience.SEGMENT:
        ids = [int(v) for v in promotion.audience_values or [] if str(v).isdigit()]
        members = Q(pk__lt=0)
        for segment in Segment.objects.for_business(business).filter(pk__in=ids):
            members |= Q(pk__in=segment_customers(business, segment.filters).values("pk"))
        qs = Customer.objects.for_business(business).filter(members)
        return dataclasses.replace(base, customers=CustomerSet.of(qs)), False
    if promotion.audience == Audience.TIER:
        names = [str(v) for v in promotion.audience_values or []]
        qs = Customer.objects.for_business(business).filter(tier_state__tier__name__in=names)
        return dataclasses.replace(base, customers=CustomerSet.of(qs)), False
    return base, promotion.audience != Audience.MEMBERS


def _daily_comparisons(
    treated: dict[dt.date, tuple[int, int]],
    control: dict[dt.date, tuple[int, int]],
    treated_days: Period,
    control_days: Period,
) -> list[Comparison]:
    result = []
    for index, measure in ((0, "orders"), (1, "revenue_minor")):

        def values(
            data: dict[dt.date, tuple[int, int]], span: Period, i: int = index
        ) -> list[float]:
            return [
                float(data.get(span.start + dt.timedelta(days=n), (0, 0))[i])
                for n in range(span.days)
            ]

        result.append(
            _comparison(
                measure,
                "day",
                metrics.SampleStats.of(values(treated, treated_days)),
                metrics.SampleStats.of(values(control, control_days)),
            )
        )
    return result


def _comparison(
    measure: str, unit: str, treated: metrics.SampleStats, control: metrics.SampleStats
) -> Comparison:
    interval = metrics.welch_interval(treated, control)
    diff = treated.mean - control.mean
    return Comparison(
        measure=measure,
        unit=unit,
        treated_mean=round(treated.mean, 2),
        control_mean=round(control.mean, 2),
        difference=round(diff, 2),
        low=_round(interval.low) if interval else None,
        high=_round(interval.high) if interval else None,
        uplift=_round(metrics.percent(diff, control.mean) if control.mean else None, 1),
        significant=bool(interval and interval.significant),
    )


def promotion_holdout(business: Business, promotion: Promotion) -> CustomerSet | None:
    """The customers deliberately kept out of a promotion, when it has a holdout group.
    Promotions have none yet (messaging campaigns will); then uplift compares the same
    audience before and during the promotion."""
    return None


def promotion_uplift_get(
    *, business: Business, promotion_id: int, period: Period | None = None
) -> Uplift:
    """Orders and revenue of the promotion's audience while it ran, against its holdout when
    it has one, otherwise against the same number of days just before it started; per day
    (or per customer with a holdout), with a 95 % confidence interval of the difference. Also
    the same number of days after it ended, once they have passed (the after-effect)."""
    promotion = get_owned(Promotion, business, pk=promotion_id)
    tz = business.timezone
    today = local_today(tz)
    ran_from = (
        local_today(tz, promotion.starts_at)
        if promotion.starts_at
        else local_today(tz, promotion.created_at)
    )
    ran_to = min(local_today(tz, promotion.ends_at) if promotion.ends_at else today, today)
    if period is not None:
        ran_from, ran_to = max(ran_from, period.start), min(ran_to, period.end)
    if ran_to < ran_from:
        raise ValidationFailed(
            _("The promotion did not run in this period."), code="promotion_not_running"
        )
    treated_days = Period(ran_from, ran_to)
    scope, everyone = _audience_scope(business, promotion)
    uses = Promotion.objects.filter(pk=promotion.pk).values_list("uses_count", flat=True).first()
    holdout = promotion_holdout(business, promotion)
    notes: dict[str, str] = {}
    if holdout is not None and scope.customers is not None:
        start, end = _bounds(business, treated_days.start, treated_days.end)
        comparisons = []
        size_t, _ordered_t, paid_t, sq_t, _n_t = queries.customer_sums(
            scope, start, end, scope.customers
        )
        size_c, _ordered_c, paid_c, sq_c, _n_c = queries.customer_sums(scope, start, end, holdout)
        comparisons.append(
            _comparison(
                "revenue_minor",
                "customer",
                metrics.SampleStats.from_sums(size_t, paid_t, sq_t),
                metrics.SampleStats.from_sums(size_c, paid_c, sq_c),
            )
        )
        return Uplift(
            promotion_id=promotion.pk,
            name=promotion.name,
            currency=business.currency,
            method="holdout",
            period=treated_days,
            baseline=treated_days,
            after=None,
            audience=promotion.audience,
            uses=int(uses or 0),
            comparisons=comparisons,
            after_effect=[],
        )
    baseline = treated_days.previous()
    after = Period(ran_to + dt.timedelta(days=1), ran_to + dt.timedelta(days=treated_days.days))
    has_after = after.end < today
    span_end = after.end if has_after else treated_days.end
    start, end = _bounds(business, baseline.start, span_end)
    daily = queries.daily_audience_sums(scope, start, end, everyone=everyone)
    comparisons = _daily_comparisons(daily, daily, treated_days, baseline)
    after_effect = _daily_comparisons(daily, daily, after, baseline) if has_after else []
    if treated_days.days < 2:
        notes["comparisons"] = _(
            "Not enough data: the promotion ran for less than two days, too few to compare."
        )
    return Uplift(
        promotion_id=promotion.pk,
        name=promotion.name,
        currency=business.currency,
        method="before_after",
        period=treated_days,
        baseline=baseline,
        after=after if has_after else None,
        audience=promotion.audience,
        uses=int(uses or 0),
        comparisons=comparisons,
        after_effect=after_effect,
        notes=notes,
    )


@dataclass(frozen=True)
class CodeUsage:
    promotion_id: int
    name: str
    period: Period
    currency: str
    uses: int
    anonymous_uses: int
    customers: int  # reach
    repeat_customers: int  # used it at least twice in the period
    repeat_share: float | None
    uses_histogram: dict[str, int]  # "1", "2", "3+" → customers
    discount_minor: int
    codes_issued: int
    codes_used: int
    top_codes: list[dict[str, Any]]


def code_usage_get(*, business: Business, promotion_id: int, period: Period) -> CodeUsage:
    """A promotion's code use in the period: reach (customers), uses, repeat use (how many
    used it two or three times), discount given, codes issued and used."""
    promotion = get_owned(Promotion, business, pk=promotion_id)
    start, end = _bounds(business, period.start, period.end)
    raw = queries.code_usage(business.pk, promotion.pk, start, end)
    histogram = raw["uses_histogram"]
    reach = sum(histogram.values())
    repeat = sum(v for k, v in histogram.items() if k >= 2)
    buckets = {"1": histogram.get(1, 0), "2": histogram.get(2, 0)}
    buckets["3+"] = sum(v for k, v in histogram.items() if k >= 3)
    return CodeUsage(
        promotion_id=promotion.pk,
        name=promotion.name,
        period=period,
        currency=business.currency,
        uses=raw["uses"],
        anonymous_uses=raw["anonymous_uses"],
        customers=reach,
        repeat_customers=repeat,
        repeat_share=_round(metrics.repeat_use_share(customers=reach, repeat_customers=repeat)),
        uses_histogram=buckets,
        discount_minor=raw["discount_minor"],
        codes_issued=raw["codes_issued"],
        codes_used=raw["codes_used"],
        top_codes=raw["top_codes"],
    )


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class Report:
    business: str
    currency: str
    filters: Filters
    dashboard: Dashboard
    points: PointsFigures
    rfm: Rfm
    unprofitable: Unprofitable


def report_get(*, business: Business, period: Period, filters: Filters | None = None) -> Report:
    """The main figures of a period, as `wateja report` prints them."""
    filters = filters or Filters()
    return Report(
        business=business.name,
        currency=business.currency,
        filters=filters,
        dashboard=dashboard_get(business=business, period=period, filters=filters),
        points=points_get(business=business, period=period, filters=filters),
        rfm=rfm_get(business=business, filters=dataclasses.replace(filters, location_id=None)),
        unprofitable=unprofitable_get(business=business, period=period, filters=filters, limit=5),
    )


def as_dict(value: Any) -> Any:
    """Any result of this module as JSON-ready data: dataclasses as dicts, dates as ISO."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: as_dict(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
    if isinstance(value, dict):
        return {str(k): as_dict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_dict(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- nightly


NIGHTLY_HOUR = 1  # local: the day before is complete, and the shop is closed


def analytics_nightly_due(business: Business, now: dt.datetime | None = None) -> bool:
    """True once it is past 01:00 in the business's time zone and last night's run has not
    happened yet (yesterday's row was not built after local midnight)."""
    now = now or timezone.now()
    tz = business.timezone
    today = local_today(tz, now)
    if now < local_start(tz, today) + dt.timedelta(hours=NIGHTLY_HOUR):
        return False
    built = (
        DailyRollup.objects.for_business(business)
        .filter(location__isnull=True, day=today - dt.timedelta(days=1))
        .values_list("built_at", flat=True)
        .first()
    )
    return built is None or built < local_start(tz, today)


def analytics_nightly(*, business: Business, now: dt.datetime | None = None) -> dict[str, Any]:
    """Last night's work for one business: roll up the days up to yesterday (and any month
    whose data changed), snapshot the tiers and their movements on yesterday's row, and
    rescore RFM as of yesterday. Idempotent: a second run redoes the same."""
    now = now or timezone.now()
    done = rollups.rollups_refresh(business=business, now=now)
    yesterday = local_today(business.timezone, now) - dt.timedelta(days=1)
    scope = Scope(business.pk, business.timezone)
    had_scores = CustomerRfm.objects.for_business(business).exists()
    moves = queries.tier_moves(scope) if had_scores else {}
    DailyRollup.objects.for_business(business).filter(location__isnull=True, day=yesterday).update(
        tiers=queries.tier_counts(scope), tier_moves=moves
    )
    done["rfm"] = rfm_score(business=business, as_of=yesterday)
    done["clv"] = clv_refit(business=business, as_of=yesterday)
    return done
