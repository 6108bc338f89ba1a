"""The webhooks app's side of business events: each event the services emit
(wateja.tenants.outbound) becomes a delivery for every endpoint that wants it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from wateja.webhooks.services import deliveries_create
from wateja.webhooks.wake import kickers


def listen(business_id: int, event_type: str, data: dict[str, Any], at: dt.datetime) -> None:
    """The webhooks app's listener (wateja.tenants.outbound): one delivery per endpoint that
    wants the event, then the sender is woken once the transaction commits."""
    if deliveries_create(business_id=business_id, event_type=event_type, data=data, occurred_at=at):
        transaction.on_commit(_wake)


def _wake() -> None:
    for kick in kickers:
        kick()
