"""Huey schedule that keeps monthly partitions made ahead of the rows that will need them."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="1", minute="45"))
def partitions_ahead() -> None:
    """Nightly on PostgreSQL: this month's and the next three months' partitions exist, so new
    rows never land in the default partition (where they would slow the next month's split)."""
    import datetime as dt

    from wateja.tenants.partitioning import ensure_months

    ensure_months(now=dt.datetime.now(dt.UTC))
