"""What the receipt and order screens read besides the order itself, each as it was recorded
(so a reprint never changes): the customer's points right after the sale, the receipt messages
and their delivery, and what every refund or void of the order gave and took back."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone

from wateja.messaging.models import Message, MessageStatus, SendChannel
from wateja.orders.models import Order, OrderLine, OrderRefund
from wateja.wallet.models import Kind, Operation

# an SMS reported sent may still be reported delivered (or failed) by the provider for a while
DELIVERY_REPORT_WAIT = dt.timedelta(minutes=10)


def points_after_sale(order: Order) -> int | None:
    """The customer's points balance right after the sale, as the wallet stored it with the
    order's own operations: the points earned on it (their result's balances), else the
    points it paid with (held before the sale: that balance less what the sale took); None
    when the sale moved no points."""
    if order.customer_id is None:
        return None
    key = f"{order.customer_id}:{Kind.POINTS}"
    found = list(
        Operation.objects.filter(
            business_id=order.business_id,
            reference=f"order:{order.pk}",
            action__in=("earn", "hold", "spend"),
        )
        .order_by("id")
        .values_list("action", "result")
    )
    earned = [result for action, result in found if action == "earn" and _has(result, key)]
    if earned:
        return int(earned[-1]["balances"][key])
    held = [result for action, result in found if action != "earn" and _has(result, key)]
    if held:
        return int(held[0]["balances"][key]) - order.paid_points
    return None


def _has(result: Any, key: str) -> bool:
    return isinstance(result, dict) and key in (result.get("balances") or {})


def receipt_messages(order: Order) -> dict[str, Message]:
    """The receipt messages of the order by channel ("sms", "email"), once asked for."""
    keys = {f"receipt:{order.pk}:{channel}": channel for channel in SendChannel.values}
    return {
        keys[message.dedupe_key]: message
        for message in Message.objects.filter(
            business_id=order.business_id, dedupe_key__in=list(keys)
        )
        if message.dedupe_key in keys
    }


def message_changing(message: Message, now: dt.datetime | None = None) -> bool:
    """True while the message's status may still change: queued or being sent, or an SMS
    sent a short while ago (its delivery report may still come)."""
    if message.status in (MessageStatus.QUEUED, MessageStatus.SENDING):
        return True
    if message.status == MessageStatus.SENT and message.channel == SendChannel.SMS:
        sent = message.sent_at or message.created_at
        return (now or timezone.now()) - sent < DELIVERY_REPORT_WAIT
    return False


@dataclasses.dataclass
class LineRow:
    line: OrderLine
    total_minor: int  # quantity × unit price
    left: int  # still refundable
    wanted: int = 0  # to refund now, as the form asks


def line_rows(order: Order) -> list[LineRow]:
    return [
        LineRow(
            line=line,
            total_minor=line.quantity * line.unit_price_minor,
            left=line.quantity - line.refunded_quantity,
        )
        for line in order.lines.all()
    ]


@dataclasses.dataclass
class RefundRow:
    """One refund or void with what it moved, as recorded: the money, and in the customer's
    wallet the points and balances given back (what the sale paid with) and taken back
    (what it earned)."""

    refund: OrderRefund
    lines: list[tuple[str, int]]  # (line name, quantity)
    points_back: int = 0
    points_taken: int = 0
    cashback_back_minor: int = 0
    cashback_taken_minor: int = 0
    store_credit_back_minor: int = 0


def refund_rows(order: Order) -> list[RefundRow]:
    """The order's refunds and voids, oldest first (three queries whatever their number)."""
    refunds = list(order.refunds.select_related("cashier", "approved_by").order_by("id"))
    if not refunds:
        return []
    names = {line.pk: line.name or line.sku for line in order.lines.all()}
    results = dict(
        Operation.objects.filter(
            business_id=order.business_id, key__in=[r.key for r in refunds], action="refund"
        ).values_list("key", "result")
    )
    rows = []
    for refund in refunds:
        row = RefundRow(
            refund=refund,
            lines=[
                (names.get(item.get("line_id"), ""), int(item.get("quantity", 0)))
                for item in refund.lines or []
                if isinstance(item, dict)
            ],
        )
        _add_moves(row, results.get(refund.key) or {})
        rows.append(row)
    return rows


def _add_moves(row: RefundRow, result: dict[str, Any]) -> None:
    for transfer in result.get("transfers") or []:
        code, amount = transfer.get("code"), int(transfer.get("amount") or 0)
        kind = str(transfer.get("kind") or "").split(">")[0]
        if code == "refund_return":
            if kind == Kind.POINTS:
                row.points_back += amount
            elif kind == Kind.CASHBACK:
                row.cashback_back_minor += amount
            else:
                row.store_credit_back_minor += amount
        elif code == "refund_reverse":
            if kind == Kind.POINTS:
                row.points_taken += amount
            else:
                row.cashback_taken_minor += amount
        elif code == "refund_reverse_cashback":
            row.cashback_taken_minor += amount
    # points earned but still pending (the return window) are reduced, not taken back
    notes = result.get("notes") or {}
    row.points_taken += int(notes.get("pending_reduced") or 0)
