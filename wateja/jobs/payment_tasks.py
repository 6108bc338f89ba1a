"""Background job for payments (thin: one service): payouts M-Pesa never answered for are
closed daily and their cashback given back."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wateja.payments.payouts import payouts_lapsed

__all__ = ["payouts_lapsed_daily"]


@db_periodic_task(crontab(hour="4", minute="35"))
def payouts_lapsed_daily() -> int:
    return payouts_lapsed()
