"""Merging duplicate customers: fold one record into another, keep both records' phones and
e-mails, record what moved, and undo it exactly within a grace period.

A merge is one `CustomerMerge` row. Its snapshot has one part per app: this module's own
("customer": the dropped record's profile and contacts, the cards, consents, interactions and
tags that moved) and one for each app built on customers that moves data of its own (orders,
wallet). An app's merge step (registered in `hooks.merge_steps`) reports what it moved with
`merge_record_part`, and registers how to reverse it with the `merge_undo_step` decorator.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import Conflict, DomainError
from wateja.customers import hooks
from wateja.customers.duplicates import duplicates_refresh
from wateja.customers.events import Event
from wateja.customers.models import (
    Card,
    CardStatus,
    Channel,
    Consent,
    ContactKind,
    ContactSource,
    Customer,
    CustomerContact,
    CustomerMerge,
    Interaction,
    InteractionKind,
)
from wateja.customers.selectors import consent_state
from wateja.customers.services import (
    CustomerInactive,
    customer_tags,
    interaction_add,
    tags_set,
)
from wateja.tenants.models import ApiKey, Business
from wateja.tenants.services import audit_record

#: how long a merge can be undone (a setting may shorten or lengthen it)
MERGE_UNDO_DAYS = 30

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
# what the record keeps of the dropped customer's profile, to put it back on undo
RESTORED_ON_UNDO = (*FILLABLE_ON_MERGE, "name", "preferred_channel", "notes")
# fields the preview compares side by side (a difference is highlighted)
COMPARED = ("name", "city", "birthday", "language", "gender")


class MergeUndoExpired(DomainError):
    code = "merge_undo_expired"
    status = 409


class MergeUndoRefused(Conflict):
    code = "merge_undo_refused"


def merge_undo_days() -> int:
    return int(getattr(settings, "WATEJA_MERGE_UNDO_DAYS", MERGE_UNDO_DAYS))


def merge_undo_until(merge: CustomerMerge) -> dt.datetime:
    """The last moment this merge can be undone."""
    return merge.created_at + dt.timedelta(days=merge_undo_days())


def merge_can_undo(merge: CustomerMerge, now: dt.datetime | None = None) -> bool:
    return merge.undone_at is None and (now or timezone.now()) <= merge_undo_until(merge)


# ------------------------------------------------------------------ the parts other apps add

MergeUndoStep = Callable[[CustomerMerge, dict[str, Any]], None]
merge_undo_steps: dict[str, MergeUndoStep] = {}
_current: contextvars.ContextVar[CustomerMerge | None] = contextvars.ContextVar(
    "customer_merge", default=None
)


def merge_undo_step(part: str) -> Callable[[MergeUndoStep], MergeUndoStep]:
    """Register how to reverse what an app's merge step recorded under `part`."""

    def register(step: MergeUndoStep) -> MergeUndoStep:
        merge_undo_steps[part] = step
        return step

    return register


def current_merge(keep: Customer, drop: Customer) -> CustomerMerge | None:
    """The merge of `drop` into `keep` being made now (None when a step runs outside one)."""
    record = _current.get()
    if record is None or record.keep_id != keep.pk or record.drop_id != drop.pk:
        return None
    return record


def merge_record_part(*, keep: Customer, drop: Customer, part: str, data: Any) -> None:
    """An app's merge step records what it moved (JSON-able), for the undo."""
    record = current_merge(keep, drop)
    if record is not None:
        record.snapshot[part] = data


@contextmanager
def _recording(record: CustomerMerge) -> Iterator[None]:
    token = _current.set(record)
    try:
        yield
    finally:
        _current.reset(token)


# ------------------------------------------------------------------ contacts


def customer_phones(customer: Customer) -> list[str]:
    """The profile's phone first, then the extra ones."""
    extra = _extra(customer, ContactKind.PHONE)
    return [p for p in [customer.phone, *extra] if p]


