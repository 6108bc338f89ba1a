"""Analytics on a big business: the dashboard and the cohort matrix through
`wateja.analytics.services` (reading the nightly rollups) on PostgreSQL, against DuckDB
running the same queries on the same orders exported to Parquet, in the same run.

    .venv/bin/python benchmarks/analytics.py            # 1,000,000 customers, 10,000,000 orders
    .venv/bin/python benchmarks/analytics.py --customers 100000 --orders 1000000

It creates its own database (wateja_bench_analytics_<pid>) on --pg-url, migrates it, creates
one business (KES, Africa/Nairobi, 5 locations) and fills customers_customer and orders_order
with `generate_series` inside PostgreSQL (no ORM): each customer joins on one of the last 700
days and keeps buying for a while (some stop soon, some are still buying), the first customers
far more often than the last; 15 % of sales have no customer, 10 % a discount, 1 % were half
refunded; sales run until a few minutes ago, so today is partly sold.

Then:
* the nightly run (`analytics_nightly`: the rollups of every day, the cohort cells, RFM scores
  of every customer), timed for information;
* the orders are exported (COPY … TO STDOUT as CSV) and DuckDB writes them to one Parquet file;
* the **dashboard** (`dashboard_get`: the last 30 days up to today beside the 30 before —
  orders, revenue, members' orders and revenue, buyers, new customers, active at the start
  and at the end, lost, one-time buyers, days between visits) and the **cohort matrix**
  (`cohorts_get`, cohorts of the last 12 months) are timed through the services, in turn
  with DuckDB (below) in --repeat warm rounds: medians, and the median of the rounds' ratios;
* one plain SQL text per figure set computes the same figures from the raw orders; DuckDB runs
  it on the Parquet file (median of --repeat runs) and, for comparison, PostgreSQL runs the
  very same text on its own table once. The answers must agree with the services'.

Last lines: both times and the ratio services / DuckDB (target ≤ 10). The database and the
files are removed at the end (--keep keeps them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 10.0
TZ = "Africa/Nairobi"
LOCATIONS = 5
DASHBOARD_FIELDS = (
    "orders",
    "revenue_minor",
    "member_orders",
    "member_revenue_minor",
    "buyers",
    "new_customers",
    "customers_at_start",
    "customers_at_end",
    "lost_customers",
    "one_time_buyers",
    "gap_days",
    "gaps",
)


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def timed(label: str, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - started:,.1f} s", flush=True)
    return result


def interleaved_times(
    ours: Callable[[], Any], baseline: Callable[[], Any], repeat: int
) -> tuple[tuple[float, Any], tuple[float, Any], float]:
    """Both warmed, then timed in turn `repeat` times: (median, result) of each, and the
    median of the per-round ratios ours / baseline."""
    results = [ours(), baseline()]
    times: list[list[float]] = [[], []]
    for _n in range(repeat):
        for side, action in enumerate((ours, baseline)):
            started = time.perf_counter()
            results[side] = action()
            times[side].append(time.perf_counter() - started)
    ratio = statistics.median(a / b for a, b in zip(times[0], times[1], strict=True))
    return (
        (statistics.median(times[0]), results[0]),
        (statistics.median(times[1]), results[1]),
        ratio,
    )


# ---------------------------------------------------------------- generating the data


def _insert(model: Any, values: dict[str, tuple[str, list[Any]]]) -> tuple[str, str, list[Any]]:
    """Columns, SELECT expressions and their parameters for every concrete column of `model`:
    ours where given, else the field's default, else NULL (so new columns need no change)."""
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in values:
            expression, expression_params = values[field.column]
            columns.append(field.column)
            expressions.append(expression)
            params.extend(expression_params)
        elif field.has_default() or (not field.null and field.get_default() is not None):
            columns.append(field.column)  # a default, or "" for a text column
            expressions.append("%s")
            params.append(field.get_default())
        elif not field.null:
            raise SystemExit(f"benchmark: no value for {model.__name__}.{field.column}")
    return ", ".join(columns), ", ".join(expressions), params


