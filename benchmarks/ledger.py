"""Ledger throughput: committed earn + spend operations per second through the service layer,
beside a bare baseline on the same database in the same run.

    .venv/bin/python benchmarks/ledger.py --seconds 20 --customers 100000

PostgreSQL: creates its own database (wateja_bench_<pid>) on --pg-url, migrates it, creates
one business and --customers customers, then runs --seconds of earn + spend pairs (random
customer, earn then spend part of it, each a separate committed operation through
wateja.wallet.services) in --workers processes. Then `pgbench -i -s 10` and
`pgbench -b tpcb-like -c <workers> -j <workers> -T <seconds>` on the same database. Prints
both rates and the ratio (target >= 0.5). The database is dropped at the end.

SQLite: the same service workload on a temporary data directory (the project's settings: WAL,
IMMEDIATE transactions, busy_timeout), beside a bare sqlite3 loop in as many processes on
another file: BEGIN IMMEDIATE; INSERT an entry; UPDATE a balance; COMMIT (target >= 0.3).

Both parts also print the SQL statements of one earn and one spend (BEGIN and COMMIT counted)
and the CPU time per operation of the workers (Python) and, on PostgreSQL, of their server
processes. --profile runs worker 0 under cProfile and prints where it spent its time.
"""

from __future__ import annotations

import argparse
import cProfile
import glob
import io
import multiprocessing as mp
import os
import pstats
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_TARGET = 0.5
SQLITE_TARGET = 0.3
SPAWN = mp.get_context("spawn")  # every process sets up Django (and its connection) itself


# ---------------------------------------------------------------- Django side (child processes)


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "wateja.settings"
    import django

    django.setup()


def prepare(env: dict[str, str], customers: int) -> dict[str, Any]:
    """Migrate, create one business and the customers; warm the system accounts."""
    django_setup(env)
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.monotonic()

    from wateja.customers.models import Customer
    from wateja.tenants.services import business_create
    from wateja.wallet import services as wallet

    business = business_create(
        name="Duka la Benchmark", country="KE", currency="KES", timezone_name="Africa/Nairobi"
    )
    batch = 10_000
    for start in range(0, customers, batch):
        Customer.objects.bulk_create(
            [
                Customer(business=business, name=f"Mteja {n}", name_key=f"mteja {n}")
                for n in range(start, min(customers, start + batch))
            ],
            batch_size=batch,
        )
    ids = list(Customer.objects.filter(business=business).values_list("id", flat=True))
    seeded = time.monotonic()
    first = Customer.objects.select_related("business").get(pk=ids[0])
    wallet.points_earn(customer=first, amount=10, idempotency_key="warm-earn")
    wallet.balance_spend(customer=first, amount=5, idempotency_key="warm-spend")
    return {
        "business": business.pk,
        "ids": ids,
        "migrate_s": migrated - started,
        "seed_s": seeded - migrated,
        "statements": statements_per_operation(first),
    }


def statements_per_operation(customer: Any) -> dict[str, int]:
    """SQL statements of one earn and one spend on an account that exists (BEGIN and COMMIT
    included), as Django's connection logs them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wateja.wallet import services as wallet

    with CaptureQueriesContext(connection) as earn:
        wallet.points_earn(customer=customer, amount=10, idempotency_key="count-earn")
    with CaptureQueriesContext(connection) as spend:
        wallet.balance_spend(customer=customer, amount=5, idempotency_key="count-spend")
    return {"earn": len(earn), "spend": len(spend)}


def server_cpu_seconds(connection: Any) -> float | None:
    """CPU time so far of this connection's PostgreSQL server process (None on SQLite, or
    when the server is not on this machine)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def service_worker(
    env: dict[str, str],
    worker: int,
    ids: list[int],
    seconds: float,
    profile: bool,
    barrier: Any,
    out: Any,
) -> None:
    """Earn + spend pairs on random customers until the time is up; reports (ops, errors,
    its CPU seconds, its server process's CPU seconds or None, a profile or "")."""
    django_setup(env)
    from django.db import connection

    from wateja.core.errors import DomainError
    from wateja.customers.models import Customer
    from wateja.wallet import services as wallet

    rng = random.Random(worker)
    connection.ensure_connection()
    ops = errors = n = 0
    profiler = cProfile.Profile() if profile else None
    barrier.wait()
    cpu, server = time.process_time(), server_cpu_seconds(connection)
    if profiler:
        profiler.enable()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        customer = Customer.objects.select_related("business").get(pk=rng.choice(ids))
        amount = rng.randint(10, 500)
        try:
            wallet.points_earn(customer=customer, amount=amount, idempotency_key=f"e{worker}-{n}")
            ops += 1
            wallet.balance_spend(
                customer=customer, amount=rng.randint(1, amount), idempotency_key=f"s{worker}-{n}"
            )
            ops += 1
        except DomainError:
            errors += 1
    if profiler:
        profiler.disable()
    cpu = time.process_time() - cpu
    server_after = server_cpu_seconds(connection)
    server = None if server is None or server_after is None else server_after - server
    out.put((ops, errors, cpu, server, profile_text(profiler)))
    connection.close()


