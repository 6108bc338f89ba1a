"""Viber bot (REST bot API, https://chatapi.viber.com): sending text to a subscriber, setting
the bot's webhook, and reading the callbacks Viber signs.

Every request carries the bot's auth token in the header ``X-Viber-Auth-Token``. Viber answers
HTTP 200 with a JSON ``status``: 0 is ok (``send_message`` then gives the ``message_token``
its delivery callbacks name), anything else an error (`STATUSES`). Only 12 tooManyRequests is
worth another try, like timeouts, connection errors, HTTP 429 and 5xx; the rest fail for good
and the worker sends the SMS fallback. `config.api_base` replaces https://chatapi.viber.com
(the local stub the tests start).

Callbacks: ``X-Viber-Content-Signature`` is the hex HMAC-SHA256 of the raw body keyed with the
auth token (`signature_valid`); `parse_event` turns the body into a `ViberEvent`, and
`delivery_report` a delivered / seen / failed event into a `DeliveryReport`. What each event
does is in `wateja.messaging.viber_events`. Viber retries a callback until it gets 200.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from wateja.core.errors import DomainError
from wateja.customers.links import public_url
from wateja.messaging.channels.base import (
    ChannelConfig,
    DeliveryReport,
    Inbound,
    MalformedCallback,
    Outgoing,
    SendResult,
    failed,
)
from wateja.messaging.models import MessagingSettings

API_BASE = "https://chatapi.viber.com"
MAX_TEXT = 7000  # characters in one text message
MAX_SENDER_NAME = 28
MAX_CONTEXT = 1000  # what we keep of a deep link's context; our link codes are 32 characters
WEBHOOK_EVENTS = ("delivered", "seen", "failed", "subscribed", "unsubscribed",
                  "conversation_started")  # fmt: skip

# status → (Viber's name, what it means for whoever reads the message's error)
STATUSES: dict[int, tuple[str, str]] = {
    1: ("invalidUrl", "the webhook address is not valid"),
    2: ("invalidAuthToken", "the bot's auth token is wrong"),
    3: ("badData", "Viber could not read the request"),
    4: ("missingData", "a required field is missing"),
    5: ("receiverNotRegistered", "the receiver is not on Viber"),
    6: ("receiverNotSubscribed", "the receiver is not subscribed to the bot"),
    7: ("publicAccountBlocked", "the bot is blocked"),
    8: ("publicAccountNotFound", "the bot was not found"),
    9: ("publicAccountSuspended", "the bot is suspended"),
    10: ("webhookNotSet", "the bot's webhook is not set: Viber sends nothing until it is"),
    11: ("receiverNoSuitableDevice", "the receiver's device cannot show bot messages"),
    12: ("tooManyRequests", "too many requests: try again later"),
    13: ("apiVersionNotSupported", "the receiver's Viber is too old for this message"),
}
RETRYABLE_STATUSES = frozenset({12})


def status_reason(status: int, message: str = "") -> str:
    """A clear reason for a Viber error status: "Viber 6 receiverNotSubscribed: …"."""
    name, meaning = STATUSES.get(status, (message or "generalError", "Viber refused the request"))
    return f"Viber {status} {name}: {meaning}"


def _url(api_base: str, endpoint: str) -> str:
    return f"{(api_base or API_BASE).rstrip('/')}/pa/{endpoint}"


def _post(url: str, auth_token: str, payload: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """POST JSON with the auth token; the decoded answer. Raises urllib's errors, TimeoutError
    and ValueError (an answer that is not a JSON object) for the caller to map."""
    request = urllib.request.Request(  # noqa: S310 (api_base is the settings' http(s) address)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"X-Viber-Auth-Token": auth_token, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        data = json.load(response)
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    return data


def text_message(text: str, sender_name: str, tracking_data: str = "") -> dict[str, Any]:
    """A ``send_message`` body without the receiver: also the welcome message a bot answers a
    ``conversation_started`` callback with."""
    body: dict[str, Any] = {
        "min_api_version": 1,
        "sender": {"name": sender_name[:MAX_SENDER_NAME]},
        "type": "text",
        "text": text,
    }
    if tracking_data:
        body["tracking_data"] = tracking_data
    return body


def result_from_answer(data: Mapping[str, Any]) -> SendResult:
    """Map Viber's answer to ``send_message`` to a `SendResult`."""
    raw = dict(data)
    try:
        status = int(data.get("status", -1))
    except (TypeError, ValueError):
        status = -1
    if status == 0 and data.get("message_token") not in (None, ""):
        return SendResult(status="sent", provider_id=str(data["message_token"]), raw=raw)
    if status == 0:  # ok without a token: it may have gone, so never send it twice
        return failed("Viber answered ok without a message token", retryable=False, raw=raw)
    reason = status_reason(status, str(data.get("status_message") or ""))
    return failed(reason, retryable=status in RETRYABLE_STATUSES, raw=raw)


