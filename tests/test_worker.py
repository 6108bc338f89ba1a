"""The real Huey consumer (`wateja worker`) runs jobs from SQLite storage and from Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT, wateja, wateja_env


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _round_trip(env: dict[str, str]) -> subprocess.CompletedProcess:
    worker = subprocess.Popen(
        [sys.executable, "-m", "wateja.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return wateja("worker", "--check", "--timeout", "60", env=env)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_consumer_with_sqlite_storage(tmp_path):
    result = _round_trip(wateja_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "worker answered" in result.stdout
    assert (tmp_path / "huey.sqlite3").exists()


def test_consumer_with_redis(tmp_path):
    if not _redis_answers():
        if os.environ.get("CI"):
            pytest.fail("Redis is not answering on 127.0.0.1:6379 in CI")
        pytest.skip("Redis is not running here")
    result = _round_trip(wateja_env(tmp_path, REDIS_URL="redis://127.0.0.1:6379/15"))
    assert result.returncode == 0, result.stderr
    assert "worker answered" in result.stdout
    assert not (tmp_path / "huey.sqlite3").exists()


def test_the_worker_sends_what_the_demo_queued(tmp_path):
    """Replies queued by the demo (STOP confirmations, balances) kick the outbox after their
    commit; the real consumer picks the kick up and sends them (record-only provider)."""
    data = tmp_path / "data"
    env = wateja_env(data)
    seeded = wateja("demo", "--no-serve", "--scale", "0.1", env=env, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    demo_env = wateja_env(data / "demo")
    count = (
        "from wateja.messaging.models import Message;"
        "print(Message.objects.filter(status='queued', not_before__isnull=True).count())"
    )
    before = wateja("manage", "shell", "-c", count, env=demo_env)
    assert int(before.stdout.strip().splitlines()[-1]) > 0, before.stderr
    worker = subprocess.Popen(
        [sys.executable, "-m", "wateja.cli", "worker"],
        env=demo_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        left = -1
        while time.monotonic() < deadline:
            left = int(wateja("manage", "shell", "-c", count, env=demo_env).stdout.split()[-1])
            if left == 0:
                break
            time.sleep(1)
        assert left == 0
    finally:
        worker.terminate()
        worker.wait(timeout=30)
