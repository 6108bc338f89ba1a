"""Daily privacy housekeeping (thin: calls customers.privacy): uploaded customer files past
IMPORT_RETENTION_DAYS and enrolments that never got their SMS code are deleted."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wateja.customers.privacy import privacy_housekeeping

log = logging.getLogger(__name__)

__all__ = ["privacy_daily"]


@db_periodic_task(crontab(hour="3", minute="45"))
def privacy_daily() -> dict[str, int]:
    """Once a day; each import in its own transaction, so a failure leaves the rest for the
    next day."""
    deleted = privacy_housekeeping()
    log.info(
        "privacy housekeeping: %(import_files)s import files, %(pending_enrolments)s "
        "enrolments waiting for a code deleted",
        deleted,
    )
    return deleted
