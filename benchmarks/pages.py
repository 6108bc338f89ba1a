"""Every staff page and API list of a big chain, timed in Django's handler on PostgreSQL.

    .venv/bin/python benchmarks/pages.py                       # 1,000,000 customers, 10M orders
    .venv/bin/python benchmarks/pages.py --customers 20000 --orders 200000
    .venv/bin/python benchmarks/pages.py --keep                # keep the seeded database
    .venv/bin/python benchmarks/pages.py --reuse wateja_bench_pages_1234   # time it again
    .venv/bin/python benchmarks/pages.py --reuse NAME --urls /customers/segments/4/ /customers/7/

It creates its own database (wateja_bench_pages_<pid>) on --pg-url, migrates it and seeds:
the demo (`wateja.demo.seed`: a café chain with its branches, staff of every role, segments,
campaigns, offers, a year of demo sales; and a flower shop), one more branch, then for the
café --customers customers written with COPY (names drawn from common first and last names,
so names repeat as in a real base; unique phones, 0.2 % of them the same national number
under another country code; 40 % with an e-mail; six cities; joined over two years), a card
each, and --orders sales over two years generated inside the server (the analytics
benchmark's generator: the first customers buy far more often, 15 % anonymous), the
customers' purchase figures from their sales, ANALYZE, the nightly analytics run, the stored
likely duplicates (`duplicates_rebuild`) and the segment counts. Each step's time is printed.
`--keep` keeps the database; `--reuse NAME` skips the seeding (migrating it to this code
first, and storing the duplicates and segment counts if they are missing).

Then it requests, signed in as the café's owner (a session) or with an owner API key, every
staff page reached from the URL configuration (each GET page of the `web` namespace without
arguments, and those with a customer, segment, campaign, offer… id filled with a real one;
public pages, PDFs, downloads and POST-only actions left out) and every API GET collection
route (no path argument), through Django's test client in this process. Each round requests
the baseline (`GET /api/v1/health`: no session, no template, one `SELECT 1`) and then a page,
in turn, for every page; a page's time is the median of --rounds rounds (after one warm-up
request, whose queries are counted with CaptureQueriesContext). Prints every page with its
median ms, queries and ratio to the baseline's median, then the slowest ten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TARGET_MS = 300.0


def _words(text: str) -> list[str]:
    return text.split()


CITIES = ["Nairobi", "Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret", "Thika"]
FIRST = _words(
    "Amani Baraka Chausiku Daudi Eshe Faraji Gathoni Hamisi Imani Jabari Kamau Kibet Makena "
    "Mwangi Nafula Njeri Ochieng Otieno Wanjiru Wairimu Zawadi Akinyi Atieno Chebet Cherono "
    "Jelimo Kiprop Mutua Mumbua Nduta Nyambura Odhiambo Omondi Onyango Rehema Saida Tatu "
    "Wambui Wekesa Yusuf Grace Mary John Peter James Joseph Esther Faith Mercy Ann David"
)
LAST = _words(
    "Mwangi Otieno Kamau Wanjiku Ochieng Kiprotich Mutua Njoroge Odhiambo Kariuki Onyango "
    "Wambui Kimani Cheruiyot Omondi Njeri Mugo Waweru Achieng Korir Kirui Rotich Langat "
    "Mbugua Gitau Maina Nyaga Macharia Wekesa Barasa Wafula Simiyu Juma Hassan Ali Omar "
    "Mohamed Abdi Kiplagat Koech Chege Ndungu Gachanja Karanja Muriuki Mwende Kilonzo "
    "Musyoka Nzioka Mule"
)


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def timed(label: str, action: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - started:,.1f} s", flush=True)
    return result


# ---------------------------------------------------------------- seeding


def _row_values(model: Any, ours: dict[str, Any]) -> tuple[list[str], Callable[[], list[Any]]]:
    """COPY columns of `model` and a maker of one row's defaults (ours override them)."""
    from django.db import models
    from psycopg.types.json import Jsonb

    columns: list[str] = []
    defaults: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in ours:
            defaults.append(None)
        elif field.has_default():
            value = field.get_default()
            defaults.append(Jsonb(value) if isinstance(field, models.JSONField) else value)
        elif field.null:
            defaults.append(None)
        else:
            defaults.append(field.get_default())
    return columns, lambda: list(defaults)


