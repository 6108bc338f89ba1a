"""WhatsApp through Meta's Cloud API (Graph API over HTTPS, with `requests`), and the reading of
its webhooks.

Sending: ``POST {api_base or https://graph.facebook.com}/v21.0/<phone number id>/messages``
with ``Authorization: Bearer <access token>``; `config.sender` is the phone number id,
`config.auth_token` the access token (never logged, never in a result). Within 24 hours of the
customer's last message (`Outgoing.window_open`) the body goes as free text; outside it only
a template Meta approved may go (`Outgoing.payload`: {"template", "language", "params"}), in
the template's language (our en/sw/ru are Meta's en/sw/ru; Meta has no Armenian templates, so
an Armenian message outside the window fails here and goes by its SMS fallback). Without
either the attempt fails for good and the worker queues the fallback. ``messages[0].id`` of
the answer is the provider id the status webhooks name.

Errors: Graph API answers ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``. Timeouts, connection errors, HTTP 429 and 5xx, the rate limits (130429
throughput, 131056 pair rate, 131048 spam rate, 4/80007 app and account limits), Meta's
temporary errors (1, 2, 131000, 131016) and a wrong or expired access token (190: the
business's to fix, not the message's fault) are retryable; the rest fail for good with the
code's reason (131047 outside the window, 131026 undeliverable, 131051 unsupported type, 100
bad parameter, 132000/132001 template parameters or name, …).

Webhooks (JSON, signed ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw
body)>``): `signature_valid` checks the signature, `webhook_events` turns the body into
customers' messages (`ChatMessage`) and delivery reports (`DeliveryReport`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from django.utils.translation import gettext as _

from wateja.messaging.channels.base import (
    ChannelConfig,
    DeliveryReport,
    DeliveryStatus,
    Inbound,
    MalformedCallback,
    Outgoing,
    SendResult,
    failed,
)

GRAPH_BASE = "https://graph.facebook.com"
GRAPH_VERSION = "v21.0"

# our language codes → Meta's template language codes (Meta has no Armenian)
TEMPLATE_LANGUAGES = {"en": "en", "sw": "sw", "ru": "ru"}

RATE_LIMITS = frozenset({4, 80007, 130429, 131048, 131056})
TEMPORARY = frozenset({1, 2, 131000, 131016})
TOKEN = 190


def _reason(code: int) -> str:
    """What a Graph API error code means, for the staff reading why a message failed."""
    reasons = {
        131047: _("More than 24 hours since the customer's last message: only an approved "
                  "template may go."),
        131026: _("WhatsApp could not deliver it (not on WhatsApp, an old app, or the "
                  "customer blocked the business)."),
        131051: _("WhatsApp does not support this kind of message."),
        131049: _("WhatsApp held it back to keep the customer from getting too many "
                  "marketing messages."),
        131050: _("The customer stopped marketing messages from the business on WhatsApp."),
        TOKEN: _("The WhatsApp access token is wrong or expired: the owner sets a new one."),
        100: _("WhatsApp refused a parameter of the message (the phone number ID or the "
               "template's parameters)."),
        132000: _("The number of parameters does not match the approved template."),
        132001: _("No approved template with this name in this language."),
        130429: _("WhatsApp's sending rate limit: it will be tried again."),
        131056: _("Too many messages to this customer in a short time: it will be tried again."),
        131048: _("WhatsApp's spam rate limit: it will be tried again."),
        131031: _("The WhatsApp business account is locked."),
        131042: _("A payment problem on the WhatsApp business account."),
    }  # fmt: skip
    return reasons.get(code, "")


def error_result(status: int, body: Any) -> SendResult:
    """A failed attempt from a Graph API error answer (`body` parsed, or None)."""
    error = body.get("error") if isinstance(body, Mapping) else None
    error = error if isinstance(error, Mapping) else {}
    try:
        code = int(error.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    message = str(error.get("message") or "").strip()
    raw = {
        "status": status,
        "code": code,
        "error_subcode": error.get("error_subcode"),
        "type": error.get("type"),
        "message": message,
        "fbtrace_id": error.get("fbtrace_id"),
    }
    retryable = (
        status == 429 or status >= 500 or code in RATE_LIMITS or code in TEMPORARY or code == TOKEN
    )
    human = _reason(code)
    detail = f"{human} ({message})" if human and message else human or message or "error"
    return failed(f"WhatsApp {code or status}: {detail}", retryable=retryable, raw=raw)


_SPACES = re.compile(r" {4,}")


def template_parameter(value: object) -> str:
    """A template parameter as Meta accepts it: no new lines or tabs, at most three spaces in
    a row."""
    text = re.sub(r"[\r\n\t]+", " ", str(value))
    return _SPACES.sub("   ", text).strip()


def message_body(outgoing: Outgoing) -> dict[str, Any] | str:
    """The request body for this outgoing, or why it cannot go (a non-retryable failure)."""
    base: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": outgoing.to.lstrip("+"),
    }
    if outgoing.window_open:
        return {**base, "type": "text", "text": {"preview_url": False, "body": outgoing.body}}
    payload = outgoing.payload or {}
    name = str(payload.get("template") or "")
    if not name:
        return _(
            "Outside the 24-hour window after the customer's last WhatsApp message, and the "
            "template has no approved WhatsApp name."
        )
    language = TEMPLATE_LANGUAGES.get(str(payload.get("language") or "en"))
    if language is None:
        return _(
            "Outside the 24-hour window, and WhatsApp has no approved templates in this "
            "language (%(language)s)."
        ) % {"language": payload.get("language")}
    template: dict[str, Any] = {
        "name": name,
        "language": {"policy": "deterministic", "code": language},
    }
    params = [template_parameter(p) for p in payload.get("params") or []]
    if params:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {**base, "type": "template", "template": template}


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        base = (config.api_base or GRAPH_BASE).rstrip("/")
        self.url = f"{base}/{GRAPH_VERSION}/{config.sender}/messages"

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "whatsapp":
            return failed(f"WhatsApp cannot send {outgoing.channel!r}", retryable=False)
        if not self.config.sender or not self.config.auth_token:
            return failed(
                _("WhatsApp needs the phone number ID and an access token."), retryable=True
            )
        body = message_body(outgoing)
        if isinstance(body, str):
            return failed(body, retryable=False)
        try:
            response = requests.post(
                self.url,
                json=body,
                headers={"Authorization": f"Bearer {self.config.auth_token}"},
                timeout=self.config.timeout_seconds,
            )
        except requests.Timeout:
            return failed("WhatsApp timeout", retryable=True)
        except requests.RequestException as exc:
            # only the kind of failure: an exception's text may quote the request
            return failed(f"WhatsApp unreachable: {type(exc).__name__}", retryable=True)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 400:
            return error_result(response.status_code, answer)
        return _sent(answer, kind=body["type"])

    def parse_delivery_report(self, form: Mapping[str, str]) -> DeliveryReport:
        raise MalformedCallback("WhatsApp reports by JSON webhook: see webhook_events()")

    def parse_inbound(self, form: Mapping[str, str]) -> Inbound:
        raise MalformedCallback("WhatsApp reports by JSON webhook: see webhook_events()")


def _sent(answer: Any, *, kind: str) -> SendResult:
    messages = _list(answer.get("messages")) if isinstance(answer, Mapping) else []
    first = messages[0] if messages else {}
    provider_id = str(first.get("id") or "")
    if not provider_id:
        return failed("WhatsApp answered without a message id", retryable=False)
    raw = {"id": provider_id, "type": kind, "message_status": first.get("message_status")}
    return SendResult(status="sent", provider_id=provider_id, raw=raw)


# ---------------------------------------------------------------------------------------------
# Webhooks


def signature_valid(app_secret: str, body: bytes, header: str) -> bool:
    """Whether ``X-Hub-Signature-256`` is Meta's signature of this raw body with the app
    secret (compared in constant time; no secret, no valid signature)."""
    if not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@dataclass(frozen=True)
class ChatMessage:
    """A customer's message to the business's number. `text` is what they wrote or tapped
    (a text, a quick-reply button, an interactive reply); empty for what has no words we act
    on (images, audio, locations, reactions, …): `kind` then names it."""

    wa_id: str
    provider_id: str
    kind: str
    text: str = ""
    display_name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def understood(self) -> bool:
        return self.kind in ("text", "button", "interactive") and bool(self.text.strip())


@dataclass(frozen=True)
class WebhookEvents:
    messages: list[ChatMessage]
    statuses: list[DeliveryReport]


# a status webhook's status → (our status, final); "read" is delivered, and more
STATUSES: dict[str, tuple[DeliveryStatus, bool]] = {
    "sent": ("sent", False),
    "delivered": ("delivered", True),
    "read": ("delivered", True),
    "failed": ("failed", True),
}


def _text_of(message: Mapping[str, Any]) -> str:
    kind = message.get("type")
    part = message.get(kind) if isinstance(kind, str) else None
    part = part if isinstance(part, Mapping) else {}
    if kind == "text":
        return str(part.get("body") or "")
    if kind == "button":
        return str(part.get("text") or "")
    if kind == "interactive":
        reply = part.get(str(part.get("type") or ""))
        if part.get("type") in ("button_reply", "list_reply") and isinstance(reply, Mapping):
            return str(reply.get("title") or "")
    return ""


def _names(value: Mapping[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in _list(value.get("contacts")):
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, Mapping) else ""
        if contact.get("wa_id") and name:
            names[str(contact["wa_id"])] = str(name)
    return names


def _list(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a list in the payload (anything else in it is skipped)."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _chat_message(message: Mapping[str, Any], names: Mapping[str, str]) -> ChatMessage | None:
    wa_id, provider_id = str(message.get("from") or ""), str(message.get("id") or "")
    if not wa_id or not provider_id:
        return None
    kind = str(message.get("type") or "unknown")
    text = _text_of(message)
    return ChatMessage(
        wa_id=wa_id,
        provider_id=provider_id,
        kind=kind,
        text=text,
        display_name=names.get(wa_id, ""),
        raw=dict(message),
    )


def _report(status: Mapping[str, Any]) -> DeliveryReport | None:
    provider_id = str(status.get("id") or "")
    known = STATUSES.get(str(status.get("status") or ""))
    if not provider_id or known is None:
        return None
    ours, final = known
    reason = ""
    if ours == "failed":
        errors = _list(status.get("errors"))
        first = errors[0] if errors else {}
        code = first.get("code")
        title = str(first.get("title") or first.get("message") or "").strip()
        try:
            human = _reason(int(code)) if code is not None else ""
        except (TypeError, ValueError):
            human = ""
        reason = " ".join(p for p in (f"WhatsApp {code}:" if code else "", human, title) if p)
        reason = reason or "failed"
    return DeliveryReport(
        provider_id=provider_id, status=ours, final=final, reason=reason, raw=dict(status)
    )


def webhook_events(payload: Any, *, phone_number_id: str = "") -> WebhookEvents:
    """Customers' messages and delivery reports in a webhook body (parsed JSON), in order.

    MalformedCallback when the body is not a WhatsApp webhook at all (not an object, or
    ``entry`` not a list); a single message or status without its id is skipped, so one odd
    item never makes Meta resend the whole batch. Changes for another phone number than
    `phone_number_id` (when both are known) are not this business's and are skipped."""
    if not isinstance(payload, Mapping):
        raise MalformedCallback("the body is not a JSON object")
    entries = payload.get("entry", [])
    if not isinstance(entries, list):
        raise MalformedCallback("'entry' is not a list")
    messages: list[ChatMessage] = []
    statuses: list[DeliveryReport] = []
    if payload.get("object", "whatsapp_business_account") != "whatsapp_business_account":
        return WebhookEvents(messages, statuses)
    for entry in _list(entries):
        for change in _list(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, Mapping):
                continue
            metadata = value.get("metadata")
            number = metadata.get("phone_number_id") if isinstance(metadata, Mapping) else None
            if phone_number_id and number and str(number) != phone_number_id:
                continue
            names = _names(value)
            for message in _list(value.get("messages")):
                chat = _chat_message(message, names)
                if chat is not None:
                    messages.append(chat)
            for status in _list(value.get("statuses")):
                report = _report(status)
                if report is not None:
                    statuses.append(report)
    return WebhookEvents(messages, statuses)
