"""`wateja doctor`: is this installation healthy? Each check says OK, WARN or FAIL, what it
found and, when not OK, one plain sentence on how to fix it. Nothing is changed, no message
is sent and no paid API is called."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import smtplib
import sqlite3
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from wateja.core.files import readable_by_others
from wateja.operations import backup
from wateja.operations.permissions import sensitive_files
from wateja.tenants import secrets

OK, WARN, FAIL = "OK", "WARN", "FAIL"
DISK_WARN = 1024**3
DISK_FAIL = 200 * 1024**2
CLOCK_SKEW = 2.0
BACKUP_AGE = dt.timedelta(days=2)
SMTP_TIMEOUT = 3.0


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def _ok(name: str, detail: str) -> Check:
    return Check(name, OK, detail)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


# --------------------------------------------------------------------------------------------
# Settings


def check_secret_key() -> Check:
    key = str(settings.SECRET_KEY)
    name = "secret key"
    if key.startswith("django-insecure") or len(key) < 32 or len(set(key)) < 5:
        return Check(
            name,
            FAIL,
            "the secret key is a default or too short",
            "Unset WATEJA_SECRET_KEY (one is generated into the data folder) or set it to 50 "
            "random characters.",
        )
    path = Path(settings.DATA_DIR) / "secret_key"
    if not os.environ.get("WATEJA_SECRET_KEY") and path.exists() and path.stat().st_mode & 0o077:
        return Check(
            name,
            WARN,
            f"{path} can be read by other users of this machine",
            f"Run: chmod 600 {path}",
        )
    source = "WATEJA_SECRET_KEY" if os.environ.get("WATEJA_SECRET_KEY") else str(path)
    return _ok(name, f"set ({source})")


def check_debug() -> Check:
    if settings.DEBUG:
        return Check(
            "debug",
            WARN,
            "debug pages are on: errors show settings and code to anyone",
            "Unset WATEJA_DEBUG before `wateja serve` answers anyone but you.",
        )
    return _ok("debug", "off")


def check_allowed_hosts() -> Check:
    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts:
        return Check(
            "allowed hosts",
            FAIL,
            "no host name is allowed: every request gets 400",
            "Set WATEJA_ALLOWED_HOSTS to the names the shop opens, e.g. crm.example.com.",
        )
    if "*" in hosts:
        return Check(
            "allowed hosts",
            WARN,
            "any host name is accepted (WATEJA_ALLOWED_HOSTS=*)",
            "Set WATEJA_ALLOWED_HOSTS to the names the shop opens, e.g. crm.example.com "
            "(fine as it is on a shop's own computer).",
        )
    return _ok("allowed hosts", ", ".join(hosts))


def check_public_url() -> Check:
    url = str(settings.PUBLIC_URL)
    if not os.environ.get("WATEJA_PUBLIC_URL") or "localhost" in url or "127.0.0.1" in url:
        return Check(
            "public URL",
            WARN,
            f"{url}: links in messages and QR codes will not open on customers' phones",
            "Set WATEJA_PUBLIC_URL to the address customers reach, e.g. https://crm.example.com.",
        )
    return _ok("public URL", url)


# --------------------------------------------------------------------------------------------
# Database


def _where() -> str:
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    if connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
        return str(db["NAME"])
    host = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
    return f"{db.get('USER') or ''}@{host}/{db.get('NAME')}"


def check_database() -> Check:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any driver error: report it, never crash the report
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Check(
            "database",
            FAIL,
            f"cannot connect to {_where()}: {first}",
            "Check DATABASE_URL (host, port, user, password, database name) and that the "
            "database server is running.",
        )
    if connection.vendor == "sqlite":
        version = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    return _ok("database", f"{version} at {_where()}")


def check_migrations() -> Check:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return Check(
            "migrations",
            FAIL,
            f"{len(names)} not applied: {shown}",
            "Run `wateja init` (it applies them; back up first with `wateja backup`).",
        )
    return _ok("migrations", "all applied")


# --------------------------------------------------------------------------------------------
# Worker, e-mail, SMS


def check_worker() -> Check:
    from django.core.cache import cache

    from wateja.messaging.worker import HEARTBEAT_KEY, worker_running

    seen = cache.get(HEARTBEAT_KEY)
    if worker_running():
        age = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(seen)).total_seconds()
        return _ok("worker", f"running (last heartbeat {_age(max(0.0, age))} ago)")
    detail = "no worker has ever run with these settings"
    if seen:
        age = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(seen)).total_seconds()
        detail = f"last heartbeat {_age(age)} ago"
    return Check(
        "worker",
        WARN,
        f"{detail}: messages wait in the outbox and nothing runs on a clock",
        "Start `wateja worker` beside `wateja serve` (a second service, same settings).",
    )


def _smtp_users() -> list[str]:
    from wateja.messaging.models import EmailProvider, MessagingSettings

    return sorted(
        MessagingSettings.objects.filter(email_provider=EmailProvider.SMTP).values_list(
            "business__slug", flat=True
        )
    )


def check_smtp(database_ok: bool) -> Check:
    host, port = settings.EMAIL_HOST, int(settings.EMAIL_PORT)
    users = _smtp_users() if database_ok else []
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as server:
            code, _answer = server.ehlo()
            if code != 250:
                raise smtplib.SMTPResponseException(code, _answer)
            if settings.EMAIL_USE_TLS and not server.has_extn("starttls"):
                return Check(
                    "SMTP",
                    FAIL,
                    f"{host}:{port} answers but does not offer STARTTLS",
                    "Use the port your provider gives for STARTTLS (often 587), or unset "
                    "WATEJA_EMAIL_TLS.",
                )
    except (OSError, smtplib.SMTPException) as error:
        status = FAIL if users else WARN
        used = f"used by {', '.join(users)}" if users else "no business sends e-mail through it yet"
        return Check(
            "SMTP",
            status,
            f"cannot reach {host}:{port} ({error or type(error).__name__}); {used}",
            "Set WATEJA_EMAIL_HOST and WATEJA_EMAIL_PORT to your mail server (and _USER, "
            "_PASSWORD, _TLS) and check the firewall lets this machine reach it.",
        )
    return _ok("SMTP", f"{host}:{port} answers EHLO")


def check_sms() -> Check:
    from wateja.messaging.config import messaging_settings
    from wateja.messaging.models import SmsProvider
    from wateja.tenants.models import Business

    missing, outbox, ready = [], [], []
    for business in Business.objects.order_by("slug"):
        row = messaging_settings(business)
        if row.sms_provider == SmsProvider.AFRICASTALKING:
            need = {"username": row.at_username, "API key": row.at_api_key}
        elif row.sms_provider == SmsProvider.TWILIO:
            need = {
                "account SID": row.twilio_account_sid,
                "auth token": row.twilio_auth_token,
                "number": row.sms_sender,
            }
        else:
            outbox.append(business.slug)
            continue
        lacking = [label for label, value in need.items() if not value]
        if lacking:
            missing.append(f"{business.slug} ({row.sms_provider}: no {', '.join(lacking)})")
        else:
            ready.append(f"{business.slug} ({row.sms_provider})")
    if missing:
        return Check(
            "SMS",
            FAIL,
            "missing credentials: " + "; ".join(missing),
            "The owner fills them in under Messages → Settings.",
        )
    if outbox:
        return Check(
            "SMS",
            WARN,
            f"record-only outbox for {', '.join(outbox)}: nothing leaves"
            + (f"; ready: {', '.join(ready)}" if ready else ""),
            "Choose Africa's Talking or Twilio under Messages → Settings to send SMS for real.",
        )
    if not ready:
        return _ok("SMS", "no business yet")
    return _ok("SMS", "credentials present for " + ", ".join(ready))


# --------------------------------------------------------------------------------------------
# Machine


def disk_status(free: int) -> str:
    return FAIL if free < DISK_FAIL else WARN if free < DISK_WARN else OK


def check_disk() -> Check:
    folder = Path(settings.DATA_DIR)
    free = shutil.disk_usage(folder).free
    status = disk_status(free)
    detail = f"{_size(free)} free in {folder}"
    if status == OK:
        return _ok("disk", detail)
    return Check(
        "disk",
        status,
        detail,
        "Free some space (old backups, logs) or move WATEJA_DATA_DIR to a larger disk: "
        "SQLite stops writing when the disk is full.",
    )


def clock_skew(database_now: dt.datetime, before: float, after: float) -> float:
    """Seconds between the database's clock and ours, judged at the middle of the query."""
    ours = dt.datetime.fromtimestamp((before + after) / 2, dt.UTC)
    return (database_now - ours).total_seconds()