def customer_emails(customer: Customer) -> list[str]:
    extra = _extra(customer, ContactKind.EMAIL)
    return [e for e in [customer.email, *extra] if e]


def customer_extra_contacts(customer: Customer) -> dict[str, list[str]]:
    """The phones and e-mails a customer has besides the profile's (kept from merges)."""
    return {
        "phones": _extra(customer, ContactKind.PHONE),
        "emails": _extra(customer, ContactKind.EMAIL),
    }


def _extra(customer: Customer, kind: str) -> list[str]:
    return list(
        CustomerContact.objects.filter(
            business_id=customer.business_id, customer=customer, kind=kind, removed_at__isnull=True
        )
        .order_by("id")
        .values_list("value", flat=True)
    )


def _keep_contact(keep: Customer, kind: str, value: str) -> int | None:
    """Add `value` to `keep`'s extra contacts unless it is already theirs; its id if added."""
    if not value or value == getattr(keep, kind):
        return None
    active = CustomerContact.objects.filter(
        business_id=keep.business_id, kind=kind, value=value, removed_at__isnull=True
    )
    if active.exists():  # already an extra contact (of keep, or moved with drop's own)
        return None
    contact = CustomerContact.objects.create(
        business_id=keep.business_id,
        customer=keep,
        kind=kind,
        value=value,
        source=ContactSource.MERGE,
    )
    return contact.pk


# ------------------------------------------------------------------ preview


def _birthday(customer: Customer) -> str:
    if not customer.birth_day or not customer.birth_month:
        return ""
    year = f".{customer.birth_year}" if customer.birth_year else ""
    return f"{customer.birth_day:02d}.{customer.birth_month:02d}{year}"


def _side(customer: Customer) -> dict[str, Any]:
    state = consent_state(customer)
    return {
        "id": customer.pk,
        "name": customer.name,
        "phones": customer_phones(customer),
        "emails": customer_emails(customer),
        "city": customer.city,
        "birthday": _birthday(customer),
        "language": customer.language,
        "gender": customer.gender,
        "cards": list(
            customer.cards.filter(status=CardStatus.ACTIVE)
            .order_by("id")
            .values_list("number", flat=True)
        ),
        "purchase_count": customer.purchase_count,
        "total_spent_minor": customer.total_spent_minor,
        "tags": customer_tags(customer),
        "consents": {
            channel: bool(
                state.get((channel, "marketing")) and state[(channel, "marketing")].granted
            )
            for channel in (Channel.SMS.value, Channel.EMAIL.value)
        },
        "consent_times": {
            channel: consent.recorded_at
            for (channel, purpose), consent in state.items()
            if purpose == "marketing"
        },
    }


def _check_pair(keep: Customer, drop: Customer) -> None:
    if keep.business_id != drop.business_id or keep.pk == drop.pk:
        raise DomainError(
            _("Choose two different customers of this business."), code="invalid_merge"
        )
    if not keep.is_active or not drop.is_active:
        raise CustomerInactive(_("This customer was erased or merged and cannot be changed."))


