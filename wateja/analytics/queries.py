"""The analytics SQL: every figure is aggregated inside the database (PostgreSQL or SQLite)
and only the aggregates come back. Every query is filtered by `business_id` first (the plan is
Citus distributed by business), and most can be narrowed to one location and to a set of
customers (a saved segment or an RFM segment), given as a SQL subquery.

Days are the business's local days: `placed_at` and `resolved_at` are converted with the
database's own time-zone functions (Django's backend operations), so SQLite and PostgreSQL
agree. Dates come back as `datetime.date` on both.

The statements are assembled from table names, fixed fragments and the backend's own
expressions; every value travels as a query parameter (hence the file-wide S608/S611 waiver).
"""
# ruff: noqa: S608, S611

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from wateja.analytics.models import CustomerRfm
from wateja.core.metrics import RFM_BANDS, RFM_GRID
from wateja.customers.models import Customer
from wateja.dbrouting import reads_connection
from wateja.orders.models import Order
from wateja.promotions.models import CustomerTier, PromoCode, Redemption, RedemptionStatus
from wateja.wallet.models import Account, Lot, LotUse, SystemAccount, Transfer, TransferStatus

ORDERS = Order._meta.db_table
CUSTOMERS = Customer._meta.db_table
TRANSFERS = Transfer._meta.db_table
ACCOUNTS = Account._meta.db_table
LOTS = Lot._meta.db_table
LOT_USES = LotUse._meta.db_table
RFM = CustomerRfm._meta.db_table

REDEEMING = (SystemAccount.REDEMPTION, SystemAccount.DONATION, SystemAccount.PAYOUT)


@dataclass(frozen=True)
class CustomerSet:
    """A subquery selecting customer ids, with its parameters."""

    sql: str
    params: tuple[Any, ...]

    @classmethod
    def of(cls, queryset: QuerySet) -> CustomerSet:
        try:
            sql, params = queryset.values("pk").query.sql_with_params()
        except EmptyResultSet:
            return cls("SELECT 0 WHERE 1 = 0", ())
        return cls(sql, tuple(params))


@dataclass(frozen=True)
class Scope:
    """Which orders a query looks at: a business, in its time zone, optionally one location
    and a set of customers."""

    business_id: int
    timezone: str
    location_id: int | None = None
    customers: CustomerSet | None = None

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


