"""Background jobs for webhooks out (thin: one service each): what is due is sent every
minute and at once after a commit that made deliveries; points about to expire are announced
daily. Parallel workers are safe (each attempt is claimed), so no lock is needed."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from wateja.webhooks.services import deliveries_send_due, points_expiring_emit
from wateja.webhooks.wake import register_kicker

__all__ = ["points_expiring_daily", "webhooks_flush", "webhooks_send"]


@db_periodic_task(crontab(minute="*"))
def webhooks_send() -> dict[str, int]:
    return deliveries_send_due()


@db_task()
def webhooks_flush() -> dict[str, int]:
    """Kicked when a commit made deliveries: they go out at once, not at the next minute."""
    return deliveries_send_due()


@db_periodic_task(crontab(hour="6", minute="5"))
def points_expiring_daily() -> int:
    return points_expiring_emit()


register_kicker(webhooks_flush)