def merge_preview(*, keep: Customer, drop: Customer) -> dict[str, Any]:
    """What merging `drop` into `keep` would give, without changing anything: both records
    and the merged one side by side, and the fields where they disagree. Both records' phones
    and e-mails are kept. (Balances: `wallet_merge_preview` beside the wallet.)"""
    _check_pair(keep, drop)
    a, b = _side(keep), _side(drop)
    merged = dict(a)
    for field in ("city", "birthday", "language", "gender"):
        merged[field] = a[field] or b[field]
    merged["id"] = keep.pk
    merged["phones"] = list(dict.fromkeys([*a["phones"], *b["phones"]]))
    merged["emails"] = list(dict.fromkeys([*a["emails"], *b["emails"]]))
    merged["cards"] = sorted([*a["cards"], *b["cards"]])
    merged["purchase_count"] = a["purchase_count"] + b["purchase_count"]
    merged["total_spent_minor"] = a["total_spent_minor"] + b["total_spent_minor"]
    merged["tags"] = sorted({*a["tags"], *b["tags"]})
    consents = {}
    for channel in a["consents"]:
        # the latest answer of either record stands, as after the merge
        times = [(side["consent_times"].get(channel), side) for side in (a, b)]
        dated = [(t, side) for t, side in times if t is not None]
        consents[channel] = bool(dated) and max(dated, key=lambda p: p[0])[1]["consents"][channel]
    merged["consents"] = consents
    conflicts = [f for f in COMPARED if a[f] and b[f] and a[f] != b[f]]
    if a["phones"] and b["phones"] and not set(a["phones"]) & set(b["phones"]):
        conflicts.append("phones")
    if a["emails"] and b["emails"] and not set(a["emails"]) & set(b["emails"]):
        conflicts.append("emails")
    for side in (a, b, merged):
        side.pop("consent_times", None)
    return {"keep": a, "drop": b, "merged": merged, "conflicts": conflicts}


# ------------------------------------------------------------------ merge


