"""`wateja backup`, `wateja restore` and `wateja doctor` through the real command (SQLite and
PostgreSQL), and the nightly backup job's schedule."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers import ROOT, free_port, wateja, wateja_env

PG_SERVER = os.environ.get("WATEJA_TEST_PG", "postgres://postgres:postgres@127.0.0.1:5432")

SEED = """
from django.contrib.auth.models import User
from wateja.customers.services import customer_create
from wateja.tenants.models import Business
from wateja.wallet.services import balance_adjust
business = Business.objects.get()
owner = User.objects.get(username="mama")
for i in range(3):
    customer = customer_create(business=business, name=f"Mteja {i}", phone=f"+25471100000{i}")
    balance_adjust(
        customer=customer, amount=100 * (i + 1), idempotency_key=f"seed-{i}",
        reason="opening balance", actor=owner,
    )
"""

SNAPSHOT = """
import json
from wateja.customers.models import Customer
from wateja.wallet.models import Account, Entry
print(json.dumps({
    "customers": sorted(Customer.objects.values_list("name", "phone")),
    "balances": sorted(
        Account.objects.filter(customer__isnull=False).values_list("customer__name", "balance")
    ),
    "entries": Entry.objects.count(),
}))
"""


def _init(env: dict[str, str]) -> None:
    result = wateja(
        "init", "--business", "Duka la Mama", "--country", "KE", "--currency", "KES",
        "--timezone", "Africa/Nairobi", "--owner", "mama", "--password", "siri-kubwa-123",
        "--no-input", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def _shell(code: str, env: dict[str, str]) -> str:
    result = wateja("manage", "shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _snapshot(env: dict[str, str]) -> dict:
    return json.loads(_shell(SNAPSHOT, env).strip().splitlines()[-1])


def _seeded(data_dir: Path, **extra: str) -> dict[str, str]:
    env = wateja_env(data_dir, **extra)
    _init(env)
    _shell(SEED, env)
    return env


def _backup(env: dict[str, str], *args: str) -> Path:
    result = wateja("backup", *args, env=env)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.splitlines()[0].split(" (")[0])
    assert path.exists()
    return path


def test_sqlite_backup_restores_into_a_fresh_data_dir(tmp_path):
    env = _seeded(tmp_path / "shop")
    before = _snapshot(env)
    assert len(before["customers"]) == 3 and before["entries"] >= 6

    result = wateja("backup", env=env)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.split(" (")[0])
    # in the data dir's backups folder, named with the UTC time and the kind, size printed
    assert path.parent == tmp_path / "shop" / "backups"
    assert path.name.startswith("wateja-20") and path.name.endswith("Z-sqlite.sqlite3")
    assert result.stdout.strip().endswith("KB)") or result.stdout.strip().endswith("MB)")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    fresh = wateja_env(tmp_path / "new-machine")
    restored = wateja("restore", str(path), env=fresh)
    assert restored.returncode == 0, restored.stderr
    lines = restored.stdout.splitlines()
    assert lines[0] == f"restored {path.name}"
    assert lines[-2:] == ["migrations applied", "ledger consistent"]
    # the keys saved beside the backup come along (tests/cli/test_secrets_backup.py)
    assert any(line.startswith(f"encryption keys from {path.name}.keys") for line in lines)
    assert _snapshot(fresh) == before
    check = wateja("check-ledger", env=fresh)
    assert check.returncode == 0 and "ledger consistent" in check.stdout


def test_restore_refuses_a_database_with_data_without_yes(tmp_path):
    source = _seeded(tmp_path / "a")
    path = _backup(source)
    target = wateja_env(tmp_path / "b")
    _init(target)
    _shell(SEED.replace("Mteja", "Other").replace("+2547110", "+2547220"), target)
    refused = wateja("restore", str(path), env=target)
    assert refused.returncode == 2
    assert "holds 1 business, 3 customers" in refused.stderr
    assert "ledger entries" in refused.stderr and "--yes" in refused.stderr
    assert _snapshot(target)["customers"][0][0] == "Other 0"  # nothing changed

    accepted = wateja("restore", "--yes", str(path), env=target)
    assert accepted.returncode == 0, accepted.stderr
    assert _snapshot(target) == _snapshot(source)


def test_restore_refuses_while_another_process_has_the_database_open(tmp_path):
    env = _seeded(tmp_path)
    path = _backup(env)
    database = tmp_path / "wateja.sqlite3"
    holder = subprocess.Popen(  # stands in for a running `wateja serve`
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('select count(*) from tenants_business').fetchone(); "
            "print('open', flush=True); time.sleep(60)",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        result = wateja("restore", "--yes", str(path), env=env)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert f"pid {holder.pid}" in result.stderr
    assert "stop `wateja serve` and `wateja worker` first" in result.stderr


def test_restore_refuses_while_a_worker_runs_on_the_data_dir(tmp_path):
    env = _seeded(tmp_path)
    path = _backup(env)
    worker = subprocess.Popen(  # an idle worker or server keeps no SQLite file open
        [sys.executable, "-m", "wateja.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        result = wateja("restore", "--yes", str(path), env=env)
        elsewhere = wateja("restore", str(path), env=wateja_env(tmp_path / "other"))
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert result.returncode == 2
    assert f"pid {worker.pid}: {sys.executable} -m wateja.cli worker" in result.stderr
    assert elsewhere.returncode == 0, elsewhere.stderr  # another data dir is not in use


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    env = wateja_env(tmp_path)
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    result = wateja("restore", str(junk), env=env)
    assert result.returncode == 2
    assert "is not a Wateja backup" in result.stderr
    missing = wateja("restore", str(tmp_path / "nope.sqlite3"), env=env)
    assert missing.returncode == 2 and "There is no file" in missing.stderr


def test_retention_keeps_the_newest_n(tmp_path):
    env = wateja_env(
        tmp_path, WATEJA_BACKUP_DIR=str(tmp_path / "elsewhere"), WATEJA_BACKUP_KEEP="2"
    )
    _init(env)
    made = [_backup(env) for _ in range(3)]
    kept = sorted(p.name for p in (tmp_path / "elsewhere").iterdir())
    assert kept == sorted(  # the setting: 2, each with its keys beside it
        [made[1].name, made[2].name, f"{made[1].name}.keys", f"{made[2].name}.keys"]
    )
    other = tmp_path / "usb"
    last = wateja("backup", "--to", str(other), "--keep", "1", env=env)
    assert last.returncode == 0, last.stderr
    first = _backup(env, "--to", str(other), "--keep", "1")
    assert sorted(p.name for p in other.iterdir()) == [first.name, f"{first.name}.keys"]
    bad = wateja("backup", "--keep", "0", env=env)
    assert bad.returncode == 2 and "Keep at least one backup" in bad.stderr


@pytest.fixture
def pg_databases():
    if not shutil.which("pg_dump") or not shutil.which("psql"):
        pytest.skip("pg_dump/psql are not installed (Debian: postgresql-client)")
    names = [f"wateja_ops_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    for name in names:
        created = subprocess.run(
            ["psql", f"{PG_SERVER}/postgres", "-q", "-c", f"CREATE DATABASE {name}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode != 0:
            pytest.skip(f"no PostgreSQL server at {PG_SERVER}: {created.stderr.strip()}")
    yield [f"{PG_SERVER}/{name}" for name in names]
    for name in names:
        subprocess.run(
            ["psql", f"{PG_SERVER}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {name}"],
            capture_output=True,
            check=False,
        )


def test_postgresql_backup_restores_into_a_second_database(tmp_path, pg_databases):
    first, second = pg_databases
    env = _seeded(tmp_path, DATABASE_URL=first)
    before = _snapshot(env)
    path = _backup(env)
    assert path.name.endswith("Z-postgresql.dump")
    assert path.read_bytes()[:5] == b"PGDMP"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    target = wateja_env(tmp_path, DATABASE_URL=second)
    restored = wateja("restore", str(path), env=target)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.splitlines()[-1] == "ledger consistent"
    assert _snapshot(target) == before
    # now it has data: a second restore asks first, then replaces it whole
    again = wateja("restore", str(path), env=target)
    assert again.returncode == 2 and "3 customers" in again.stderr
    forced = wateja("restore", "--yes", str(path), env=target)
    assert forced.returncode == 0, forced.stderr
    assert _snapshot(target) == before
    # a PostgreSQL backup does not go into an SQLite database
    sqlite = wateja("restore", str(path), env=wateja_env(tmp_path / "lite"))
    assert sqlite.returncode == 2
    assert "is a postgresql backup but the configured database is sqlite" in sqlite.stderr


def test_backup_says_plainly_when_pg_dump_is_missing_or_too_old(tmp_path):
    if not shutil.which("psql"):
        pytest.skip("psql is not installed (Debian: postgresql-client)")
    server = subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-tAc", "SHOW server_version_num"],
        capture_output=True,
        text=True,
        check=False,
    )
    if server.returncode != 0:
        pytest.skip(f"no PostgreSQL server at {PG_SERVER}: {server.stderr.strip()}")
    major = int(server.stdout.strip()) // 10000
    tools = tmp_path / "bin"
    tools.mkdir()
    env = wateja_env(tmp_path, DATABASE_URL=f"{PG_SERVER}/postgres", PATH=str(tools))
    missing = wateja("backup", env=env)
    assert missing.returncode == 2
    assert "pg_dump is not installed: install the PostgreSQL client tools" in missing.stderr
    old = tools / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    old.chmod(0o755)
    too_old = wateja("backup", env=env)
    assert too_old.returncode == 2
    assert (
        f"pg_dump 9 is older than the PostgreSQL {major} server and cannot read it: "
        f"install postgresql-client-{major} (or newer)."
    ) in too_old.stderr
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())


def _checks(result: subprocess.CompletedProcess) -> dict[str, dict]:
    return {check["name"]: check for check in json.loads(result.stdout)["checks"]}


NAMES = [
    "secret key", "debug", "allowed hosts", "public URL", "database", "migrations", "worker",
    "SMTP", "SMS", "disk", "clock", "time zones", "backups", "secrets", "file permissions",
]  # fmt: skip


def test_doctor_on_a_healthy_setup(tmp_path):
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        env = wateja_env(
            tmp_path,
            WATEJA_ALLOWED_HOSTS="crm.example.com",
            WATEJA_PUBLIC_URL="https://crm.example.com",
            WATEJA_EMAIL_HOST="127.0.0.1",
            WATEJA_EMAIL_PORT=str(port),
        )
        _init(env)
        _shell(
            "from wateja.messaging.models import MessagingSettings\n"
            "from wateja.messaging.worker import worker_heartbeat\n"
            "from wateja.tenants.models import Business\n"
            "MessagingSettings.objects.update_or_create(business=Business.objects.get(), "
            "defaults={'sms_provider': 'africastalking', 'at_username': 'duka', "
            "'at_api_key': 'k' * 20, 'email_provider': 'smtp'})\n"
            "worker_heartbeat()\n",
            env,
        )
        _backup(env)
        text = wateja("doctor", env=env)
        machine = wateja("doctor", "--json", env=env)
    finally:
        smtp.stop()
    assert text.returncode == 0, text.stdout + text.stderr
    for name in NAMES:
        assert any(line[6:].startswith(name) for line in text.stdout.splitlines()), name
    assert "0 failed, 0 warning(s), 15 ok" in text.stdout
    assert machine.returncode == 0
    checks = _checks(machine)
    assert list(checks) == NAMES
    assert {check["status"] for check in checks.values()} == {"OK"}
    assert checks["database"]["detail"].startswith("SQLite 3.")
    assert checks["SMTP"]["detail"] == f"127.0.0.1:{port} answers EHLO"
    assert checks["SMS"]["detail"] == "credentials present for duka-la-mama (africastalking)"
    assert checks["worker"]["detail"].startswith("running (last heartbeat")
    assert checks["backups"]["detail"].startswith("newest wateja-")


def test_doctor_fails_with_a_fix_on_a_wrong_database(tmp_path):
    env = wateja_env(tmp_path, DATABASE_URL="postgres://postgres:postgres@127.0.0.1:1/nowhere")
    result = wateja("doctor", env=env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    database = next(i for i, line in enumerate(lines) if line.startswith("FAIL  database"))
    assert "cannot connect to postgres@127.0.0.1:1/nowhere" in lines[database]
    assert "fix: Check DATABASE_URL" in lines[database + 1]
    machine = _checks(wateja("doctor", "--json", env=env))
    assert machine["migrations"]["status"] == "WARN"
    assert machine["migrations"]["detail"] == "not checked: the database cannot be reached"
    assert machine["worker"]["status"] == "WARN"
    assert machine["worker"]["fix"].startswith("Start `wateja worker`")


def test_doctor_warns_and_fails_with_plain_fixes(tmp_path):
    env = wateja_env(tmp_path, WATEJA_DEBUG="1", WATEJA_EMAIL_PORT=str(free_port()))
    _init(env)
    _shell(
        "from wateja.messaging.models import MessagingSettings\n"
        "from wateja.tenants.models import Business\n"
        "MessagingSettings.objects.update_or_create(business=Business.objects.get(), "
        "defaults={'sms_provider': 'twilio', 'twilio_account_sid': 'AC1', "
        "'email_provider': 'smtp'})\n"
        "Business.objects.update(timezone='Mars/Olympus')\n",
        env,
    )
    # a migration not applied yet (as after installing a newer version)
    _shell(
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute(\"DELETE FROM django_migrations WHERE app = 'wallet' AND id = "
        "(SELECT max(id) FROM django_migrations WHERE app = 'wallet')\")\n",
        env,
    )
    result = wateja("doctor", "--json", env=env)
    assert result.returncode == 1
    checks = _checks(result)
    assert checks["debug"]["status"] == "WARN"
    assert checks["migrations"]["status"] == "FAIL"
    assert checks["migrations"]["detail"].startswith("1 not applied: wallet.")
    assert checks["migrations"]["fix"].startswith("Run `wateja init`")
    assert checks["SMS"]["status"] == "FAIL"
    assert (
        checks["SMS"]["detail"]
        == "missing credentials: duka-la-mama (twilio: no auth token, number)"
    )
    assert checks["SMTP"]["status"] == "FAIL"  # a business sends e-mail through it
    assert "used by duka-la-mama" in checks["SMTP"]["detail"]
    assert checks["time zones"]["status"] == "FAIL"
    assert "duka-la-mama ('Mars/Olympus')" in checks["time zones"]["detail"]
    assert checks["backups"]["status"] == "WARN"
    assert checks["backups"]["fix"].startswith("Run `wateja backup` now")
    assert checks["worker"]["status"] == "WARN"
    assert all(check["fix"] for check in checks.values() if check["status"] != "OK")


def test_disk_thresholds():
    from wateja.operations.doctor import DISK_FAIL, DISK_WARN, disk_status

    assert disk_status(5 * 1024**3) == "OK"
    assert disk_status(DISK_WARN - 1) == "WARN"
    assert disk_status(DISK_FAIL - 1) == "FAIL"


def test_clock_skew_is_judged_at_the_middle_of_the_query():
    from wateja.operations.doctor import clock_skew

    before = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC).timestamp()
    database_now = dt.datetime(2030, 1, 1, 12, 0, 3, tzinfo=dt.UTC)
    assert clock_skew(database_now, before, before + 2) == pytest.approx(2.0)


@pytest.mark.django_db
def test_nightly_backup_runs_at_the_hour_and_keeps_n(settings, tmp_path):
    from wateja.jobs.tasks import backup_nightly
    from wateja.operations.backup import backup_due, server_timezone

    settings.BACKUP_DIR = str(tmp_path)
    settings.BACKUP_HOUR = "2"
    settings.BACKUP_KEEP = "2"
    local = dt.datetime(2030, 3, 4, 2, 0, tzinfo=server_timezone())
    at_two = local.astimezone(dt.UTC).replace(tzinfo=None)  # what Huey passes
    assert backup_due(at_two)
    assert not backup_due(at_two + dt.timedelta(minutes=1))
    assert not backup_due(at_two + dt.timedelta(hours=1))
    settings.BACKUP_HOUR = "off"
    assert not backup_due(at_two)
    settings.BACKUP_HOUR = ""
    assert not backup_due(at_two)

    if os.environ.get("DATABASE_URL", "").startswith("postgres") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    written = [Path(backup_nightly.call_local()) for _ in range(3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        name
        for p in written[1:]
        for name in (p.name, f"{p.name}.keys")  # each with its keys
    )
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written[1:])
