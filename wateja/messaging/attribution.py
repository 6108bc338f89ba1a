"""Attribution: an order placed within N days after a message is credited to the last such
message (last touch). Holdout rows take part like sent ones, so a campaign's conversions
can be compared with its holdout group's: uplift measured, not assumed."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from wateja.messaging.config import messaging_settings
from wateja.messaging.models import Conversion, Message, MessageStatus
from wateja.orders.models import Order
from wateja.tenants.models import Business

COUNTED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.HOLDOUT)


def last_touch(order: Order, days: int) -> Message | None:
    message: Message | None = (
        Message.objects.filter(
            business_id=order.business_id,
            customer_id=order.customer_id or 0,
            status__in=COUNTED,
            sent_at__gte=order.placed_at - dt.timedelta(days=days),
            sent_at__lt=order.placed_at,
        )
        .filter(Q(campaign__isnull=False) | Q(automation__isnull=False))
        .order_by("-sent_at", "-id")
        .first()
    )
    return message


def attribution_run(
    *, business: Business, since: dt.datetime | None = None, now: dt.datetime | None = None
) -> int:
    """Credit the orders placed since the last run (or since `since`, to look again at an
    older stretch: credited orders stay as they are); returns how many were credited."""
    now = now or timezone.now()
    row = messaging_settings(business)
    since = since or row.attributed_until or (now - dt.timedelta(days=row.attribution_days))
    credited = 0
    orders = Order.objects.filter(
        business=business, customer__isnull=False, placed_at__gt=since, placed_at__lte=now
    ).order_by("placed_at")
    for order in orders.iterator():
        message = last_touch(order, row.attribution_days)
        if message is None:
            continue
        try:
            with transaction.atomic():
                Conversion.objects.create(
                    business=business,
                    message=message,
                    order=order,
                    revenue_minor=order.total_minor - order.refunded_minor,
                    at=order.placed_at,
                )
            credited += 1
        except IntegrityError:
            continue  # credited by an earlier run
    row.attributed_until = now
    row.save(update_fields=["attributed_until"])
    return credited
