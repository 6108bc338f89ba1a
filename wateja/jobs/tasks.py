"""Huey tasks and schedules. Thin: each calls one service or management command."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def worker_ping(value: int) -> int:
    """Round trip through the queue; `wateja worker --check` and the tests use it."""
    return value


@db_periodic_task(crontab(hour="3", minute="15"))
def sessions_clear() -> None:
    call_command("clearsessions")