def profile_text(profiler: cProfile.Profile | None) -> str:
    if profiler is None:
        return ""
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
    return text.getvalue()


def ledger_problems(env: dict[str, str], out: Any) -> None:
    django_setup(env)
    from wateja.wallet.services import ledger_check

    out.put(ledger_check())


def run_child(target: Any, *args: Any) -> Any:
    out = SPAWN.Queue()
    process = SPAWN.Process(target=target, args=(*args, out))
    process.start()
    result = out.get()
    process.join()
    return result


def prepare_child(env: dict[str, str], customers: int, out: Any) -> None:
    out.put(prepare(env, customers))


def run_workers(target: Any, worker_args: list[tuple[Any, ...]]) -> tuple[list[Any], float]:
    """One process per argument tuple, each running `target(*args, barrier, out)`; timed from
    the moment every one of them is ready (has connected) to the last result. The results
    and the seconds."""
    barrier = SPAWN.Barrier(len(worker_args) + 1)
    out = SPAWN.Queue()
    processes = [SPAWN.Process(target=target, args=(*args, barrier, out)) for args in worker_args]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.monotonic()
    results = [out.get() for _ in processes]
    elapsed = time.monotonic() - started
    for process in processes:
        process.join()
    return results, elapsed


def service_rate(
    env: dict[str, str], ids: list[int], seconds: float, workers: int, profile: bool
) -> dict:
    results, elapsed = run_workers(
        service_worker, [(env, w, ids, seconds, profile and w == 0) for w in range(workers)]
    )
    ops = sum(r[0] for r in results)
    servers = [r[3] for r in results]
    return {
        "ops": ops,
        "errors": sum(r[1] for r in results),
        "seconds": elapsed,
        "cpu_s": sum(r[2] for r in results),
        "server_cpu_s": None if None in servers else sum(servers),
        "profile": "".join(r[4] for r in results),
    }


# ---------------------------------------------------------------- the ceiling: the same SQL, bare