CUSTOMER_COLUMNS = {
    "name": ("'Mteja ' || g", []),
    "name_key": ("'mteja ' || g", []),
    "city": ("(ARRAY['Nairobi','Mombasa','Kisumu','Nakuru','Eldoret'])[1 + g %% 5]", []),
}

# one row per sale: a customer (skewed towards the first ones), the day they joined and the
# share of the time since that they kept buying, a moment in that span; or an anonymous sale
SALES = """
    SELECT i, anon, c, sub,
           CASE WHEN random() < 0.1 THEN sub / 10 ELSE 0 END AS disc,
           CASE WHEN anon THEN %s::timestamptz - random() * interval '700 days'
                ELSE joined + random() * (%s::timestamptz - joined) * keep END AS at
    FROM (
        SELECT i, random() < 0.15 AS anon, c,
               (100 + floor(random() * 2400))::bigint * 100 AS sub,
               %s::timestamptz
                   - make_interval(days => (((c + 1) * 7919) %% 700 + 1)::int) AS joined,
               0.05 + ((c * 104729) %% 1000) / 1052.6 AS keep
        FROM (
            SELECT i, floor(power(random(), 2.2) * %s)::bigint AS c
            FROM generate_series(%s, %s) AS i
        ) picked
    ) x
"""


def sale_columns(
    business_id: int, first_id: int, location_ids: list[int], prefix: str
) -> dict[str, tuple[str, list[Any]]]:
    """How each order column is computed from a row of SALES (numbers `<prefix><i>`)."""
    locations = ",".join(str(int(i)) for i in location_ids)
    return {
        "business_id": ("%s", [business_id]),
        "customer_id": ("CASE WHEN anon THEN NULL ELSE %s + c END", [first_id]),
        "location_id": (f"(ARRAY[{locations}])[1 + i %% {len(location_ids)}]", []),
        "number": (f"'{prefix}' || i", []),
        "currency": ("'KES'", []),
        "subtotal_minor": ("sub", []),
        "discount_minor": ("disc", []),
        "total_minor": ("sub - disc", []),
        "refunded_minor": ("CASE WHEN i %% 97 = 0 THEN (sub - disc) / 2 ELSE 0 END", []),
        "status": ("CASE WHEN i %% 97 = 0 THEN 'partially_refunded' ELSE 'completed' END", []),
        "channel": ("'store'", []),
        "placed_at": ("at", []),
    }


def generate(business_id: int, location_ids: list[int], customers: int, orders: int) -> None:
    from django.db import connection, transaction

    from wateja.customers.models import Customer
    from wateja.orders.models import Order

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    customer_values = {
        **CUSTOMER_COLUMNS,
        "business_id": ("%s", [business_id]),
        "created_at": (
            "%s::timestamptz - make_interval(days => ((g::bigint * 7919) %% 700 + 1)::int)",
            [now],
        ),
        "updated_at": ("%s::timestamptz", [now]),
    }
    columns, select, params = _insert(Customer, customer_values)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        with transaction.atomic():
            cursor.execute(
                f"INSERT INTO {Customer._meta.db_table} ({columns}) "
                f"SELECT {select} FROM generate_series(1, %s) AS g",
                [*params, customers],
            )
        cursor.execute(
            f"SELECT MIN(id) FROM {Customer._meta.db_table} WHERE business_id = %s", [business_id]
        )
        first_id = cursor.fetchone()[0]
        order_values = sale_columns(business_id, first_id, location_ids, "B")
        columns, select, params = _insert(Order, order_values)
        chunk = 1_000_000
        for start in range(1, orders + 1, chunk):
            stop = min(orders, start + chunk - 1)
            with transaction.atomic():
                cursor.execute(
                    f"INSERT INTO {Order._meta.db_table} ({columns}) "
                    f"SELECT {select} FROM ({SALES}) s",
                    [*params, now, now, now, customers, start, stop],
                )
            print(f"    {stop:,} orders", flush=True)
        cursor.execute("VACUUM ANALYZE")


# ---------------------------------------------------------------- the same figures in plain SQL


def _ts(moment: dt.datetime) -> str:
    return f"CAST('{moment.astimezone(dt.UTC).isoformat()}' AS TIMESTAMPTZ)"


