"""A customer's refunds in their data export, and the words staff typed about them taken
out at erasure (customers.privacy calls these through customers.hooks). The orders and
refunds themselves stay with the anonymous record: the totals and reports need them."""

from __future__ import annotations

from typing import Any

from wateja.customers.models import Customer
from wateja.orders.models import OrderRefund


def refunds_export(customer: Customer) -> tuple[str, Any]:
    refunds = OrderRefund.objects.filter(order__customer=customer).select_related("order")
    return (
        "refunds",
        [
            {
                "order": r.order.number,
                "at": r.created_at.isoformat(),
                "kind": r.kind,
                "amount_minor": r.amount_minor,
                "currency": r.order.currency,
                "reason": r.reason,
            }
            for r in refunds.order_by("created_at", "id")
        ],
    )


def orders_erase(customer: Customer) -> None:
    """The reason typed for a refund may name the person: it goes, the amounts stay."""
    OrderRefund.objects.filter(order__customer=customer).exclude(reason="").update(reason="")
