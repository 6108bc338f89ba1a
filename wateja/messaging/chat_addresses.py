"""Where a chat-app message goes and whether WhatsApp lets free text go: read by the outbox
when it decides and by the worker when it sends (linking chats is in messengers.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from wateja.messaging.models import InboundMessage, MessengerContact
from wateja.tenants.models import Business

WINDOW = dt.timedelta(hours=24)  # WhatsApp: free-form messages only this long after theirs


def messenger_addresses(
    business: Business | int, customer_ids: Iterable[int]
) -> dict[tuple[int, str], str]:
    """(customer id, chat app) → the linked chat's address, for a batch, in one query."""
    business_id = business if isinstance(business, int) else business.pk
    addresses: dict[tuple[int, str], str] = {}
    rows = (
        MessengerContact.objects.filter(
            business_id=business_id, customer_id__in=list(customer_ids), unlinked_at__isnull=True
        )
        .order_by("linked_at", "id")
        .values_list("customer_id", "channel", "external_id")
    )
    for customer_id, channel, external_id in rows:
        addresses[(customer_id, channel)] = external_id
    return addresses


def window_open(
    business_id: int, customer_id: int | None, channel: str, now: dt.datetime, address: str = ""
) -> bool:
    """WhatsApp: did the customer write within the last 24 hours (free text may go)? For
    someone with no card (the answer to a stranger), did that chat (`address`) write?"""
    if customer_id is None:
        wrote = InboundMessage.objects.filter(
            business_id=business_id,
            channel=channel,
            from_phone=address[:64],
            received_at__gt=now - WINDOW,
        )
        return bool(address) and wrote.exists()
    return MessengerContact.objects.filter(
        business_id=business_id,
        customer_id=customer_id,
        channel=channel,
        last_inbound_at__gt=now - WINDOW,
    ).exists()
