"""Backups of the configured database and restores from them.

SQLite is copied with SQLite's online backup API (consistent while the server writes, WAL
included); PostgreSQL with `pg_dump -Fc` and `pg_restore`. A backup is one file named with its
UTC time and the database kind, e.g. ``wateja-20261207T020000Z-sqlite.sqlite3`` or
``wateja-20261207T020000Z-postgresql.dump``, readable by its owner only (0600).

Beside each backup, `<backup>.keys` (0600 too) holds the keys that backup needs on another
machine: the Fernet keys its provider secrets are encrypted with and the secret key its card
page links are signed with. Keep both files together (and away from this machine): a
restore into a fresh data directory takes the keys from there, so the secrets still open and
the links customers were sent still work.

The uploaded media are not backed up: the only files there are customer and product
spreadsheets waiting to be imported, deleted once their import is done or dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from wateja.core.files import write_private
from wateja.tenants import secrets

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".dump"}
NAME_RE = re.compile(r"^wateja-(\d{8}T\d{6}Z)(?:-(\d+))?-(sqlite|postgresql)\.(sqlite3|dump)$")
KEYS_SUFFIX = ".keys"
# what a restore would replace, in the words the refusal uses
COUNTED = (
    ("tenants_business", "business", "businesses"),
    ("customers_customer", "customer", "customers"),
    ("orders_order", "order", "orders"),
    ("wallet_entry", "ledger entry", "ledger entries"),
    ("messaging_message", "message", "messages"),
)


class OperationFailed(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass
class BackupResult:
    path: Path
    size: int
    removed: list[Path] = field(default_factory=list)


@dataclass
class RestoreResult:
    path: Path
    kind: str
    replaced: dict[str, int]
    ledger_problems: list[str]


# --------------------------------------------------------------------------------------------
# Settings


def database_kind(alias: str = DEFAULT_DB_ALIAS) -> str:
    vendor = connections[alias].vendor
    if vendor not in SUFFIX:
        raise OperationFailed(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def backup_keep() -> int:
    try:
        keep = int(str(settings.BACKUP_KEEP).strip())
    except ValueError:
        keep = 0
    if keep < 1:
        raise OperationFailed(
            f"WATEJA_BACKUP_KEEP={settings.BACKUP_KEEP!r}: set it to how many backups to keep "
            "(1 or more)."
        )
    return keep


def backup_hour() -> int | None:
    """The hour of the nightly backup (server local time), None when turned off.
    Raises ValueError for a value that is neither an hour nor off."""
    raw = str(settings.BACKUP_HOUR).strip().lower()
    if raw in ("", "off", "none", "no"):
        return None
    hour = int(raw)
    if not 0 <= hour <= 23:
        raise ValueError(raw)
    return hour


def server_timezone() -> dt.tzinfo:
    """The machine's own time zone (/etc/localtime); Django sets the process's TZ to UTC."""
    try:
        with open("/etc/localtime", "rb") as file:
            return zoneinfo.ZoneInfo.from_file(file)
    except (OSError, ValueError):
        return dt.UTC


def backup_due(moment: dt.datetime) -> bool:
    """For the scheduler (Huey passes naive UTC): the first minute of the backup hour."""
    try:
        hour = backup_hour()
    except ValueError:
        return False
    if hour is None:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(server_timezone())
    return local.hour == hour and local.minute == 0


# --------------------------------------------------------------------------------------------
# Backup files


def backups_list(directory: Path | None = None) -> list[Path]:
    """Wateja's backup files in the directory, oldest first."""
    directory = directory or backup_dir()
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = NAME_RE.match(path.name)
        if match and path.is_file():
            found.append((match.group(1), int(match.group(2) or 0), path))
    return [path for _stamp, _n, path in sorted(found)]


def _new_path(directory: Path, kind: str, now: dt.datetime) -> Path:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"wateja-{stamp}-{kind}{SUFFIX[kind]}"
    n = 1
    while path.exists():  # two backups in one second
        path = directory / f"wateja-{stamp}-{n}-{kind}{SUFFIX[kind]}"
        n += 1
    return path


