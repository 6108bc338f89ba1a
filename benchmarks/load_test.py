"""Load test: 50 simulated cashiers on 3 locations selling through the API for 5 minutes, on
PostgreSQL through PgBouncer (transaction mode), with locust on loopback. benchmarks/load_test.md
says what it measures, its baseline and the figures.

    .venv/bin/python benchmarks/load_test.py                       # 5 minutes, 50 cashiers
    .venv/bin/python benchmarks/load_test.py --seconds 30          # a quick run
    .venv/bin/python benchmarks/load_test.py --minutes 2 --users 50 --customers 3000

The runner (this file run as a script) starts PgBouncer when it does not answer
(scripts/pgbouncer), creates its own database through it (wateja_load_<pid>), migrates and
seeds one business (KES, Africa/Nairobi) with 3 locations, --customers customers with loyalty
cards, a catalogue and the promotions of benchmarks/checkout_http.py (1 point per KES 100, a
reusable code KARIBU, item offers…), and one cashier API key per simulated cashier, each
cashier at one of the 3 locations. It starts `wateja serve` (gunicorn, gthread) on a free port
with DATABASE_POOL=transaction, then runs locust headless with this same file as its
locustfile. Each cashier, 0.5–1.5 s between actions:

* sells (weight 10): POST /api/v1/checkout/reserve with 1–6 catalogue lines, the customer by
  card in four sales of five, the code KARIBU in one of three, points to spend in one of four
  (capped at the balance by the checkout), then POST /api/v1/checkout/{key}/commit;
* refunds (weight 2) one of its own earlier sales, whole or half: POST
  /api/v1/orders/{id}/refunds;
* enrols (weight 1) a new customer with a phone and SMS consent: POST /api/v1/customers;
* asks GET /api/v1/health (weight 3): the baseline, served by the same server under the same
  load.

Afterwards it prints, per request kind, the count, the 4xx and 5xx, p50/p95/p99 in ms and each
as a ratio to /health's, checks the ledger (`wateja check-ledger`), compares the orders and
refunds in the database with the successful requests, and shows PgBouncer's counters for the
database. Exits 1 on any 5xx or failed connection, any ledger difference or any lost write.
The server is stopped and the database dropped at the end (--keep-db keeps it).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEALTH = "/api/v1/health"
KINDS = ("reserve", "commit", "refund", "enrol", "health")
SEED_ENV, OUT_ENV = "WATEJA_LOAD_SEED", "WATEJA_LOAD_OUT"


# ---------------------------------------------------------------- the locustfile

if __name__ != "__main__":  # imported by locust: the simulated cashier
    from locust import HttpUser, between, events, task

    _seed: dict[str, Any] = json.loads(Path(os.environ[SEED_ENV]).read_text())
    _cashiers = itertools.count()
    _samples: list[tuple[str, float, int]] = []  # (kind, milliseconds, HTTP status; 0: failed)
    _enrolled = itertools.count()

    @events.request.add_listener
    def _record(name: str, response_time: float, response: Any, exception: Any, **_: Any) -> None:
        status = getattr(response, "status_code", 0) or 0
        _samples.append((name, response_time, 0 if exception and not status else status))

    @events.quitting.add_listener
    def _save(**_: Any) -> None:
        Path(os.environ[OUT_ENV]).write_text(json.dumps(_samples))

    class Cashier(HttpUser):
        """One cashier at a till: their own API key and location, their own recent sales."""

        wait_time = between(0.5, 1.5)

        def on_start(self) -> None:
            n = next(_cashiers)
            token, self.location = _seed["cashiers"][n % len(_seed["cashiers"])]
            self.client.headers["Authorization"] = f"Bearer {token}"
            self.rng = random.Random(n)
            self.sales: list[tuple[int, int]] = []  # (order id, total) not yet refunded

        def _post(self, path: str, body: dict[str, Any], name: str, key: bool = True) -> Any:
            headers = {"Idempotency-Key": uuid.uuid4().hex} if key else {}
            with self.client.post(
                path, json=body, headers=headers, name=name, catch_response=True
            ) as response:
                if response.status_code < 500:
                    response.success()  # 4xx are counted by kind, not as failures
                return response

        @task(10)
        def sell(self) -> None:
            rng = self.rng
            lines = [
                {"sku": sku, "category": category, "quantity": rng.choice((1, 1, 2, 3)),
                 "unit_price_minor": price}
                for sku, category, price in rng.sample(_seed["products"], rng.randint(1, 6))
            ]  # fmt: skip
            body: dict[str, Any] = {
                "currency": _seed["currency"],
                "lines": lines,
                "location_id": self.location,
            }
            if rng.random() < 0.8:
                body["customer"] = {"card": rng.choice(_seed["cards"])}
                if rng.random() < 0.25:
                    body["points_to_spend"] = rng.choice((10, 50, 200))
            if rng.random() < 1 / 3:
                body["codes"] = [_seed["code"]]
            reserved = self._post("/api/v1/checkout/reserve", body, "reserve")
            if reserved.status_code != 201:
                return
            key = reserved.json()["key"]
            committed = self._post(f"/api/v1/checkout/{key}/commit", {}, "commit", key=False)
            if committed.status_code == 200:
                order = committed.json()
                self.sales.append((int(order["id"]), int(order["total_minor"])))

        @task(2)
        def refund(self) -> None:
            if not self.sales:
                return
            order_id, total = self.sales.pop(self.rng.randrange(len(self.sales)))
            amount = total if self.rng.random() < 0.5 or total < 2 else total // 2
            if amount < 1:
                return
            self._post(
                f"/api/v1/orders/{order_id}/refunds",
                {"amount_minor": amount, "reason": "load test"},
                "refund",
            )

        @task(1)
        def enrol(self) -> None:
            n = next(_enrolled)
            body = {
                "name": f"Mteja Mpya {n}",
                "phone": f"+2547{(_seed['phone_base'] + n) % 10**8:08d}",
                "location_id": self.location,
                "consents": {"sms": True},
                "consent_text": "Ndiyo, nitumie SMS.",
            }
            self._post("/api/v1/customers", body, "enrol", key=False)

        @task(3)
        def health(self) -> None:
            self.client.get(HEALTH, name="health")


# ---------------------------------------------------------------- the runner


def main() -> int:
    import argparse
    import shutil
    import subprocess
    import tempfile
    import time

    sys.path.insert(0, str(ROOT))
    from benchmarks.checkout_http import CODE, free_port, percentile, seed, stop_server
    from benchmarks.ledger import django_setup, with_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, help="instead of --minutes: a quick run")
    parser.add_argument("--users", type=int, default=50, help="simulated cashiers")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    parser.add_argument(
        "--pg-url",
        default="postgres://postgres:postgres@127.0.0.1:6432/postgres",
        help="PostgreSQL through PgBouncer (any database: the run makes its own)",
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    seconds = args.seconds if args.seconds else args.minutes * 60

    import psycopg

    subprocess.run([str(ROOT / "scripts" / "pgbouncer")], check=True)
    name = f"wateja_load_{os.getpid()}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(args.pg_url, name)
    data_dir = Path(tempfile.mkdtemp(prefix="wateja-load-"))
    env = {"DATABASE_URL": url, "DATABASE_POOL": "transaction", "WATEJA_DATA_DIR": str(data_dir)}
    server = None
    failed = False
    try:
        django_setup(env)
        from django.core.management import call_command
        from django.db import connections

        from wateja.orders.models import Order
        from wateja.tenants.roles import Role
        from wateja.tenants.services import apikey_create, location_create

        print(f"database {name} through PgBouncer: migrating…", flush=True)
        call_command("migrate", verbosity=0, interactive=False)
        rng = random.Random(20261207)
        seeded = seed(args.customers, rng, 300, 100)
        from wateja.tenants.models import Business

        business = Business.objects.get()
        locations = [
            location_create(business=business, name=f"Tawi {n}", city=city).pk
            for n, city in enumerate(("Nairobi", "Mombasa", "Kisumu"), start=1)
        ]
        cashiers = [
            (apikey_create(business=business, name=f"till {n}", role=Role.CASHIER)[1],
             locations[n % len(locations)])
            for n in range(args.users)
        ]  # fmt: skip
        seed_file = data_dir / "seed.json"
        seed_file.write_text(
            json.dumps(
                {
                    "cashiers": cashiers,
                    "cards": [card for _id, card in seeded.customers],
                    "products": [(sku, cat, price) for sku, cat, price, _g in seeded.products],
                    "code": CODE,
                    "currency": "KES",
                    "phone_base": rng.randrange(10**8),
                }
            )
        )
        print(
            f"  {args.customers:,} customers with cards, {len(locations)} locations, "
            f"{args.users} cashier keys, seeded in {seeded.seconds:.1f} s",
            flush=True,
        )
        connections.close_all()

        port = free_port()
        server_env = {**os.environ, **env}
        print(f"starting `wateja serve --workers {args.workers}` on 127.0.0.1:{port}…", flush=True)
        server = _start(port, args.workers, data_dir / "server.log", server_env)
        out = data_dir / "samples.json"
        print(f"locust: {args.users} cashiers for {seconds:.0f} s…", flush=True)
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", __file__, "--headless", "--only-summary",
             "--users", str(args.users), "--spawn-rate", "10", "--run-time", f"{seconds:.0f}s",
             "--host", f"http://127.0.0.1:{port}", "--stop-timeout", "30",
             "--exit-code-on-error", "0", "--loglevel", "WARNING"],
            env={**os.environ, SEED_ENV: str(seed_file), OUT_ENV: str(out)},
            check=True,
        )  # fmt: skip
        ran = time.monotonic() - started
        samples: list[tuple[str, float, int]] = [tuple(s) for s in json.loads(out.read_text())]
        stop_server(server)
        server = None

        failed = _report(samples, ran, percentile)
        ledger = subprocess.run(
            [str(Path(sys.executable).with_name("wateja")), "check-ledger"],
            env=server_env,
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"check-ledger: {ledger.stdout.strip().splitlines()[-1] if ledger.stdout else ''}")
        if ledger.returncode != 0:
            print(ledger.stdout[-3000:], ledger.stderr[-3000:])
            failed = True
        committed = sum(1 for kind, _ms, status in samples if kind == "commit" and status == 200)
        orders = Order.objects.count()
        refunded = sum(1 for kind, _ms, status in samples if kind == "refund" and status == 200)
        print(f"orders in the database: {orders:,} (commits answered 200: {committed:,}); "
              f"refunds answered 200: {refunded:,}")  # fmt: skip
        if orders != committed:
            print("LOST OR EXTRA ORDERS")
            failed = True
        _pgbouncer_stats(args.pg_url, name)
        connections.close_all()
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep_db:
            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(data_dir, ignore_errors=True)  # the server's log, the seed file
    print("FAILED" if failed else "passed: no 5xx, no ledger drift, no lost orders")
    return 1 if failed else 0


def _start(port: int, workers: int, log: Path, env: dict[str, str]) -> Any:
    import http.client
    import subprocess
    import time

    command = [str(Path(sys.executable).with_name("wateja")), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]  # fmt: skip
    with log.open("wb") as handle:
        server = subprocess.Popen(
            command, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    deadline = time.monotonic() + 600  # it migrates and collects the static files first
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
    from benchmarks.checkout_http import stop_server

    stop_server(server)
    raise SystemExit(f"the server did not answer {HEALTH} in 600 s:\n{log.read_text()[-3000:]}")


def _report(samples: list[tuple[str, float, int]], ran: float, percentile: Any) -> bool:
    """Print the table; True when a request failed with a 5xx or no answer."""
    by_kind: dict[str, list[tuple[float, int]]] = {kind: [] for kind in KINDS}
    for kind, ms, status in samples:
        by_kind.setdefault(kind, []).append((ms, status))
    base = [ms / 1000 for ms, status in by_kind["health"] if status == 200]
    base_p = {q: percentile(base, q) for q in (0.5, 0.95, 0.99)}
    print(f"\n{len(samples):,} requests in {ran:.0f} s ({len(samples) / ran:.1f}/s)")
    header = f"{'kind':<8} {'count':>7} {'4xx':>5} {'5xx':>4} {'fail':>4} "
    print(f"{header}{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   ratio to /health p50/p95/p99")
    failed = False
    for kind, rows in by_kind.items():
        ok = [ms / 1000 for ms, status in rows if 200 <= status < 300]
        four = sum(1 for _ms, status in rows if 400 <= status < 500)
        five = sum(1 for _ms, status in rows if status >= 500)
        lost = sum(1 for _ms, status in rows if status == 0)
        failed = failed or five > 0 or lost > 0
        p = {q: percentile(ok, q) for q in (0.5, 0.95, 0.99)}
        ratios = " / ".join(f"{p[q] / base_p[q]:.1f}" for q in (0.5, 0.95, 0.99))
        print(f"{kind:<8} {len(rows):>7,} {four:>5} {five:>4} {lost:>4} "
              f"{p[0.5]:>8.1f} {p[0.95]:>8.1f} {p[0.99]:>8.1f}   {ratios}")  # fmt: skip
    statuses: dict[str, int] = {}
    for kind, _ms, status in samples:
        if status >= 400 or status == 0:
            statuses[f"{kind} {status}"] = statuses.get(f"{kind} {status}", 0) + 1
    if statuses:
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
        print(f"answers other than 2xx: {shown}")
    return failed


def _pgbouncer_stats(pg_url: str, database: str) -> None:
    """PgBouncer's own counters for the run's database: proof the load went through it."""
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(pg_url)
    admin_url = f"postgres://pgbouncer@{parts.hostname}:{parts.port}/pgbouncer"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        cursor = admin.execute("SHOW STATS")
        names = [c.name for c in cursor.description]
        for row in cursor.fetchall():
            stats = dict(zip(names, row, strict=True))
            if stats["database"] == database:
                print(f"PgBouncer: {stats['total_xact_count']:,} transactions, "
                      f"{stats['total_query_count']:,} queries, average transaction "
                      f"{stats['avg_xact_time'] / 1000:.2f} ms, average wait "
                      f"{stats['avg_wait_time'] / 1000:.2f} ms (transaction pooling)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
