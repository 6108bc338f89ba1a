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


@db_periodic_task(crontab(minute="*/15"))
def wallet_housekeeping() -> None:
    """Post points whose return window ended, void expired holds, expire due lots. Expiry
    is at local midnight of each business, so a quarter-hour run is never far off."""
    from wateja.tenants.models import Business
    from wateja.wallet.services import expire_due, pending_timeouts

    for business in Business.objects.all():
        pending_timeouts(business=business)
        expire_due(business=business)


from wateja.jobs.import_tasks import *  # noqa: E402, F403
