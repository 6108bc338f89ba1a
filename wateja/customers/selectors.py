"""Reads of the customer base: search, consent state, timeline, tasks, likely duplicates."""

from __future__ import annotations

import json
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet

from wateja.core.cards import luhn_valid, normalize_card_number
from wateja.core.contacts import phone_digits
from wateja.customers.duplicates import duplicate_candidates as duplicate_candidates
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


#: the most rows a list counts exactly; beyond it says "about N" (PostgreSQL's estimate)
COUNT_CAP = 10_000


def count_capped(queryset: QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """How many rows, counting at most `cap` (COUNT_CAP) + 1 of them: (count, more than
    `cap`). The database stops after cap + 1 index entries, whatever the size of the base."""
    cap = COUNT_CAP if cap is None else cap
    found = queryset.order_by().values("pk")[: cap + 1].count()
    return min(found, cap), found > cap


def count_estimate(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's planner estimate of the rows of `queryset` (from the table statistics
    ANALYZE keeps; no row is read), or None on another database."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


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