def check_clock(database_ok: bool) -> Check:
    connection = connections[DEFAULT_DB_ALIAS]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if not database_ok or connection.vendor != "postgresql":
        return _ok("clock", f"{now} (the database uses this machine's clock)")
    with connection.cursor() as cursor:
        before = time.time()
        cursor.execute("SELECT now()")
        database_now = cursor.fetchone()[0]
        after = time.time()
    skew = clock_skew(database_now, before, after)
    if abs(skew) > CLOCK_SKEW:
        return Check(
            "clock",
            WARN,
            f"the database server's clock is {skew:+.1f} s from this machine's",
            "Turn on time synchronisation (NTP, e.g. systemd-timesyncd or chrony) on both "
            "machines.",
        )
    return _ok("clock", f"{now}, {skew:+.2f} s from the database server")


def check_time_zones(database_ok: bool) -> Check:
    try:
        zoneinfo.ZoneInfo("Africa/Nairobi")
    except zoneinfo.ZoneInfoNotFoundError:
        return Check(
            "time zones",
            FAIL,
            "no time zone data on this machine",
            "Install it: apt-get install tzdata (or pip install tzdata).",
        )
    if not database_ok:
        return _ok("time zones", "time zone data present")
    from wateja.tenants.models import Business

    bad = []
    for slug, name in Business.objects.order_by("slug").values_list("slug", "timezone"):
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            bad.append(f"{slug} ({name!r})")
    if bad:
        return Check(
            "time zones",
            FAIL,
            "unknown time zone for " + ", ".join(bad),
            "Set the business's time zone in Settings (e.g. Africa/Nairobi, Asia/Yerevan).",
        )
    return _ok("time zones", "time zone data present; every business's time zone is known")


