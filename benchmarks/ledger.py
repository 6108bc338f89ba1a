"""Ledger throughput: committed earn + spend operations per second through the service layer,
beside a bare baseline on the same database, in interleaved rounds.

    .venv/bin/python benchmarks/ledger.py --seconds 10 --rounds 3 --customers 100000

PostgreSQL: creates its own database (wateja_bench_<pid>) on --pg-url, migrates it, creates
one business and --customers customers and pgbench's tables (`pgbench -i -s 10`). Then
--rounds rounds, each running in turn for --seconds with --workers processes:
  service (function)   earn + spend pairs (random customer, loaded as a request does, earn,
                       then spend part of it, each a committed operation) through
                       wateja.wallet.services with WATEJA_PG_POSTING=function
  service (python)     the same with WATEJA_PG_POSTING=python (the statements one by one)
  replay (function)    `SELECT wallet_post(...)` by bare psycopg (prepared, autocommit), no
                       Django: the ceiling of the function path
  replay (statements)  the Python path's statements by bare psycopg: its ceiling
  pgbench              `pgbench -b tpcb-like -c W -j W -T S` (the baseline)
and `ledger_check` after every path that wrote to the ledger. Prints each path's median rate
and its ratio to the baseline (the median of the per-round ratios; target >= 0.5), with CPU
per operation of the workers and of their PostgreSQL server processes.

SQLite: the same on a temporary data directory (WAL, IMMEDIATE transactions, busy_timeout):
service (one pass) (WATEJA_PG_POSTING=function: wallet/sqlite_posting.py, the function's steps
as plain statements), service (python), replay (statements) by bare sqlite3, and the
baseline, a bare sqlite3 loop
in as many processes on another file: BEGIN IMMEDIATE; INSERT an entry; UPDATE a balance;
COMMIT (target >= 0.06).

--profile runs worker 0 of the first service round under cProfile and prints where it spent
its time.
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
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rounds import interleave  # benchmarks/rounds.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_TARGET = 0.5
SQLITE_TARGET = 0.06
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


def statements_per_operation(customer: Any) -> dict[str, dict[str, int]]:
    """SQL statements of one earn and one spend on an account that exists (BEGIN and COMMIT
    included), as Django's connection logs them, per posting path of this database."""
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    from wateja.wallet import services as wallet

    modes = ["function", "python"]
    counts = {}
    for mode in modes:
        with override_settings(PG_POSTING=mode):
            with CaptureQueriesContext(connection) as earn:
                wallet.points_earn(customer=customer, amount=10, idempotency_key=f"count-e-{mode}")
            with CaptureQueriesContext(connection) as spend:
                wallet.balance_spend(customer=customer, amount=5, idempotency_key=f"count-s-{mode}")
        counts[mode] = {"earn": len(earn), "spend": len(spend)}
    return counts


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
    business: int,
    worker: int,
    tag: str,
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
    from wateja.tenants.scoping import get_owned
    from wateja.wallet import services as wallet

    rng = random.Random(f"{tag}{worker}")
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
        customer = get_owned(Customer, business, pk=rng.choice(ids))  # as the API's views do
        amount = rng.randint(10, 500)
        try:
            wallet.points_earn(
                customer=customer, amount=amount, idempotency_key=f"e{tag}{worker}-{n}"
            )
            ops += 1
            wallet.balance_spend(
                customer=customer,
                amount=rng.randint(1, amount),
                idempotency_key=f"s{tag}{worker}-{n}",
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
    env: dict[str, str],
    business: int,
    tag: str,
    ids: list[int],
    seconds: float,
    workers: int,
    profile: bool,
) -> dict[str, Any]:
    results, elapsed = run_workers(
        service_worker,
        [(env, business, w, tag, ids, seconds, profile and w == 0) for w in range(workers)],
    )
    ops = sum(r[0] for r in results)
    servers = [r[3] for r in results]
    return {
        "ops": ops,
        "rate": ops / elapsed,
        "errors": sum(r[1] for r in results),
        "cpu_s": sum(r[2] for r in results),
        "server_cpu_s": None if None in servers else sum(servers),
        "profile": "".join(r[4] for r in results),
    }


# ---------------------------------------------------------------- the ceilings: bare drivers

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

FUNCTION_CALL = (
    "SELECT wallet_post(%s::bigint, %s::bigint, '', %s::text, %s::text, %s::text, 'points',"
    " %s::bigint, 0, NULL, NULL, NULL, NULL, '', '', %s::timestamptz)"
)


def bare_connection(env: dict[str, str]) -> tuple[Any, bool]:
    url = env.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        return psycopg.connect(url, autocommit=True, prepare_threshold=0), True
    db = sqlite3.connect(
        str(Path(env["WATEJA_DATA_DIR"]) / "wateja.sqlite3"), timeout=5, isolation_level=None
    )
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    return db, False


