"""M-Pesa confirmations replayed over HTTP against the checkout commit rate, in one run.

    .venv/bin/python benchmarks/mpesa_confirmations.py                    # PostgreSQL, 10,000
    .venv/bin/python benchmarks/mpesa_confirmations.py --sqlite
    .venv/bin/python benchmarks/mpesa_confirmations.py --confirmations 2000 --clients 4

Creates its own database (wateja_bench_mpesa_<pid> on --pg-url, or a SQLite file with
--sqlite) in a temporary data directory, migrates, and seeds one business (KES,
Africa/Nairobi) with --customers customers (each with a phone and a loyalty card), the
programme of a busy shop (1 point per KES 100) and an M-Pesa till. Then it starts
`wateja serve --workers 2` on a free port of 127.0.0.1 and, from --clients threads on
keep-alive connections, the two in turn in --rounds (3) rounds (each round a share of the
work; rates and their ratio are medians of the rounds):

* the **baseline**: --commits sales through the API as a till sends them
  (POST /api/v1/checkout/reserve, then POST /api/v1/checkout/<key>/commit, a random customer
  by card, a total-only sale): commits per second;
* the **measured**: --confirmations Daraja C2B confirmations POSTed to the business's
  confirmation address, shaped as Safaricom sends them (TransID, TransAmount with cents in one
  of five, TransTime in Kenya's time, BillRefNumber: a card number, a phone typed with spaces,
  or in one of ten an account that names no one; the MSISDN hashed), of which one in twenty
  is sent a second time at once by another thread (Safaricom's retries): confirmations per
  second, and their ratio to the commit rate.

Then it checks, in the database: one payment per TransID, one order per matched payment and
none for the others, no two payments or orders for one TransID, every reply
{"ResultCode": 0}; and `check-ledger` finds the ledger consistent. Exits 1 on any of these.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.checkout_http import free_port, start_server, stop_server  # noqa: E402
from benchmarks.ledger import django_setup, with_database  # noqa: E402

KENYA = dt.timezone(dt.timedelta(hours=3))


def seed(customers: int) -> dict[str, Any]:
    from wateja.customers.models import Card, Customer
    from wateja.payments.mpesa import callback_addresses
    from wateja.payments.services import payment_settings
    from wateja.promotions.services import promotion_save, promotion_set_status
    from wateja.tenants.roles import Role
    from wateja.tenants.services import apikey_create, business_create

    business = business_create(
        name="Duka la M-Pesa", country="KE", currency="KES", timezone_name="Africa/Nairobi"
    )
    promotion_set_status(
        promotion=promotion_save(
            business=business,
            name="1 point per 100",
            type="points_per_amount",
            params={"points": 1, "per_amount_minor": 10_000},
        ),
        status="active",
    )
    rows = [
        Customer(
            business=business,
            name=f"Mteja {n}",
            name_key=f"mteja {n}",
            phone=f"+2547{n:08d}",
        )
        for n in range(customers)
    ]
    Customer.objects.bulk_create(rows, batch_size=5_000)
    ids = list(Customer.objects.filter(business=business).values_list("pk", flat=True))
    Card.objects.bulk_create(
        [
            Card(business=business, customer_id=pk, number=f"8{n:011d}", status="active")
            for n, pk in enumerate(ids)
        ],
        batch_size=5_000,
    )
    row = payment_settings(business)
    row.mpesa_shortcode = "600984"
    row.receipt_sms = True
    row.save()
    _key, token = apikey_create(business=business, name="till", role=Role.CASHIER)
    confirm = callback_addresses(row)["confirmation"]
    return {
        "business_id": business.pk,
        "token": token,
        "confirm_path": "/" + confirm.split("://", 1)[1].split("/", 1)[1],
        "cards": [f"8{n:011d}" for n in range(customers)],
        "phones": [f"07{n:08d}"[:10] for n in range(customers)],
    }


def confirmation(rng: random.Random, n: int, seeded: dict[str, Any]) -> dict[str, Any]:
    choice = rng.random()
    if choice < 0.1:
        account = f"INV-{n}"
    elif choice < 0.55:
        account = rng.choice(seeded["cards"])
    else:
        phone = rng.choice(seeded["phones"])
        account = f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    shillings = rng.randint(50, 5_000)
    amount = f"{shillings}.{rng.choice(['00', '00', '00', '00', '50'])}"
    when = dt.datetime.now(KENYA) - dt.timedelta(seconds=rng.randint(0, 3600))
    return {
        "TransactionType": "Pay Bill",
        "TransID": f"BNC{n:07d}",
        "TransTime": when.strftime("%Y%m%d%H%M%S"),
        "TransAmount": amount,
        "BusinessShortCode": "600984",
        "BillRefNumber": account,
        "InvoiceNumber": "",
        "OrgAccountBalance": "",
        "ThirdPartyTransID": "",
        "MSISDN": hashlib.sha256(account.encode()).hexdigest(),
        "FirstName": "MTEJA",
        "MiddleName": "",
        "LastName": "",
    }


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = 0
        self.failures: list[str] = []

    def ok(self) -> None:
        with self.lock:
            self.done += 1

    def fail(self, text: str) -> None:
        with self.lock:
            self.failures.append(text)


def post(
    connection: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    connection.request(
        "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
    )
    response = connection.getresponse()
    return response.status, response.read()


def run_threads(clients: int, work: list[Any], job: Any, port: int) -> float:
    chunks = [work[i::clients] for i in range(clients)]

    def worker(items: list[Any]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for item in items:
            job(connection, item)
        connection.close()

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--confirmations", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--pg-url", default="postgres://postgres:postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="wateja-bench-mpesa-"))
    name = f"wateja_bench_mpesa_{os.getpid()}"
    env = {"WATEJA_DATA_DIR": str(data_dir), "WATEJA_PUBLIC_URL": "http://127.0.0.1"}
    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
    else:
        import psycopg

        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = with_database(args.pg_url, name)
    server = None
    try:
        django_setup(env)
        from django.core.management import call_command
        from django.db import connections

        print("migrating…", flush=True)
        call_command("migrate", verbosity=0, interactive=False)
        print(f"seeding {args.customers:,} customers…", flush=True)
        seeded = seed(args.customers)
        connections.close_all()
        port = free_port()
        server = start_server(port, data_dir / "server.log")
        rng = random.Random(2026)

        commits = Tally()
        auth = {"Authorization": f"Bearer {seeded['token']}"}

        def sell(connection: http.client.HTTPConnection, n: int) -> None:
            body = json.dumps(
                {
                    "currency": "KES",
                    "total_minor": rng.randint(50, 5_000) * 100,
                    "customer": {"card": rng.choice(seeded["cards"])},
                }
            ).encode()
            key = f"bench-{n}"
            status, text = post(
                connection, "/api/v1/checkout/reserve", body, {**auth, "Idempotency-Key": key}
            )
            if status != 201:
                commits.fail(f"reserve {status} {text[:200]!r}")
                return
            status, text = post(connection, f"/api/v1/checkout/{key}/commit", b"", auth)
            if status != 200:
                commits.fail(f"commit {status} {text[:200]!r}")
                return
            commits.ok()

        bodies = [confirmation(rng, n, seeded) for n in range(args.confirmations)]
        confirmed = Tally()

        def confirm(connection: http.client.HTTPConnection, payload: dict[str, Any]) -> None:
            status, text = post(
                connection, seeded["confirm_path"], json.dumps(payload).encode(), {}
            )
            if status != 200 or json.loads(text) != {"ResultCode": 0, "ResultDesc": "Accepted"}:
                confirmed.fail(f"{payload['TransID']}: {status} {text[:200]!r}")
                return
            confirmed.ok()

        # the baseline and the measured in turn, --rounds times, each a share of the work
        commit_rates, confirm_rates, ratios = [], [], []
        commit_seconds = confirm_seconds = 0.0
        repeated = 0
        per_round = max(1, args.commits // args.rounds)
        for number in range(args.rounds):
            print(
                f"round {number + 1}: {per_round:,} API checkouts (reserve + commit)…", flush=True
            )
            before = commits.done
            numbers = list(range(number * per_round, (number + 1) * per_round))
            seconds = run_threads(args.clients, numbers, sell, port)
            commit_seconds += seconds
            commit_rates.append((commits.done - before) / seconds)
            chunk = bodies[number :: args.rounds]
            repeats = chunk[::20]  # Safaricom's retries: one in twenty sent twice at once
            repeated += len(repeats)
            work = chunk + repeats
            rng.shuffle(work)
            print(f"round {number + 1}: {len(work):,} confirmations…", flush=True)
            before = confirmed.done
            seconds = run_threads(args.clients, work, confirm, port)
            confirm_seconds += seconds
            confirm_rates.append((confirmed.done - before) / seconds)
            ratios.append(confirm_rates[-1] / commit_rates[-1])
        commit_rate = statistics.median(commit_rates)
        confirm_rate = statistics.median(confirm_rates)

        from django.db.models import Count

        from wateja.orders.models import Order
        from wateja.payments.models import Payment
        from wateja.wallet.services import ledger_check

        payments = Payment.objects.filter(business_id=seeded["business_id"])
        matched = payments.filter(status="matched", order__isnull=False).count()
        doubled = payments.values("reference").annotate(n=Count("id")).filter(n__gt=1).count()
        orders = Order.objects.filter(business_id=seeded["business_id"], channel="mpesa")
        order_doubles = (
            payments.exclude(order__isnull=True)
            .values("order_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        problems = ledger_check()
        print()
        print(f"checkout commits (API): {commits.done:,} in {commit_seconds:.1f} s", end="")
        print(f" = {commit_rate:,.1f}/s (median of {args.rounds} rounds)")
        print(f"M-Pesa confirmations:   {confirmed.done:,} in {confirm_seconds:.1f} s", end="")
        print(f" = {confirm_rate:,.1f}/s ({repeated:,} of them repeats)")
        print(
            f"ratio confirmations/commits: {statistics.median(ratios):.2f} (median of the rounds)"
        )
        print(
            f"payments {payments.count():,} for {len(bodies):,} TransIDs "
            f"(matched {matched:,}, waiting {payments.filter(status='unmatched').count():,}), "
            f"orders {orders.count():,}, duplicate payments {doubled}, "
            f"shared orders {order_doubles}"
        )
        print(f"ledger: {'consistent' if not problems else problems[:5]}")
        failed = commits.failures + confirmed.failures
        for line in failed[:10]:
            print("FAILED", line)
        ok = (
            not failed
            and payments.count() == len(bodies)
            and doubled == 0
            and order_doubles == 0
            and orders.count() == matched
            and not problems
        )
        return 0 if ok else 1
    finally:
        if server is not None:
            stop_server(server)
        from django.db import connections as conns

        conns.close_all()
        if not args.sqlite:
            import psycopg

            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
