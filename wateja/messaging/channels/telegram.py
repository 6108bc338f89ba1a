"""Telegram through the Bot API (HTTPS + JSON, no SDK): sending, reading the updates Telegram
posts to the business's webhook, and registering that webhook.

Sending: ``POST {api_base}/bot<token>/sendMessage`` with ``chat_id`` (the customer's chat,
`MessengerContact.external_id`) and ``text``, link previews off. Every answer is
``{"ok": true, "result": Message}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``. The provider id is ``"<chat id>:<message id>"`` (a message
id is unique only within its chat). 429 (flood control), 5xx, timeouts and connection errors
are retryable; so are 401/404, Telegram's answers to a wrong or revoked bot token (fixable in
the settings, not the message's fault). 403 (the customer blocked the bot, or deleted their
account) and 400 (chat not found, …) fail for good, so the worker falls back to SMS.

The bot token is part of every URL: it never reaches a log line, an error text or a stored
delivery (`_redacted`).

Updates: `update_parse` turns the JSON body of a webhook call into a `ChatText` (a customer's
text in a private chat), a `ChatLeft` (the customer blocked the bot), or `Ignored`; a body that
is not an update raises `MalformedCallback`. Telegram proves its calls with the secret given
to ``setWebhook`` (`telegram_set_webhook`), sent back in X-Telegram-Bot-Api-Secret-Token
(`secret_valid`). Telegram has no delivery reports: a message it accepted counts as sent.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
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

API_BASE = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
ALLOWED_UPDATES = ("message", "my_chat_member")
SETUP_TIMEOUT_SECONDS = 15.0
# what a 403 means for a bot writing to a private chat
BLOCKED = "the customer blocked the bot or deleted their Telegram account"


class TelegramSetupFailed(DomainError):
    """Telegram refused `setWebhook` (a wrong token, an address it will not call), or could
    not be reached; the message says why, in the staff member's language."""

    code = "telegram_setup_failed"
    status = 400


def method_url(api_base: str, token: str, method: str) -> str:
    return f"{(api_base or API_BASE).rstrip('/')}/bot{token}/{method}"


def _redacted(text: str, token: str) -> str:
    """`text` (an exception's words may carry the URL) without the bot token in it."""
    return text.replace(token, "<bot token>") if token else text


def _answer(response: requests.Response) -> dict[str, Any]:
    """Telegram's JSON answer; {} when the body is not a JSON object (a proxy's error page)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_raw(status: int, data: Mapping[str, Any]) -> dict[str, Any]:
    parameters = data.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    return {
        "status": status,
        "error_code": data.get("error_code", status),
        "description": str(data.get("description", ""))[:300],
        "retry_after": parameters.get("retry_after"),
    }


def result_from_answer(status: int, data: Mapping[str, Any]) -> SendResult:
    """Map sendMessage's HTTP status and JSON answer to a `SendResult`."""
    result = data.get("result")
    if data.get("ok") is True and isinstance(result, dict):
        chat = result.get("chat")
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        message_id = result.get("message_id")
        if chat_id is None or message_id is None:
            # accepted, but the answer names no message: sent, never sent twice
            return SendResult(status="sent", raw={"status": status})
        raw = {"status": status, "chat_id": chat_id, "message_id": message_id}
        return SendResult(status="sent", provider_id=f"{chat_id}:{message_id}", raw=raw)
    raw = _error_raw(status, data)
    try:
        code = int(raw["error_code"])
    except (TypeError, ValueError):
        code = status
    description = raw["description"] or f"HTTP {status}"
    if code == 429:  # flood control: retry_after (seconds) is kept in raw for the log
        return failed(f"Telegram 429: {description}", retryable=True, raw=raw)
    if code >= 500 or status >= 500:
        return failed(f"Telegram {code}: {description}", retryable=True, raw=raw)
    if code in (401, 404):
        return failed(
            f"Telegram {code}: {description}: the bot token in the settings is not valid",
            retryable=True,
            raw=raw,
        )
    if code == 403:
        return failed(f"Telegram 403: {description}: {BLOCKED}", retryable=False, raw=raw)
    if 200 <= status < 300 and not data:
        # a 2xx that is not Telegram's answer: the message may have left, do not risk twice
        return failed("Telegram: unreadable answer", retryable=False, raw=raw)
    return failed(f"Telegram {code}: {description}", retryable=False, raw=raw)


