"""Background jobs for segments (thin: each calls one service)."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

__all__ = ["segment_counts_run"]

#: a segment counted more recently than this is left alone by the periodic run
FRESH = dt.timedelta(minutes=50)


@db_periodic_task(crontab(minute="40"))
def segment_counts_run() -> int:
    """Hourly: every saved segment is counted again (its count and the time it was counted
    are kept on it, for the segments page and the API list). Returns how many were counted."""
    from wateja.customers.segments import segment_counts_refresh

    return segment_counts_refresh(older_than=FRESH)