@contextlib.contextmanager
def _private_files() -> Iterator[None]:
    """Files and directories created inside are readable by their owner only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _prune(directory: Path, keep: int) -> list[Path]:
    if keep < 1:
        raise OperationFailed("Keep at least one backup (--keep 1 or more).")
    existing = backups_list(directory)
    removed = existing[: max(0, len(existing) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
        keys_path(path).unlink(missing_ok=True)
    return removed


def backup_create(
    *, to: Path | None = None, keep: int | None = None, now: dt.datetime | None = None
) -> BackupResult:
    """Back the configured database up into `to` (the backup directory by default), then
    delete the oldest backups there beyond `keep`."""
    kind = database_kind()
    keep = backup_keep() if keep is None else keep
    if keep < 1:
        raise OperationFailed("Keep at least one backup (--keep 1 or more).")
    directory = Path(to) if to else backup_dir()
    with _private_files():
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OperationFailed(
                f"Cannot create the backup folder {directory}: {error.strerror}."
            ) from error
        path = _new_path(directory, kind, now or dt.datetime.now(dt.UTC))
        partial = path.with_name(path.name + ".partial")
        try:
            if kind == "sqlite":
                _sqlite_backup(partial)
            else:
                _pg_dump(partial)
            partial.chmod(0o600)
            _keys_write(path)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    removed = _prune(directory, keep)
    return BackupResult(path=path, size=path.stat().st_size, removed=removed)


def _sqlite_path() -> Path:
    return Path(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])


def _sqlite_backup(target: Path) -> None:
    source_path = _sqlite_path()
    if not source_path.exists():
        raise OperationFailed(f"There is no database at {source_path} yet: run `wateja init`.")
    source = sqlite3.connect(source_path, timeout=30)
    destination = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(destination)  # one step: a consistent snapshot, WAL included
        destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = destination.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise OperationFailed(f"The copy did not pass SQLite's check: {check}.")
    finally:
        destination.close()
        source.close()


# --------------------------------------------------------------------------------------------
# Keys beside a backup


def keys_path(backup: Path) -> Path:
    """Where the keys of a backup file are kept: beside it, `<name>.keys`."""
    return backup.with_name(backup.name + KEYS_SUFFIX)


def _keys_write(backup: Path) -> None:
    keys = {"fernet_keys": secrets.current_keys(), "secret_key": str(settings.SECRET_KEY)}
    path = keys_path(backup)
    path.unlink(missing_ok=True)
    write_private(path, json.dumps(keys, indent=1) + "\n")


def keys_read(backup: Path) -> dict[str, Any] | None:
    """The keys saved beside a backup, None when there are none (or they cannot be read)."""
    try:
        data = json.loads(keys_path(backup).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def keys_restore(backup: Path) -> list[str]:
    """Bring back the keys saved beside a restored backup; what was done, in sentences.
    The backup's encryption keys are added to this installation's (both decrypt); its secret
    key replaces this one's, so card page links sent before keep working."""
    saved = keys_read(backup)
    name = keys_path(backup).name
    if saved is None:
        return [
            f"No {name} beside the backup: provider secrets open only if this installation "
            "has the same keys (`wateja doctor` checks)."
        ]
    notes = []
    fernet = [str(key) for key in saved.get("fernet_keys") or []]
    try:
        if secrets.keys_add(fernet):
            notes.append(f"encryption keys from {name} added to {secrets.key_file()}")
    except RuntimeError:
        notes.append(
            f"The backup's secrets are encrypted with the keys in {name}: add them to "
            "WATEJA_FERNET_KEY (comma separated, after the one in use)."
        )
    except ValueError:
        notes.append(f"{name} holds a damaged encryption key: provider secrets may not open.")
    secret_key = str(saved.get("secret_key") or "")
    if secret_key and secret_key != settings.SECRET_KEY:
        if os.environ.get("WATEJA_SECRET_KEY"):
            notes.append(
                f"Card page links sent before were signed with the secret key in {name}: set "
                "WATEJA_SECRET_KEY to it so they keep working."
            )
        else:
            path = Path(settings.DATA_DIR) / "secret_key"
            partial = path.with_name(".secret_key.new")
            partial.unlink(missing_ok=True)
            write_private(partial, secret_key)
            partial.replace(path)
            notes.append(
                f"secret key from {name} restored: card page links sent before work again "
                "(staff sign in again)"
            )
    return notes


