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


@db_periodic_task(crontab(minute="*/5"))
def checkout_housekeeping() -> None:
    """Release reservations whose time ran out; count referrals past their return window."""
    from wateja.orders.checkout import checkout_expire_due
    from wateja.orders.loyalty import referrals_qualify
    from wateja.tenants.models import Business

    for business in Business.objects.all():
        checkout_expire_due(business=business)
        referrals_qualify(business=business)


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
from wateja.jobs.messaging_tasks import *  # noqa: E402, F403
