"""How an order is described in the events other systems hear of (order.committed,
order.refunded), the same from the till, the API, M-Pesa or an online shop."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wateja.orders.models import Order


def order_data(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "customer_id": order.customer_id,
        "currency": order.currency,
        "subtotal_minor": order.subtotal_minor,
        "discount_minor": order.discount_minor,
        "total_minor": order.total_minor,
        "refunded_minor": order.refunded_minor,
        "channel": order.channel,
        "status": order.status,
        "placed_at": order.placed_at.astimezone(dt.UTC).isoformat(),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "discount_minor": line.discount_minor,
            }
            for line in order.lines.all()
        ],
    }