class ViberChannel:
    name = "viber"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "viber":
            return failed(f"Viber cannot send {outgoing.channel!r}", retryable=False)
        if not outgoing.to:
            return failed("no Viber chat to send to", retryable=False)
        if len(outgoing.body) > MAX_TEXT:
            return failed(f"the text is longer than Viber's {MAX_TEXT} characters", retryable=False)
        sender = (self.config.sender or outgoing.sender_name).strip()
        if not sender:
            return failed("the Viber bot's name is not set in the settings", retryable=False)
        payload = {
            "receiver": outgoing.to,
            **text_message(outgoing.body, sender, str(outgoing.message_id)),
        }
        url = _url(self.config.api_base, "send_message")
        try:
            data = _post(url, self.config.auth_token, payload, self.config.timeout_seconds)
        except urllib.error.HTTPError as error:
            retry = error.code == 429 or error.code >= 500
            return failed(f"Viber HTTP {error.code} {error.reason}", retryable=retry)
        except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as error:
            return failed(f"Viber unreachable: {error!r}", retryable=True)
        except ValueError as error:  # a 200 we cannot read: it may have gone, do not resend
            return failed(f"unexpected Viber answer: {error}", retryable=False)
        return result_from_answer(data)

    def parse_delivery_report(self, form: Mapping[str, str]) -> DeliveryReport:
        raise MalformedCallback("Viber reports by JSON callbacks: use parse_event")

    def parse_inbound(self, form: Mapping[str, str]) -> Inbound:
        raise MalformedCallback("Viber messages come by JSON callbacks: use parse_event")


# ---------------------------------------------------------------------------------------------
# Setting the webhook


class ViberError(DomainError):
    """Viber refused a request about the bot itself (setting the webhook), or was unreachable."""

    code = "viber_error"
    status = 502


def viber_set_webhook(row: MessagingSettings, *, timeout: float = 15.0) -> str:
    """Point the business's bot at its callback address (Viber checks it at once by calling it
    with a "webhook" event); returns Viber's status message ("ok"). Raises DomainError
    `viber_not_configured` without a token, ViberError when Viber refuses or is unreachable."""
    if not row.viber_auth_token:
        raise DomainError(_("Enter the Viber bot's token first."), code="viber_not_configured")
    payload = {
        "url": public_url(f"/hooks/{row.hook_token}/viber/"),
        "event_types": list(WEBHOOK_EVENTS),
        "send_name": False,
        "send_photo": False,
    }
    try:
        data = _post(
            _url(row.viber_api_base, "set_webhook"), row.viber_auth_token, payload, timeout
        )
    except urllib.error.HTTPError as error:
        raise ViberError(
            _("Viber refused the request (HTTP %(status)s).") % {"status": error.code}
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException,
            ValueError) as error:  # fmt: skip
        raise ViberError(_("Viber could not be reached: %(error)s") % {"error": error}) from error
    try:
        status = int(data.get("status", -1))
    except (TypeError, ValueError):
        status = -1
    said = str(data.get("status_message") or "")
    if status != 0:
        raise ViberError(
            _("Viber refused the webhook: %(reason)s") % {"reason": status_reason(status, said)},
            details={"status": status, "status_message": said},
        )
    return said or "ok"