@transaction.atomic
def customer_merge_record(
    *, keep: Customer, drop: Customer, actor: User | None = None, api_key: ApiKey | None = None
) -> CustomerMerge:
    """Fold `drop` into `keep`: history, cards, consents, tags and every registered app's data
    move to `keep`; blank profile fields of `keep` are filled from `drop`, and `drop`'s other
    phone and e-mail stay with `keep` as extra contacts; `drop` stays as an empty record
    pointing at `keep`. The returned record says what moved, so it can be undone. Asked
    again for the same pair, it answers the first record."""
    if keep.business_id != drop.business_id or keep.pk == drop.pk:
        _check_pair(keep, drop)
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=sorted([keep.pk, drop.pk]))
    }
    keep, drop = locked[keep.pk], locked[drop.pk]
    if drop.merged_into_id == keep.pk and keep.is_active:
        # the same merge asked again (a retried request): its record, nothing moves twice
        done: CustomerMerge | None = (
            CustomerMerge.objects.filter(keep=keep, drop=drop, undone_at__isnull=True)
            .order_by("-id")
            .first()
        )
        if done is not None:
            return done
    _check_pair(keep, drop)
    now = timezone.now()
    record = CustomerMerge.objects.create(
        business_id=keep.business_id,
        keep=keep,
        drop=drop,
        actor=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        snapshot={},
    )
    keep_before = {f: getattr(keep, f) for f in RESTORED_ON_UNDO}
    drop_before = {f: getattr(drop, f) for f in RESTORED_ON_UNDO}
    filled = [f for f in FILLABLE_ON_MERGE if not getattr(keep, f) and getattr(drop, f)]
    keep_tags, drop_tags = customer_tags(keep), customer_tags(drop)
    drop_contacts = list(
        CustomerContact.objects.filter(customer=drop, removed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Customer.objects.filter(pk=drop.pk).update(phone="", email="", merged_into=keep)
    CustomerContact.objects.filter(pk__in=drop_contacts).update(customer=keep)
    for field in filled:
        setattr(keep, field, getattr(drop, field))
    added = [
        pk
        for kind in (ContactKind.PHONE, ContactKind.EMAIL)
        if (pk := _keep_contact(keep, kind, drop_before[kind])) is not None
    ]
    if drop.notes:
        keep.notes = f"{keep.notes}\n{drop.notes}".strip()
    keep.save()
    moved = {
        "cards": list(Card.objects.filter(customer=drop).values_list("pk", flat=True)),
        "consents": list(Consent.objects.filter(customer=drop).values_list("pk", flat=True)),
        "interactions": list(
            Interaction.objects.filter(customer=drop).values_list("pk", flat=True)
        ),
    }
    Card.objects.filter(pk__in=moved["cards"]).update(customer=keep)
    Consent.objects.filter(pk__in=moved["consents"]).update(customer=keep)
    Interaction.objects.filter(pk__in=moved["interactions"]).update(customer=keep)
    tags_set(customer=keep, tags=[*keep_tags, *drop_tags])
    with _recording(record):
        for step in hooks.merge_steps:
            step(keep, drop)
    record.snapshot["customer"] = {
        "keep_profile": keep_before,
        "drop_profile": drop_before,
        "filled": filled,
        "keep_notes_after": keep.notes,
        "contacts_added": added,
        "contacts_moved": drop_contacts,
        "keep_tags": keep_tags,
        "drop_tags": drop_tags,
        **moved,
    }
    record.save(update_fields=["snapshot"])
    duplicates_refresh(drop)  # merged: out of the duplicates list
    duplicates_refresh(keep)  # with the contacts it kept
    interaction_add(
        customer=keep,
        kind=InteractionKind.NOTE,
        event=Event.MERGED,
        data={"name": drop.name, "id": drop.pk},
        created_by=actor,
        reference=f"merge:{record.pk}",
    )
    audit_record(
        business=keep.business,
        action="customer.merge",
        object_type="customer",
        object_id=keep.pk,
        actor=actor,
        api_key=api_key,
        details={"dropped": drop.pk, "merge": record.pk},
    )
    return record


def customer_merge(
    *, keep: Customer, drop: Customer, actor: User | None = None, api_key: ApiKey | None = None
) -> Customer:
    """`customer_merge_record`, answering the customer kept."""
    record = customer_merge_record(keep=keep, drop=drop, actor=actor, api_key=api_key)
    return Customer.objects.get(pk=record.keep_id)


# ------------------------------------------------------------------ undo


@transaction.atomic
def customer_merge_undo(
    *,
    merge: CustomerMerge,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    now: dt.datetime | None = None,
) -> CustomerMerge:
    """Put both records back as they were before `merge`: the dropped customer's profile,
    contacts, cards, consents, history, tags, orders and balances (moved back by new ledger
    transfers). Allowed for `merge_undo_days()` days; doing it twice changes nothing more.
    Refused, with nothing changed, when the kept customer has spent the moved points since."""
    now = now or timezone.now()
    record: CustomerMerge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    if record.undone_at is not None:
        return record
    if now > merge_undo_until(record):
        raise MergeUndoExpired(
            _("This merge was made more than %(days)s days ago and can no longer be undone.")
            % {"days": merge_undo_days()},
            details={"merged_at": record.created_at.isoformat()},
        )
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(
            pk__in=sorted([record.keep_id, record.drop_id])
        )
    }
    keep, drop = locked[record.keep_id], locked[record.drop_id]
    if not keep.is_active:
        raise MergeUndoRefused(
            _("%(name)s was erased or merged again since; this merge cannot be undone.")
            % {"name": keep.name}
        )
    if drop.merged_into_id != keep.pk or drop.erased_at is not None:
        raise MergeUndoRefused(_("This merge cannot be undone any more."))
    part = record.snapshot.get("customer", {})
    _check_contacts_free(keep, drop, part)
    # other apps first (the wallet refuses if the moved points were spent), newest first
    for name, step in reversed(list(merge_undo_steps.items())):
        if name in record.snapshot:
            step(record, record.snapshot[name])
    keep.refresh_from_db()  # the steps changed purchase figures: save no stale copy
    drop.refresh_from_db()
    _restore_customers(keep, drop, part, now)
    duplicates_refresh(keep)
    duplicates_refresh(drop)  # back in the list, likely beside keep again
    record.undone_at = now
    record.undone_by = actor if actor is not None and actor.is_authenticated else None
    record.save(update_fields=["undone_at", "undone_by"])
    for customer, other in ((keep, drop), (drop, keep)):
        interaction_add(
            customer=customer,
            kind=InteractionKind.NOTE,
            event=Event.MERGE_UNDONE,
            data={"name": other.name, "id": other.pk},
            created_by=actor,
            reference=f"merge:{record.pk}",
        )
    audit_record(
        business=keep.business,
        action="customer.merge_undo",
        object_type="customer",
        object_id=keep.pk,
        actor=actor,
        api_key=api_key,
        details={"restored": drop.pk, "merge": record.pk},
    )
    return record


def _check_contacts_free(keep: Customer, drop: Customer, part: dict[str, Any]) -> None:
    """The dropped customer's own phone and e-mail must not belong to a third customer now."""
    drop_profile: dict[str, Any] = part.get("drop_profile", {})
    filled = set(part.get("filled", []))
    going = [*part.get("contacts_added", []), *part.get("contacts_moved", [])]
    for field in ("phone", "email"):
        value = drop_profile.get(field) or ""
        if not value:
            continue
        holders = Customer.objects.filter(business_id=keep.business_id, **{field: value})
        holders = holders.exclude(pk=drop.pk)
        if field in filled:  # the merge put it on keep; the undo takes it off again
            holders = holders.exclude(pk=keep.pk)
        extra = CustomerContact.objects.filter(
            business_id=keep.business_id, kind=field, value=value, removed_at__isnull=True
        ).exclude(pk__in=going)
        if holders.exists() or extra.exists():
            raise MergeUndoRefused(
                _(
                    "%(value)s now belongs to another customer; change it there first, then "
                    "undo the merge."
                )
                % {"value": value},
                code="merge_undo_contact_taken",
            )


def _restore_customers(
    keep: Customer, drop: Customer, part: dict[str, Any], now: dt.datetime
) -> None:
    keep_profile: dict[str, Any] = part.get("keep_profile", {})
    drop_profile: dict[str, Any] = part.get("drop_profile", {})
    # the keep's fields the merge filled go blank again, unless staff changed them since
    for field in part.get("filled", []):
        if getattr(keep, field) == drop_profile.get(field):
            setattr(keep, field, keep_profile.get(field))
    if keep.notes == part.get("keep_notes_after"):
        keep.notes = keep_profile.get("notes", keep.notes)
    CustomerContact.objects.filter(
        pk__in=part.get("contacts_added", []), customer=keep, removed_at__isnull=True
    ).update(removed_at=now)
    keep.save()
    CustomerContact.objects.filter(pk__in=part.get("contacts_moved", []), customer=keep).update(
        customer=drop
    )
    for field in RESTORED_ON_UNDO:
        if field in drop_profile:
            setattr(drop, field, drop_profile[field])
    drop.merged_into = None
    drop.save()
    Card.objects.filter(pk__in=part.get("cards", []), customer=keep).update(customer=drop)
    Consent.objects.filter(pk__in=part.get("consents", []), customer=keep).update(customer=drop)
    Interaction.objects.filter(pk__in=part.get("interactions", []), customer=keep).update(
        customer=drop
    )
    drop_tags = set(part.get("drop_tags", []))
    added = drop_tags - set(part.get("keep_tags", []))
    tags_set(customer=keep, tags=[t for t in customer_tags(keep) if t not in added])
    tags_set(customer=drop, tags=sorted(drop_tags))


# ------------------------------------------------------------------ reads


def merges_recent(business: Business, *, limit: int = 20) -> list[CustomerMerge]:
    return list(
        CustomerMerge.objects.for_business(business)
        .select_related("keep", "drop", "actor", "undone_by")
        .order_by("-created_at", "-id")[:limit]
    )


def merge_open_for(customer: Customer) -> CustomerMerge | None:
    """The latest merge into this customer that can still be undone."""
    since = timezone.now() - dt.timedelta(days=merge_undo_days())
    return (
        CustomerMerge.objects.for_business(customer.business_id)
        .filter(keep=customer, undone_at__isnull=True, created_at__gte=since)
        .select_related("drop")
        .order_by("-created_at", "-id")
        .first()
    )
