"""The words staff typed about a customer's balance taken out at erasure (customers.privacy
calls this through customers.hooks). The ledger keeps every amount: history is the balance.
The export's wallet section (`wallet_export_section`) already shows each reason."""

from __future__ import annotations

from django.db.models import Q

from wateja.customers.models import Customer
from wateja.wallet.models import Operation, Transfer


def wallet_erase(customer: Customer) -> None:
    """The reason of every operation that moved value in or out of the customer's accounts
    (a manual grant or adjustment says why, and may name the person) goes."""
    touched = Transfer.objects.filter(
        Q(debit_account__customer=customer) | Q(credit_account__customer=customer)
    ).values("operation_id")
    Operation.objects.filter(pk__in=touched).exclude(reason="").update(reason="")