def seed_customers(business_id: int, location_ids: list[int], count: int) -> None:
    from django.db import connection

    from wateja.core.contacts import name_key
    from wateja.customers.models import Customer

    rng = random.Random(19)
    now = dt.datetime.now(dt.UTC)
    ours = (
        "business_id", "name", "name_key", "phone", "email", "city", "location_id",
        "created_at", "updated_at", "source",
    )  # fmt: skip
    columns, row_defaults = _row_values(Customer, dict.fromkeys(ours))
    index = {column: n for n, column in enumerate(columns)}
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for n in range(count):
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                national = 600_000_000 + n * 3  # 06xx: no demo customer has one
                # a few people enrolled again under a Tanzanian code: the same national number
                country = "255" if n % 500 == 499 else "254"
                row = row_defaults()
                values = {
                    "business_id": business_id,
                    "name": name,
                    "name_key": name_key(name),
                    "phone": f"+{country}{national - 3 if country == '255' else national}",
                    "email": f"c{n}@example.com" if n % 5 < 2 else "",
                    "city": CITIES[n % len(CITIES)],
                    "location_id": location_ids[n % len(location_ids)],
                    "created_at": now - dt.timedelta(seconds=rng.randrange(730 * 86400)),
                    "updated_at": now,
                    "source": "walk_in" if n % 3 else "import",
                }
                for column, value in values.items():
                    row[index[column]] = value
                copy.write_row(row)
                if n and n % 250_000 == 0:
                    print(f"    {n:,} customers", flush=True)


def seed_cards(business_id: int, first_id: int) -> None:
    from django.db import connection

    from wateja.customers.models import Card

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Card._meta.db_table} "
            "(business_id, customer_id, number, status, issued_at, link_version) "
            "SELECT business_id, id, 'B' || lpad(id::text, 11, '0'), 'active', created_at, 1 "
            "FROM customers_customer WHERE business_id = %s AND id >= %s",
            [business_id, first_id],
        )


def seed_orders(business_id: int, location_ids: list[int], first_id: int, customers: int,
                orders: int) -> None:  # fmt: skip
    """The analytics benchmark's sales generator (inside the server), for our customers."""
    from analytics import SALES, _insert, sale_columns  # benchmarks/analytics.py
    from django.db import connection, transaction

    from wateja.orders.models import Order

    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    values = sale_columns(business_id, first_id, location_ids, "P")
    columns, select, params = _insert(Order, values)
    sales = SALES.replace("700 days", "730 days").replace(") %% 700", ") %% 730")
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.19)")
        chunk = 1_000_000
        for start in range(1, orders + 1, chunk):
            stop = min(orders, start + chunk - 1)
            with transaction.atomic():
                cursor.execute(
                    f"INSERT INTO {Order._meta.db_table} ({columns}) "
                    f"SELECT {select} FROM ({sales}) s",
                    [*params, now, now, now, customers, start, stop],
                )
            print(f"    {stop:,} orders", flush=True)


def seed_partitions(connection: Any) -> None:
    """A partition for each month of the two years of sales, as the nightly partition job
    would have made them ahead (else the sales land in the default partition)."""
    from wateja.tenants.partitioning import create_month, is_partitioned, month_start

    if connection.vendor != "postgresql" or not is_partitioned("orders_order", connection):
        return
    month = month_start(dt.datetime.now(dt.UTC) - dt.timedelta(days=731))
    while month <= dt.datetime.now(dt.UTC).date():
        create_month("orders_order", month, connection)
        month = month_start(month + dt.timedelta(days=32))