def check_backups(database_ok: bool) -> Check:
    directory = backup.backup_dir()
    try:
        hour = backup.backup_hour()
        schedule = "nightly backup off" if hour is None else f"nightly at {hour:02d}:00"
    except ValueError:
        return Check(
            "backups",
            FAIL,
            f"WATEJA_BACKUP_HOUR={settings.BACKUP_HOUR!r} is not an hour",
            "Set WATEJA_BACKUP_HOUR to 0–23, or to off.",
        )
    if database_ok and connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        try:
            backup._check_tool_version("pg_dump")
        except backup.OperationFailed as error:
            return Check("backups", FAIL, error.message, "Then run `wateja backup` once.")
        except Exception as error:  # the database check reports connection problems
            return Check("backups", WARN, f"cannot check pg_dump: {error}", "")
    found = backup.backups_list(directory)
    if not found:
        return Check(
            "backups",
            WARN,
            f"no backup in {directory} ({schedule})",
            "Run `wateja backup` now and keep `wateja worker` running for the nightly one "
            "(WATEJA_BACKUP_HOUR); copy the backup folder to another machine too.",
        )
    newest = found[-1]
    age = time.time() - newest.stat().st_mtime
    detail = f"newest {newest.name}, {_age(age)} old, {len(found)} kept ({schedule})"
    if age > BACKUP_AGE.total_seconds():
        return Check(
            "backups",
            WARN,
            detail,
            "Run `wateja backup`, and check that `wateja worker` runs and WATEJA_BACKUP_HOUR "
            "is not off.",
        )
    return _ok("backups", detail)