class TelegramChannel:
    name = "telegram"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        self.session = requests.Session()

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "telegram":
            return failed(f"Telegram cannot send {outgoing.channel!r}", retryable=False)
        token = self.config.auth_token
        if not token:
            return failed("Telegram: no bot token in the settings", retryable=True)
        body: dict[str, Any] = {
            "chat_id": outgoing.to,
            "text": outgoing.body,
            "link_preview_options": {"is_disabled": True},
        }
        try:
            response = self.session.post(
                method_url(self.config.api_base, token, "sendMessage"),
                json=body,
                timeout=self.config.timeout_seconds,
            )
        except requests.Timeout as exc:
            return failed(_redacted(f"Telegram timeout: {exc}", token), retryable=True)
        except requests.RequestException as exc:
            return failed(_redacted(f"Telegram unreachable: {exc}", token), retryable=True)
        return result_from_answer(response.status_code, _answer(response))

    def parse_delivery_report(self, form: Mapping[str, str]) -> DeliveryReport:
        raise MalformedCallback("Telegram sends no delivery reports")

    def parse_inbound(self, form: Mapping[str, str]) -> Inbound:
        raise MalformedCallback("Telegram posts JSON updates: use update_parse")


# --- the webhook ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatText:
    """A customer wrote text to the bot in their private chat (``/start <code>`` included)."""

    update_id: int
    chat_id: str
    text: str
    first_name: str = ""


@dataclass(frozen=True)
class ChatLeft:
    """The customer blocked the bot (its status in their private chat became "kicked")."""

    update_id: int
    chat_id: str


@dataclass(frozen=True)
class Ignored:
    """An update with nothing for us: a group, a sticker, the bot unblocked (the customer
    writes /start again to be linked again)."""

    update_id: int
    why: str


TelegramUpdate = ChatText | ChatLeft | Ignored


def secret_valid(expected: str, given: str) -> bool:
    """Whether the X-Telegram-Bot-Api-Secret-Token header is the business's secret."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def _object(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise MalformedCallback(f"{key!r} is not an object")
    return value


def _private_chat_id(chat: Mapping[str, Any]) -> str | None:
    """The chat's id when it is a private chat (a person with the bot), else None."""
    chat_id = chat.get("id")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        raise MalformedCallback("chat.id is not a number")
    return str(chat_id) if chat.get("type") == "private" else None


def update_parse(body: bytes) -> TelegramUpdate:
    """The update Telegram posted, as one of ChatText, ChatLeft or Ignored;
    MalformedCallback for a body that is not a Telegram update."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedCallback("the body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedCallback("the body is not an object")
    update_id = data.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int):
        raise MalformedCallback("update_id is not a number")
    if "message" in data:
        message = _object(data, "message")
        chat_id = _private_chat_id(_object(message, "chat"))
        text = message.get("text")
        if chat_id is None:
            return Ignored(update_id, "not a private chat")
        if not isinstance(text, str):
            return Ignored(update_id, "no text")
        sender = message.get("from")
        first_name = sender.get("first_name", "") if isinstance(sender, dict) else ""
        return ChatText(update_id, chat_id, text, str(first_name or ""))
    if "my_chat_member" in data:
        change = _object(data, "my_chat_member")
        chat_id = _private_chat_id(_object(change, "chat"))
        status = _object(change, "new_chat_member").get("status")
        if chat_id is not None and status == "kicked":
            return ChatLeft(update_id, chat_id)
        return Ignored(update_id, f"bot status {status!r}")
    return Ignored(update_id, "not a message")


# --- registering the webhook ---------------------------------------------------------------


def webhook_address(row: MessagingSettings) -> str:
    """Where Telegram posts the bot's updates (the business's hook token names it)."""
    return public_url(f"/hooks/{row.hook_token}/telegram/")


def telegram_set_webhook(row: MessagingSettings, *, timeout: float = SETUP_TIMEOUT_SECONDS) -> str:
    """Tell Telegram to post the bot's messages and block/unblock events to this business's
    webhook, with the business's secret; returns Telegram's description ("Webhook was set").
    TelegramSetupFailed (in the active language) when there is no token, Telegram refuses,
    or it cannot be reached."""
    token = row.telegram_bot_token
    if not token:
        raise TelegramSetupFailed(_("Enter the bot's token from @BotFather first."))
    body = {
        "url": webhook_address(row),
        "secret_token": row.telegram_secret,
        "allowed_updates": list(ALLOWED_UPDATES),
    }
    try:
        response = requests.post(
            method_url(row.telegram_api_base, token, "setWebhook"), json=body, timeout=timeout
        )
    except requests.RequestException as exc:
        raise TelegramSetupFailed(
            _("Telegram could not be reached: %(reason)s") % {"reason": _redacted(str(exc), token)},
            status=503,
        ) from None
    data = _answer(response)
    if data.get("ok") is True:
        return str(data.get("description") or "Webhook was set")
    raw = _error_raw(response.status_code, data)
    reason = raw["description"] or f"HTTP {response.status_code}"
    if raw["error_code"] in (401, 404):
        message = _("Telegram does not know this bot token: %(reason)s")
    else:
        message = _("Telegram refused the webhook: %(reason)s")
    raise TelegramSetupFailed(
        message % {"reason": reason},
        status=503 if response.status_code >= 500 or raw["error_code"] == 429 else 400,
        details=raw,
    )