def bare_server_cpu(db: Any, postgres: bool) -> float | None:
    if not postgres:
        return None
    pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sql_replay_worker(
    env: dict[str, str],
    worker: int,
    business_id: int,
    seconds: float,
    barrier: Any,
    out: Any,
) -> None:
    """The statements of one earn and one spend of the Python path (as `statements` counts
    them) run by the bare driver: sqlite3, or psycopg with server-side prepared statements, no
    Django, no model objects, nothing computed in Python but the ids, the lot to take from and
    the result JSON. What the Python path could reach on this machine if its Python cost
    nothing. The ledger stays whole (balances, entries and lots agree)."""
    import datetime as dt
    import json

    db, postgres = bare_connection(env)
    if postgres:
        sql = dict(REPLAY_SQL)
        begin = "BEGIN"
    else:
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
    cpu, server = time.process_time(), bare_server_cpu(db, postgres)
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
                lots = run("lot_select", account).fetchall()
                remaining = [d[0] for d in cursor.description].index("remaining")
                lot = next(row[0] for row in lots if row[remaining] >= amount)
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
    cpu = time.process_time() - cpu
    after = bare_server_cpu(db, postgres)
    db.close()
    out.put((ops, cpu, None if server is None or after is None else after - server))


def function_replay_worker(
    env: dict[str, str],
    worker: int,
    business_id: int,
    seconds: float,
    barrier: Any,
    out: Any,
) -> None:
    """Earn + spend pairs as `SELECT wallet_post(...)` by bare psycopg (prepared, autocommit:
    one round trip each), no Django: the ceiling of the function path on this machine."""
    import datetime as dt

    db, _postgres = bare_connection(env)
    cursor = db.cursor()
    ids = [
        row[0]
        for row in cursor.execute(
            "SELECT customer_id FROM wallet_account"
            " WHERE customer_id IS NOT NULL AND kind = 'points'"
        ).fetchall()
    ]
    rng = random.Random(worker)
    ops = n = 0
    tag = f"f{worker}-{os.getpid()}"
    barrier.wait()
    cpu, server = time.process_time(), bare_server_cpu(db, True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        customer = rng.choice(ids)
        earned = rng.randint(10, 500)
        for action, amount in (("earn", earned), ("spend", rng.randint(1, earned))):
            now = dt.datetime.now(dt.UTC)
            cursor.execute(
                FUNCTION_CALL,
                (business_id, customer, f"{tag}-{action}-{n}", action, "0" * 64, amount, now),
            )
            answer = cursor.fetchone()[0]
            if "error" not in answer:
                ops += 1
    cpu = time.process_time() - cpu
    after = bare_server_cpu(db, True)
    db.close()
    out.put((ops, cpu, None if server is None or after is None else after - server))


def replay_rate(
    target: Any, env: dict[str, str], business_id: int, seconds: float, workers: int
) -> dict[str, Any]:
    results, elapsed = run_workers(target, [(env, w, business_id, seconds) for w in range(workers)])
    servers = [r[2] for r in results]
    ops = sum(r[0] for r in results)
    return {
        "ops": ops,
        "rate": ops / elapsed,
        "cpu_s": sum(r[1] for r in results),
        "server_cpu_s": None if None in servers else sum(servers),
    }


# ---------------------------------------------------------------- PostgreSQL


def find_pgbench() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench")) or [shutil.which("pgbench")]
    if not found or not found[-1]:
        raise SystemExit("pgbench not found (apt-get install postgresql-client or postgresql)")
    return str(found[-1])


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def pgbench_command(url: str) -> tuple[list[str], dict[str, str], str]:
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
    return base, env, parts.path.lstrip("/")


def pgbench_init(url: str) -> None:
    base, env, database = pgbench_command(url)
    subprocess.run(
        [*base, "-i", "-s", "10", "-q", database], env=env, check=True, capture_output=True
    )


def pgbench_tps(url: str, seconds: int, clients: int) -> dict[str, Any]:
    base, env, database = pgbench_command(url)
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
    return {"rate": float(match.group(1))}


def checked(env: dict[str, str], measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Measure a path, then run ledger_check on the database it wrote to."""
    result = measure()
    result["problems"] = run_child(ledger_problems, env)
    return result


def bench_postgres(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    name = f"wateja_bench_{os.getpid()}"
    url = with_database(args.pg_url, name)
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    data_dir = tempfile.mkdtemp(prefix="wateja-bench-pg-")
    env = {"DATABASE_URL": url, "WATEJA_DATA_DIR": data_dir}
    functional = {**env, "WATEJA_PG_POSTING": "function"}
    python = {**env, "WATEJA_PG_POSTING": "python"}
    try:
        print(f"PostgreSQL: database {name}, {args.customers:,} customers…", flush=True)
        setup = run_child(prepare_child, env, args.customers)
        pgbench_init(url)
        print(
            f"  migrate {setup['migrate_s']:.1f} s, customers {setup['seed_s']:.1f} s", flush=True
        )
        business, ids, s, w = setup["business"], setup["ids"], args.seconds, args.workers
        paths: dict[str, Callable[[int], dict[str, Any]]] = {
            "service (function)": lambda r: checked(
                env,
                lambda: service_rate(
                    functional, business, f"f{r}", ids, s, w, args.profile and r == 0
                ),
            ),
            "service (python)": lambda r: checked(
                env, lambda: service_rate(python, business, f"p{r}", ids, s, w, False)
            ),
            "replay (function)": lambda r: checked(
                env, lambda: replay_rate(function_replay_worker, env, business, s, w)
            ),
            "replay (statements)": lambda r: checked(
                env, lambda: replay_rate(sql_replay_worker, env, business, s, w)
            ),
            "pgbench tpcb-like": lambda r: pgbench_tps(url, s, w),
        }
        return {
            "rounds": interleave(paths, args.rounds),
            "baseline": "pgbench tpcb-like",
            "statements": setup["statements"],
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


def sqlite_bare_setup(path: str, accounts: int) -> None:
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


def sqlite_bare_rate(path: str, accounts: int, seconds: float, workers: int) -> dict[str, Any]:
    results, elapsed = run_workers(
        sqlite_bare_worker, [(path, w, accounts, seconds) for w in range(workers)]
    )
    return {"rate": sum(results) / elapsed}


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
        bare = str(Path(data_dir) / "bare.sqlite3")
        sqlite_bare_setup(bare, args.customers)
        business, ids, s, w = setup["business"], setup["ids"], args.seconds, args.workers
        one_pass = {**env, "WATEJA_PG_POSTING": "function"}
        python = {**env, "WATEJA_PG_POSTING": "python"}
        paths: dict[str, Callable[[int], dict[str, Any]]] = {
            "service (one pass)": lambda r: checked(
                env,
                lambda: service_rate(
                    one_pass, business, f"o{r}", ids, s, w, args.profile and r == 0
                ),
            ),
            "service (python)": lambda r: checked(
                env, lambda: service_rate(python, business, f"q{r}", ids, s, w, False)
            ),
            "replay (statements)": lambda r: checked(
                env, lambda: replay_rate(sql_replay_worker, env, business, s, w)
            ),
            "bare sqlite3 loop": lambda r: sqlite_bare_rate(bare, args.customers, s, w),
        }
        return {
            "rounds": interleave(paths, args.rounds),
            "baseline": "bare sqlite3 loop",
            "statements": setup["statements"],
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# ---------------------------------------------------------------- report


def report(title: str, result: dict[str, Any], target: float, main: str) -> bool:
    """Each path's median rate, the median of its per-round ratios to the baseline, its CPU
    per operation and its ledger check. True if `main` reaches the target, all clean."""
    rounds, baseline = result["rounds"], result["baseline"]
    base = [r["rate"] for r in rounds[baseline]]
    print(f"\n{title}: median of {len(base)} interleaved rounds (load {os.getloadavg()[0]:.1f})")
    for mode, counts in result["statements"].items():
        print(f"  statements ({mode}): {counts['earn']} per earn, {counts['spend']} per spend")
    print(f"  {baseline}: {statistics.median(base):,.1f} tx/s (rounds: "
          + ", ".join(f"{b:,.0f}" for b in base) + ")")  # fmt: skip
    ok = True
    for name, runs in rounds.items():
        if name == baseline:
            continue
        ratios = [run["rate"] / b for run, b in zip(runs, base, strict=True)]
        ratio = statistics.median(ratios)
        ops = sum(run["ops"] for run in runs)
        per_op = 1000 / max(ops, 1)
        cpu = sum(run["cpu_s"] for run in runs) * per_op
        servers = [run["server_cpu_s"] for run in runs]
        server = None if None in servers else sum(servers) * per_op
        problems = [p for run in runs for p in run["problems"]]
        refused = sum(run.get("errors", 0) for run in runs)
        line = (
            f"  {name}: {statistics.median(run['rate'] for run in runs):,.1f} ops/s,"
            f" ratio {ratio:.3f} (rounds: {', '.join(f'{x:.3f}' for x in ratios)});"
            f" CPU/op {cpu:.2f} ms client"
            + (f", {server:.2f} ms server" if server is not None else "")
            + (f"; {refused} refused" if refused else "")
            + f"; ledger_check {'clean' if not problems else problems[:3]}"
        )
        print(line)
        if name == main:
            reached = ratio >= target
            print(f"  {main}: ratio {ratio:.3f}, target >= {target}:"
                  f" {'OK' if reached else 'BELOW TARGET'}")  # fmt: skip
            ok = ok and reached
        ok = ok and not problems
        profile = "".join(run.get("profile", "") for run in runs)
        if profile:
            print(profile)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-url", default="postgres://postgres:postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile worker 0, round 1")
    args = parser.parse_args()
    print(
        f"{args.workers} workers, {args.seconds} s per measurement, {args.rounds} rounds,"
        f" {args.customers:,} customers, {os.cpu_count()} CPUs,"
        f" load {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    results: list[bool] = []
    if not args.skip_postgres:
        pg = bench_postgres(args)
        results.append(report("PostgreSQL", pg, PG_TARGET, "service (function)"))
    if not args.skip_sqlite:
        lite = bench_sqlite(args)
        results.append(report("SQLite", lite, SQLITE_TARGET, "service (one pass)"))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
