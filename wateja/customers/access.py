"""Least privilege over the customer base: what a cashier or a viewer may read of it in bulk.

A till needs to find the customer in front of it, not to browse everyone. So a cashier or a
viewer (a key or a staff login of those roles) reads the customer base like this:

- Search first. A search by a whole card number, a whole phone number or a whole e-mail
  address finds that customer; part of a name finds names. Part of a phone number or of an
  e-mail address finds nothing: guessing digit by digit must not rebuild a number.
- Small pages: at most LIMITED_PAGE_SIZE customers a page (20: a screenful at the till, and a
  scraper needs a hundred pages for two thousand customers, each page in the audit log).
- Few fields: the name, the card, the visits and spending the till shows, and the contacts
  masked (`phone_masked`, `email_masked`): "+254 ••• 678" is enough to ask "is this your
  number?", not enough to text it. No e-mail, birthday, gender, notes or tags.

Managers and owners (who can export the whole base anyway, audited) keep the full view.

Every bulk read worth knowing about is written to the audit log as `customers.listed`:
`customers_listed_record` keeps one row per reader (staff user or API key) per minute and
counts in it the reads, the rows returned and the filters used, so a burst of reads is one
row, not thousands.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wateja.core.cards import luhn_valid, normalize_card_number
from wateja.core.contacts import (
    InvalidEmail,
    InvalidPhone,
    normalize_email,
    normalize_phone,
    phone_digits,
)
from wateja.customers.models import Card, ContactKind, Customer, CustomerContact
from wateja.customers.selectors import active_customers
from wateja.tenants.models import ApiKey, AuditEvent, Business
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.services import audit_record

LIMITED_PAGE_SIZE = 20
LISTED = "customers.listed"
AUDIT_WINDOW = dt.timedelta(minutes=1)
FILTERS_KEPT = 10  # distinct filter sets kept per audit row; the counters go on counting
MASK = "•••"


def full_view(role: str) -> bool:
    """True when `role` sees the customer base in full (manager and owner)."""
    return role_at_least(role, Role.MANAGER)


def phone_masked(phone: str) -> str:
    """A phone number with its middle hidden: "+254712345678" → "+254 ••• 678"."""
    digits = phone_digits(phone)
    if not digits:
        return ""
    if len(digits) < 7:
        return MASK
    prefix = "+" if phone.strip().startswith("+") else ""
    return f"{prefix}{digits[:3]} {MASK} {digits[-3:]}"


def email_masked(email: str) -> str:
    """An e-mail address with its mailbox hidden: "wanjiru@example.com" → "w•••@example.com"."""
    local, at, domain = email.partition("@")
    if not at:
        return MASK if email else ""
    return f"{local[:1]}{MASK}@{domain}"


def contact_masked(customer: Customer) -> str:
    """The contact a limited list shows: the masked phone, else the masked e-mail."""
    return phone_masked(customer.phone) if customer.phone else email_masked(customer.email)


def _contact_owners(business: Business, kind: str, value: str) -> Q:
    contacts = CustomerContact.objects.for_business(business).filter(
        kind=kind, removed_at__isnull=True, value=value
    )
    return Q(pk__in=contacts.values("customer_id"))


def customer_find(business: Business, query: str, limit: int = LIMITED_PAGE_SIZE) -> list[Customer]:
    """The search a cashier or viewer may run: a whole card number, a whole phone number (as
    typed at the counter, "0712 345 678"), a whole e-mail address, or part of a name. An
    exact card match comes first; at most `limit` customers, by name."""
    query = query.strip()
    if not query:
        return []
    results: list[Customer] = []
    customers = active_customers(business)
    number = normalize_card_number(query)
    if len(number) >= 8 and luhn_valid(number) and len(phone_digits(query)) == len(number):
        card = (
            Card.objects.for_business(business)
            .filter(number=number, customer__in=customers)
            .select_related("customer")
            .first()
        )
        if card is not None:
            results.append(card.customer)
    condition = Q(name__icontains=query)
    try:
        phone = normalize_phone(query, business.country)
    except InvalidPhone:
        pass
    else:
        condition |= Q(phone=phone) | _contact_owners(business, ContactKind.PHONE, phone)
    if "@" in query:
        try:
            email = normalize_email(query)
        except InvalidEmail:
            pass
        else:
            condition |= Q(email__iexact=email) | _contact_owners(
                business, ContactKind.EMAIL, email
            )
    seen = {c.pk for c in results}
    for customer in customers.filter(condition).order_by("name", "pk")[:limit]:
        if customer.pk not in seen:
            results.append(customer)
    return results[:limit]


def _plain(filters: dict[str, Any]) -> dict[str, Any]:
    return {
        str(key): value if isinstance(value, (int, float, bool)) else str(value)[:100]
        for key, value in sorted(filters.items())
        if value not in ("", None)
    }


def customers_listed_record(
    *,
    business: Business,
    channel: str,
    count: int,
    filters: dict[str, Any] | None = None,
    actor: User | AnonymousUser | None = None,
    api_key: ApiKey | None = None,
) -> AuditEvent:
    """Write down that `actor` (a staff user) or `api_key` read `count` customers of a list
    through `channel` ("api" or "web") with `filters`: in the reader's row of the last minute
    when there is one (its counters go up), else in a new row."""
    now = timezone.now()
    user = actor if actor is not None and actor.is_authenticated else None
    who: dict[str, Any] = {"api_key": api_key} if api_key is not None else {"actor": user}
    used = _plain(filters or {})
    with transaction.atomic():
        row: AuditEvent | None = (
            AuditEvent.objects.select_for_update()
            .filter(business=business, action=LISTED, at__gte=now - AUDIT_WINDOW, **who)
            .order_by("-at", "-id")
            .first()
        )
        if row is None:
            return audit_record(
                business=business,
                action=LISTED,
                object_type="customer_list",
                object_id=channel,
                actor=user,
                api_key=api_key,
                details={
                    "channel": channel,
                    "reads": 1,
                    "rows": count,
                    "filters": [used],
                    "last_at": now.isoformat(),
                },
            )
        details = dict(row.details)
        details["reads"] = int(details.get("reads", 0)) + 1
        details["rows"] = int(details.get("rows", 0)) + count
        seen = list(details.get("filters", []))
        if used not in seen and len(seen) < FILTERS_KEPT:
            seen.append(used)
        details["filters"] = seen
        details["last_at"] = now.isoformat()
        row.details = details
        row.save(update_fields=["details"])
        return row
