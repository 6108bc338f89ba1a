"""Daily rollups and cohort cells: what the dashboard reads instead of the raw orders.

`compute_days` turns the aggregates of `queries` into one `Day` per business-local day (the
whole business, or each location): additive sums (orders, money, visits, new customers, gaps
between visits, wallet figures) and the *recency histograms* at the day's end (customers by
days since their last visit; the same for customers with a single visit). Most customer
figures of any period are read from the histograms of two days (see `wateja.core.metrics`).

The histograms of many days come from one pass over the orders: each visit (customer, day)
with the customer's next visit day, grouped by those two days. A visit on day p is a
customer's last one at age r = e − p of day e while the next visit is more than r days later;
so per visit day p the counts by age r are one difference array along r, and the histogram of
day e is the diagonal {(e − r, r)}. numpy does this on aggregates (at most a few rows per pair
of days), never on rows per customer.

`rollups_build` writes the rows for a range of days (idempotent: the range is replaced),
`cohorts_build` the cohort cells from a month on, and `rollups_refresh` is the nightly run:
the last days, plus every month whose orders or postings changed since it was rolled up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction

from wateja.analytics import queries
from wateja.analytics.models import CohortCell, DailyRollup, RollupMonth
from wateja.analytics.queries import ORDER_SUM_FIELDS, WALLET_FIELDS, Scope
from wateja.core.localtime import local_date, local_start, local_today
from wateja.tenants.models import Business, Location

RECENCY_CAP = 730  # days of recency kept per day; older last visits are counted, not placed
VISIT_FIELDS = ("visits", "new_customers", "gap_days", "gaps")
SUM_FIELDS = (*ORDER_SUM_FIELDS, *VISIT_FIELDS, *WALLET_FIELDS)
RECENT_DAYS = 3  # the nightly run rebuilds this many last days (late till uploads)


@dataclass
class Day:
    """One local day of one scope: additive sums and the customer base at the day's end."""

    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUM_FIELDS, 0))
    customers_total: int = 0
    recency: list[int] = field(default_factory=list)
    recency_once: list[int] = field(default_factory=list)


def scope_for(business: Business, **kwargs: Any) -> Scope:
    return Scope(business.pk, business.timezone, **kwargs)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _trim(values: np.ndarray) -> list[int]:
    nonzero = np.flatnonzero(values)
    if len(nonzero) == 0:
        return []
    return [int(v) for v in values[: nonzero[-1] + 1]]


def _histograms(
    groups: list[queries.VisitGroup], first: dt.date, n_days: int, cap: int, *, once: bool
) -> np.ndarray:
    """(n_days × cap+1) recency histograms from the "l" visit groups."""
    base = first.toordinal() - cap
    matrix = np.zeros((n_days + cap, cap + 1), dtype=np.int64)
    rows, cols, counts = [], [], []
    for g in groups:
        if g.part != "l" or (once and not g.first):
            continue
        p = g.day.toordinal() - base
        if p < 0 or p >= n_days + cap:
            continue
        rows.append(p)
        cols.append(0)
        counts.append(g.count)
        if g.next_day is not None:
            gap = (g.next_day - g.day).days
            if gap <= cap:
                rows.append(p)
                cols.append(gap)
                counts.append(-g.count)
    if rows:
        np.add.at(matrix, (np.array(rows), np.array(cols)), np.array(counts, dtype=np.int64))
    matrix = np.cumsum(matrix, axis=1)
    ages = np.arange(cap + 1)
    ends = np.arange(n_days) + cap
    result: np.ndarray = matrix[ends[:, None] - ages[None, :], ages[None, :]]
    return result


