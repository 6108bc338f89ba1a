"""A customer's payments and cashback payouts in their data export and in their erasure
(customers.privacy calls these through customers.hooks). A payment is theirs when it was
matched to one of their records, or paid from, or for the account of, one of their numbers
or cards; a payout when it was theirs or went to one of their numbers. Erasure keeps the
transaction (provider, reference, amount, time, status: the books need them) and takes the
payer's number and name, the account typed, the provider's payload, the number a payout went
to and what M-Pesa said about it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from wateja.customers.models import Customer
from wateja.customers.privacy import Reach, customer_reach
from wateja.payments.models import Payment, Payout


def _payments(customer: Customer, reach: Reach, *, own_only: bool = False) -> QuerySet[Payment]:
    ids = [customer.pk] if own_only else list(reach.ids)
    numbers = [*reach.phone_forms, *reach.cards]
    return Payment.objects.filter(business_id=customer.business_id).filter(
        Q(customer_id__in=ids) | Q(payer_phone__in=numbers) | Q(account__in=numbers)
    )


def _payouts(customer: Customer, reach: Reach, *, own_only: bool = False) -> QuerySet[Payout]:
    ids = [customer.pk] if own_only else list(reach.ids)
    return Payout.objects.filter(business_id=customer.business_id).filter(
        Q(customer_id__in=ids) | Q(phone__in=reach.phone_forms)
    )


def payouts_export(customer: Customer) -> tuple[str, Any]:
    reach = customer_reach(customer)
    return (
        "payouts",
        [
            {
                "at": p.created_at.isoformat(),
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "to": p.phone,
                "status": p.status,
                "answer": p.result,
                "finished_at": p.finished_at.isoformat() if p.finished_at else None,
            }
            for p in _payouts(customer, reach).order_by("created_at", "id")
        ],
    )


def payments_export(customer: Customer) -> tuple[str, Any]:
    reach = customer_reach(customer)
    return (
        "payments",
        [
            {
                "paid_at": p.paid_at.isoformat(),
                "provider": p.provider,
                "reference": p.reference,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "account": p.account,
                "payer_phone": p.payer_phone,
                "payer_name": p.payer_name,
                "status": p.status,
                "payload": p.payload,
            }
            for p in _payments(customer, reach).order_by("paid_at", "id")
        ],
    )


def payments_erase(customer: Customer) -> None:
    """Called for the erased record and each record merged into it, before their contacts
    are taken away (inside the erasure's transaction)."""
    reach = customer_reach(customer)
    _payments(customer, reach, own_only=True).update(
        account="", payer_phone="", payer_name="", payload={}
    )
    _payouts(customer, reach, own_only=True).update(phone="", result="")
