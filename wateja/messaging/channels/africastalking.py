"""SMS through Africa's Talking with its Python SDK (`africastalking` 2.0.3).

The SDK's module-level `africastalking.initialize()` keeps one username/API key per process;
businesses have their own, so each channel builds its own `SMSService(username, api_key)` (the
class `initialize()` instantiates, holding nothing but its credentials and URLs) and never
touches the module globals. `config.api_base` replaces the API root the SDK computes
(``https://api.africastalking.com``, or the sandbox's for username "sandbox"); the SDK appends
``/version1`` as usual, so a local stub serves ``POST /version1/messaging``.

Send results, by the recipient's ``statusCode``: 100 Processed / 101 Sent → "sent", 102 Queued
→ "queued"; 401–409 → failed for good (405 InsufficientBalance excepted: retryable once the
account is topped up); 500–502 → retryable; HTTP errors, timeouts and connection errors →
retryable. Delivery reports and inbound SMS are AT's form callbacks (see REFERENCE.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService

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

SENT_CODES: dict[int, SendStatus] = {100: "sent", 101: "sent", 102: "queued"}
RETRYABLE_CODES = frozenset({405, 500, 501, 502})
REJECTED_CODES = frozenset({401, 402, 403, 404, 406, 407, 409})

# delivery report status → (our status, final)
REPORT_STATUSES: dict[str, tuple[DeliveryStatus, bool]] = {
    "Sent": ("sent", False),
    "Submitted": ("sent", False),
    "Buffered": ("sent", False),
    "Success": ("delivered", True),
    "Rejected": ("failed", True),
    "Failed": ("failed", True),
}


class _SMSService(SMSService):  # type: ignore[misc]  # the SDK has no types
    """The SDK's SMS service, optionally talking to another API root (regional, or a stub)."""

    def __init__(self, username: str, api_key: str, api_base: str = "") -> None:
        self._api_base = api_base.rstrip("/")
        super().__init__(username, api_key)

    def _init_service(self) -> None:
        super()._init_service()
        if self._api_base:
            self._baseUrl = self._api_base + "/version1"
            self._contentUrl = self._baseUrl


def sms_service(config: ChannelConfig) -> Any:
    """A per-business SDK SMS service (no module-level state)."""
    return _SMSService(config.username, config.api_key, config.api_base)


def _as_dict(response: Any) -> dict[str, Any]:
    """The SDK returns parsed JSON only for content type exactly application/json."""
    if isinstance(response, dict):
        return response
    try:
        parsed = json.loads(response)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def send_result_from_response(response: Any) -> SendResult:
    """Map AT's send response (one recipient) to a `SendResult`."""
    data = _as_dict(response)
    sms_data = data.get("SMSMessageData")
    if not isinstance(sms_data, dict):
        return failed(f"unexpected Africa's Talking response: {response!r:.200}", retryable=True)
    recipients = sms_data.get("Recipients") or []
    if not recipients:
        # e.g. {"Message": "InvalidSenderId", "Recipients": []}
        message = str(sms_data.get("Message") or "no recipient accepted")
        return failed(message, retryable=False, raw=data)
    recipient = recipients[0]
    try:
        code = int(recipient.get("statusCode"))
    except (TypeError, ValueError):
        code = 0
    reason = f"{code} {recipient.get('status', '')}".strip()
    if code in SENT_CODES:
        return SendResult(
            status=SENT_CODES[code],
            provider_id=str(recipient.get("messageId", "")),
            cost=str(recipient.get("cost", "")),
            raw=data,
        )
    if code in RETRYABLE_CODES:
        return failed(reason, retryable=True, raw=data)
    if code in REJECTED_CODES:
        return failed(reason, retryable=False, raw=data)
    # an unknown code may mean the SMS left: do not risk sending it twice
    return failed(f"unknown status: {reason}", retryable=False, raw=data)


class AfricasTalkingChannel:
    name = "africastalking"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        self.service = sms_service(config)

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "sms":
            return failed(f"Africa's Talking cannot send {outgoing.channel!r}", retryable=False)
        try:
            response = self.service.send(
                outgoing.body,
                [outgoing.to],
                sender_id=self.config.sender or None,
                timeout=self.config.timeout_seconds,
            )
        except ValueError as exc:  # the SDK's own phone number check
            return failed(str(exc), retryable=False)
        except requests.Timeout as exc:
            return failed(f"Africa's Talking timeout: {exc}", retryable=True)
        except requests.RequestException as exc:
            return failed(f"Africa's Talking unreachable: {exc}", retryable=True)
        except AfricasTalkingException as exc:  # any non-2xx HTTP answer; body as message
            return failed(f"Africa's Talking HTTP error: {exc}", retryable=True)
        return send_result_from_response(response)

    def parse_delivery_report(self, form: Mapping[str, str]) -> DeliveryReport:
        provider_id = required_field(form, "id")
        status_text = required_field(form, "status")
        if status_text not in REPORT_STATUSES:
            raise MalformedCallback(f"unknown delivery status {status_text!r}")
        status, final = REPORT_STATUSES[status_text]
        reason = ""
        if status == "failed":
            reason = form.get("failureReason") or status_text
        return DeliveryReport(
            provider_id=provider_id, status=status, final=final, reason=reason, raw=dict(form)
        )

    def parse_inbound(self, form: Mapping[str, str]) -> Inbound:
        from_phone = required_field(form, "from")
        to = required_field(form, "to")
        if "text" not in form:
            raise MalformedCallback("missing 'text'")
        return Inbound(
            from_phone=from_phone,
            to=to,
            text=form["text"],
            provider_id=form.get("id", ""),
            raw=dict(form),
        )
