"""A local stand-in for the Telegram Bot API, on `stubs.HTTPStub`.

Serves ``POST /bot<token>/<method>`` for ``sendMessage`` and ``setWebhook`` (JSON bodies) and
answers as Telegram documents: ``{"ok": true, "result": …}``, or ``{"ok": false,
"error_code", "description", "parameters": {"retry_after"}}`` with the same HTTP status. A
token other than its own gets 401 Unauthorized, an unknown method 404, as Telegram does.
Point a channel at it with ``ChannelConfig(provider="telegram", auth_token=stub.token,
api_base=stub.url)``, or a business with ``telegram_api_base = stub.url``.
"""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from tests.messaging.stubs import HTTPStub, RecordedRequest, StubResponse

PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")


class TelegramStub(HTTPStub):
    def __init__(
        self, token: str = "123456:AAE-test-token_0123456789", username: str = "kahawa_bot"
    ) -> None:
        super().__init__()
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":")[0])
        self._message_ids = itertools.count(100)

    @staticmethod
    def error(status: int, description: str, retry_after: int | None = None) -> StubResponse:
        payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            payload["parameters"] = {"retry_after": retry_after}
        return StubResponse.of_json(status, payload)

    def next_error(
        self, status: int, description: str, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next request(s) with Telegram's error, e.g. (403, "Forbidden: bot was
        blocked by the user"), (429, "Too Many Requests: retry after 7", 7)."""
        self.answer_next(self.error(status, description, retry_after), times)

    def calls(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith(f"/{method}")]

    def respond(self, request: RecordedRequest) -> StubResponse:
        match = PATH.match(request.path)
        if request.method != "POST" or not match:
            return self.error(404, "Not Found")
        if match["token"] != self.token:
            return self.error(401, "Unauthorized")
        body = request.json if request.body else {}
        if match["method"] == "sendMessage":
            return self._send_message(body)
        if match["method"] == "setWebhook":
            return self._set_webhook(body)
        return self.error(404, "Not Found")

    def _send_message(self, body: dict[str, Any]) -> StubResponse:
        chat_id, text = body.get("chat_id"), body.get("text")
        if not text:
            return self.error(400, "Bad Request: message text is empty")
        try:
            chat = int(str(chat_id))
        except ValueError:
            return self.error(400, "Bad Request: chat not found")
        message = {
            "message_id": next(self._message_ids),
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "Kahawa",
                     "username": self.username},
            "chat": {"id": chat, "type": "private"},
            "date": int(time.time()),
            "text": text,
        }  # fmt: skip
        return StubResponse.of_json(200, {"ok": True, "result": message})

    def _set_webhook(self, body: dict[str, Any]) -> StubResponse:
        url = str(body.get("url", ""))
        if url and not url.startswith("https://"):
            return self.error(
                400, "Bad Request: bad webhook: HTTPS url must be provided for webhook"
            )
        secret = str(body.get("secret_token", ""))
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            return self.error(400, "Bad Request: secret token contains unallowed characters")
        description = "Webhook was set" if url else "Webhook was deleted"
        return StubResponse.of_json(200, {"ok": True, "result": True, "description": description})
