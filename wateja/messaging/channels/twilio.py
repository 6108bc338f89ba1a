"""SMS through Twilio with its Python SDK (`twilio` 9).

Each channel builds its own `twilio.rest.Client(account_sid, auth_token)` with a
`TwilioHttpClient(timeout=config.timeout_seconds)`. `config.api_base` replaces the Api domain's
base URL (``https://api.twilio.com``: `client.api.base_url`), so a local stub serves
``POST /2010-04-01/Accounts/<sid>/Messages.json``; region/edge rewriting is switched off then.
`config.sender` is the "from" number, or a Messaging Service SID (``MG…``).

Send results: the created Message's status (queued/accepted/scheduled → "queued",
sending/sent → "sent"). `TwilioRestException`: 429 and 5xx are retryable, so is 401 (the
business's credentials are wrong: fixable, and not the message's fault); other 4xx (21211
invalid 'To', 21610 unsubscribed recipient, …) fail for good. Timeouts and connection errors
are retryable. Status callbacks and inbound SMS are Twilio's webhook forms;
`twilio_signature_valid()` checks their X-Twilio-Signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from wateja.messaging.channels.base import (
    ChannelConfig,
    DeliveryReport,
    DeliveryStatus,
    Inbound,
    MalformedCallback,
    Outgoing,
    SendResult,
    SendStatus,
    failed,
    required_field,
)

# status of the Message resource returned by create → our send status
CREATED_STATUSES: dict[str, SendStatus] = {
    "queued": "queued",
    "accepted": "queued",
    "scheduled": "queued",
    "sending": "sent",
    "sent": "sent",
    "delivered": "sent",
}

# MessageStatus in a status callback → (our status, final)
CALLBACK_STATUSES: dict[str, tuple[DeliveryStatus, bool]] = {
    "accepted": ("sent", False),
    "scheduled": ("sent", False),
    "queued": ("sent", False),
    "sending": ("sent", False),
    "sent": ("sent", False),
    "delivered": ("delivered", True),
    "read": ("delivered", True),
    "undelivered": ("failed", True),
    "failed": ("failed", True),
    "canceled": ("failed", True),
}


def twilio_client(config: ChannelConfig) -> Any:
    """A per-business SDK client, pointed at `config.api_base` when set."""
    client = Client(
        config.account_sid,
        config.auth_token,
        http_client=TwilioHttpClient(timeout=config.timeout_seconds),
    )
    if config.api_base:
        client.api.base_url = config.api_base.rstrip("/")
        client.edge = None  # TWILIO_EDGE / TWILIO_REGION would rewrite the host name
        client.region = None
    return client


def twilio_signature_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str
) -> bool:
    """Whether a webhook's X-Twilio-Signature header is Twilio's for this URL and form."""
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def _status_retryable(status: int) -> bool:
    return status in (401, 429) or status >= 500


def error_result(exc: TwilioException) -> SendResult:
    """Map an SDK exception for an HTTP error answer to a failed `SendResult`."""
    if isinstance(exc, TwilioRestException):
        raw = {"status": exc.status, "code": exc.code, "message": exc.msg}
        error = f"Twilio {exc.code}: {exc.msg}"
        return failed(error, retryable=_status_retryable(int(exc.status)), raw=raw)
    if isinstance(exc, TwilioServiceException):
        raw = {"status": exc.status, "code": exc.code, "title": exc.title, "detail": exc.detail}
        error = f"Twilio {exc.code}: {exc.title} {exc.detail or ''}".strip()
        return failed(error, retryable=_status_retryable(int(exc.status)), raw=raw)
    return failed(f"Twilio error: {exc}", retryable=True)


def _message_raw(message: Any) -> dict[str, Any]:
    fields = ("sid", "status", "to", "from_", "price", "price_unit", "error_code", "num_segments")
    return {name: getattr(message, name, None) for name in fields}


def result_from_message(message: Any) -> SendResult:
    """Map the Message resource Twilio created to a `SendResult`."""
    raw = _message_raw(message)
    status = str(message.status or "")
    if status in CREATED_STATUSES:
        cost = f"{message.price_unit} {message.price}" if message.price else ""
        return SendResult(
            status=CREATED_STATUSES[status], provider_id=str(message.sid), cost=cost, raw=raw
        )
    reason = f"{status} {message.error_code or ''} {message.error_message or ''}".strip()
    return failed(f"Twilio: {reason}", retryable=False, raw=raw)


class TwilioChannel:
    name = "twilio"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        self.client = twilio_client(config)

    def _sender(self) -> dict[str, str]:
        sender = self.config.sender
        if sender.startswith("MG"):
            return {"messaging_service_sid": sender}
        return {"from_": sender}

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "sms":
            return failed(f"Twilio cannot send {outgoing.channel!r}", retryable=False)
        options: dict[str, str] = self._sender()
        if self.config.callback_url:
            options["status_callback"] = self.config.callback_url
        try:
            message = self.client.messages.create(to=outgoing.to, body=outgoing.body, **options)
        except TwilioException as exc:
            return error_result(exc)
        except requests.Timeout as exc:
            return failed(f"Twilio timeout: {exc}", retryable=True)
        except requests.RequestException as exc:
            return failed(f"Twilio unreachable: {exc}", retryable=True)
        return result_from_message(message)

    def parse_delivery_report(self, form: Mapping[str, str]) -> DeliveryReport:
        provider_id = required_field(form, "MessageSid")
        status_text = required_field(form, "MessageStatus").lower()
        if status_text not in CALLBACK_STATUSES:
            raise MalformedCallback(f"unknown MessageStatus {status_text!r}")
        status, final = CALLBACK_STATUSES[status_text]
        reason = ""
        if status == "failed":
            code = form.get("ErrorCode", "")
            reason = f"{status_text} {code}".strip() if code else status_text
        return DeliveryReport(
            provider_id=provider_id, status=status, final=final, reason=reason, raw=dict(form)
        )

    def parse_inbound(self, form: Mapping[str, str]) -> Inbound:
        from_phone = required_field(form, "From")
        to = required_field(form, "To")
        provider_id = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
        if not provider_id:
            raise MalformedCallback("missing 'MessageSid'")
        if "Body" not in form:
            raise MalformedCallback("missing 'Body'")
        return Inbound(
            from_phone=from_phone, to=to, text=form["Body"], provider_id=provider_id, raw=dict(form)
        )
