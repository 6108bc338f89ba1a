"""Fixtures of the scale tests. Nothing here applies by itself: each fixture is requested by
name.

`replica_pair` starts a throwaway PostgreSQL primary (wal_level=replica) and a streaming
standby of it made with `pg_basebackup -R`, each its own cluster in a temporary directory on a
free loopback port, with the server binaries of this machine's PostgreSQL
(/usr/lib/postgresql/<newest>/bin, or `pg_config --bindir`). As root they run as the postgres
user (PostgreSQL refuses root). Both are stopped (immediate) and deleted at the end, also when
a step fails half way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DATABASE = "wateja"


def server_bin_dir() -> Path | None:
    """Where initdb, pg_ctl and pg_basebackup are, or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if found:
        return found[-1].parent
    try:
        bindir = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(bindir) if (Path(bindir) / "initdb").exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ReplicaPair:
    """A primary and its streaming standby; `DATABASE` exists on both."""

    primary_port: int
    standby_port: int

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def standby_url(self) -> str:
        return self.url(self.standby_port)


class _Clusters:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="wateja-replica-"))
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.started: list[Path] = []

    def run(self, *command: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self, data: Path) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", f"{data}.log", "-w", "-t",
                 "60", "start")  # fmt: skip
        self.started.append(data)

    def stop_all(self) -> None:
        for data in reversed(self.started):
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.run(str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                         "stop", timeout=60)  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


def _configure(data: Path, port: int, socket_dir: Path) -> None:
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{socket_dir}'\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
            "fsync = off\nsynchronous_commit = off\nshared_buffers = 16MB\n"
            "max_connections = 40\n"
        )


def _wait_until(check: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def replica_pair() -> Iterator[ReplicaPair]:
    """A PostgreSQL primary and a streaming replica of it, for the module's tests."""
    import psycopg

    bin_dir = server_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not here")
    clusters = _Clusters(bin_dir)
    try:
        primary, standby = clusters.root / "primary", clusters.root / "standby"
        pair = ReplicaPair(free_port(), free_port())
        clusters.run(str(bin_dir / "initdb"), "-D", str(primary), "-U", "postgres",
                     "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        _configure(primary, pair.primary_port, clusters.root)
        clusters.start(primary)
        admin = f"postgres://postgres@127.0.0.1:{pair.primary_port}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        clusters.run(str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p",
                     str(pair.primary_port), "-U", "postgres", "-D", str(standby), "-R",
                     "-X", "stream", "-c", "fast", "--no-sync")  # fmt: skip
        with (standby / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {pair.standby_port}\n")
        clusters.start(standby)

        def streaming() -> bool:
            with psycopg.connect(pair.standby_url, connect_timeout=2) as connection:
                row = connection.execute("SELECT pg_is_in_recovery()").fetchone()
                return bool(row and row[0])

        _wait_until(streaming, 60, "the standby to accept connections")
        yield pair
    finally:
        clusters.stop_all()


_SETTINGS_PROBE = """
import importlib, json, os, sys
cases = json.loads(sys.argv[1])
out = []
for env in cases:
    for name in ("DATABASE_URL", "DATABASE_POOL", "DATABASE_REPLICA_URL", "WATEJA_PG_PREPARE"):
        os.environ.pop(name, None)
    os.environ.update(env)
    try:
        import wateja.settings as s
        s = importlib.reload(s)
    except Exception as error:
        out.append({"error": type(error).__name__ + ": " + str(error)})
        continue
    out.append({"DATABASES": s.DATABASES, "PG_PREPARE": s.PG_PREPARE,
                "DATABASE_ROUTERS": getattr(s, "DATABASE_ROUTERS", [])})
print(json.dumps(out, default=str))
"""


@pytest.fixture
def settings_under(tmp_path: Path) -> object:
    """settings_under({"DATABASE_URL": ...}, ...) -> what wateja/settings.py makes of each
    environment, read in a fresh process (these settings are read once, at start)."""
    import json
    import sys

    def read(*cases: dict[str, str]) -> list[dict[str, object]]:
        env = {**os.environ, "WATEJA_DATA_DIR": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, "-c", _SETTINGS_PROBE, json.dumps(list(cases))],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return list(json.loads(done.stdout.strip().splitlines()[-1]))

    return read