# --------------------------------------------------------------------------------------------
# PostgreSQL tools


def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database (the password never on a command line)."""
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    env = dict(os.environ)
    values = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": db.get("NAME") or "",
    }
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        values["PGSSLMODE"] = str(sslmode)
    env.update({key: value for key, value in values.items() if value})
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise OperationFailed(
            f"{name} is not installed: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) of the server's version or newer."
        )
    return found


def tool_major(name: str) -> int:
    output = subprocess.run(  # noqa: S603
        [_tool(name), "--version"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", output)
    if not match:
        raise OperationFailed(f"Cannot tell {name}'s version from {output.strip()!r}.")
    return int(match.group(1))


def server_major() -> int:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    version = int(connection.pg_version)  # type: ignore[attr-defined]
    return version // 10000 if version >= 100000 else version // 100


def _check_tool_version(name: str) -> str:
    path = _tool(name)
    tool, server = tool_major(name), server_major()
    if tool < server:
        raise OperationFailed(
            f"{name} {tool} is older than the PostgreSQL {server} server and cannot read it: "
            f"install postgresql-client-{server} (or newer)."
        )
    return path


def _pg_dump(target: Path) -> None:
    pg_dump = _check_tool_version("pg_dump")
    result = subprocess.run(  # noqa: S603
        [pg_dump, "--format=custom", "--no-password", f"--file={target}"],
        env=_pg_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise OperationFailed(f"pg_dump failed: {result.stderr.strip()}", exit_code=1)


# --------------------------------------------------------------------------------------------
# Restore


def backup_kind(path: Path) -> str:
    """The database kind of a backup file, from its first bytes."""
    try:
        with open(path, "rb") as file:
            head = file.read(16)
    except FileNotFoundError as error:
        raise OperationFailed(f"There is no file {path}.") from error
    except OSError as error:
        raise OperationFailed(f"Cannot read {path}: {error.strerror}.") from error
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise OperationFailed(f"{path} is not a Wateja backup (neither SQLite nor a pg_dump file).")


def database_contents() -> dict[str, int]:
    """Row counts of what a restore would replace (only non-zero ones)."""
    connection = connections[DEFAULT_DB_ALIAS]
    tables = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table, one, many in COUNTED:
            if table in tables:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
                count = int(cursor.fetchone()[0])
                if count:
                    counts[one if count == 1 else many] = count
    return counts


def contents_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {words}" for words, count in counts.items())


def processes_using(path: Path) -> list[tuple[int, str]]:
    """Other processes that have the SQLite file (or its WAL) open: pid and command line.
    Reads /proc, so Linux only; elsewhere nothing is found."""
    names = {str(path), f"{path}-wal", f"{path}-shm"}
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target in names:
                try:
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    command = ""
                found.append((int(entry.name), command.strip()))
                break
    return found


SERVING = ("serve", "worker", "demo")


def _data_dir_of(entry: Path, args: list[str]) -> Path | None:
    """The data directory a running `wateja` process uses (as `wateja.cli.main` chooses it)."""
    try:
        cwd = Path(os.readlink(entry / "cwd"))
    except OSError:
        return None
    chosen = None
    for i, arg in enumerate(args):
        if arg == "--data-dir" and i + 1 < len(args):
            chosen = args[i + 1]
        elif arg.startswith("--data-dir="):
            chosen = arg.split("=", 1)[1]
    if chosen is None:
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            environ = []
        for item in environ:
            if item.startswith(b"WATEJA_DATA_DIR="):
                chosen = item.split(b"=", 1)[1].decode(errors="replace")
        chosen = chosen or "var"
    folder = (cwd / chosen).resolve()
    return folder / "demo" if "demo" in args else folder


def processes_serving(data_dir: Path) -> list[tuple[int, str]]:
    """Running `wateja serve`, `wateja worker` or `wateja demo` processes on this data
    directory (an idle server keeps no SQLite file open). Linux only, like processes_using."""
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = [
                a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0")
            ]
        except OSError:
            continue
        names = [
            i for i, a in enumerate(args) if a.endswith(("/wateja", "wateja.cli")) or a == "wateja"
        ]
        if not names or not any(a in SERVING for a in args[names[0] + 1 :]):
            continue
        if _data_dir_of(entry, args) == data_dir.resolve():
            found.append((int(entry.name), " ".join(args).strip()))
    return found


def restore_prepare(path: Path) -> tuple[str, dict[str, int]]:
    """Check the file against the configured database before anything changes; returns the
    kind and what the target holds now."""
    kind = backup_kind(path)
    target = database_kind()
    if kind != target:
        raise OperationFailed(
            f"{path.name} is a {kind} backup but the configured database is {target}: "
            "set DATABASE_URL to a database of the same kind."
        )
    if kind == "sqlite":
        _sqlite_check(path)
        busy = processes_using(_sqlite_path().resolve())
        busy += [
            found
            for found in processes_serving(Path(settings.DATA_DIR))
            if found[0] not in {pid for pid, _command in busy}
        ]
        if busy:
            listed = "; ".join(f"pid {pid}: {command or '?'}" for pid, command in busy)
            raise OperationFailed(
                f"The database {_sqlite_path()} is in use ({listed}): stop `wateja serve` "
                "and `wateja worker` first, then restore."
            )
    else:
        _check_tool_version("pg_restore")
        listing = subprocess.run(  # noqa: S603
            [_tool("pg_restore"), "--list", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if listing.returncode != 0:
            raise OperationFailed(f"pg_restore cannot read {path}: {listing.stderr.strip()}")
    return kind, database_contents()


def _sqlite_check(path: Path) -> None:
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = source.execute("PRAGMA quick_check").fetchone()[0]
            has_migrations = source.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'django_migrations'"
            ).fetchone()[0]
        finally:
            source.close()
    except sqlite3.DatabaseError as error:
        raise OperationFailed(f"{path} cannot be read as a database: {error}.") from error
    if check != "ok":
        raise OperationFailed(f"{path} is damaged (SQLite says: {check}).")
    if not has_migrations:
        raise OperationFailed(f"{path} is an SQLite file but not a Wateja database.")


def restore_apply(path: Path, kind: str) -> None:
    """Replace the configured database's contents with the backup's (in one transaction)."""
    connections.close_all()
    if kind == "sqlite":
        target_path = _sqlite_path()
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        with _private_files():
            target = sqlite3.connect(target_path, timeout=30)
        try:
            source.backup(target)  # one step: the target changes whole or not at all
            target.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as error:
            raise OperationFailed(f"The restore failed, nothing changed: {error}.") from error
        finally:
            target.close()
            source.close()
        return
    # pg_restore --clean cannot drop a partition's inherited keys (monthly partitions:
    # tenants.partitioning), so the restore empties the schema itself, then replays the dump's
    # SQL, all in one transaction of psql: a failure changes nothing
    psql = subprocess.Popen(  # noqa: S603
        [
            _tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            "--no-password",
            f"--dbname={_pg_env()['PGDATABASE']}",
            "--file=-",
        ],
        env=_pg_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert psql.stdin is not None
    psql.stdin.write(b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
    script = subprocess.Popen(  # noqa: S603
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)],
        env=_pg_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert script.stdout is not None
    try:
        for chunk in iter(lambda: script.stdout.read(1 << 16), b""):  # type: ignore[union-attr]
            psql.stdin.write(chunk)
    except BrokenPipeError:
        pass  # psql stopped at an error: its message says which
    script_error = script.communicate()[1].decode(errors="replace")
    if script.returncode != 0:
        psql.kill()
        psql.wait()
        raise OperationFailed(f"pg_restore failed, nothing changed: {script_error.strip()}")
    with contextlib.suppress(BrokenPipeError):
        psql.stdin.close()
    psql_error = psql.stderr.read().decode(errors="replace") if psql.stderr else ""
    psql.wait()
    result = subprocess.CompletedProcess(psql.args, psql.returncode, "", psql_error)
    if result.returncode != 0:
        raise OperationFailed(
            f"pg_restore failed, nothing changed: {result.stderr.strip()}", exit_code=1
        )