def seed_stats(business_id: int, first_id: int) -> None:
    """The customers' purchase figures from their sales, as `recompute-stats` keeps them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer c SET purchase_count = s.n, total_spent_minor = s.total, "
            "average_order_minor = s.total / s.n, first_purchase_at = s.first, "
            "last_purchase_at = s.last FROM (SELECT customer_id, count(*) AS n, "
            "sum(total_minor - refunded_minor) AS total, min(placed_at) AS first, "
            "max(placed_at) AS last FROM orders_order WHERE business_id = %s "
            "AND customer_id >= %s GROUP BY customer_id) s WHERE c.id = s.customer_id",
            [business_id, first_id],
        )


def seed(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection

    from wateja.analytics.services import analytics_nightly
    from wateja.customers.models import Customer
    from wateja.demo import seed as demo_seed
    from wateja.tenants.models import Business, Location
    from wateja.tenants.services import location_create

    started = time.perf_counter()
    migrated = "tenants_business" in connection.introspection.table_names()
    if not migrated or not Business.objects.filter(slug="kahawa-corner").exists():
        timed("migrate", lambda: call_command("migrate", verbosity=0, interactive=False))
        timed(
            "demo (two businesses, staff, segments, campaigns, offers)",
            lambda: demo_seed(scale=args.demo_scale),
        )
    business = Business.objects.get(slug="kahawa-corner")
    if not Location.objects.filter(business=business, name="Kisumu Mall").exists():
        location_create(business=business, name="Kisumu Mall", city="Kisumu")
    locations = list(Location.objects.filter(business=business).values_list("pk", flat=True))
    last_demo = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    timed(f"{args.customers:,} customers (COPY)",
          lambda: seed_customers(business.pk, locations, args.customers))  # fmt: skip
    first_id = (
        Customer.objects.filter(business=business, pk__gt=last_demo)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    with connection.cursor() as cursor:  # else the cards' and orders' key checks plan for
        cursor.execute("ANALYZE customers_customer")  # the demo's few customers: seq scans
    timed("cards", lambda: seed_cards(business.pk, first_id))
    timed("monthly partitions of the two years", lambda: seed_partitions(connection))
    timed(
        f"{args.orders:,} orders",
        lambda: seed_orders(business.pk, locations, first_id, args.customers, args.orders),
    )
    timed("customers' purchase figures", lambda: seed_stats(business.pk, first_id))
    with connection.cursor() as cursor:
        timed("VACUUM ANALYZE", lambda: cursor.execute("VACUUM ANALYZE"))
    if not args.no_nightly:
        timed("nightly analytics", lambda: analytics_nightly(business=business))
    print(f"  seeding took {time.perf_counter() - started:,.0f} s in all", flush=True)


def derived(business: Any, rebuild: bool = True) -> None:
    """What the services keep beside the customers: stored duplicates and segment counts
    (a no-op where they are there already)."""
    try:
        from wateja.customers.duplicates import duplicates_rebuild
        from wateja.customers.models import DuplicateKey
        from wateja.customers.segments import segment_counts_refresh
    except ImportError:  # timing the code from before they existed
        return
    from django.db.models import Exists, OuterRef

    from wateja.customers.selectors import active_customers

    keyed = DuplicateKey.objects.filter(business=business, customer_id=OuterRef("pk"))
    unkeyed = active_customers(business).exclude(name_key="").exclude(Exists(keyed))
    if rebuild and unkeyed.exists():  # customers written by COPY: no keys yet
        found = timed(
            "stored duplicates (duplicates_rebuild)", lambda: duplicates_rebuild(business)
        )
        print(f"    {found}", flush=True)
    timed("segment counts", lambda: segment_counts_refresh(older_than=dt.timedelta(hours=1)))


# ---------------------------------------------------------------- the pages


SKIP_PREFIXES = ("/j/", "/join", "/c/", "/p/", "/u/", "/hooks/", "/feedback/r/", "/s/")
SKIP_WORDS = (".pdf", ".csv", ".xlsx", ".json", "export", "logout", "download", "qr", ".png",
              ".svg", "print", "poster")  # fmt: skip


def _ids(business: Any) -> dict[str, int]:
    """A real id for each kind of URL argument, the busiest where it matters."""
    from django.apps import apps

    from wateja.customers.models import Customer

    found: dict[str, int] = {}
    top = (
        Customer.objects.filter(business=business)
        .order_by("-purchase_count")
        .values_list("pk", flat=True)
        .first()
    )
    if top:
        found["customer_id"] = top
    for model in apps.get_models():
        name = f"{model._meta.model_name}_id"
        if name in found or not any(f.name == "business" for f in model._meta.fields):
            continue
        pk = model.objects.filter(business=business).order_by("-pk").values_list("pk", flat=True)
        first = pk.first()
        if first is not None:
            found[name] = first
    aliases = {"offer_id": "promotion_id", "job_id": "importjob_id", "merge_id": "customermerge_id"}
    for alias, name in aliases.items():
        if name in found:
            found.setdefault(alias, found[name])
    return found


def web_pages(business: Any) -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver, reverse

    ids = _ids(business)
    pages: list[str] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "web" and entry.name:
                arguments = list(entry.pattern.converters)
                if entry.default_args:
                    continue
                if not all(a in ids for a in arguments):
                    continue
                try:
                    url = reverse(f"web:{entry.name}", kwargs={a: ids[a] for a in arguments})
                except Exception:
                    continue
                pages.append(url)

    walk(get_resolver().url_patterns, "")
    return [
        p for p in dict.fromkeys(pages)
        if not p.startswith(SKIP_PREFIXES) and not any(w in p for w in SKIP_WORDS)
    ]  # fmt: skip


def api_lists() -> list[str]:
    from wateja.api.app import api

    schema = api.get_openapi_schema()
    prefix = "/api/v1"
    found = []
    for path, operations in schema["paths"].items():
        if "get" in operations and "{" not in path and not path.endswith("/health"):
            found.append(path if path.startswith(prefix) else prefix + path)
    return sorted(found)


class _Counter:
    """An execute wrapper noting each query (CaptureQueriesContext loses them when a request
    starts: Django clears the debug query log then)."""

    def __init__(self, queries: list[str]) -> None:
        self.queries = queries

    def __call__(self, execute: Any, sql: str, *rest: Any) -> Any:
        self.queries.append(sql)
        return execute(sql, *rest)


def measure(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client

    from wateja.tenants.models import Business
    from wateja.tenants.roles import Role
    from wateja.tenants.services import apikey_create, staff_add

    business = Business.objects.get(slug="kahawa-corner")
    derived(business, rebuild=not args.no_rebuild)
    staff = staff_add(business=business, username=f"bench{os.getpid()}", role=Role.OWNER,
                      password="bench-owner-Pa55")  # fmt: skip
    _key, token = apikey_create(business=business, name=f"bench {os.getpid()}", role=Role.OWNER)
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(staff.user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    bare = Client()
    baseline_url = "/api/v1/health"
    targets: list[tuple[str, Client]] = [(p, web) for p in web_pages(business)]
    targets += [(p, api) for p in api_lists()]
    if args.urls:  # these pages only, as given (e.g. every segment's page)
        targets = [(u, api if u.startswith("/api/") else web) for u in args.urls]
    if args.only:
        targets = [t for t in targets if any(o in t[0] for o in args.only)]
    if args.skip:
        targets = [t for t in targets if not any(o in t[0] for o in args.skip)]
    print(f"\n{len(targets)} pages; {args.rounds} rounds each, interleaved with {baseline_url}",
          flush=True)  # fmt: skip

    def once(client: Client, url: str) -> tuple[float, int]:
        started = time.perf_counter()
        response = client.get(url)
        return time.perf_counter() - started, response.status_code

    rows = []
    for url, client in targets:
        queries: list[str] = []

        with connection.execute_wrapper(_Counter(queries)):
            _t, status = once(client, url)
        if status != 200:
            print(f"  {url}: {status}, left out", flush=True)
            continue
        base_times, page_times = [], []
        for _n in range(args.rounds):
            base_times.append(once(bare, baseline_url)[0])
            page_times.append(once(client, url)[0])
        base, page = statistics.median(base_times), statistics.median(page_times)
        rows.append((url, page * 1000, len(queries), page / base, base * 1000))
        print(f"  {url:<60} {page * 1000:9.1f} ms {len(queries):5d} q {page / base:9.1f}x",
              flush=True)  # fmt: skip
    print("\nslowest ten (median ms, queries, ratio to /api/v1/health)")
    print("| page | ms | queries | × health |\n| --- | ---: | ---: | ---: |")
    for url, ms, count, ratio, _base in sorted(rows, key=lambda r: -r[1])[:10]:
        print(f"| `{url}` | {ms:,.1f} | {count} | {ratio:,.1f} |")
    over = [r for r in rows if r[1] > TARGET_MS]
    print(f"\nbaseline median {statistics.median(r[4] for r in rows):.2f} ms; "
          f"{len(rows)} pages, {len(over)} over {TARGET_MS:.0f} ms")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--demo-scale", type=float, default=0.1, help="the demo's size")
    parser.add_argument("--pg-url", default="postgres://postgres:postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", metavar="NAME", help="time an already seeded database")
    parser.add_argument("--seed-only", action="store_true", help="seed (and keep), time nothing")
    parser.add_argument(
        "--continue-seed", action="store_true", help="with --reuse: seed a database cut short"
    )
    parser.add_argument("--no-nightly", action="store_true", help="skip the nightly analytics")
    parser.add_argument(
        "--no-rebuild", action="store_true", help="store no duplicates for the COPY customers"
    )
    parser.add_argument("--only", nargs="*", help="only the pages whose URL contains one of these")
    parser.add_argument("--skip", nargs="*", help="not the pages whose URL contains one of these")
    parser.add_argument("--urls", nargs="*", help="time these URLs instead of the discovered ones")
    args = parser.parse_args()
    import psycopg

    name = args.reuse or f"wateja_bench_pages_{os.getpid()}"
    if not args.reuse:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    work = tempfile.mkdtemp(prefix="wateja-bench-pages-")
    os.environ.update(
        {
            "DATABASE_URL": with_database(args.pg_url, name),
            "WATEJA_DATA_DIR": work,
            "DJANGO_SETTINGS_MODULE": "wateja.settings",
        }
    )
    import django

    django.setup()
    keep = args.keep or args.reuse or args.seed_only
    try:
        if args.reuse and not args.continue_seed:
            from django.core.management import call_command

            timed("migrate", lambda: call_command("migrate", verbosity=0, interactive=False))
        else:
            print(f"PostgreSQL {name}: {args.customers:,} customers, {args.orders:,} orders",
                  flush=True)  # fmt: skip
            seed(args)
        if args.seed_only:
            from wateja.tenants.models import Business

            derived(Business.objects.get(slug="kahawa-corner"))
        else:
            measure(args)
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f"kept: database {name}")
        else:
            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
