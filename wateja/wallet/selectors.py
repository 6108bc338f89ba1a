"""Reads of the wallet: a customer's history as they would read it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wateja.customers.models import Customer
from wateja.wallet.models import TRANSFER_LABELS, Operation, Transfer, TransferStatus


def wallet_history(customer: Customer, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first: + for what came in, − for what went out, pending and voided marked."""
    transfers = (
        Transfer.objects.filter(
            Q(debit_account__customer=customer) | Q(credit_account__customer=customer)
        )
        .select_related(
            "credit_account",
            "debit_account",
            "operation",
            "operation__actor",
            "operation__api_key",
            "operation__location",
        )
        .order_by("-id")[:limit]
    )
    rows = []
    for t in transfers:
        incoming = t.credit_account.customer_id == customer.pk
        account = t.credit_account if incoming else t.debit_account
        rows.append(
            {
                "id": t.pk,
                "at": t.created_at,
                "code": t.code,
                "label": str(TRANSFER_LABELS.get(t.code, t.code)),
                "status_label": str(TransferStatus(t.status).label),
                "kind": account.kind,
                "amount": t.amount if incoming else -t.amount,
                "status": t.status,
                "reason": t.operation.reason,
                "reference": t.operation.reference,
                "by": _who(t.operation),
                "location": t.operation.location.name if t.operation.location else "",
            }
        )
    return rows


def _who(operation: Operation) -> str:
    """Who did it: the staff member's name, the API key's name, or "" for the product."""
    if operation.actor is not None:
        return operation.actor.get_full_name() or operation.actor.get_username()
    if operation.api_key is not None:
        return str(operation.api_key.name)
    return ""
