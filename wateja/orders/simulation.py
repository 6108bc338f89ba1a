"""Simulation: run a draft promotion over past orders to see its reach and cost before it
goes live. Each past order is rebuilt as a cart (its lines, or its total) with the customer
as they were then (purchases before it), and evaluated with this promotion alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone

from wateja.core.rules import Cart, Context, CustomerFacts, Line, evaluate
from wateja.orders.models import Order
from wateja.promotions.models import Promotion
from wateja.promotions.selectors import to_engine

MAX_ORDERS = 200_000


def simulate(
    *, promotion: Promotion, months: int = 3, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or timezone.now()
    since = now - dt.timedelta(days=30 * months)
    business = promotion.business
    engine = to_engine(promotion)
    if promotion.requires_code:  # assume every buyer had the code: the upper bound
        engine = dataclasses.replace(engine, codes=frozenset({"SIM"}), code="SIM")
    first_seen: dict[int, dt.datetime] = {}
    counts: dict[int, int] = {}
    for customer_id, placed_at in (
        Order.objects.for_business(business)
        .filter(customer__isnull=False, placed_at__lt=since)
        .values_list("customer_id", "placed_at")
        .order_by("placed_at")
    ):
        first_seen.setdefault(customer_id, placed_at)
        counts[customer_id] = counts.get(customer_id, 0) + 1
    orders = (
        Order.objects.for_business(business)
        .filter(placed_at__gte=since, placed_at__lt=now)
        .prefetch_related("lines")
        .order_by("placed_at")[:MAX_ORDERS]
    )
    touched_orders, customers, discount, points, cashback, evaluated = 0, set(), 0, 0, 0, 0
    for order in orders.iterator(chunk_size=2000):
        lines = tuple(
            Line(
                sku=line.sku,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                name=line.name,
                category=line.category,
                weight_grams=line.weight_grams,
            )
            for line in order.lines.all()
        )
        cart = Cart(
            currency=business.currency,
            lines=lines,
            total_only_minor=None if lines else order.subtotal_minor,
        )
        facts = None
        if order.customer_id:
            facts = CustomerFacts(
                id=order.customer_id,
                purchase_count=counts.get(order.customer_id, 0),
                first_purchase_at=first_seen.get(order.customer_id),
            )
        context = Context(
            now=order.placed_at, timezone=business.timezone, channel=order.channel, codes=("SIM",)
        )
        result = evaluate(cart, facts, [engine], context)
        evaluated += 1
        if result.applied:
            touched_orders += 1
            discount += result.discount_minor
            points += result.points
            cashback += result.cashback_minor
            if order.customer_id:
                customers.add(order.customer_id)
        if order.customer_id:
            first_seen.setdefault(order.customer_id, order.placed_at)
            counts[order.customer_id] = counts.get(order.customer_id, 0) + 1
    return {
        "promotion_id": promotion.pk,
        "months": months,
        "orders_evaluated": evaluated,
        "orders_touched": touched_orders,
        "customers_touched": len(customers),
        "discount_minor": discount,
        "points": points,
        "cashback_minor": cashback,
        "currency": business.currency,
        "average_discount_minor": discount // touched_orders if touched_orders else 0,
    }