def compute_days(
    scope: Scope,
    first: dt.date,
    last: dt.date,
    *,
    per_location: bool = False,
    partitions: list[int] | None = None,
    wallet: bool = True,
    cap: int = RECENCY_CAP,
) -> dict[int, dict[dt.date, Day]]:
    """Every day first..last for the scope: partition 0 (the scope as a whole), or each
    location id when `per_location` (`partitions` lists the ids that get rows even when they
    sold nothing). Wallet figures only on partition 0 and only when `wallet`."""
    start, end = (
        local_start(scope.timezone, first),
        local_start(scope.timezone, last + dt.timedelta(days=1)),
    )
    days = _days(first, last)
    keys = list(partitions or []) if per_location else [0]
    result: dict[int, dict[dt.date, Day]] = {k: {d: Day() for d in days} for k in keys}

    def days_of(part: int) -> dict[dt.date, Day]:
        if part not in result:
            result[part] = {d: Day() for d in days}
        return result[part]

    for part, day, sums in queries.order_sums_by_day(scope, start, end, per_location=per_location):
        days_of(part)[day].sums.update(sums)

    groups = queries.visit_groups(scope, first, last, end, cap=cap, per_location=per_location)
    by_part: dict[int, list[queries.VisitGroup]] = {}
    for g in groups:
        by_part.setdefault(g.partition, []).append(g)
    for part, part_groups in by_part.items():
        target = days_of(part)
        recency = _histograms(part_groups, first, len(days), cap, once=False)
        once = _histograms(part_groups, first, len(days), cap, once=True)
        before = 0
        new_by_day: dict[dt.date, int] = {}
        for g in part_groups:
            if g.part == "f":
                if g.day < first:
                    before += g.count
                else:
                    new_by_day[g.day] = new_by_day.get(g.day, 0) + g.count
            elif g.part == "g" and g.next_day is not None and g.next_day in target:
                sums = target[g.next_day].sums
                sums["gap_days"] += (g.next_day - g.day).days * g.count
                sums["gaps"] += g.count
        total = before
        for n, day in enumerate(days):
            entry = target[day]
            total += new_by_day.get(day, 0)
            entry.customers_total = total
            entry.sums["new_customers"] = new_by_day.get(day, 0)
            entry.sums["visits"] = int(recency[n, 0])
            entry.recency = _trim(recency[n])
            entry.recency_once = _trim(once[n])

    if wallet and not per_location:
        for day, sums in queries.wallet_sums_by_day(scope, start, end).items():
            if day in result[0]:
                result[0][day].sums.update(sums)
    return result


# ---------------------------------------------------------------- writing


def _row(business: Business, day: dt.date, location_id: int | None, entry: Day) -> DailyRollup:
    return DailyRollup(
        business=business,
        day=day,
        location_id=location_id,
        customers_total=entry.customers_total,
        recency=entry.recency,
        recency_once=entry.recency_once,
        **entry.sums,
    )


def rollups_build(*, business: Business, start: dt.date, end: dt.date) -> int:
    """Recompute the rows of days start..end (whole business and every location) and replace
    whatever was stored for them; the tier snapshots already taken on those days are kept.
    Returns the rows written."""
    if end < start:
        return 0
    scope = scope_for(business)
    locations = list(Location.objects.for_business(business).values_list("id", flat=True))
    total = compute_days(scope, start, end)[0]
    per_location = compute_days(scope, start, end, per_location=True, partitions=locations)
    kept = {
        row["day"]: (row["tiers"], row["tier_moves"])
        for row in DailyRollup.objects.for_business(business)
        .filter(location__isnull=True, day__gte=start, day__lte=end)
        .values("day", "tiers", "tier_moves")
        if row["tiers"] or row["tier_moves"]
    }
    rows = []
    for day, entry in total.items():
        row = _row(business, day, None, entry)
        row.tiers, row.tier_moves = kept.get(day, ({}, {}))
        rows.append(row)
    for location_id, days in per_location.items():
        rows.extend(_row(business, day, location_id, entry) for day, entry in days.items())
    with transaction.atomic():
        DailyRollup.objects.for_business(business).filter(day__gte=start, day__lte=end).delete()
        DailyRollup.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def cohorts_build(*, business: Business, since: dt.date | None = None) -> int:
    """Recompute the cohort cells of purchases made from the month of `since` on (all months
    when None) — a customer's cohort is the month of their first purchase ever, so a month's
    cells never depend on later months. Returns the cells written."""
    scope = scope_for(business)
    tz = business.timezone
    month = _month(since) if since else None
    start = local_start(tz, month) if month else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    end = local_start(tz, local_today(tz) + dt.timedelta(days=1))
    cells = []
    for per_location in (False, True):
        for loc, cohort, active, customers, orders, paid in queries.cohort_rows(
            scope, start, end, per_location=per_location
        ):
            cells.append(
                CohortCell(
                    business=business,
                    location_id=loc if per_location else None,
                    cohort=cohort,
                    offset=_months_between(cohort, active),
                    month=active,
                    customers=customers,
                    orders=orders,
                    paid_minor=paid,
                )
            )
    with transaction.atomic():
        stale = CohortCell.objects.for_business(business)
        if month is not None:
            stale = stale.filter(month__gte=month)
        stale.delete()
        CohortCell.objects.bulk_create(cells, batch_size=1000)
    return len(cells)


