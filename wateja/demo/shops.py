"""Demo online shop for the café: a WooCommerce shop connected, and the webhooks it sent this
week replayed through the same service the webhook address uses — paid orders rung up as
online sales, one refunded in the shop, one left unpaid (a cart for the reminder), and the
shop's products brought into the catalogue."""

from __future__ import annotations

import random
from typing import Any

from wateja.customers.models import Customer
from wateja.shops.models import Platform
from wateja.shops.services import shop_connect, shop_event_receive
from wateja.tenants.models import Business

PRODUCTS = [
    ("KAH-250", "Kahawa beans 250 g", "650.00"),
    ("KAH-1000", "Kahawa beans 1 kg", "2200.00"),
    ("MUG-1", "Kahawa Corner mug", "800.00"),
]


def _order(
    n: int, customer: Customer, status: str, refunds: list[dict[str, Any]]
) -> dict[str, Any]:
    first, _space, last = customer.name.partition(" ")
    sku, name, price = PRODUCTS[n % len(PRODUCTS)]
    quantity = 1 + n % 2
    return {
        "id": 4100 + n,
        "number": str(4100 + n),
        "status": status,
        "currency": "KES",
        "total": f"{float(price) * quantity:.2f}",
        "date_paid": None if status == "pending" else "2026-01-01T10:00:00",
        "billing": {
            "first_name": first,
            "last_name": last,
            "email": customer.email,
            "phone": customer.phone,
        },
        "line_items": [
            {"id": n, "sku": sku, "name": name, "quantity": quantity, "price": float(price)}
        ],
        "refunds": refunds,
    }


def seed_shop(business: Business, rng: random.Random, customers: list[Customer]) -> dict[str, Any]:
    connection = shop_connect(
        business=business,
        platform=Platform.WOOCOMMERCE,
        name="Kahawa Corner online",
        secret="demo-woocommerce-secret",
    )
    delivery = 0

    def send(topic: str, payload: dict[str, Any]) -> str:
        nonlocal delivery
        delivery += 1
        outcome, _new = shop_event_receive(
            connection, topic=topic, delivery_id=f"demo-{delivery}", payload=payload
        )
        return outcome

    for n, (sku, name, price) in enumerate(PRODUCTS):
        send("product.updated", {"id": 900 + n, "sku": sku, "name": name, "price": price})
    buyers = [c for c in customers if c.is_active and c.email][:6]
    outcomes = []
    for n, customer in enumerate(buyers):
        status = "pending" if n == len(buyers) - 1 else "processing"
        outcomes.append(send("order.created", _order(n, customer, "pending", [])))
        if status != "pending":
            outcomes.append(send("order.updated", _order(n, customer, status, [])))
    if len(buyers) > 1:
        order = _order(0, buyers[0], "refunded", [{"id": 5001, "total": "-650.00"}])
        outcomes.append(send("order.updated", order))
    return {"sales": outcomes.count("sale"), "carts": outcomes.count("cart")}
