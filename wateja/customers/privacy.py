"""Data-protection requests (Kenya DPA 2019 s.26/s.38/s.40, Tanzania PDPA 2022, Armenia's
personal data law): a customer's data export, and erasure that anonymises the person while
keeping anonymous order and ledger totals so reports stay right. Both are audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.customers import hooks
from wateja.customers.models import (
    Card,
    CardStatus,
    Customer,
    CustomerTag,
    Interaction,
    InteractionKind,
)
from wateja.customers.services import customer_tags
from wateja.tenants.models import ApiKey
from wateja.tenants.services import audit_record


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def customer_data_export(
    *, customer: Customer, actor: User | None = None, api_key: ApiKey | None = None
) -> dict[str, Any]:
    """Everything the business holds about the customer, as JSON-able data."""
    business = customer.business
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "business": {
            "name": business.name,
            "country": business.country,
            "contact": {"phone": business.support_phone, "email": business.support_email},
        },
        "profile": {
            "id": customer.pk,
            "name": customer.name,
            "phone": customer.phone,
            "email": customer.email,
            "city": customer.city,
            "language": customer.language,
            "birthday": {
                "day": customer.birth_day,
                "month": customer.birth_month,
                "year": customer.birth_year,
            },
            "gender": customer.gender,
            "notes": customer.notes,
            "source": customer.source,
            "created_at": _iso(customer.created_at),
            "tags": customer_tags(customer),
        },
        "purchase_summary": {
            "first_purchase_at": _iso(customer.first_purchase_at),
            "last_purchase_at": _iso(customer.last_purchase_at),
            "purchase_count": customer.purchase_count,
            "total_spent_minor": customer.total_spent_minor,
            "currency": business.currency,
        },
        "cards": [
            {"number": c.number, "status": c.status, "issued_at": _iso(c.issued_at)}
            for c in customer.cards.order_by("issued_at")
        ],
        "consents": [
            {
                "channel": c.channel,
                "purpose": c.purpose,
                "granted": c.granted,
                "text": c.text,
                "source": c.source,
                "recorded_at": _iso(c.recorded_at),
            }
            for c in customer.consents.order_by("recorded_at", "id")
        ],
        "interactions": [
            {
                "kind": i.kind,
                "summary": i.summary,
                "body": i.body,
                "occurred_at": _iso(i.occurred_at),
                "status": i.status,
            }
            for i in customer.interactions.order_by("occurred_at", "id")
        ],
    }
    for section in hooks.export_sections:
        name, value = section(customer)
        data[name] = value
    audit_record(
        business=business,
        action="customer.export",
        object_type="customer",
        object_id=customer.pk,
        actor=actor,
        api_key=api_key,
    )
    return data


def anonymous_profile(name: str) -> dict[str, Any]:
    """The profile an erased record keeps (and one an undone import had to keep for its
    ledger): nothing that names or reaches the person, and when it was erased."""
    return {
        "name": name,
        "name_key": "",
        "phone": "",
        "email": "",
        "city": "",
        "language": "",
        "birth_day": None,
        "birth_month": None,
        "birth_year": None,
        "gender": "",
        "notes": "",
        "erased_at": timezone.now(),
    }


@transaction.atomic
def customer_erase(
    *, customer: Customer, actor: User | None = None, api_key: ApiKey | None = None
) -> Customer:
    """Anonymise the person; keep the anonymous totals. Safe to call twice."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        return customer
    erased_name = _("Erased customer #%(id)s") % {"id": customer.pk}
    Customer.objects.filter(pk=customer.pk).update(**anonymous_profile(erased_name))
    CustomerTag.objects.filter(customer=customer).delete()
    Card.objects.filter(customer=customer).update(status=CardStatus.BLOCKED)
    # free text may name the person; keep only what happened and when
    for interaction in Interaction.objects.filter(customer=customer).exclude(
        kind=InteractionKind.PURCHASE
    ):
        Interaction.objects.filter(pk=interaction.pk).update(
            summary=str(InteractionKind(interaction.kind).label), body=""
        )
    for step in hooks.erase_steps:
        step(customer)
    audit_record(
        business=customer.business,
        action="customer.erase",
        object_type="customer",
        object_id=customer.pk,
        actor=actor,
        api_key=api_key,
    )
    customer.refresh_from_db()
    return customer
