"""Merging duplicate customers: fold one record into another, keep a record of what moved,
and undo it within a grace period."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from wateja.core.errors import DomainError
from wateja.customers import hooks
from wateja.customers.models import Card, Consent, Customer, Interaction, InteractionKind
from wateja.customers.services import (
    CustomerInactive,
    customer_tags,
    interaction_add,
    tags_set,
)
from wateja.tenants.models import ApiKey
from wateja.tenants.services import audit_record

FILLABLE_ON_MERGE = (
    "phone",
    "email",
    "city",
    "language",
    "birth_day",
    "birth_month",
    "birth_year",
    "gender",
)


@transaction.atomic
def customer_merge(
    *, keep: Customer, drop: Customer, actor: User | None = None, api_key: ApiKey | None = None
) -> Customer:
    """Fold `drop` into `keep`: history, cards, consents, tags and every registered app's data
    move to `keep`; blank profile fields of `keep` are filled from `drop`; `drop` stays as an
    empty record pointing at `keep`."""
    if keep.business_id != drop.business_id or keep.pk == drop.pk:
        raise DomainError(
            _("Choose two different customers of this business."), code="invalid_merge"
        )
    if not keep.is_active or not drop.is_active:
        raise CustomerInactive(_("This customer was erased or merged and cannot be changed."))
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=sorted([keep.pk, drop.pk]))
    }
    keep, drop = locked[keep.pk], locked[drop.pk]
    moved_contacts = {f: getattr(drop, f) for f in FILLABLE_ON_MERGE if not getattr(keep, f)}
    drop_tags = customer_tags(drop)
    Customer.objects.filter(pk=drop.pk).update(phone="", email="", merged_into=keep)
    for field, value in moved_contacts.items():
        setattr(keep, field, value)
    if drop.notes:
        keep.notes = f"{keep.notes}\n{drop.notes}".strip()
    keep.save()
    Card.objects.filter(customer=drop).update(customer=keep)
    Consent.objects.filter(customer=drop).update(customer=keep)
    Interaction.objects.filter(customer=drop).update(customer=keep)
    tags_set(customer=keep, tags=[*customer_tags(keep), *drop_tags])
    for step in hooks.merge_steps:
        step(keep, drop)
    interaction_add(
        customer=keep,
        kind=InteractionKind.NOTE,
        summary=_("Merged with %(name)s (#%(id)s)") % {"name": drop.name, "id": drop.pk},
        created_by=actor,
    )
    audit_record(
        business=keep.business,
        action="customer.merge",
        object_type="customer",
        object_id=keep.pk,
        actor=actor,
        api_key=api_key,
        details={"dropped": drop.pk},
    )
    keep.refresh_from_db()
    return keep
