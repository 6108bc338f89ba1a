"""A customer's data sent to the business's webhook endpoints, in their data export (who got
what, when) and in their erasure (customers.privacy calls these through customers.hooks).

A delivery is theirs when its event names one of their records (`customer_id`, or a
`customer` object's `id`) or carries one of their phones, e-mails or card numbers. Erasure
keeps the event's id, type and time (the endpoint's log and counts) and empties its data and
the receiver's answer, so a replay can never send their data again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from wateja.customers.models import Customer
from wateja.customers.privacy import Reach, customer_reach
from wateja.webhooks.models import Delivery

CHUNK = 500


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, key)
    else:
        yield key, value


def _names(data: Any, reach: Reach) -> bool:
    """Whether an event's data names one of the person's records or carries their contacts."""
    customer = data.get("customer") if isinstance(data, dict) else None
    if isinstance(customer, dict) and customer.get("id") in reach.ids:
        return True
    return any(
        (key == "customer_id" and value in reach.ids)
        or (isinstance(value, str) and reach.mentions(value))
        for key, value in _leaves(data)
    )


def _theirs(customer: Customer, reach: Reach) -> list[Delivery]:
    rows = Delivery.objects.filter(business_id=customer.business_id).select_related("endpoint")
    return [d for d in rows.iterator(chunk_size=CHUNK) if _names(d.payload.get("data"), reach)]


def webhooks_export(customer: Customer) -> tuple[str, Any]:
    """The events about the person sent to other systems: when, what, and to which address."""
    reach = customer_reach(customer)
    return (
        "sent_to_other_systems",
        [
            {
                "at": d.created_at.isoformat(),
                "event": d.event_type,
                "recipient": urlsplit(d.endpoint.url).hostname or "",
                "status": d.status,
                "data": d.payload.get("data"),
                "answer": d.last_response,
                "error": d.last_error,
            }
            for d in sorted(_theirs(customer, reach), key=lambda d: (d.created_at, d.pk))
        ],
    )


def webhooks_erase(customer: Customer) -> None:
    """Called for the erased record and each record merged into it (inside the erasure's
    transaction)."""
    reach = customer_reach(customer)
    for delivery in _theirs(customer, reach):
        payload = {**delivery.payload, "data": {"erased": True}}
        Delivery.objects.filter(pk=delivery.pk).update(
            payload=payload, last_response="", last_error=""
        )
