"""Development channel: records what would have been sent and sends nothing.

Every send succeeds with provider id ``outbox-<message_id>``; the last sends are kept in memory
(`outbox_sent()`, `outbox_clear()`) and logged. Callbacks use a simple form so the demo and tests
can simulate them: a delivery report is ``id`` + ``status`` (sent / delivered / failed, optional
``reason``), an inbound SMS is ``from`` + ``text`` (optional ``to``, ``id``).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping

from wateja.messaging.channels.base import (
    ChannelConfig,
    DeliveryReport,
    DeliveryStatus,
    Inbound,
    MalformedCallback,
    Outgoing,
    SendResult,
    required_field,
)

logger = logging.getLogger(__name__)

KEEP_LAST = 1000
_sent: deque[Outgoing] = deque(maxlen=KEEP_LAST)
_lock = threading.Lock()

# status in the form → (status, final)
_STATUSES: dict[str, tuple[DeliveryStatus, bool]] = {
    "sent": ("sent", False),
    "delivered": ("delivered", True),
    "failed": ("failed", True),
}


def outbox_sent() -> list[Outgoing]:
    """The messages this process 'sent' through the outbox channel, oldest first."""
    with _lock:
        return list(_sent)


def outbox_clear() -> None:
    with _lock:
        _sent.clear()


class OutboxChannel:
    name = "outbox"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def send(self, outgoing: Outgoing) -> SendResult:
        with _lock:
            _sent.append(outgoing)
        logger.info(
            "outbox: %s message %s to %s recorded, not sent",
            outgoing.channel,
            outgoing.message_id,
            outgoing.to,
        )
        return SendResult(status="sent", provider_id=f"outbox-{outgoing.message_id}")

    def parse_delivery_report(self, form: Mapping[str, str]) -> DeliveryReport:
        provider_id = required_field(form, "id")
        status = required_field(form, "status").lower()
        if status not in _STATUSES:
            raise MalformedCallback(f"unknown status {status!r}")
        delivery_status, final = _STATUSES[status]
        return DeliveryReport(
            provider_id=provider_id,
            status=delivery_status,
            final=final,
            reason=form.get("reason", ""),
            raw=dict(form),
        )

    def parse_inbound(self, form: Mapping[str, str]) -> Inbound:
        from_phone = required_field(form, "from")
        if "text" not in form:
            raise MalformedCallback("missing 'text'")
        return Inbound(
            from_phone=from_phone,
            to=form.get("to", ""),
            text=form["text"],
            provider_id=form.get("id", ""),
            raw=dict(form),
        )
