"""The one interface every sending channel implements, and the value objects it speaks.

The outbox worker builds an `Outgoing` from a Message row, asks `channel_for(config)` for the
business's provider and calls `send()`. A channel never raises for a provider problem: it
returns a `SendResult` saying whether the attempt may be retried. Provider callbacks (delivery
reports, inbound SMS) are parsed by the same channel into `DeliveryReport` / `Inbound`, or
refused with `MalformedCallback` (the view answers 400 and logs it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

SendStatus = Literal["sent", "queued", "failed"]
DeliveryStatus = Literal["sent", "delivered", "failed"]


class MalformedCallback(ValueError):
    """A provider callback (delivery report, inbound SMS) is missing fields or has bad ones."""


@dataclass(frozen=True)
class ChannelConfig:
    """Where and how one business sends. Secrets come from the business's messaging settings
    (kept in the database, never in the repository); `api_base` points an SDK elsewhere
    (a provider's regional endpoint, or the local stub the tests start)."""

    provider: str  # "outbox" | "smtp" | "africastalking" | "twilio" | "whatsapp" | …
    # e-mail From, AT sender id / short code, Twilio "from" number, WhatsApp phone number id,
    # Viber bot name
    sender: str = ""
    username: str = ""  # Africa's Talking username ("sandbox" for its sandbox)
    api_key: str = ""  # Africa's Talking API key
    account_sid: str = ""  # Twilio
    auth_token: str = ""  # Twilio; the WhatsApp access token, Telegram or Viber bot token
    api_base: str = ""
    callback_url: str = ""  # delivery-report URL the provider should call (Twilio per message)
    timeout_seconds: float = 15.0


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    channel: str  # "sms" | "email" | "whatsapp" | "telegram" | "viber"
    to: str  # E.164 phone, e-mail address, or the chat app's id (MessengerContact.external_id)
    body: str  # SMS text, or the e-mail's plain-text part
    subject: str = ""
    html: str = ""  # e-mail HTML part
    sender_name: str = ""  # e-mail display name (the business)
    reply_to: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe
    # WhatsApp: within 24 hours of the customer's last message free text may go; outside it
    # only the approved template in `payload` ({"template", "language", "params"})
    window_open: bool = False
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    provider_id: str = ""  # provider's message id, matched by delivery reports
    error: str = ""  # human reason when failed
    retryable: bool = False  # timeouts, 5xx, rate limits: try again later
    cost: str = ""  # provider's own cost text, e.g. "KES 0.8000"
    raw: Mapping[str, Any] = field(default_factory=dict)  # provider response, for the log


@dataclass(frozen=True)
class DeliveryReport:
    provider_id: str
    status: DeliveryStatus
    final: bool  # no later report will change it
    reason: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Inbound:
    """An SMS a customer sent to the business's number or short code, or a chat message to
    its bot (`from_phone` is then the chat app's user id)."""

    from_phone: str
    to: str
    text: str
    provider_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def send(self, outgoing: Outgoing) -> SendResult: ...

    def parse_delivery_report(self, form: Mapping[str, str]) -> DeliveryReport: ...

    def parse_inbound(self, form: Mapping[str, str]) -> Inbound: ...


def failed(error: str, *, retryable: bool, raw: Mapping[str, Any] | None = None) -> SendResult:
    """A failed attempt; `retryable` says whether the worker may try again later."""
    return SendResult(status="failed", error=error, retryable=retryable, raw=dict(raw or {}))


def required_field(form: Mapping[str, str], key: str) -> str:
    """A callback field that must be present and non-blank, else MalformedCallback."""
    value = (form.get(key) or "").strip()
    if not value:
        raise MalformedCallback(f"missing {key!r}")
    return value