REPLAY_SQL = {
    "settings": "SELECT s.*, b.timezone AS timezone_name FROM wallet_walletsettings s"
    " JOIN tenants_business b ON b.id = s.business_id WHERE s.business_id = %s",
    "operation": 'INSERT INTO wallet_operation (business_id, "key", action, request_hash, result,'
    " actor_id, reason, reference, created_at) VALUES (%s, %s, %s, %s, '{}', NULL, '', '', %s)"
    ' ON CONFLICT (business_id, "key") DO NOTHING RETURNING id',
    "accounts": "SELECT * FROM wallet_account WHERE business_id = %s AND customer_id IN (%s)"
    " UNION ALL SELECT * FROM wallet_account WHERE business_id = %s AND customer_id IS NULL"
    " AND system = %s AND kind = 'points' ORDER BY id",
    "lock": "SELECT * FROM wallet_account WHERE business_id = %s AND customer_id IN (%s)"
    " ORDER BY id FOR UPDATE",
    "transfer": "INSERT INTO wallet_transfer (business_id, operation_id, debit_account_id,"
    " credit_account_id, amount, code, status, timeout_at, on_timeout, resolved_at, reverses_id,"
    " created_at) VALUES (%s, %s, %s, %s, %s, %s, 'posted', NULL, '', %s, NULL, %s) RETURNING id",
    "entries": "INSERT INTO wallet_entry (business_id, account_id, transfer_id, amount, created_at)"
    " VALUES (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)",
    "balance": "UPDATE wallet_account SET balance = balance + %s, last_activity_at = %s"
    " WHERE id = %s",
    "lot_insert": "INSERT INTO wallet_lot (business_id, account_id, transfer_id, amount, remaining,"
    " earned_at, expires_at, expired_at) VALUES (%s, %s, %s, %s, %s, %s, NULL, NULL)",
    "lot_select": "SELECT * FROM wallet_lot WHERE account_id = %s AND remaining > 0",
    "lot_update": "UPDATE wallet_lot SET remaining = remaining - CASE id WHEN %s THEN %s END"
    " WHERE (id = %s AND remaining >= %s)",
    "lotuse_insert": "INSERT INTO wallet_lotuse (business_id, lot_id, transfer_id, amount)"
    " VALUES (%s, %s, %s, %s)",
    "result": "UPDATE wallet_operation SET result = %s WHERE id = %s",
}


def sql_replay_worker(
    env: dict[str, str],
    worker: int,
    business_id: int,
    seconds: float,
    barrier: Any,
    out: Any,
) -> None:
    """The statements of one earn and one spend (as `statements` counts them, read off the
    services) run by the bare driver: sqlite3, or psycopg with server-side prepared statements,
    no Django, no model objects, nothing computed in Python but the ids and the result JSON.
    What the service layer could reach on this machine if its Python cost nothing."""
    import datetime as dt
    import json

    url = env.get("DATABASE_URL", "")
    postgres = url.startswith(("postgres://", "postgresql://"))
    if postgres:
        import psycopg

        db: Any = psycopg.connect(url, autocommit=True, prepare_threshold=0)
        sql = dict(REPLAY_SQL)
        begin = "BEGIN"
    else:
        db = sqlite3.connect(
            str(Path(env["WATEJA_DATA_DIR"]) / "wateja.sqlite3"), timeout=5, isolation_level=None
        )
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            db.execute(f"PRAGMA {pragma}")
        sql = {name: text.replace("%s", "?") for name, text in REPLAY_SQL.items()}
        sql["lock"] = ""  # the IMMEDIATE transaction is the lock
        begin = "BEGIN IMMEDIATE"
    cursor = db.cursor()

    def run(name: str, *params: Any) -> Any:
        if sql[name]:
            cursor.execute(sql[name], params)
        return cursor

    accounts = dict(
        cursor.execute(
            "SELECT customer_id, id FROM wallet_account"
            " WHERE customer_id IS NOT NULL AND kind = 'points'"
        ).fetchall()
    )
    ids = sorted(accounts)
    rng = random.Random(worker)
    ops = n = 0
    tag = f"r{worker}-{os.getpid()}"
    barrier.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        customer = rng.choice(ids)
        account = accounts[customer]
        earned = rng.randint(10, 500)
        for action, amount in (("earn", earned), ("spend", rng.randint(1, earned))):
            now = dt.datetime.now(dt.UTC)
            stamp = now if postgres else now.isoformat(" ")
            system = "issuance" if action == "earn" else "redemption"
            cursor.execute(begin)
            run("settings", business_id).fetchall()
            operation = run(
                "operation", business_id, f"{tag}-{action}-{n}", action, "0" * 64, stamp
            ).fetchone()[0]
            rows = run("accounts", business_id, customer, business_id, system).fetchall()
            system_account = next(row[0] for row in rows if row[0] != account)
            if sql["lock"]:
                run("lock", business_id, customer).fetchall()
            debit, credit = (
                (system_account, account) if action == "earn" else (account, system_account)
            )
            transfer = run(
                "transfer", business_id, operation, debit, credit, amount, action, stamp, stamp
            ).fetchone()[0]
            run(
                "entries",
                *(business_id, debit, transfer, -amount, stamp),
                *(business_id, credit, transfer, amount, stamp),
            )
            run("balance", amount if action == "earn" else -amount, stamp, account)
            if action == "earn":
                run("lot_insert", business_id, account, transfer, amount, amount, stamp)
            else:
                lot = run("lot_select", account).fetchall()[0][0]
                run("lot_update", lot, amount, lot, amount)
                run("lotuse_insert", business_id, lot, transfer, amount)
            result = {
                "operation_id": operation,
                "action": action,
                "transfers": [{"id": transfer, "code": action, "amount": amount}],
                "balances": {f"{customer}:points": 0},
                "notes": {},
            }
            run("result", json.dumps(result), operation)
            cursor.execute("COMMIT")
            ops += 1
    db.close()
    out.put(ops)


