"""Background jobs for messaging (thin: each calls one service).

Every minute: start scheduled campaigns, run automations, send what is due, credit orders to
messages. A commit that queued messages also kicks `outbox_flush` at once."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task
from huey.exceptions import TaskLockedException

from wateja.messaging.attribution import attribution_run
from wateja.messaging.automations import automations_run
from wateja.messaging.campaigns import campaigns_due
from wateja.messaging.outbox import register_kicker
from wateja.messaging.worker import outbox_send_due

__all__ = ["messaging_tick", "outbox_flush"]


def _send_due() -> None:
    """One sender at a time; a kick that finds it busy returns, and what the busy one did not
    see goes with the next minute's run."""
    try:
        with lock_task("wateja-outbox"):
            outbox_send_due()
    except TaskLockedException:
        return


@db_task()
def outbox_flush() -> None:
    _send_due()


@db_periodic_task(crontab(minute="*"))
def messaging_tick() -> None:
    from wateja.tenants.models import Business

    campaigns_due()
    automations_run()
    _send_due()
    for business in Business.objects.all():
        attribution_run(business=business)


register_kicker(outbox_flush)