def first_activity_day(business: Business) -> dt.date | None:
    """The local day of the business's first order or first posting."""
    moments = [m for m in queries.activity_bounds(scope_for(business)) if m is not None]
    if not moments:
        return None
    return min(local_date(m, business.timezone) for m in moments)


def missing_days(business: Business, first: dt.date, last: dt.date) -> list[dt.date]:
    """Days first..last without a whole-business row."""
    have = set(
        DailyRollup.objects.for_business(business)
        .filter(location__isnull=True, day__gte=first, day__lte=last)
        .values_list("day", flat=True)
    )
    return [d for d in _days(first, last) if d not in have]


def rollups_ensure(*, business: Business, first: dt.date, last: dt.date) -> int:
    """Build the rows missing between first and last (at most yesterday), once: the first
    read of a period nobody rolled up yet pays for it."""
    last = min(last, local_today(business.timezone) - dt.timedelta(days=1))
    if last < first:
        return 0
    missing = missing_days(business, first, last)
    if not missing:
        return 0
    try:
        built = rollups_build(business=business, start=missing[0], end=missing[-1])
        if not CohortCell.objects.for_business(business).exists():
            cohorts_build(business=business)
    except IntegrityError:  # another request built the same days meanwhile
        return 0
    return built


def rollups_refresh(*, business: Business, now: dt.datetime | None = None) -> dict[str, Any]:
    """The nightly run for one business: rebuild the last days up to yesterday (local), and
    every month from the earliest one whose fingerprint (orders, money, postings) changed
    since it was rolled up — a first run therefore rolls up the whole history. Cohort cells
    from the same month on. Returns what was done."""
    tz = business.timezone
    yesterday = local_today(tz, now) - dt.timedelta(days=1)
    scope = scope_for(business)
    fingerprints = queries.month_fingerprints(scope)
    stored = dict(RollupMonth.objects.for_business(business).values_list("month", "fingerprint"))
    changed = sorted(
        {m for m, f in fingerprints.items() if stored.get(m) != f}
        | {m for m in stored if m not in fingerprints}
    )
    start = yesterday - dt.timedelta(days=RECENT_DAYS - 1)
    if changed:
        start = min(start, changed[0])
    first = first_activity_day(business)
    if first is not None:
        start = max(start, min(first, yesterday))
    days = rollups_build(business=business, start=start, end=yesterday)
    cells = cohorts_build(business=business, since=start)
    with transaction.atomic():
        RollupMonth.objects.for_business(business).exclude(month__in=fingerprints).delete()
        for month, fingerprint in fingerprints.items():
            RollupMonth.objects.update_or_create(
                business=business, month=month, defaults={"fingerprint": fingerprint}
            )
    return {"from": start, "to": yesterday, "rows": days, "cohort_cells": cells}