def _day(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def period_sql(business_id: int, start: dt.date, end: dt.date, window: int) -> list[str]:
    """Three statements for one period, runnable as they are by DuckDB and PostgreSQL: the
    order sums; the customer figures from each customer's visit days; nothing else."""
    tz = zoneinfo.ZoneInfo(TZ)
    start_at = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    local_day = f"CAST(timezone('{TZ}', placed_at) AS DATE)"
    sums = f"""
        SELECT COUNT(*), SUM(total_minor - refunded_minor),
               COUNT(customer_id),
               SUM(total_minor - refunded_minor) FILTER (WHERE customer_id IS NOT NULL)
        FROM orders_order
        WHERE business_id = {business_id}
            AND placed_at >= {_ts(start_at)} AND placed_at < {_ts(end_at)}
    """
    customers = f"""
        WITH v AS (
            SELECT customer_id AS c, {local_day} AS d FROM orders_order
            WHERE business_id = {business_id} AND customer_id IS NOT NULL
                AND placed_at < {_ts(end_at)}
            GROUP BY 1, 2
        ), l AS (
            SELECT c, d, d - LAG(d) OVER (PARTITION BY c ORDER BY d) AS gap FROM v
        ), per AS (
            SELECT c, MIN(d) AS first_day, COUNT(*) AS visits, MAX(d) AS last_day,
                   MAX(d) FILTER (WHERE d < {_day(start)}) AS last_before,
                   SUM(gap) FILTER (WHERE d >= {_day(start)}) AS gap_days,
                   COUNT(gap) FILTER (WHERE d >= {_day(start)}) AS gaps
            FROM l GROUP BY c
        )
        SELECT COUNT(*) FILTER (WHERE last_day >= {_day(start)}),
               COUNT(*) FILTER (WHERE first_day >= {_day(start)}),
               COUNT(*) FILTER (WHERE last_before >= {_day(start)} - {window}),
               COUNT(*) FILTER (WHERE last_day > {_day(end)} - {window}),
               COUNT(*) FILTER (WHERE last_before >= {_day(start)} - {window}
                                AND last_day <= {_day(end)} - {window}),
               COUNT(*) FILTER (WHERE visits = 1 AND first_day >= {_day(start)}),
               SUM(gap_days), SUM(gaps)
        FROM per
    """
    return [sums, customers]


def period_figures(run: Callable[[str], list[tuple[Any, ...]]], sql: list[str]) -> dict[str, int]:
    orders, revenue, member_orders, member_revenue = run(sql[0])[0]
    buyers, new, at_start, at_end, lost, once, gap_days, gaps = run(sql[1])[0]
    values = [orders, revenue, member_orders, member_revenue, buyers, new, at_start, at_end]
    values += [lost, once, gap_days, gaps]
    return {name: int(v or 0) for name, v in zip(DASHBOARD_FIELDS, values, strict=True)}


def cohort_sql(business_id: int, first_month: dt.date, end: dt.date) -> str:
    tz = zoneinfo.ZoneInfo(TZ)
    since = dt.datetime.combine(first_month, dt.time.min, tzinfo=tz)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    month = "CAST(date_trunc('month', timezone('{tz}', {col})) AS DATE)"
    return f"""
        WITH f AS (
            SELECT customer_id AS c, MIN(placed_at) AS first_at FROM orders_order
            WHERE business_id = {business_id} AND customer_id IS NOT NULL
                AND placed_at < {_ts(end_at)}
            GROUP BY 1
        )
        SELECT {month.format(tz=TZ, col="f.first_at")}, {month.format(tz=TZ, col="o.placed_at")},
               COUNT(DISTINCT o.customer_id)
        FROM orders_order o JOIN f ON f.c = o.customer_id
        WHERE o.business_id = {business_id} AND f.first_at >= {_ts(since)}
            AND o.placed_at >= {_ts(since)} AND o.placed_at < {_ts(end_at)}
        GROUP BY 1, 2
    """


def cohort_table(rows: list[tuple[Any, ...]], months: int, last_month: dt.date) -> dict:
    cells: dict[dt.date, dict[int, int]] = {}
    for cohort, month, customers in rows:
        cohort = cohort if isinstance(cohort, dt.date) else cohort.date()
        month = month if isinstance(month, dt.date) else month.date()
        offset = (month.year - cohort.year) * 12 + month.month - cohort.month
        cells.setdefault(cohort, {})[offset] = int(customers)
    table = {}
    for cohort, by_offset in cells.items():
        span = min(months, (last_month.year - cohort.year) * 12 + last_month.month - cohort.month)
        table[cohort] = [by_offset.get(n, 0) for n in range(span + 1)]
    return table


# ---------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> int:
    import psycopg

    name = f"wateja_bench_analytics_{os.getpid()}"
    url = with_database(args.pg_url, name)
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="wateja-bench-analytics-"))
    os.environ.update(
        {
            "DATABASE_URL": url,
            "WATEJA_DATA_DIR": str(work),
            "DJANGO_SETTINGS_MODULE": "wateja.settings",
        }
    )
    try:
        return _run(args, url, work)
    finally:
        if args.keep:
            print(f"kept: database {name}, files in {work}")
        else:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, url: str, work: Path) -> int:
    import django

    django.setup()
    import duckdb
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    from wateja.analytics import services as analytics
    from wateja.tenants.services import business_create, location_create

    print(f"PostgreSQL: {args.customers:,} customers, {args.orders:,} orders", flush=True)
    timed("migrate", lambda: call_command("migrate", verbosity=0, interactive=False))
    business = business_create(
        name="Duka Kubwa", country="KE", currency="KES", timezone_name=TZ, default_language="en"
    )
    locations = [location_create(business=business, name=f"Tawi {n}").pk for n in range(LOCATIONS)]
    timed("generate", lambda: generate(business.pk, locations, args.customers, args.orders))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('orders_order'))")
        print(f"  orders_order: {cursor.fetchone()[0]}", flush=True)
    nightly = timed(
        "nightly run (rollups, cohorts, RFM)",
        lambda: analytics.analytics_nightly(business=business),
    )
    print(f"    {nightly['rows']:,} rollup rows, {nightly['cohort_cells']:,} cohort cells, "
          f"{nightly['rfm']:,} customers scored", flush=True)  # fmt: skip

    csv_path, parquet_path = work / "orders.csv", work / "orders.parquet"

    def export() -> None:
        with psycopg.connect(url) as pg, pg.cursor() as cursor, open(csv_path, "wb") as out:
            cursor.execute("SET TIME ZONE 'UTC'")
            copy_sql = (
                "COPY (SELECT id, business_id, customer_id, location_id, placed_at, "
                "subtotal_minor, discount_minor, total_minor, refunded_minor FROM orders_order) "
                "TO STDOUT WITH (FORMAT csv, HEADER true)"
            )
            with cursor.copy(copy_sql) as copy:
                for data in copy:
                    out.write(data)
        duckdb.sql(
            f"COPY (SELECT * FROM read_csv('{csv_path}', header = true, columns = {{"
            "'id': 'BIGINT', 'business_id': 'BIGINT', 'customer_id': 'BIGINT', "
            "'location_id': 'BIGINT', 'placed_at': 'TIMESTAMPTZ', 'subtotal_minor': 'BIGINT', "
            "'discount_minor': 'BIGINT', 'total_minor': 'BIGINT', 'refunded_minor': 'BIGINT'})) "
            f"TO '{parquet_path}' (FORMAT parquet)"
        )
        csv_path.unlink()

    timed("export to Parquet", export)
    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    duck.execute(f"CREATE VIEW orders_order AS SELECT * FROM read_parquet('{parquet_path}')")

    today = analytics.local_today(TZ)
    period = analytics.Period(today - dt.timedelta(days=29), today)
    previous = period.previous()
    window = analytics.analytics_settings(business).activity_window_days
    months = 12
    first_month = (today.replace(day=1) - dt.timedelta(days=330)).replace(day=1)
    cohort_period = analytics.Period(first_month, today)

    # ---- the same figures in plain SQL
    sql_now = period_sql(business.pk, period.start, period.end, window)
    sql_before = period_sql(business.pk, previous.start, previous.end, window)
    sql_cohorts = cohort_sql(business.pk, first_month, today)

    def duck_rows(sql: str) -> list[tuple[Any, ...]]:
        return duck.execute(sql).fetchall()

    def pg_rows(sql: str) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("%", "%%"))
            return list(cursor.fetchall())

    def dashboard_with(engine: Callable[[str], list[tuple[Any, ...]]]) -> tuple[dict, dict]:
        return period_figures(engine, sql_now), period_figures(engine, sql_before)

    # the services (rollups) and DuckDB in turn, --repeat rounds: medians, and the median of
    # the per-round ratios
    (dash_s, board), (duck_dash_s, duck_board), dash_ratio = interleaved_times(
        lambda: analytics.dashboard_get(business=business, period=period),
        lambda: dashboard_with(duck_rows),
        args.repeat,
    )
    (cohort_s, cohorts), (duck_cohort_s, duck_cohort_rows), cohort_ratio = interleaved_times(
        lambda: analytics.cohorts_get(business=business, period=cohort_period, months=months),
        lambda: duck_rows(sql_cohorts),
        args.repeat,
    )
    started = time.perf_counter()
    pg_board = dashboard_with(pg_rows)
    pg_dash_s = time.perf_counter() - started
    started = time.perf_counter()
    pg_cohort_rows = pg_rows(sql_cohorts)
    pg_cohort_s = time.perf_counter() - started

    # ---- the answers agree
    ours = (
        {f: getattr(board.current, f) for f in DASHBOARD_FIELDS},
        {f: getattr(board.previous, f) for f in DASHBOARD_FIELDS},
    )
    problems = []
    if ours != duck_board:
        problems.append(f"dashboard differs:\n  services {ours}\n  duckdb   {duck_board}")
    if pg_board != duck_board:
        problems.append(f"PostgreSQL SQL differs from DuckDB:\n  {pg_board}\n  {duck_board}")
    table = {row.cohort: row.customers for row in cohorts.rows}
    last_month = today.replace(day=1)
    if table != cohort_table(duck_cohort_rows, months, last_month):
        problems.append("cohort matrix differs between the services and DuckDB")
    if cohort_table(pg_cohort_rows, months, last_month) != table:
        problems.append("cohort matrix differs between PostgreSQL SQL and the services")

    current = board.current
    print(f"\nDashboard {period.start} – {period.end} (vs {previous.start} – {previous.end}):")
    print(
        f"  {current.orders:,} orders, {current.buyers:,} buyers, {current.new_customers:,} new, "
        f"active {current.customers_at_start:,} → {current.customers_at_end:,}, "
        f"retention {current.retention_rate} %, churn {current.churn_rate} %, "
        f"repeat {current.repeat_purchase_rate} %"
    )
    print(f"  services (rollups, PostgreSQL): {dash_s * 1000:9.1f} ms")
    print(f"  DuckDB (Parquet, same figures): {duck_dash_s * 1000:9.1f} ms")
    print(f"  PostgreSQL, the same SQL:       {pg_dash_s * 1000:9.1f} ms  (raw orders, one run)")
    print(f"\nCohort matrix {first_month} – {today}: {len(cohorts.rows)} cohorts")
    print(f"  services (rollups, PostgreSQL): {cohort_s * 1000:9.1f} ms")
    print(f"  DuckDB (Parquet, same figures): {duck_cohort_s * 1000:9.1f} ms")
    print(f"  PostgreSQL, the same SQL:       {pg_cohort_s * 1000:9.1f} ms  (raw orders, one run)")
    for problem in problems:
        print(f"\nMISMATCH: {problem}")
    ok = dash_ratio <= TARGET and cohort_ratio <= TARGET and not problems
    print(f"\ndashboard ratio services / DuckDB: {dash_ratio:.3f} (target ≤ {TARGET:g})")
    print(f"cohort matrix ratio services / DuckDB: {cohort_ratio:.3f} (target ≤ {TARGET:g})")
    print("MET" if ok else "MISSED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--pg-url", default="postgres://postgres:postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
