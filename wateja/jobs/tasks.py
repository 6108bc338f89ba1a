"""Huey tasks and schedules. Thin: each calls one service or management command."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task


@db_task()
def worker_ping(value: int) -> int:
    """Round trip through the queue; `wateja worker --check` and the tests use it."""
    return value


@db_periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    """Every minute: the screens can say whether a worker is running."""
    from wateja.messaging.worker import worker_heartbeat

    worker_heartbeat()


@HUEY.on_startup()
def heartbeat_at_start() -> None:
    """At once when a worker starts, not at the next minute."""
    from wateja.messaging.worker import worker_heartbeat

    worker_heartbeat()


@db_periodic_task(crontab(hour="3", minute="15"))
def sessions_clear() -> None:
    """Nightly: expired sessions, old failed sign-ins and old enrolments waiting for a code go."""
    from wateja.customers.enrolment import pending_enrolments_prune
    from wateja.tenants.signin import failures_prune

    call_command("clearsessions")
    failures_prune()
    pending_enrolments_prune()


@db_periodic_task(crontab(minute="*/5"))
def housekeeping() -> None:
    """Every business, each in its own transaction: points past their return window posted,
    expired holds voided, lots expired, reservations released, referrals counted."""
    from wateja.orders.housekeeping import housekeeping_run

    housekeeping_run()


from wateja.jobs.import_tasks import *  # noqa: E402, F403


@db_periodic_task(crontab(hour="2", minute="30"))
def tiers_daily() -> None:
    """Apply tier downgrades whose period and grace days are over."""
    from django.utils import timezone

    from wateja.orders.loyalty import tier_recompute
    from wateja.promotions.models import CustomerTier

    due = CustomerTier.objects.filter(keep_until__lte=timezone.now()).select_related("customer")
    for state in due.iterator():
        tier_recompute(customer=state.customer)


from wateja.jobs.analytics_tasks import *  # noqa: E402, F403
from wateja.jobs.background_tasks import *  # noqa: E402, F403
from wateja.jobs.backup_tasks import *  # noqa: E402, F403
from wateja.jobs.messaging_tasks import *  # noqa: E402, F403
from wateja.jobs.partition_tasks import *  # noqa: E402, F403
from wateja.jobs.payment_tasks import *  # noqa: E402, F403
from wateja.jobs.privacy_tasks import *  # noqa: E402, F403
from wateja.jobs.segment_tasks import *  # noqa: E402, F403
from wateja.jobs.simulation_tasks import *  # noqa: E402, F403
from wateja.jobs.webhook_tasks import *  # noqa: E402, F403
