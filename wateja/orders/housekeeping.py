"""The quarter-hourly housekeeping of every business: points whose return window ended are
posted, holds whose time ran out voided, expired lots expired, reservations past their time
released and referrals past their return window counted.

Each business runs in its own transaction: one business's failure is logged, rolls back only
its own work, and never stops the others."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from wateja.orders.checkout import checkout_expire_due
from wateja.orders.loyalty import referrals_qualify
from wateja.tenants.models import Business
from wateja.wallet.services import expire_due, pending_timeouts

logger = logging.getLogger(__name__)

STEPS: tuple[tuple[str, Callable[..., int]], ...] = (
    ("pending_resolved", pending_timeouts),
    ("lots_expired", expire_due),
    ("reservations_released", checkout_expire_due),
    ("referrals_qualified", referrals_qualify),
)


def housekeeping_business(*, business: Business, now: dt.datetime | None = None) -> dict[str, int]:
    """One business's housekeeping, in one transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        return {name: step(business=business, now=now) for name, step in STEPS}


def housekeeping_run(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every business's housekeeping; the businesses that failed are listed by id."""
    now = now or timezone.now()
    done: dict[str, int] = {name: 0 for name, _step in STEPS}
    failed: list[int] = []
    for business in Business.objects.order_by("pk"):
        try:
            counts = housekeeping_business(business=business, now=now)
        except Exception:  # logged with its trace; the next run tries again
            logger.exception("housekeeping failed for business %s", business.pk)
            failed.append(business.pk)
            continue
        for name, count in counts.items():
            done[name] += count
    return {**done, "failed_businesses": failed}