def sql_replay_rate(env: dict[str, str], business_id: int, seconds: float, workers: int) -> float:
    results, elapsed = run_workers(
        sql_replay_worker, [(env, w, business_id, seconds) for w in range(workers)]
    )
    return sum(results) / elapsed


# ---------------------------------------------------------------- PostgreSQL


def find_pgbench() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench")) or [shutil.which("pgbench")]
    if not found or not found[-1]:
        raise SystemExit("pgbench not found (apt-get install postgresql-client or postgresql)")
    return str(found[-1])


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def pgbench_tps(url: str, seconds: int, clients: int) -> tuple[float, str]:
    parts = urlsplit(url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    base = [
        find_pgbench(),
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    database = parts.path.lstrip("/")
    subprocess.run(
        [*base, "-i", "-s", "10", "-q", database], env=env, check=True, capture_output=True
    )
    clients_flags = ["-c", str(clients), "-j", str(clients), "-T", str(seconds)]
    run = subprocess.run(
        [*base, "-b", "tpcb-like", *clients_flags, database],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", run.stdout)
    if not match:
        raise SystemExit(f"could not read pgbench's TPS:\n{run.stdout}\n{run.stderr}")
    return float(match.group(1)), run.stdout


def bench_postgres(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    name = f"wateja_bench_{os.getpid()}"
    url = with_database(args.pg_url, name)
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    data_dir = tempfile.mkdtemp(prefix="wateja-bench-pg-")
    env = {"DATABASE_URL": url, "WATEJA_DATA_DIR": data_dir}
    try:
        print(f"PostgreSQL: database {name}, {args.customers:,} customers…", flush=True)
        setup = run_child(prepare_child, env, args.customers)
        print(
            f"  migrate {setup['migrate_s']:.1f} s, customers {setup['seed_s']:.1f} s", flush=True
        )
        service = service_rate(env, setup["ids"], args.seconds, args.workers, args.profile)
        problems = run_child(ledger_problems, env)
        print("  the same SQL by the bare driver…", flush=True)
        ceiling = sql_replay_rate(env, setup["business"], args.seconds, args.workers)
        print("  pgbench…", flush=True)
        tps, _output = pgbench_tps(url, args.seconds, args.workers)
        return {
            "service": service,
            "baseline": tps,
            "problems": problems,
            "statements": setup["statements"],
            "ceiling": ceiling,
        }
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


# ---------------------------------------------------------------- SQLite


def sqlite_bare_worker(
    path: str, worker: int, accounts: int, seconds: float, barrier: Any, out: Any
) -> None:
    db = sqlite3.connect(path, timeout=5, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    rng = random.Random(worker)
    done = 0
    barrier.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        account, amount = rng.randint(1, accounts), rng.randint(1, 500)
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO entry (account_id, amount, created_at) VALUES (?, ?, ?)",
            (account, amount, time.time()),
        )
        db.execute("UPDATE account SET balance = balance + ? WHERE id = ?", (amount, account))
        db.execute("COMMIT")
        done += 1
    db.close()
    out.put(done)


def sqlite_bare_rate(path: str, accounts: int, seconds: float, workers: int) -> dict[str, Any]:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
    db.execute(
        "CREATE TABLE entry (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL "
        "REFERENCES account(id), amount INTEGER NOT NULL, created_at REAL NOT NULL)"
    )
    db.execute("CREATE INDEX entry_account ON entry (account_id, id)")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO account (id, balance) VALUES (?, 0)", ((n,) for n in range(1, accounts + 1))
    )
    db.execute("COMMIT")
    db.close()
    results, elapsed = run_workers(
        sqlite_bare_worker, [(path, w, accounts, seconds) for w in range(workers)]
    )
    return {"ops": sum(results), "seconds": elapsed}


def bench_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="wateja-bench-sqlite-")
    env = {"WATEJA_DATA_DIR": data_dir}
    os.environ.pop("DATABASE_URL", None)
    try:
        print(f"SQLite: {data_dir}, {args.customers:,} customers…", flush=True)
        setup = run_child(prepare_child, env, args.customers)
        print(
            f"  migrate {setup['migrate_s']:.1f} s, customers {setup['seed_s']:.1f} s", flush=True
        )
        service = service_rate(env, setup["ids"], args.seconds, args.workers, args.profile)
        problems = run_child(ledger_problems, env)
        print("  the same SQL by the bare driver…", flush=True)
        ceiling = sql_replay_rate(env, setup["business"], args.seconds, args.workers)
        print("  bare sqlite3 loop…", flush=True)
        bare = sqlite_bare_rate(
            str(Path(data_dir) / "bare.sqlite3"), args.customers, args.seconds, args.workers
        )
        return {
            "service": service,
            "baseline": bare["ops"] / bare["seconds"],
            "problems": problems,
            "statements": setup["statements"],
            "ceiling": ceiling,
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# ---------------------------------------------------------------- report


def report(title: str, result: dict[str, Any], baseline_name: str, target: float) -> bool:
    service = result["service"]
    rate = service["ops"] / service["seconds"]
    ratio = rate / result["baseline"]
    ok = ratio >= target and not result["problems"]
    print(f"\n{title}")
    print(
        f"  service layer: {service['ops']:,} committed operations (earn or spend) in "
        f"{service['seconds']:.1f} s = {rate:,.1f} ops/s"
        f" ({service['errors']} refused)"
    )
    statements = result["statements"]
    print(f"  statements: {statements['earn']} per earn, {statements['spend']} per spend")
    per_op = 1000 / max(service["ops"], 1)
    server = service["server_cpu_s"]
    print(
        f"  CPU per operation: {service['cpu_s'] * per_op:.2f} ms in the workers (Python)"
        + (
            f", {server * per_op:.2f} ms in their PostgreSQL processes"
            if server is not None
            else ""
        )
    )
    if service["profile"]:
        print(service["profile"])
    print(f"  {baseline_name}: {result['baseline']:,.1f} tx/s")
    print(f"  ratio {ratio:.3f} (target >= {target}) {'OK' if ratio >= target else 'BELOW TARGET'}")
    ceiling = result["ceiling"]
    print(
        f"  ceiling: the same SQL by the bare driver, no Django: {ceiling:,.1f} ops/s,"
        f" ratio {ceiling / result['baseline']:.3f}; the service layer reaches"
        f" {rate / ceiling:.0%} of it"
    )
    print(f"  ledger_check: {'clean' if not result['problems'] else result['problems'][:5]}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-url", default="postgres://postgres:postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile worker 0")
    args = parser.parse_args()
    print(
        f"{args.workers} workers, {args.seconds} s per measurement, {args.customers:,} customers, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    results: list[bool] = []
    if not args.skip_postgres:
        pg = bench_postgres(args)
        results.append(report("PostgreSQL", pg, "pgbench tpcb-like", PG_TARGET))
    if not args.skip_sqlite:
        lite = bench_sqlite(args)
        results.append(
            report(
                "SQLite",
                lite,
                "bare sqlite3 (BEGIN IMMEDIATE; INSERT; UPDATE; COMMIT)",
                SQLITE_TARGET,
            )
        )
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