# ---------------------------------------------------------------------------------------------
# Callbacks


def signature_valid(auth_token: str, body: bytes, signature: str) -> bool:
    """Whether ``X-Viber-Content-Signature`` is the hex HMAC-SHA256 of the raw body keyed with
    the bot's auth token (compared in constant time)."""
    if not auth_token or not signature:
        return False
    expected = hmac.new(auth_token.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


@dataclass(frozen=True)
class ViberEvent:
    """One callback: `event` is Viber's name for it ("message", "conversation_started",
    "delivered", …); `user_id` the subscriber it is about (``user.id``, ``sender.id`` or
    ``user_id`` depending on the event)."""

    event: str
    message_token: str = ""
    user_id: str = ""
    user_name: str = ""
    text: str = ""  # message: its text (a picture's caption too)
    message_type: str = ""  # message: "text", "picture", "sticker", …
    context: str = ""  # conversation_started: the deep link's context
    subscribed: bool = False  # conversation_started: already a subscriber
    desc: str = ""  # failed: why
    raw: Mapping[str, Any] = field(default_factory=dict)


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _user(data: Mapping[str, Any], key: str) -> tuple[str, str]:
    user = data.get(key)
    if not isinstance(user, dict) or not _text(user.get("id"), 64):
        raise MalformedCallback(f"missing {key}.id")
    return str(user["id"]), _text(user.get("name"), 100)


def _token(data: Mapping[str, Any]) -> str:
    token = data.get("message_token")
    if isinstance(token, bool) or not isinstance(token, (int, str)) or str(token) == "":
        raise MalformedCallback("missing message_token")
    return str(token)


def parse_event(body: bytes) -> ViberEvent:
    """A callback's body as a `ViberEvent`; MalformedCallback when it is not JSON or lacks
    what its event needs. An event we do not use ("action", "client_status", …) comes back
    with only its name: it is acknowledged and ignored."""
    try:
        data = json.loads(body)
    except ValueError:
        raise MalformedCallback("the body is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise MalformedCallback("missing event")
    event = data["event"]
    if event == "message":
        user_id, name = _user(data, "sender")
        message = data.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise MalformedCallback("missing message.type")
        return ViberEvent(
            event=event,
            message_token=_token(data),
            user_id=user_id,
            user_name=name,
            text=_text(message.get("text"), MAX_TEXT),
            message_type=message["type"],
            raw=data,
        )
    if event == "conversation_started":
        user_id, name = _user(data, "user")
        return ViberEvent(
            event=event,
            message_token=str(data.get("message_token") or ""),
            user_id=user_id,
            user_name=name,
            context=_text(data.get("context"), MAX_CONTEXT).strip(),
            subscribed=data.get("subscribed") is True,
            raw=data,
        )
    if event == "subscribed":
        user_id, name = _user(data, "user")
        return ViberEvent(event=event, user_id=user_id, user_name=name, raw=data)
    if event in ("unsubscribed", "delivered", "seen", "failed"):
        user_id = _text(data.get("user_id"), 64)
        if not user_id:
            raise MalformedCallback("missing user_id")
        token = _token(data) if event != "unsubscribed" else str(data.get("message_token") or "")
        return ViberEvent(
            event=event,
            message_token=token,
            user_id=user_id,
            desc=_text(data.get("desc"), 500),
            raw=data,
        )
    return ViberEvent(event=event, raw=data)


def delivery_report(event: ViberEvent) -> DeliveryReport:
    """A delivered or seen event: delivered (final); failed: a final failure, Viber's `desc`
    as the reason."""
    if event.event == "failed":
        reason = f"Viber: {event.desc}" if event.desc else "Viber: failed"
        return DeliveryReport(
            provider_id=event.message_token,
            status="failed",
            final=True,
            reason=reason,
            raw=dict(event.raw),
        )
    if event.event in ("delivered", "seen"):
        return DeliveryReport(
            provider_id=event.message_token, status="delivered", final=True, raw=dict(event.raw)
        )
    raise MalformedCallback(f"{event.event!r} is not a delivery report")
