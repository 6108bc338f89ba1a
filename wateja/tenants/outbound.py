"""Business events that other systems may want to hear of (customer.created, order.committed,
order.refunded, tier.changed, code.redeemed, consent.changed, points.expiring).

The apps where these happen sit below the webhooks app and cannot import it, so they call
`event_emit`, and the webhooks app registers its listener here from its AppConfig.ready().
The listener runs inside the caller's transaction: an event exists exactly when what it
reports was committed. Explicit calls, not signals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

Listener = Callable[[int, str, dict[str, Any], dt.datetime], None]

listeners: list[Listener] = []


def register(listener: Listener) -> None:
    if listener not in listeners:
        listeners.append(listener)


def event_emit(
    *, business_id: int, event_type: str, data: dict[str, Any], at: dt.datetime | None = None
) -> None:
    when = at or timezone.now()
    for listener in listeners:
        listener(business_id, event_type, data, when)
