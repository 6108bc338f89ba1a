"""Reads of the customer base: search, consent state, timeline, tasks, likely duplicates."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet

from wateja.core.cards import luhn_valid, normalize_card_number
from wateja.core.contacts import name_similarity, phone_digits
from wateja.customers.models import (
    Card,
    Consent,
    ContactKind,
    Customer,
    CustomerContact,
    Interaction,
    InteractionKind,
    TaskStatus,
)
from wateja.tenants.models import Business


def active_customers(business: Business) -> QuerySet[Customer]:
    return Customer.objects.for_business(business).filter(
        erased_at__isnull=True, merged_into__isnull=True
    )


def _with_contact(business: Business, kind: str, **lookup: str) -> Q:
    """Customers with an active extra contact (kept from a merge) matching `lookup`."""
    contacts = CustomerContact.objects.for_business(business).filter(
        kind=kind, removed_at__isnull=True, **lookup
    )
    return Q(pk__in=contacts.values("customer_id"))


def customer_search(business: Business, query: str, limit: int = 20) -> list[Customer]:
    """One search box: a card number (scanned or typed), part of a phone number, or part of a
    name, e-mail or city. An exact card match comes first."""
    query = query.strip()
    if not query:
        return []
    customers = active_customers(business)
    digits = phone_digits(query)
    results: list[Customer] = []
    card_number = normalize_card_number(query)
    if len(card_number) >= 8 and luhn_valid(card_number) and len(digits) == len(card_number):
        card = (
            Card.objects.for_business(business)
            .filter(number=card_number)
            .select_related("customer")
            .first()
        )
        if card and card.customer.is_active:
            results.append(card.customer)
    condition = Q(name__icontains=query) | Q(email__icontains=query) | Q(city__iexact=query)
    if "@" in query:
        condition |= _with_contact(business, ContactKind.EMAIL, value__icontains=query)
    if len(digits) >= 3 and len(digits) >= len(query.replace(" ", "").replace("+", "")) - 2:
        # "0712 345" typed in Kenya: drop the trunk zero and match inside the E.164 number
        inside = digits.lstrip("0") or digits
        condition |= Q(phone__contains=inside)
        condition |= _with_contact(business, ContactKind.PHONE, value__contains=inside)
    seen = {c.pk for c in results}
    for customer in customers.filter(condition).order_by("name", "pk")[:limit]:
        if customer.pk not in seen:
            results.append(customer)
    return results[:limit]


def card_lookup(business: Business, number: str) -> Card | None:
    return (
        Card.objects.for_business(business)
        .filter(number=normalize_card_number(number))
        .select_related("customer")
        .first()
    )


def consent_state(customer: Customer) -> dict[tuple[str, str], Consent]:
    """The latest consent record per (channel, purpose)."""
    state: dict[tuple[str, str], Consent] = {}
    for consent in Consent.objects.filter(customer=customer).order_by("recorded_at", "id"):
        state[(consent.channel, consent.purpose)] = consent
    return state


def has_consent(customer: Customer, channel: str, purpose: str = "marketing") -> bool:
    latest = (
        Consent.objects.filter(customer=customer, channel=channel, purpose=purpose)
        .order_by("-recorded_at", "-id")
        .first()
    )
    return bool(latest and latest.granted)


def timeline(customer: Customer, limit: int = 200) -> QuerySet[Interaction]:
    return (
        Interaction.objects.filter(customer=customer)
        .select_related("owner", "created_by")
        .order_by("-occurred_at", "-id")[:limit]
    )


def open_tasks(business: Business, owner_id: int | None = None) -> QuerySet[Interaction]:
    """Complaints and service requests not yet resolved, soonest due first."""
    tasks = (
        Interaction.objects.for_business(business)
        .filter(
            kind__in=[InteractionKind.COMPLAINT, InteractionKind.SERVICE_REQUEST],
            status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS],
        )
        .select_related("customer", "owner")
    )
    if owner_id is not None:
        tasks = tasks.filter(owner_id=owner_id)
    return tasks.order_by("due_at", "occurred_at")


UNSURE = 0.5  # the score of a pair whose contacts disagree


def _differ(a: dict[str, Any], b: dict[str, Any], field: str) -> bool:
    return bool(a[field] and b[field] and a[field] != b[field])


def duplicate_candidates(
    business: Business, *, threshold: float = 0.85, limit: int = 100
) -> list[dict[str, Any]]:
    """Likely duplicates: the same national phone number under another country code, and
    similar names in the same city (compared in blocks of one city and the first letter of
    the name key, so it stays near-linear)."""
    pairs: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()

    def add(a: dict[str, Any], b: dict[str, Any], reason: str, score: float) -> None:
        key = (min(a["id"], b["id"]), max(a["id"], b["id"]))
        if key not in seen:
            seen.add(key)
            pairs.append({"a": key[0], "b": key[1], "reason": reason, "score": round(score, 2)})

    rows: list[dict[str, Any]] = [
        dict(row)
        for row in active_customers(business).values(
            "id", "name", "name_key", "city", "phone", "email"
        )
    ]
    by_phone_tail: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_block: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    by_id = {row["id"]: row for row in rows}
    extra_phones = CustomerContact.objects.for_business(business).filter(
        kind=ContactKind.PHONE, removed_at__isnull=True
    )
    for customer_id, value in extra_phones.values_list("customer_id", "value"):
        if customer_id in by_id:
            by_phone_tail[value[-9:]].append(by_id[customer_id])
    for row in rows:
        if row["phone"]:
            by_phone_tail[row["phone"][-9:]].append(row)
        if row["name_key"]:
            by_block[(row["city"].casefold(), row["name_key"][:1])].append(row)
    for group in by_phone_tail.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a["id"] != b["id"]:
                    add(a, b, "same_phone", 1.0)
    for group in by_block.values():
        group.sort(key=lambda r: r["name_key"])
        for i, a in enumerate(group):
            for b in group[i + 1 : i + 30]:
                score = name_similarity(a["name"], b["name"])
                if score >= threshold:
                    if _differ(a, b, "phone") or _differ(a, b, "email"):
                        # two people can share a name in a city: with different phones or
                        # e-mails the pair is only a guess, never offered as certain
                        add(a, b, "similar_name_other_contact", min(score, UNSURE))
                    else:
                        add(a, b, "similar_name_same_city", score)
        if len(pairs) >= limit * 4:
            break
    pairs.sort(key=lambda p: (-p["score"], p["a"], p["b"]))
    return pairs[:limit]


def customer_identify(
    business: Business,
    *,
    customer_id: int | None = None,
    card: str = "",
    phone: str = "",
) -> Customer | None:
    """The customer a till names by id, scanned/typed card number or phone number; None when
    nothing is given (an anonymous sale). NotFound when something is given but matches no one."""
    from django.utils.translation import gettext as _

    from wateja.core.contacts import InvalidPhone, normalize_phone
    from wateja.core.errors import NotFound

    found: Customer | None = None
    if customer_id is not None:
        found = active_customers(business).filter(pk=customer_id).first()
    elif card:
        match = card_lookup(business, card)
        found = match.customer if match and match.status == "active" else None
    elif phone:
        try:
            number = normalize_phone(phone, business.country)
        except InvalidPhone:
            found = None
        else:
            # the profile's phone first, else one kept from a merged record
            found = active_customers(business).filter(phone=number).first() or (
                active_customers(business)
                .filter(_with_contact(business, ContactKind.PHONE, value=number))
                .first()
            )
    else:
        return None
    if found is None or not found.is_active:
        raise NotFound(_("No customer matches."), code="customer_not_found")
    return found
