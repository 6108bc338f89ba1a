"""Background job for webhooks out: every minute, what is due is sent (thin: one service).
Parallel workers are safe (each attempt is claimed), so no lock is needed."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wateja.webhooks.services import deliveries_send_due

__all__ = ["webhooks_send"]


@db_periodic_task(crontab(minute="*"))
def webhooks_send() -> dict[str, int]:
    return deliveries_send_due()
