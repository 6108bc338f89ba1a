"""Checkout evaluate over HTTP: p50/p95/p99 through the real server, 100,000 customers on
PostgreSQL, beside GET /api/v1/health through the same server in the same run.

    .venv/bin/python benchmarks/checkout_http.py                      # 100,000 customers, 20 s
    .venv/bin/python benchmarks/checkout_http.py --customers 10000 --seconds 5

Creates its own database (wateja_bench_http_<pid>) on --pg-url and a temporary data directory,
migrates, and seeds one business (KES, Africa/Nairobi) with --customers customers (each with a
phone, a loyalty card and a purchase history), a catalogue of 1,000 products in 50 categories
and the promotions of a busy shop: 1 point per KES 100, 15 % off a second visit within 7 days,
a combo bundle, a volume discount on a category, 10 % for card holders within a date window,
KES 100 off with the reusable code KARIBU, double points today's weekday, and 200 item offers
(percent_off_items on 1-3 products or a category, a few with a budget). Then it starts
`wateja serve --workers 2` on a free port of 127.0.0.1 and, after 200 warm-up requests, sends
POST /api/v1/checkout/evaluate for --seconds from --clients threads on keep-alive connections
(a random customer by id or card, 5-20 random lines, the code in one request of four), then
GET /api/v1/health the same way. Prints the latency percentiles of both, the ratio of their
p50s and the p95 of evaluate against the target (< 25 ms); then, for information, the SQL
statements per request measured in this process with Django's test client.

Exits 1 when a request fails (evaluate: not a 200 with a JSON total_minor; health: not a 200)
or when the target is missed. The server is stopped and the database dropped at the end, also
on failure (--keep-db keeps it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ledger import django_setup, with_database  # noqa: E402

TARGET_P95_MS = 25.0
TZ = "Africa/Nairobi"
PRODUCTS = 1_000
CATEGORIES = 50
ITEM_PROMOTIONS = 200
CODE = "KARIBU"
BATCH = 5_000
WARMUP = 200
EVALUATE = "/api/v1/checkout/evaluate"
HEALTH = "/api/v1/health"


@dataclass
class Seeded:
    token: str
    customers: list[tuple[int, str]]  # (id, card number)
    products: list[tuple[str, str, int, int]]  # (sku, category, unit price, grams)
    promotions: int
    seconds: float


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    samples: list[str] = field(default_factory=list)
    seconds: float = 0.0


# ---------------------------------------------------------------- database and seed


def catalogue(rng: random.Random) -> list[tuple[str, str, int, int]]:
    return [
        (
            f"SKU{n:04d}",
            f"CAT{n % CATEGORIES:02d}",
            rng.randrange(5, 500) * 100,
            rng.choice((0, 0, 100, 250, 500, 1000)),
        )
        for n in range(PRODUCTS)
    ]


def history(rng: random.Random, now: dt.datetime) -> dict[str, Any]:
    """A purchase history: 30 % never bought, 10 % bought once this week (a second visit
    qualifies), the rest regulars."""
    roll = rng.random()
    if roll < 0.3:
        return {}
    if roll < 0.4:
        first = now - dt.timedelta(days=rng.uniform(0.5, 6.5))
        count, last = 1, first
    else:
        first = now - dt.timedelta(days=rng.uniform(30, 700))
        last = now - dt.timedelta(days=rng.uniform(0, 30))
        count = rng.randint(2, 60)
    average = rng.randrange(5, 300) * 1000
    return {
        "first_purchase_at": first,
        "last_purchase_at": last,
        "purchase_count": count,
        "total_spent_minor": count * average,
        "average_order_minor": average,
    }


def seed(customers: int, rng: random.Random) -> Seeded:
    from django.db import connection
    from django.utils import timezone

    from wateja.core.cards import new_card_number
    from wateja.customers.models import Card, Customer
    from wateja.promotions.services import codes_issue, promotion_save, promotion_set_status
    from wateja.tenants.roles import Role
    from wateja.tenants.services import apikey_create, business_create

    started = time.monotonic()
    now = timezone.now()
    business = business_create(
        name="Duka la Benchmark", country="KE", currency="KES", timezone_name=TZ
    )
    phones = rng.sample(range(10**8), customers)
    numbers: set[str] = set()
    while len(numbers) < customers:
        numbers.add(new_card_number())
    cards = list(numbers)
    refs: list[tuple[int, str]] = []
    for start in range(0, customers, BATCH):
        chunk = range(start, min(customers, start + BATCH))
        made = Customer.objects.bulk_create(
            [
                Customer(
                    business=business,
                    name=f"Mteja {n}",
                    name_key=f"mteja {n}",
                    phone=f"+2547{phones[n]:08d}",
                    **history(rng, now),
                )
                for n in chunk
            ],
            batch_size=BATCH,
        )
        Card.objects.bulk_create(
            [
                Card(business=business, customer=customer, number=cards[n])
                for n, customer in zip(chunk, made, strict=True)
            ],
            batch_size=BATCH,
        )
        refs += [(customer.pk, cards[n]) for n, customer in zip(chunk, made, strict=True)]

    products = catalogue(rng)
    skus = [p[0] for p in products]
    categories = sorted({p[1] for p in products})
    count = 0

    def offer(name: str, kind: str, params: dict[str, Any], **fields: Any) -> Any:
        nonlocal count
        promotion = promotion_save(business=business, name=name, type=kind, params=params, **fields)
        count += 1
        return promotion_set_status(promotion=promotion, status="active")

    offer("1 point per KES 100", "points_per_amount", {"points": 1, "per_amount_minor": 10_000})
    offer(
        "15% off your second visit (within 7 days)",
        "percent_off_order",
        {"percent_bp": 1500},
        conditions={
            "all": [
                {"type": "nth_purchase", "n": 2},
                {"type": "within_days_of_first_purchase", "days": 7},
            ]
        },
        exclusive_group="welcome",
    )
    offer("Combo", "bundle", {"sets": [{"skus": skus[:2]}], "percent_bp": 2000})
    offer(
        "3 or more from CAT01: 10% off",
        "volume_discount",
        {"min_quantity": 3, "categories": [categories[1]], "percent_bp": 1000},
    )
    offer(
        "Card holders: 10% this month",
        "percent_off_order",
        {"percent_bp": 1000},
        audience="members",
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=30),
    )
    karibu = offer(
        "KARIBU: KES 100 off", "amount_off_order", {"amount_minor": 10_000}, requires_code=True
    )
    codes_issue(promotion=karibu, code=CODE, kind="reusable", min_subtotal_minor=100_000)
    # today's weekday, so every run exercises the multiplier the same way
    weekday = now.astimezone(zoneinfo.ZoneInfo(TZ)).weekday()
    offer("Double points", "points_multiplier", {"multiplier_bp": 20_000}, weekdays=[weekday])
    for n in range(ITEM_PROMOTIONS):
        target: dict[str, Any] = (
            {"categories": [rng.choice(categories)]}
            if rng.random() < 0.2
            else {"skus": rng.sample(skus, rng.randint(1, 3))}
        )
        offer(
            f"Item offer {n}",
            "percent_off_items",
            {"percent_bp": rng.randrange(5, 40) * 100, **target},
            priority=rng.choice((0, 0, 0, 1, 2)),
            budget_minor=rng.randrange(10, 100) * 100_000 if n % 20 == 0 else None,
        )
    _key, token = apikey_create(business=business, name="benchmark till", role=Role.CASHIER)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Seeded(token, refs, products, count, time.monotonic() - started)


# ---------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wateja_command() -> str:
    beside = Path(sys.executable).with_name("wateja")
    return str(beside if beside.exists() else ROOT / ".venv" / "bin" / "wateja")


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [wateja_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*command, "--workers", "2"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
            start_new_session=True,  # its own process group: the workers stop with it
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", HEALTH)
            if connection.getresponse().status == 200:
                connection.close()
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"the server did not answer {HEALTH} in 120 s:\n{log.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# ---------------------------------------------------------------- load


def evaluate_body(rng: random.Random, seeded: Seeded, with_code: bool) -> bytes:
    customer_id, card = rng.choice(seeded.customers)
    lines = [
        {
            "sku": sku,
            "category": category,
            "quantity": rng.choice((1, 1, 1, 2, 3, 6)),
            "unit_price_minor": price,
            "weight_grams": grams,
        }
        for sku, category, price, grams in rng.sample(seeded.products, rng.randint(5, 20))
    ]
    body: dict[str, Any] = {
        "customer": {"id": customer_id} if rng.random() < 0.5 else {"card": card},
        "currency": "KES",
        "lines": lines,
    }
    if with_code:
        body["codes"] = [CODE]
    return json.dumps(body).encode()


def client(
    port: int, seeded: Seeded, path: str, seed: int, deadline: float, limit: int, run: Run
) -> None:
    """Requests on one keep-alive connection until the deadline (or `limit` requests)."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {seeded.token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = 0
    while sent < limit and time.perf_counter() < deadline:
        body = evaluate_body(rng, seeded, sent % 4 == 0) if path == EVALUATE else None
        started = time.perf_counter()
        try:
            connection.request("POST" if body else "GET", path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            run.failures += 1
            if len(run.samples) < 3:
                run.samples.append(f"{path}: {error!r}")
            connection.close()
            time.sleep(0.01)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        run.latencies.append(time.perf_counter() - started)
        sent += 1
        ok = response.status == 200
        if ok and path == EVALUATE:
            try:
                ok = "total_minor" in json.loads(data)
            except ValueError:
                ok = False
        if not ok:
            run.failures += 1
            if len(run.samples) < 3:
                run.samples.append(f"{response.status} {data[:300]!r}")
    connection.close()


def load(port: int, seeded: Seeded, path: str, seconds: float, clients: int) -> Run:
    runs = [Run() for _ in range(clients)]
    deadline = time.perf_counter() + seconds
    threads = [
        threading.Thread(
            target=client, args=(port, seeded, path, 1000 + n, deadline, sys.maxsize, runs[n])
        )
        for n in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Run(seconds=time.perf_counter() - started)
    for run in runs:
        total.latencies += run.latencies
        total.failures += run.failures
        total.samples += run.samples
    return total


def percentile(values: list[float], q: float) -> float:
    """Nearest rank, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


def sql_per_request(seeded: Seeded, samples: int = 40) -> dict[str, Any]:
    """Statements and time per request in this process (Django's test client, no HTTP)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rng = random.Random(7)
    test_client = Client(HTTP_AUTHORIZATION=f"Bearer {seeded.token}")
    counts, times = [], []
    for n in range(samples + 5):
        body = evaluate_body(rng, seeded, n % 4 == 0)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = test_client.post(EVALUATE, body, content_type="application/json")
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"in-process evaluate: {response.status_code} {response.content!r}")
        if n >= 5:  # the first builds the promotion index
            counts.append(len(queries))
            times.append(elapsed)
    with CaptureQueriesContext(connection) as queries:
        test_client.get(HEALTH)
    return {
        "min": min(counts),
        "max": max(counts),
        "mean": sum(counts) / len(counts),
        "p50_ms": percentile(times, 0.5),
        "health": len(queries),
    }


# ---------------------------------------------------------------- main


def describe(name: str, run: Run) -> str:
    count = len(run.latencies)
    return (
        f"  {name:<9}{count:>8,} requests in {run.seconds:.1f} s = "
        f"{count / run.seconds:>7,.1f} req/s   p50 {percentile(run.latencies, 0.5):6.2f} ms   "
        f"p95 {percentile(run.latencies, 0.95):6.2f} ms   "
        f"p99 {percentile(run.latencies, 0.99):6.2f} ms   failures {run.failures}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per measurement")
    parser.add_argument("--clients", type=int, default=2, help="client threads")
    parser.add_argument("--pg-url", default="postgres://postgres:postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep-db", action="store_true", help="keep the database (debugging)")
    args = parser.parse_args()

    import psycopg

    name = f"wateja_bench_http_{os.getpid()}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        version = admin.execute("SHOW server_version").fetchone()
    data_dir = Path(tempfile.mkdtemp(prefix="wateja-bench-http-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        django_setup(
            {"DATABASE_URL": with_database(args.pg_url, name), "WATEJA_DATA_DIR": str(data_dir)}
        )
        from django.core.management import call_command
        from django.db import connections

        print(f"database {name}: migrating…", flush=True)
        call_command("migrate", verbosity=0, interactive=False)
        print(f"seeding {args.customers:,} customers and the promotions…", flush=True)
        seeded = seed(args.customers, random.Random(20260310))
        print(f"  seeded in {seeded.seconds:.1f} s", flush=True)
        connections.close_all()

        port = free_port()
        print(f"starting `wateja serve --workers 2` on 127.0.0.1:{port}…", flush=True)
        server = start_server(port, data_dir / "server.log")
        warm = Run()
        client(port, seeded, EVALUATE, 1, time.perf_counter() + 120, WARMUP, warm)
        client(port, seeded, HEALTH, 2, time.perf_counter() + 120, WARMUP, Run())
        print(f"measuring evaluate for {args.seconds:g} s…", flush=True)
        evaluate = load(port, seeded, EVALUATE, args.seconds, args.clients)
        print(f"measuring health for {args.seconds:g} s…", flush=True)
        health = load(port, seeded, HEALTH, args.seconds, args.clients)
        stop_server(server)
        sql = sql_per_request(seeded)
        connections.close_all()
    finally:
        if server is not None:
            stop_server(server)
        if args.keep_db:
            print(f"kept database {name} and {data_dir}")
        else:
            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(data_dir, ignore_errors=True)

    failures = evaluate.failures + warm.failures + health.failures
    p50, p95 = percentile(evaluate.latencies, 0.5), percentile(evaluate.latencies, 0.95)
    ratio = p50 / percentile(health.latencies, 0.5)
    met = p95 < TARGET_P95_MS
    print(
        f"\ncheckout evaluate over HTTP: {args.customers:,} customers, {seeded.promotions} "
        f"active promotions, PostgreSQL {version[0] if version else '?'}, `wateja serve` "
        f"(2 gunicorn workers x 4 threads), {args.clients} client thread(s), "
        f"{os.cpu_count()} CPUs"
    )
    print(describe("evaluate", evaluate))
    print(describe("health", health))
    print(f"  ratio evaluate p50 / health p50: {ratio:.1f}")
    print(
        f"  in process (test client, no HTTP): evaluate p50 {sql['p50_ms']:.2f} ms, "
        f"{sql['mean']:.1f} SQL statements per evaluate ({sql['min']}-{sql['max']}), "
        f"{sql['health']} per health"
    )
    for sample in (warm.samples + evaluate.samples + health.samples)[:3]:
        print(f"  failed: {sample}")
    print(
        f"p95 evaluate: {p95:.2f} ms (target < {TARGET_P95_MS:g} ms) {'MET' if met else 'MISSED'}"
    )
    return 0 if met and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
