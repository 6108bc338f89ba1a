"""A local stand-in for Viber's REST bot API, and the callbacks Viber sends, signed.

`ViberStub` serves ``POST /pa/send_message`` and ``POST /pa/set_webhook`` as Viber documents
them: HTTP 200 with a JSON ``status`` (0 ok, else an error status and its ``status_message``);
the auth token is checked in ``X-Viber-Auth-Token`` (status 2 invalidAuthToken otherwise),
a body that is not JSON is status 3 badData, a missing field status 4 missingData, a webhook
address that is not https status 1 invalidUrl. Point a business at it with
``viber_api_base=stub.url``; script errors with `next_status(code)`.

The module functions build callbacks with Viber's fields (`conversation_started`,
`message`, `receipt`, …); `signed(token, payload)` gives the raw body and its
``X-Viber-Content-Signature``, `signature(token, body)` signs any bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from typing import Any

from tests.messaging.stubs import HTTPStub, RecordedRequest, StubResponse

STATUS_NAMES = {
    0: "ok", 1: "invalidUrl", 2: "invalidAuthToken", 3: "badData", 4: "missingData",
    5: "receiverNotRegistered", 6: "receiverNotSubscribed", 7: "publicAccountBlocked",
    8: "publicAccountNotFound", 9: "publicAccountSuspended", 10: "webhookNotSet",
    11: "receiverNoSuitableDevice", 12: "tooManyRequests", 13: "apiVersionNotSupported",
}  # fmt: skip
_timestamps = itertools.count(1_790_000_000_000, 1000)
_tokens = itertools.count(5_741_311_803_571_721_087)


class ViberStub(HTTPStub):
    """Viber's bot API for one bot (its auth token)."""

    def __init__(self, auth_token: str = "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f"):
        super().__init__()
        self.auth_token = auth_token
        self.tokens: list[int] = []  # the message_tokens send_message answered with
        self._tokens = itertools.count(5_741_311_803_571_721_087)

    @staticmethod
    def status(code: int, **extra: Any) -> StubResponse:
        return StubResponse.of_json(
            200, {"status": code, "status_message": STATUS_NAMES.get(code, "generalError"), **extra}
        )

    def next_status(self, code: int, times: int = 1) -> None:
        """Answer the next request(s) with an error status, e.g. 6 receiverNotSubscribed."""
        self.answer_next(self.status(code), times)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The bodies of the send_message requests received."""
        return [r.json for r in self.requests if r.path == "/pa/send_message"]

    def respond(self, request: RecordedRequest) -> StubResponse:
        if request.method != "POST" or request.path not in ("/pa/send_message", "/pa/set_webhook"):
            return StubResponse.of_text(404, "Not Found")
        if request.headers.get("x-viber-auth-token") != self.auth_token:
            return self.status(2)
        try:
            body = request.json
        except ValueError:
            return self.status(3)
        if not isinstance(body, dict):
            return self.status(3)
        if request.path == "/pa/set_webhook":
            return self._set_webhook(body)
        return self._send_message(body)

    def _set_webhook(self, body: dict[str, Any]) -> StubResponse:
        url = body.get("url")
        if not isinstance(url, str) or not url:
            return self.status(4)
        if not url.startswith("https://"):
            return self.status(1)
        events = body.get("event_types") or ["delivered", "seen", "failed", "subscribed",
                                             "unsubscribed", "conversation_started"]  # fmt: skip
        return self.status(0, event_types=events)

    def _send_message(self, body: dict[str, Any]) -> StubResponse:
        sender = body.get("sender")
        if not (
            body.get("receiver")
            and body.get("type") == "text"
            and isinstance(body.get("text"), str)
            and isinstance(sender, dict)
            and sender.get("name")
        ):
            return self.status(4)
        if len(body["text"]) > 7000 or len(sender["name"]) > 28:
            return self.status(3)
        token = next(self._tokens)
        self.tokens.append(token)
        return self.status(0, message_token=token, chat_hostname="SN-CHAT-05_")


# --- callbacks ------------------------------------------------------------------------------


def signature(auth_token: str, body: bytes) -> str:
    """X-Viber-Content-Signature: the hex HMAC-SHA256 of the raw body, keyed with the token."""
    return hmac.new(auth_token.encode(), body, hashlib.sha256).hexdigest()


def signed(auth_token: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    """The raw body Viber posts and its X-Viber-Content-Signature."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return body, signature(auth_token, body)


def _user(user_id: str, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": name,
        "avatar": "https://media-direct.cdn.viber.com/download_photo?dlid=x",
        "language": "hy",
        "country": "AM",
        "api_version": 10,
    }


def webhook_check() -> dict[str, Any]:
    return {
        "event": "webhook",
        "timestamp": next(_timestamps),
        "chat_hostname": "SN-CALLBACK-14_",
        "message_token": next(_tokens),
    }


def conversation_started(
    user_id: str, name: str = "Անի", context: str | None = None, *, subscribed: bool = False
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": "conversation_started",
        "timestamp": next(_timestamps),
        "chat_hostname": "SN-CALLBACK-14_",
        "message_token": next(_tokens),
        "type": "open",
        "user": _user(user_id, name),
        "subscribed": subscribed,
    }
    if context is not None:
        payload["context"] = context
    return payload


def message(
    user_id: str, text: str, name: str = "Անի", *, token: int | None = None
) -> dict[str, Any]:
    return {
        "event": "message",
        "timestamp": next(_timestamps),
        "chat_hostname": "SN-CALLBACK-14_",
        "message_token": token if token is not None else next(_tokens),
        "sender": _user(user_id, name),
        "message": {"type": "text", "text": text},
        "silent": False,
    }


def subscribed(user_id: str, name: str = "Անի") -> dict[str, Any]:
    return {
        "event": "subscribed",
        "timestamp": next(_timestamps),
        "chat_hostname": "SN-CALLBACK-14_",
        "user": _user(user_id, name),
        "message_token": next(_tokens),
    }


def unsubscribed(user_id: str) -> dict[str, Any]:
    return {
        "event": "unsubscribed",
        "timestamp": next(_timestamps),
        "chat_hostname": "SN-CALLBACK-14_",
        "user_id": user_id,
        "message_token": next(_tokens),
    }


def receipt(event: str, user_id: str, message_token: str | int, desc: str = "") -> dict[str, Any]:
    """A delivered, seen or failed callback for a message the bot sent."""
    payload: dict[str, Any] = {
        "event": event,
        "timestamp": next(_timestamps),
        "chat_hostname": "SN-CALLBACK-14_",
        "message_token": int(message_token),
        "user_id": user_id,
    }
    if event == "failed":
        payload["desc"] = desc or "failure description"
    return payload