def check_secrets(database_ok: bool) -> Check:
    """The keys that encrypt provider secrets: present, private, able to open every stored
    secret, and saved beside the newest backup."""
    name = "secrets"
    path = secrets.key_file()
    from_environment = secrets.keys_from_environment()
    source = "WATEJA_FERNET_KEY" if from_environment else str(path)
    closed = secrets.undecryptable_count() if database_ok else 0
    if closed:
        return Check(
            name,
            FAIL,
            f"{closed} stored provider secret(s) cannot be opened with the keys in {source}",
            "Put back the keys saved beside the backup this database came from: "
            "`wateja restore` does it from <backup>.keys, or add them to "
            f"{source} ({'comma separated' if from_environment else 'one per line'}) "
            "and restart.",
        )
    if not from_environment and readable_by_others(path):
        return Check(
            name, WARN, f"{path} can be read by other users of this machine",
            f"Run: chmod 600 {path}",
        )  # fmt: skip
    newest = backup.backups_list()[-1:] if backup.backup_dir().is_dir() else []
    if newest and backup.keys_read(newest[0]) is None:
        return Check(
            name,
            WARN,
            f"the newest backup {newest[0].name} has no {backup.KEYS_SUFFIX} file beside it: "
            "restored elsewhere, its provider secrets would not open",
            "Run `wateja backup` (it saves the keys beside the backup) and keep both files "
            "together.",
        )
    return _ok(name, f"provider secrets encrypted; keys in {source}")


def check_file_modes() -> Check:
    name = "file permissions"
    wide = [path for path in sensitive_files() if readable_by_others(path)]
    if wide:
        shown = ", ".join(str(path) for path in wide[:3]) + (
            f" and {len(wide) - 3} more" if len(wide) > 3 else ""
        )
        return Check(
            name,
            WARN,
            f"other users of this machine can read {shown}",
            "Run `wateja init` once (it narrows them), or chmod 600 the files and 700 the folders.",
        )
    return _ok(name, "the database, keys, uploads and backups are readable by this user only")


# --------------------------------------------------------------------------------------------


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as error:  # one broken check must not hide the others
        return Check(name, FAIL, f"the check itself failed: {type(error).__name__}: {error}", "")


def doctor_run() -> list[Check]:
    checks = [
        _guarded("secret key", check_secret_key),
        _guarded("debug", check_debug),
        _guarded("allowed hosts", check_allowed_hosts),
        _guarded("public URL", check_public_url),
    ]
    database = _guarded("database", check_database)
    checks.append(database)
    database_ok = database.status == OK

    def needs_database(name: str, check: Callable[[], Check]) -> Check:
        if not database_ok:
            return Check(name, WARN, "not checked: the database cannot be reached", "")
        return _guarded(name, check)

    checks += [
        needs_database("migrations", check_migrations),
        _guarded("worker", check_worker),
        _guarded("SMTP", lambda: check_smtp(database_ok)),
        needs_database("SMS", check_sms),
        _guarded("disk", check_disk),
        _guarded("clock", lambda: check_clock(database_ok)),
        _guarded("time zones", lambda: check_time_zones(database_ok)),
        _guarded("backups", lambda: check_backups(database_ok)),
        _guarded("secrets", lambda: check_secrets(database_ok)),
        _guarded("file permissions", check_file_modes),
    ]
    return checks


def as_dicts(checks: list[Check]) -> list[dict[str, str]]:
    return [asdict(check) for check in checks]


def text(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{check.status:<4}  {check.name:<{width}}  {check.detail}")
        if check.fix and check.status != OK:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    failed = sum(check.status == FAIL for check in checks)
    warned = sum(check.status == WARN for check in checks)
    lines.append(f"\n{failed} failed, {warned} warning(s), {len(checks) - failed - warned} ok")
    return "\n".join(lines)
