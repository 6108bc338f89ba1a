"""The wallet as the customer reads it on their pocket card: each balance explained (what can
be spent now, what is on its way and from when, what expires and when, what the points are
worth at the till) and the history in plain words, from the customer's side ("You earned…",
"You spent…"). Numbers and dates only: the page words and formats them in the customer's
language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer
from wateja.wallet.models import MONEY_KINDS, Kind, Transfer, TransferStatus
from wateja.wallet.services import balances, expiring_soon, wallet_settings

EXPIRING_DAYS = 60

# What each kind of transfer means to the customer, seen from their side.
CUSTOMER_WORDS: dict[str, Promise] = {
    "earn": _("Earned on a purchase"),
    "grant": _("A gift from the shop"),
    "award": _("A reward from the club (an event, a challenge, a surprise)"),
    "spend": _("Spent at the till"),
    "adjust": _("Corrected by the shop"),
    "gift": _("A gift between friends"),
    "topup": _("Topped up"),
    "topup_bonus": _("Top-up bonus"),
    "payout": _("Paid out to you"),
    "donate": _("Donated"),
    "expire": _("Expired"),
    "refund_reverse": _("Taken back after a return"),
    "refund_reverse_cashback": _("Taken back after a return"),
    "refund_return": _("Given back after a return"),
    "earn_remainder": _("Earned, less a return"),
    "merge": _("Moved from your other card"),
    "opening": _("Brought over from your old card"),
    "opening_reverse": _("Old card balance taken back"),
}


@dataclass(frozen=True)
class BalanceLine:
    kind: str
    label: str
    is_money: bool
    available: int
    pending: int
    pending_until: dt.datetime | None  # when the first pending amount becomes spendable
    expiring: list[dict[str, Any]] = field(default_factory=list)  # amount, expires_at
    worth_minor: int | None = None  # points: what the available ones pay at the till


def balance_explained(customer: Customer, now: dt.datetime | None = None) -> list[BalanceLine]:
    """Every balance the customer has (points always), explained."""
    now = now or timezone.now()
    rows = balances(customer, now=now)
    soon = expiring_soon(customer, days=EXPIRING_DAYS, now=now)
    pending_until = dict(
        Transfer.objects.filter(
            credit_account__customer=customer,
            status=TransferStatus.PENDING,
            timeout_at__isnull=False,
            on_timeout="post",
        )
        .values("credit_account__kind")
        .annotate(first=Min("timeout_at"))
        .values_list("credit_account__kind", "first")
    )
    point_value = wallet_settings(customer.business_id).point_value_minor
    lines = []
    for kind in Kind.values:
        if kind not in rows and kind != Kind.POINTS:
            continue
        row = rows.get(kind, {"balance": 0, "available": 0, "pending_in": 0})
        available = max(int(row["available"]), 0)
        lines.append(
            BalanceLine(
                kind=kind,
                label=str(Kind(kind).label),
                is_money=kind in MONEY_KINDS,
                available=available,
                pending=int(row["pending_in"]),
                pending_until=pending_until.get(kind),
                expiring=[
                    {"amount": lot["amount"], "expires_at": lot["expires_at"]}
                    for lot in soon
                    if lot["kind"] == kind
                ],
                worth_minor=available * point_value if kind == Kind.POINTS else None,
            )
        )
    return lines


def history_plain(customer: Customer, limit: int = 30) -> list[dict[str, Any]]:
    """Newest first: when, what happened in plain words, and how much came in (+) or went
    out (−), with whether it is still on its way or was cancelled."""
    transfers = (
        Transfer.objects.filter(
            Q(debit_account__customer=customer) | Q(credit_account__customer=customer)
        )
        .select_related("credit_account", "debit_account", "operation__location")
        .order_by("-id")[:limit]
    )
    rows = []
    for t in transfers:
        incoming = t.credit_account.customer_id == customer.pk
        account = t.credit_account if incoming else t.debit_account
        location = t.operation.location
        rows.append(
            {
                "at": t.created_at,
                "what": str(CUSTOMER_WORDS.get(t.code, _("Balance change"))),
                "kind": account.kind,
                "is_money": account.kind in MONEY_KINDS,
                "incoming": incoming,
                "amount": t.amount,
                "pending": t.status == TransferStatus.PENDING,
                "voided": t.status == TransferStatus.VOIDED,
                "where": location.name if location is not None else "",
            }
        )
    return rows
