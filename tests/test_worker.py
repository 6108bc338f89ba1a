"""The real Huey consumer (`wateja worker`) runs jobs from SQLite storage and from Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

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