# ---------------------------------------------------------------- SQL helpers


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    # the read replica inside a report (wateja/dbrouting.py), else the primary
    with reads_connection().cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def _execute(sql: str, params: Sequence[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return int(cursor.rowcount or 0)


def local_day(column: str, tz: str) -> tuple[str, list[Any]]:
    """SQL for the business-local date of a UTC timestamp column."""
    sql, params = connection.ops.datetime_cast_date_sql(column, (), tz)
    return sql, list(params)


def local_month(column: str, tz: str) -> tuple[str, list[Any]]:
    """SQL for the first moment of the business-local month of a timestamp column."""
    result: Any = connection.ops.datetime_trunc_sql("month", column, (), tz)
    sql, params = result
    return sql, list(params)


def day_param(day: dt.date) -> Any:
    """A date as the database compares it with a local-date expression."""
    return day.isoformat() if connection.vendor == "sqlite" else day


def as_date(value: Any) -> dt.date | None:
    """A date from what the database returned (a date, a datetime or ISO text)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _order_filters(alias: str, scope: Scope) -> tuple[str, list[Any]]:
    sql, params = "", []
    if scope.location_id is not None:
        sql += f" AND {alias}.location_id = %s"
        params.append(scope.location_id)
    if scope.customers is not None:
        sql += f" AND {alias}.customer_id IN ({scope.customers.sql})"
        params.extend(scope.customers.params)
    return sql, params


def _partition(alias: str, per_location: bool) -> tuple[str, str]:
    """The partition column (the location, or 0 for the whole business) and its filter."""
    if per_location:
        return f"{alias}.location_id", f" AND {alias}.location_id IS NOT NULL"
    return "0", ""


# ---------------------------------------------------------------- orders by day


ORDER_SUM_FIELDS = (
    "orders",
    "sales_minor",
    "discount_minor",
    "paid_minor",
    "refunded_minor",
    "member_orders",
    "member_sales_minor",
    "member_paid_minor",
    "member_refunded_minor",
)


def order_sums_by_day(
    scope: Scope, start: dt.datetime, end: dt.datetime, *, per_location: bool = False
) -> list[tuple[int, dt.date, dict[str, int]]]:
    """(partition, local day, sums) for orders placed in [start, end): counts and money of
    all orders and of those with a customer (members)."""
    part, part_filter = _partition("o", per_location)
    day, day_params = local_day("o.placed_at", scope.timezone)
    extra, extra_params = _order_filters("o", scope)
    member = "CASE WHEN o.customer_id IS NOT NULL THEN {} ELSE 0 END"
    sql = f"""
        SELECT {part}, {day}, COUNT(*), SUM(o.subtotal_minor), SUM(o.discount_minor),
               SUM(o.total_minor), SUM(o.refunded_minor),
               SUM({member.format(1)}), SUM({member.format("o.subtotal_minor")}),
               SUM({member.format("o.total_minor")}), SUM({member.format("o.refunded_minor")})
        FROM {ORDERS} o
        WHERE o.business_id = %s AND o.placed_at >= %s AND o.placed_at < %s{part_filter}{extra}
        GROUP BY 1, 2
    """
    rows = _rows(sql, [*day_params, scope.business_id, start, end, *extra_params])
    result = []
    for row in rows:
        day_value = as_date(row[1])
        assert day_value is not None
        result.append(
            (int(row[0]), day_value, dict(zip(ORDER_SUM_FIELDS, map(_int, row[2:]), strict=True)))
        )
    return result


def _int(value: Any) -> int:
    return int(value or 0)


# ---------------------------------------------------------------- visits


@dataclass(frozen=True)
class VisitGroup:
    """Visits (customer-days) grouped by day, the customer's next visit day and whether it
    was their first. `part` tells which question the group answers:
    "f" first visits by day (all days up to the end), "l" visits that may still be a
    customer's last one inside the range, "g" visits followed by another one inside the
    range (for the gaps between visits)."""

    part: str
    partition: int
    day: dt.date
    next_day: dt.date | None
    first: bool
    count: int


def visit_groups(
    scope: Scope,
    first_day: dt.date,
    last_day: dt.date,
    end: dt.datetime,
    *,
    cap: int,
    per_location: bool = False,
) -> list[VisitGroup]:
    """One pass over the scope's orders up to `end` (the end of `last_day`): each customer's
    visit days with the next one (LEAD) and their rank, aggregated into the three groupings
    above for the days `first_day`..`last_day`. Rows returned are at most a few per pair of
    days, never per customer."""
    part, part_filter = _partition("o", per_location)
    day, day_params = local_day("o.placed_at", scope.timezone)
    extra, extra_params = _order_filters("o", scope)
    first = "CASE WHEN n = 1 THEN 1 ELSE 0 END"
    sql = f"""
        WITH v AS (
            SELECT {part} AS loc, o.customer_id AS c, {day} AS day
            FROM {ORDERS} o
            WHERE o.business_id = %s AND o.customer_id IS NOT NULL AND o.placed_at < %s
                {part_filter}{extra}
            GROUP BY 1, 2, 3
        ), w AS (
            SELECT loc, day,
                   LEAD(day) OVER (PARTITION BY loc, c ORDER BY day) AS next_day,
                   ROW_NUMBER() OVER (PARTITION BY loc, c ORDER BY day) AS n
            FROM v
        )
        SELECT 'f', loc, day, NULL, 1, COUNT(*) FROM w WHERE n = 1 GROUP BY loc, day
        UNION ALL
        SELECT 'l', loc, day, next_day, {first}, COUNT(*) FROM w
            WHERE day >= %s AND (next_day IS NULL OR next_day > %s)
            GROUP BY loc, day, next_day, {first}
        UNION ALL
        SELECT 'g', loc, day, next_day, 0, COUNT(*) FROM w
            WHERE next_day >= %s AND next_day <= %s
            GROUP BY loc, day, next_day
    """
    params = [
        *day_params,
        scope.business_id,
        end,
        *extra_params,
        day_param(first_day - dt.timedelta(days=cap)),
        day_param(first_day),
        day_param(first_day),
        day_param(last_day),
    ]
    groups = []
    for kind, loc, day_value, next_value, is_first, count in _rows(sql, params):
        visit_day = as_date(day_value)
        assert visit_day is not None
        groups.append(
            VisitGroup(
                str(kind), int(loc), visit_day, as_date(next_value), bool(is_first), int(count)
            )
        )
    return groups


def visitors_with_previous(
    scope: Scope, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.date | None, bool, int]]:
    """The customers who bought in [start, end) (one day), grouped by the day of their
    previous visit (None: first visit) and whether that previous visit was their only one."""
    day, day_params = local_day("p.placed_at", scope.timezone)
    extra, extra_params = _order_filters("o", scope)
    extra_p, extra_p_params = _order_filters("p", Scope(0, "UTC", scope.location_id))
    sql = f"""
        SELECT prev, once, COUNT(*) FROM (
            SELECT t.c, MAX({day}) AS prev,
                   CASE WHEN MIN({day}) = MAX({day}) THEN 1 ELSE 0 END AS once
            FROM (
                SELECT DISTINCT o.customer_id AS c FROM {ORDERS} o
                WHERE o.business_id = %s AND o.customer_id IS NOT NULL
                    AND o.placed_at >= %s AND o.placed_at < %s{extra}
            ) t
            LEFT JOIN {ORDERS} p ON p.business_id = %s AND p.customer_id = t.c
                AND p.placed_at < %s{extra_p}
            GROUP BY t.c
        ) x GROUP BY prev, once
    """
    params = [
        *day_params,
        *day_params,
        *day_params,
        scope.business_id,
        start,
        end,
        *extra_params,
        scope.business_id,
        start,
        *extra_p_params,
    ]
    return [(as_date(prev), bool(once), int(n)) for prev, once, n in _rows(sql, params)]


# ---------------------------------------------------------------- wallet


WALLET_FIELDS = (
    "points_issued",
    "points_redeemed",
    "points_expired",
    "cashback_issued_minor",
    "cashback_redeemed_minor",
)


def _wallet_effect(kind: str, debit: str, credit: str) -> tuple[str, int] | None:
    """Which wallet figure a transfer between these accounts moves, and in which direction."""
    points = kind == "points"
    if kind not in ("points", "cashback"):
        return None
    issued = "points_issued" if points else "cashback_issued_minor"
    redeemed = "points_redeemed" if points else "cashback_redeemed_minor"
    if debit == SystemAccount.ISSUANCE:
        return issued, 1
    if credit == SystemAccount.ISSUANCE:
        return issued, -1
    if credit in REDEEMING:
        return redeemed, 1
    if debit in REDEEMING:
        return redeemed, -1
    if credit == SystemAccount.EXPIRY and points:
        return "points_expired", 1
    return None


def _transfers(scope: Scope) -> QuerySet[Transfer]:
    qs = Transfer.objects.filter(business_id=scope.business_id, status=TransferStatus.POSTED)
    if scope.customers is not None:
        from django.db.models.expressions import RawSQL

        ids = RawSQL(scope.customers.sql, scope.customers.params)
        qs = qs.filter(
            Q(debit_account__customer_id__in=ids) | Q(credit_account__customer_id__in=ids)
        )
    return qs


def wallet_sums_by_day(
    scope: Scope, start: dt.datetime, end: dt.datetime
) -> dict[dt.date, dict[str, int]]:
    """Points and cashback issued (net of reversals), redeemed (spent, donated, paid out, net
    of refunds given back) and expired per local day of posting, in [start, end). Business
    wide: transfers carry no location."""
    rows = (
        _transfers(scope)
        .filter(resolved_at__gte=start, resolved_at__lt=end)
        .annotate(day=TruncDate("resolved_at", tzinfo=scope.tz))
        .values("day", "debit_account__kind", "debit_account__system", "credit_account__system")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    result: dict[dt.date, dict[str, int]] = {}
    for row in rows:
        effect = _wallet_effect(
            row["debit_account__kind"],
            row["debit_account__system"],
            row["credit_account__system"],
        )
        if effect is None:
            continue
        day = as_date(row["day"])
        assert day is not None
        sums = result.setdefault(day, dict.fromkeys(WALLET_FIELDS, 0))
        sums[effect[0]] += effect[1] * int(row["total"] or 0)
    return result


def wallet_totals(scope: Scope, until: dt.datetime) -> dict[str, int]:
    """The same figures summed over all time before `until`."""
    rows = (
        _transfers(scope)
        .filter(resolved_at__lt=until)
        .values("debit_account__kind", "debit_account__system", "credit_account__system")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    totals = dict.fromkeys(WALLET_FIELDS, 0)
    for row in rows:
        effect = _wallet_effect(
            row["debit_account__kind"],
            row["debit_account__system"],
            row["credit_account__system"],
        )
        if effect is not None:
            totals[effect[0]] += effect[1] * int(row["total"] or 0)
    return totals


def lot_classes(scope: Scope, at: dt.datetime) -> list[tuple[int, int, int, int]]:
    """Points lots earned before `at`, as they stood at `at`, by size class (number of digits
    of the amount): (class, points still open and not past expiry, points redeemed from lots
    already closed, points expired from lots already closed). The lots' uses are replayed by
    the posting time of their transfers, so any past moment can be asked."""
    extra, extra_params = "", []
    if scope.customers is not None:
        extra = f" AND a.customer_id IN ({scope.customers.sql})"
        extra_params = list(scope.customers.params)
    sql = f"""
        SELECT size_class,
               SUM(CASE WHEN open_now > 0 AND past_expiry = 0 THEN open_now ELSE 0 END),
               SUM(CASE WHEN open_now = 0 THEN redeemed ELSE 0 END),
               SUM(CASE WHEN open_now = 0 THEN expired ELSE 0 END)
        FROM (
            SELECT LENGTH(CAST(l.amount AS VARCHAR(24))) AS size_class,
                   CASE WHEN l.expires_at IS NOT NULL AND l.expires_at <= %s
                        THEN 1 ELSE 0 END AS past_expiry,
                   l.remaining + SUM(CASE WHEN t.resolved_at >= %s THEN u.amount ELSE 0 END)
                        AS open_now,
                   SUM(CASE WHEN t.resolved_at < %s AND t.code IN ('spend', 'donate')
                        THEN u.amount ELSE 0 END) AS redeemed,
                   SUM(CASE WHEN t.resolved_at < %s AND t.code = 'expire'
                        THEN u.amount ELSE 0 END) AS expired
            FROM {LOTS} l
            JOIN {ACCOUNTS} a ON a.id = l.account_id
            LEFT JOIN {LOT_USES} u ON u.lot_id = l.id
            LEFT JOIN {TRANSFERS} t ON t.id = u.transfer_id
            WHERE l.business_id = %s AND a.kind = 'points' AND l.earned_at < %s{extra}
            GROUP BY l.id, l.amount, l.remaining, l.expires_at
        ) x
        GROUP BY size_class
    """
    params = [at, at, at, at, scope.business_id, at, *extra_params]
    return [(int(c), _int(o), _int(r), _int(e)) for c, o, r, e in _rows(sql, params)]


# ---------------------------------------------------------------- cohorts


def cohort_rows(
    scope: Scope, since: dt.datetime, end: dt.datetime, *, per_location: bool = False
) -> list[tuple[int, dt.date, dt.date, int, int, int]]:
    """(partition, cohort month, activity month, customers, orders, paid less refunded) for
    orders placed in [since, end); a customer's cohort is the month of their first purchase
    ever (in the partition)."""
    part_f, filter_f = _partition("f0", per_location)
    part_o, filter_o = _partition("o", per_location)
    extra_f, extra_f_params = _order_filters("f0", scope)
    extra_o, extra_o_params = _order_filters("o", scope)
    cohort, cohort_params = local_month("f.first_at", scope.timezone)
    month, month_params = local_month("o.placed_at", scope.timezone)
    sql = f"""
        WITH f AS (
            SELECT {part_f} AS loc, f0.customer_id AS c, MIN(f0.placed_at) AS first_at
            FROM {ORDERS} f0
            WHERE f0.business_id = %s AND f0.customer_id IS NOT NULL AND f0.placed_at < %s
                {filter_f}{extra_f}
            GROUP BY 1, 2
        )
        SELECT f.loc, {cohort}, {month}, COUNT(DISTINCT o.customer_id), COUNT(*),
               SUM(o.total_minor - o.refunded_minor)
        FROM {ORDERS} o
        JOIN f ON f.c = o.customer_id AND f.loc = {part_o}
        WHERE o.business_id = %s AND o.placed_at >= %s AND o.placed_at < %s{filter_o}{extra_o}
        GROUP BY 1, 2, 3
    """
    params = [
        scope.business_id,
        end,
        *extra_f_params,
        *cohort_params,
        *month_params,
        scope.business_id,
        since,
        end,
        *extra_o_params,
    ]
    result = []
    for loc, cohort_value, month_value, customers, orders, paid in _rows(sql, params):
        cohort_day, month_day = as_date(cohort_value), as_date(month_value)
        assert cohort_day is not None and month_day is not None
        result.append((int(loc), cohort_day, month_day, int(customers), int(orders), _int(paid)))
    return result


# ---------------------------------------------------------------- fingerprints


def month_fingerprints(scope: Scope) -> dict[dt.date, str]:
    """Per local month: orders, money and a customer-id checksum, and posted transfers; when
    any of these changes after a month was rolled up (an import of old sales, a refund, a
    merge that moved orders), the month is rolled up again."""
    month, month_params = local_month("o.placed_at", scope.timezone)
    orders = _rows(
        f"""
        SELECT {month}, COUNT(*), SUM(o.total_minor), SUM(o.refunded_minor),
               SUM(COALESCE(o.customer_id, 0)), SUM(COALESCE(o.location_id, 0))
        FROM {ORDERS} o WHERE o.business_id = %s GROUP BY 1
        """,
        [*month_params, scope.business_id],
    )
    t_month, t_params = local_month("t.resolved_at", scope.timezone)
    transfers = _rows(
        f"""
        SELECT {t_month}, COUNT(*), SUM(t.amount) FROM {TRANSFERS} t
        WHERE t.business_id = %s AND t.status = 'posted' AND t.resolved_at IS NOT NULL
        GROUP BY 1
        """,
        [*t_params, scope.business_id],
    )
    result: dict[dt.date, str] = {}
    for row in orders:
        key = as_date(row[0])
        assert key is not None
        result[key] = "o:" + ",".join(str(_int(v)) for v in row[1:])
    for row in transfers:
        key = as_date(row[0])
        assert key is not None
        result[key] = result.get(key, "o:") + ";t:" + ",".join(str(_int(v)) for v in row[1:])
    return result


def activity_bounds(scope: Scope) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first order and the first posted transfer of the business."""
    first_order = (
        Order.objects.filter(business_id=scope.business_id)
        .order_by("placed_at")
        .values_list("placed_at", flat=True)
        .first()
    )
    first_transfer = (
        Transfer.objects.filter(business_id=scope.business_id, resolved_at__isnull=False)
        .order_by("resolved_at")
        .values_list("resolved_at", flat=True)
        .first()
    )
    return first_order, first_transfer


# ---------------------------------------------------------------- RFM and tiers


def _score_case(column: str) -> str:
    whens = " ".join(
        f"WHEN {column} < {band!r} THEN {n}" for n, band in enumerate(RFM_BANDS, start=1)
    )
    return f"CASE {whens} ELSE {len(RFM_BANDS) + 1} END"


def _segment_case() -> str:
    whens = " ".join(f"WHEN r = {r} AND f = {f} THEN '{name}'" for (r, f), name in RFM_GRID.items())
    return f"CASE {whens} END"


def _days_between(later: str, earlier: str) -> str:
    if connection.vendor == "sqlite":
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
    return f"({later} - {earlier})"


def rfm_rebuild(scope: Scope, as_of: dt.date, end: dt.datetime) -> int:
    """Replace the business's RFM rows with scores as of the end of `as_of` (`end` is that
    moment in UTC), in two statements that stay inside the database: a DELETE and an
    INSERT … SELECT with PERCENT_RANK() windows. Customers never bought, erased or merged get
    no row. The tier each customer holds now is kept with the row."""
    day, day_params = local_day("o.placed_at", scope.timezone)
    as_of_sql = "%s" if connection.vendor == "sqlite" else "CAST(%s AS DATE)"
    recency = _days_between(as_of_sql, "last_day")
    tiers = CustomerTier._meta.db_table
    sql = f"""
        INSERT INTO {RFM} (business_id, customer_id, scored_on, last_purchase_on, recency_days,
                           frequency, monetary_minor, r, f, m, segment, tier_id)
        SELECT %s, c, %s, last_day, recency, frequency, monetary, r, f, m, {_segment_case()},
               tier_id
        FROM (
            SELECT c, last_day, recency, frequency, monetary, tier_id,
                   {_score_case("pr")} AS r, {_score_case("pf")} AS f, {_score_case("pm")} AS m
            FROM (
                SELECT a.c, a.last_day, {recency} AS recency, a.frequency, a.monetary,
                       ct.tier_id,
                       PERCENT_RANK() OVER (ORDER BY a.last_day) AS pr,
                       PERCENT_RANK() OVER (ORDER BY a.frequency) AS pf,
                       PERCENT_RANK() OVER (ORDER BY a.monetary) AS pm
                FROM (
                    SELECT o.customer_id AS c, MAX({day}) AS last_day, COUNT(*) AS frequency,
                           SUM(o.total_minor - o.refunded_minor) AS monetary
                    FROM {ORDERS} o
                    JOIN {CUSTOMERS} cu ON cu.id = o.customer_id
                    WHERE o.business_id = %s AND o.placed_at < %s
                        AND cu.erased_at IS NULL AND cu.merged_into_id IS NULL
                    GROUP BY o.customer_id
                ) a
                LEFT JOIN {tiers} ct ON ct.customer_id = a.c AND ct.business_id = %s
            ) s
        ) scored
    """
    as_of_param = as_of.isoformat() if connection.vendor == "sqlite" else as_of
    params = [
        scope.business_id,
        day_param(as_of),
        as_of_param,
        *day_params,
        scope.business_id,
        end,
        scope.business_id,
    ]
    _execute(f"DELETE FROM {RFM} WHERE business_id = %s", [scope.business_id])
    return _execute(sql, params)


def tier_moves(scope: Scope) -> dict[str, int]:
    """Customers whose tier now differs from the one seen at their last RFM scoring, and
    customers holding a tier who were never scored, as "old>new" tier ids ("-" for none) →
    count."""
    tiers = CustomerTier._meta.db_table
    rows = _rows(
        f"""
        SELECT r.tier_id, ct.tier_id, COUNT(*) FROM {RFM} r
        LEFT JOIN {tiers} ct ON ct.customer_id = r.customer_id AND ct.business_id = %s
        WHERE r.business_id = %s
            AND COALESCE(r.tier_id, 0) <> COALESCE(ct.tier_id, 0)
        GROUP BY r.tier_id, ct.tier_id
        UNION ALL
        SELECT NULL, ct.tier_id, COUNT(*) FROM {tiers} ct
        WHERE ct.business_id = %s AND ct.tier_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {RFM} r WHERE r.business_id = %s AND r.customer_id = ct.customer_id
        )
        GROUP BY ct.tier_id
        """,
        [scope.business_id, scope.business_id, scope.business_id, scope.business_id],
    )
    return {
        f"{old if old is not None else '-'}>{new if new is not None else '-'}": int(n)
        for old, new, n in rows
    }


def tier_counts(scope: Scope) -> dict[str, int]:
    """Customers per tier id held now."""
    qs = CustomerTier.objects.filter(business_id=scope.business_id, tier__isnull=False)
    if scope.customers is not None:
        from django.db.models.expressions import RawSQL

        qs = qs.filter(customer_id__in=RawSQL(scope.customers.sql, scope.customers.params))
    return {
        str(row["tier_id"]): int(row["n"])
        for row in qs.values("tier_id").annotate(n=Count("id")).order_by()
    }


def rfm_distribution(scope: Scope) -> list[dict[str, Any]]:
    """Customers per RFM segment with their average recency, orders and spend."""
    from django.db.models import Avg

    qs = CustomerRfm.objects.filter(business_id=scope.business_id)
    if scope.customers is not None:
        from django.db.models.expressions import RawSQL

        qs = qs.filter(customer_id__in=RawSQL(scope.customers.sql, scope.customers.params))
    return list(
        qs.values("segment")
        .annotate(
            customers=Count("id"),
            recency=Avg("recency_days"),
            frequency=Avg("frequency"),
            monetary=Avg("monetary_minor"),
            revenue=Sum("monetary_minor"),
        )
        .order_by()
    )


# ---------------------------------------------------------------- unprofitable customers


def _message_costs_sql(scope: Scope, start: dt.datetime, end: dt.datetime) -> tuple[str, list]:
    """Per customer, what the messages sent to them in [start, end) cost. Reads
    `messaging.Message` (business, customer, sent_at, cost_minor) when that model exists;
    until then every customer's cost is 0."""
    model = message_model()
    if model is None:
        return "SELECT NULL AS c, 0 AS cost WHERE 1 = 0", []
    table = model._meta.db_table
    return (
        f"SELECT customer_id AS c, SUM(cost_minor) AS cost FROM {table} "
        "WHERE business_id = %s AND customer_id IS NOT NULL AND sent_at >= %s AND sent_at < %s "
        "GROUP BY customer_id",
        [scope.business_id, start, end],
    )


def message_model() -> Any:
    """`wateja.messaging.models.Message` when it exists with the fields analytics reads."""
    try:
        model = apps.get_model("messaging", "Message")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    if not {"business", "customer", "sent_at", "cost_minor"} <= names:
        return None
    return model


def message_cost_total(scope: Scope, start: dt.datetime, end: dt.datetime) -> int:
    """What the messages sent in [start, end) cost (0 until messaging records costs)."""
    model = message_model()
    if model is None:
        return 0
    qs = model.objects.filter(business_id=scope.business_id, sent_at__gte=start, sent_at__lt=end)
    if scope.customers is not None:
        from django.db.models.expressions import RawSQL

        qs = qs.filter(customer_id__in=RawSQL(scope.customers.sql, scope.customers.params))
    return _int(qs.aggregate(total=Sum("cost_minor"))["total"])


def customer_margins(
    scope: Scope,
    start: dt.datetime,
    end: dt.datetime,
    *,
    margin_bp: int,
    point_value_minor: int,
    worst: int = 20,
) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    """Buyers of [start, end) and how many of them are unprofitable: the gross margin of what
    they bought at list price (less refunds) is below the discounts, rewards (points redeemed
    at their value, cashback issued) and messages they cost — compared exactly, before any
    rounding. Returns
    the counts and the `worst` customers (id, sales, refunded, discount, rewards, messages,
    paid, orders)."""
    extra, extra_params = _order_filters("o", scope)
    messages_sql, messages_params = _message_costs_sql(scope, start, end)
    cte = f"""
        WITH o AS (
            SELECT o.customer_id AS c, SUM(o.subtotal_minor) AS s, SUM(o.refunded_minor) AS r,
                   SUM(o.discount_minor) AS d, SUM(o.total_minor - o.refunded_minor) AS paid,
                   COUNT(*) AS n
            FROM {ORDERS} o
            WHERE o.business_id = %s AND o.customer_id IS NOT NULL
                AND o.placed_at >= %s AND o.placed_at < %s{extra}
            GROUP BY o.customer_id
        ), w AS (
            SELECT c, SUM(v) AS rewards FROM (
                SELECT a.customer_id AS c, t.amount * %s AS v
                FROM {TRANSFERS} t
                JOIN {ACCOUNTS} a ON a.id = t.debit_account_id
                JOIN {ACCOUNTS} s ON s.id = t.credit_account_id
                WHERE t.business_id = %s AND t.status = 'posted'
                    AND t.resolved_at >= %s AND t.resolved_at < %s
                    AND a.customer_id IS NOT NULL AND a.kind = 'points'
                    AND s.system IN ('redemption', 'donation')
                UNION ALL
                SELECT a.customer_id AS c, -t.amount * %s AS v
                FROM {TRANSFERS} t
                JOIN {ACCOUNTS} a ON a.id = t.credit_account_id
                JOIN {ACCOUNTS} s ON s.id = t.debit_account_id
                WHERE t.business_id = %s AND t.status = 'posted'
                    AND t.resolved_at >= %s AND t.resolved_at < %s
                    AND a.customer_id IS NOT NULL AND a.kind = 'points'
                    AND s.system IN ('redemption', 'donation')
                UNION ALL
                SELECT a.customer_id AS c,
                       CASE WHEN a.id = t.credit_account_id THEN t.amount ELSE -t.amount END AS v
                FROM {TRANSFERS} t
                JOIN {ACCOUNTS} s ON s.id = t.debit_account_id OR s.id = t.credit_account_id
                JOIN {ACCOUNTS} a ON a.id = CASE WHEN s.id = t.debit_account_id
                    THEN t.credit_account_id ELSE t.debit_account_id END
                WHERE t.business_id = %s AND t.status = 'posted'
                    AND t.resolved_at >= %s AND t.resolved_at < %s
                    AND s.business_id = %s AND s.system = 'issuance' AND s.kind = 'cashback'
                    AND a.customer_id IS NOT NULL
            ) rw GROUP BY c
        ), m AS ({messages_sql}),
        x AS (
            SELECT o.c, o.s, o.r, o.d, COALESCE(w.rewards, 0) AS rewards,
                   COALESCE(m.cost, 0) AS msgs, o.paid, o.n,
                   (o.s - o.r) * %s - 10000 * (o.d + COALESCE(w.rewards, 0) + COALESCE(m.cost, 0))
                       AS score
            FROM o LEFT JOIN w ON w.c = o.c LEFT JOIN m ON m.c = o.c
        )
    """
    params = [
        scope.business_id,
        start,
        end,
        *extra_params,
        point_value_minor,
        scope.business_id,
        start,
        end,
        point_value_minor,
        scope.business_id,
        start,
        end,
        scope.business_id,
        start,
        end,
        scope.business_id,
        *messages_params,
        margin_bp,
    ]
    # the counts and the worst rows in one statement: `x`, read twice, is computed once
    found = _rows(
        cte + "SELECT 0, COUNT(*), SUM(CASE WHEN score < 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN score < 0 THEN paid ELSE 0 END), 0, 0, 0, 0, 0 FROM x "
        "UNION ALL SELECT * FROM (SELECT 1, c, s, r, d, rewards, msgs, paid, n FROM x "
        "WHERE score < 0 ORDER BY score, c LIMIT %s) worst",
        [*params, worst],
    )
    counts = next(row[1:4] for row in found if row[0] == 0)
    rows = [row[1:] for row in found if row[0] == 1]
    return (
        {"buyers": _int(counts[0]), "unprofitable": _int(counts[1]), "paid_minor": _int(counts[2])},
        [tuple(_int(v) for v in row) for row in rows],
    )


# ---------------------------------------------------------------- promotions


def daily_audience_sums(
    scope: Scope, start: dt.datetime, end: dt.datetime, *, everyone: bool
) -> dict[dt.date, tuple[int, int]]:
    """Orders and money paid (less refunds) per local day in [start, end), by the scope's
    customers — or by everyone, anonymous sales included, when `everyone`."""
    day, day_params = local_day("o.placed_at", scope.timezone)
    extra, extra_params = _order_filters("o", scope)
    member = "" if everyone else " AND o.customer_id IS NOT NULL"
    rows = _rows(
        f"""
        SELECT {day}, COUNT(*), SUM(o.total_minor - o.refunded_minor) FROM {ORDERS} o
        WHERE o.business_id = %s AND o.placed_at >= %s AND o.placed_at < %s{member}{extra}
        GROUP BY 1
        """,
        [*day_params, scope.business_id, start, end, *extra_params],
    )
    result: dict[dt.date, tuple[int, int]] = {}
    for day_value, n, paid in rows:
        key = as_date(day_value)
        assert key is not None
        result[key] = (int(n), _int(paid))
    return result


def customer_sums(
    scope: Scope, start: dt.datetime, end: dt.datetime, customers: CustomerSet
) -> tuple[int, int, int, int, int]:
    """For a group of customers (an audience or its holdout): its size, how many ordered in
    [start, end), and the sum and sum of squares of what each paid (zeros included) — the
    sufficient statistics of a per-customer comparison — plus their orders."""
    extra, extra_params = _order_filters("o", Scope(0, "UTC", scope.location_id))
    row = _rows(
        f"""
        SELECT (SELECT COUNT(*) FROM ({customers.sql}) g),
               COUNT(*), SUM(paid), SUM(paid * paid), SUM(n)
        FROM (
            SELECT o.customer_id, SUM(o.total_minor - o.refunded_minor) AS paid, COUNT(*) AS n
            FROM {ORDERS} o
            WHERE o.business_id = %s AND o.placed_at >= %s AND o.placed_at < %s{extra}
                AND o.customer_id IN ({customers.sql})
            GROUP BY o.customer_id
        ) x
        """,
        [*customers.params, scope.business_id, start, end, *extra_params, *customers.params],
    )[0]
    return _int(row[0]), _int(row[1]), _int(row[2]), _int(row[3]), _int(row[4])


def code_usage(
    business_id: int, promotion_id: int, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """Uses of a promotion in [start, end): reach (customers), uses, how many customers used
    it once, twice, three times or more, the discount given, and the codes used most."""
    used = Redemption.objects.filter(
        business_id=business_id,
        promotion_id=promotion_id,
        status=RedemptionStatus.COMMITTED,
        created_at__gte=start,
        created_at__lt=end,
    )
    totals = used.aggregate(
        uses=Count("id"),
        discount=Sum("discount_minor"),
        anonymous=Count("id", filter=Q(customer__isnull=True)),
    )
    # customers per number of uses: the GROUP BY customer stays inside the database
    histogram = dict(_uses_histogram(used))
    codes = list(
        used.exclude(code__isnull=True)
        .values("code__code")
        .annotate(
            uses=Count("id"),
            customers=Count("customer", distinct=True),
            discount=Sum("discount_minor"),
        )
        .order_by("-uses", "code__code")[:20]
    )
    issued = PromoCode.objects.filter(business_id=business_id, promotion_id=promotion_id)
    return {
        "uses": _int(totals["uses"]),
        "anonymous_uses": _int(totals["anonymous"]),
        "discount_minor": _int(totals["discount"]),
        "uses_histogram": histogram,
        "codes_issued": issued.count(),
        "codes_used": _int(
            used.exclude(code__isnull=True).aggregate(n=Count("code", distinct=True))["n"]
        ),
        "top_codes": [
            {
                "code": row["code__code"],
                "uses": int(row["uses"]),
                "customers": int(row["customers"]),
                "discount_minor": _int(row["discount"]),
            }
            for row in codes
        ],
    }


def _uses_histogram(used: QuerySet[Redemption]) -> Iterable[tuple[int, int]]:
    inner_sql, inner_params = (
        used.exclude(customer__isnull=True)
        .values("customer")
        .annotate(n=Count("id"))
        .values("n")
        .order_by()
        .query.sql_with_params()
    )
    rows = _rows(f"SELECT n, COUNT(*) FROM ({inner_sql}) x GROUP BY n", inner_params)
    return [(int(n), int(c)) for n, c in rows]


# ---------------------------------------------------------------- live fallbacks


def buyers_live(scope: Scope, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """Customers who bought in [start, end), and how many of them have a single visit day in
    their whole history up to `end` (used when a period is longer than the histograms)."""
    day, day_params = local_day("o.placed_at", scope.timezone)
    extra, extra_params = _order_filters("o", scope)
    row = _rows(
        f"""
        SELECT COUNT(*), SUM(CASE WHEN n = 1 THEN 1 ELSE 0 END) FROM (
            SELECT o.customer_id, COUNT(DISTINCT {day}) AS n, MAX(o.placed_at) AS last_at
            FROM {ORDERS} o
            WHERE o.business_id = %s AND o.customer_id IS NOT NULL AND o.placed_at < %s{extra}
            GROUP BY o.customer_id
        ) x WHERE last_at >= %s
        """,
        [*day_params, scope.business_id, end, *extra_params, start],
    )[0]
    return _int(row[0]), _int(row[1])


def lost_live(
    scope: Scope,
    *,
    start_window: dt.datetime,
    start: dt.datetime,
    end_window: dt.datetime,
    end: dt.datetime,
) -> int:
    """Customers with a purchase in [start_window, start) (active at the start) and none in
    [end_window, end) (inactive at the end)."""
    extra, extra_params = _order_filters("o", scope)
    row = _rows(
        f"""
        SELECT COUNT(*) FROM (
            SELECT o.customer_id,
                   MAX(CASE WHEN o.placed_at < %s THEN 1 ELSE 0 END) AS was_active,
                   MAX(CASE WHEN o.placed_at >= %s THEN 1 ELSE 0 END) AS is_active
            FROM {ORDERS} o
            WHERE o.business_id = %s AND o.customer_id IS NOT NULL
                AND o.placed_at >= %s AND o.placed_at < %s{extra}
            GROUP BY o.customer_id
        ) x WHERE was_active = 1 AND is_active = 0
        """,
        [start, end_window, scope.business_id, start_window, end, *extra_params],
    )[0]
    return _int(row[0])


# ---------------------------------------------------------------- messaging holdouts


def holdout_groups(scope: Scope, start: dt.datetime, end: dt.datetime) -> list[dict[str, int]]:
    """Per campaign or automation that kept a holdout group, for its messages of
    [start, end): messages sent and held out, and the revenue attributed to each (the
    messaging app attributes orders to the last message, holdout rows included)."""
    from wateja.messaging.models import Conversion, Message, MessageStatus

    sent = [MessageStatus.SENT, MessageStatus.DELIVERED]
    messages = Message.objects.filter(
        business_id=scope.business_id,
        sent_at__gte=start,
        sent_at__lt=end,
        status__in=[*sent, MessageStatus.HOLDOUT],
    ).filter(Q(campaign__isnull=False) | Q(automation__isnull=False))
    if scope.customers is not None:
        from django.db.models.expressions import RawSQL

        ids = RawSQL(scope.customers.sql, scope.customers.params)
        messages = messages.filter(customer_id__in=ids)
    held = Q(status=MessageStatus.HOLDOUT)
    groups: dict[tuple[Any, Any], dict[str, int]] = {}
    for row in (
        messages.values("campaign_id", "automation_id")
        .annotate(treated=Count("id", filter=~held), holdout=Count("id", filter=held))
        .order_by()
    ):
        groups[(row["campaign_id"], row["automation_id"])] = {
            "treated": int(row["treated"]),
            "holdout": int(row["holdout"]),
            "treated_revenue_minor": 0,
            "holdout_revenue_minor": 0,
        }
    revenue = (
        Conversion.objects.filter(business_id=scope.business_id, message__in=messages)
        .values("message__campaign_id", "message__automation_id", "message__status")
        .annotate(total=Sum("revenue_minor"))
        .order_by()
    )
    for row in revenue:
        group = groups.get((row["message__campaign_id"], row["message__automation_id"]))
        if group is not None:
            key = (
                "holdout_revenue_minor"
                if row["message__status"] == MessageStatus.HOLDOUT
                else "treated_revenue_minor"
            )
            group[key] += _int(row["total"])
    return [g for g in groups.values() if g["treated"] and g["holdout"]]


def new_active_live(
    scope: Scope, *, start: dt.datetime, end_window: dt.datetime, end: dt.datetime
) -> int:
    """Customers whose first purchase is in [start, end) and who bought again in
    [end_window, end) or first bought there: new and still active at the end."""
    extra, extra_params = _order_filters("o", scope)
    row = _rows(
        f"""
        SELECT COUNT(*) FROM (
            SELECT o.customer_id, MIN(o.placed_at) AS first_at, MAX(o.placed_at) AS last_at
            FROM {ORDERS} o
            WHERE o.business_id = %s AND o.customer_id IS NOT NULL AND o.placed_at < %s{extra}
            GROUP BY o.customer_id
        ) x WHERE first_at >= %s AND last_at >= %s
        """,
        [scope.business_id, end, *extra_params, start, end_window],
    )[0]
    return _int(row[0])
