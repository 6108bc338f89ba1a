"""Background jobs for messaging (thin: each calls one service).

Every minute: start scheduled campaigns, run automations, send what is due, credit orders to
messages. A commit that queued messages also kicks `outbox_flush` at once."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from wateja.messaging.attribution import attribution_run
from wateja.messaging.automations import automations_run
from wateja.messaging.campaigns import campaigns_due
from wateja.messaging.outbox import register_kicker
from wateja.messaging.worker import outbox_send_due

__all__ = ["messaging_tick", "outbox_flush"]


@db_task()
def outbox_flush() -> None:
    with lock_task("wateja-outbox"):
        outbox_send_due()


@db_periodic_task(crontab(minute="*"))
def messaging_tick() -> None:
    from wateja.tenants.models import Business

    campaigns_due()
    automations_run()
    with lock_task("wateja-outbox"):
        outbox_send_due()
    for business in Business.objects.all():
        attribution_run(business=business)


register_kicker(outbox_flush)
