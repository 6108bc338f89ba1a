"""Reads of orders: what a customer has spent."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Sum

from wateja.customers.models import Customer
from wateja.orders.models import Order


def spend_minor(customer: Customer, *, since: dt.datetime | None = None) -> int:
    """Net spend (paid minus refunded), over all time or since a moment."""
    orders = Order.objects.filter(customer=customer)
    if since is not None:
        orders = orders.filter(placed_at__gte=since)
    total = orders.aggregate(net=Sum(F("total_minor") - F("refunded_minor")))["net"]
    return int(total or 0)
