"""Demo wallet data: points on every order (1 point per 100 KES at the café; 3% cashback at
the flower shop), redemptions, top-ups with a bonus, pending points, a partial refund and
expiry — all through the wallet services, so `wateja check-ledger` holds on the demo."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from typing import Any

from django.utils import timezone

from wateja.customers.models import Customer
from wateja.orders.models import Order
from wateja.tenants.models import Business
from wateja.wallet.models import ClawbackPolicy, Kind
from wateja.wallet.services import (
    InsufficientBalance,
    balance_spend,
    balances,
    expire_due,
    points_earn,
    points_grant,
    store_credit_topup,
    wallet_settings,
)


def configure(business: Business) -> None:
    row = wallet_settings(business)
    if business.currency == "KES":
        row.expiry_rule, row.expiry_n = "days", 180
        row.point_value_minor = 100  # 1 point = 1 KES when paying
        row.clawback = ClawbackPolicy.NEGATIVE
    else:
        row.expiry_rule, row.expiry_n = "end_of_year", 0
        row.topup_bonus_bp = 500
        row.clawback = ClawbackPolicy.ABSORB
    row.allow_gifting = True
    row.save()


PER_ORDER_DAYS = 90


def reward_orders(business: Business, rng: random.Random, customers: list[Customer]) -> None:
    """Older orders were loaded from the paper-card era as one statement per customer and
    quarter; the last 90 days earn order by order (so a refund can reverse them), in date
    order, and café regulars redeem points as they go."""
    now = timezone.now()
    by_id = {c.pk: c for c in customers}
    orders = (
        Order.objects.for_business(business).filter(customer__isnull=False).order_by("placed_at")
    )
    statements: dict[tuple[int, str], list[Any]] = {}
    recent: list[Order] = []
    for order in orders:
        if now - order.placed_at > dt.timedelta(days=PER_ORDER_DAYS):
            month = f"{order.placed_at.year}-Q{(order.placed_at.month - 1) // 3 + 1}"
            entry = statements.setdefault((order.customer_id, month), [0, order.placed_at])
            entry[0] += order.total_minor
        else:
            recent.append(order)
    for (customer_id, month), (total, at) in sorted(statements.items(), key=lambda i: i[1][1]):
        _earn(
            business,
            by_id[customer_id],
            total,
            f"statement:{customer_id}:{month}",
            f"statement:{month}",
            at,
            pending=False,
        )
    for order in recent:
        customer = by_id[order.customer_id or 0]
        pending = now - order.placed_at < dt.timedelta(days=7)
        _earn(
            business,
            customer,
            order.total_minor,
            f"earn:order:{order.pk}",
            f"order:{order.pk}",
            order.placed_at,
            pending=pending,
        )
        if (
            business.currency == "KES"
            and rng.random() < 0.15
            and balances(customer).get(Kind.POINTS, {}).get("available", 0) >= 200
        ):
            _spend(customer, Kind.POINTS, 200, f"redeem:order:{order.pk}", order)


def _earn(
    business: Business,
    customer: Customer,
    total_minor: int,
    key: str,
    reference: str,
    at: dt.datetime,
    *,
    pending: bool,
) -> None:
    if business.currency == "KES":
        amount, kind, window = total_minor // 10_000, Kind.POINTS, 7
    else:
        amount, kind, window = total_minor * 3 // 100, Kind.CASHBACK, 14
    if amount:
        points_earn(
            customer=customer,
            amount=amount,
            kind=kind,
            idempotency_key=key,
            reference=reference,
            pending_days=window if pending else 0,
            now=at,
        )


def _spend(customer: Customer, kind: str, amount: int, key: str, order: Order) -> None:
    with contextlib.suppress(InsufficientBalance):
        balance_spend(
            customer=customer,
            amount=amount,
            kind=kind,
            idempotency_key=key,
            reference=f"order:{order.pk}",
            now=order.placed_at,
        )


def wallet_extras(business: Business, rng: random.Random, customers: list[Customer]) -> None:
    if business.currency == "AMD":
        for customer in rng.sample(customers, k=min(12, len(customers))):
            store_credit_topup(
                customer=customer,
                amount_minor=rng.choice([10_000, 20_000, 50_000]) * 100,
                idempotency_key=f"topup:{customer.pk}",
            )
    from wateja.tenants.models import Staff

    manager = Staff.objects.for_business(business).filter(role="manager").first()
    if manager is not None and customers:
        # value given by hand: a manager's, with a reason, audited and within the daily limit
        points_grant(
            customer=customers[0],
            amount=200 if business.currency == "KES" else 5_000,
            kind=Kind.POINTS if business.currency == "KES" else Kind.CASHBACK,
            reason="Sorry for the wait on Saturday"
            if business.currency == "KES"
            else "Ներողություն ուշացած առաքման համար",
            idempotency_key="demo:goodwill",
            actor=manager.user,
            location_id=manager.location_id,
        )
    from wateja.orders.refunds import order_refund

    refunded = Order.objects.for_business(business).filter(customer__isnull=False).order_by("?")[:3]
    for order in refunded:
        order_refund(
            order=order, amount_minor=order.total_minor // 2, refund_id=f"refund:{order.pk}"
        )
    expire_due(business=business)
