"""A local stand-in for Meta's WhatsApp Cloud API (on `stubs.HTTPStub`), and Meta's side of the
webhooks it calls.

`WhatsAppStub` serves ``POST /v21.0/<phone number id>/messages`` as the Graph API does: a
wrong ``Authorization: Bearer`` token gets 401 with error 190 (OAuthException), another phone
number id 400 with error 100 (subcode 33), a body that is not a text or template message 400
with error 100, a template not in `approved` (when set) 404 with 132001; otherwise 200 with
``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid.…"}]}``.
`next_error()` scripts any Graph API error body ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}``. Point a business at it with ``whatsapp_api_base = stub.url``.

The webhook helpers build what Meta POSTs to ``/hooks/<token>/whatsapp/`` (``entry[].changes[]
.value`` with ``messages``/``contacts`` or ``statuses``) and sign it (`signature`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
from typing import Any

from tests.messaging.stubs import HTTPStub, RecordedRequest, StubResponse

PATH = re.compile(r"^/v21\.0/(?P<number>[^/]+)/messages$")
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "254700111222"
WABA_ID = "102290129340398"


class WhatsAppStub(HTTPStub):
    def __init__(
        self,
        phone_number_id: str = PHONE_NUMBER_ID,
        access_token: str = "EAAG-test-access-token-0123456789",
    ) -> None:
        super().__init__()
        self.phone_number_id = phone_number_id
        self.access_token = access_token
        self.approved: set[tuple[str, str]] | None = None  # (name, language); None: any
        self._ids = itertools.count(1)

    @staticmethod
    def error(
        status: int,
        code: int,
        message: str,
        *,
        kind: str = "OAuthException",
        subcode: int | None = None,
        details: str = "",
    ) -> StubResponse:
        """Meta's error answer, e.g. error(400, 131047, "(#131047) Re-engagement message")."""
        error: dict[str, Any] = {
            "message": message,
            "type": kind,
            "code": code,
            "fbtrace_id": "A" + secrets.token_hex(10),
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return StubResponse.of_json(status, {"error": error})

    def next_error(
        self, status: int, code: int, message: str, times: int = 1, **extra: Any
    ) -> None:
        self.answer_next(self.error(status, code, message, **extra), times)

    def respond(self, request: RecordedRequest) -> StubResponse:
        match = PATH.match(request.path)
        if request.method != "POST" or not match:
            return self.error(400, 100, "Unknown path components", kind="OAuthException")
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return self.error(
                401, 190, "Error validating access token: Session has expired.", subcode=463
            )
        if match["number"] != self.phone_number_id:
            return self.error(
                400,
                100,
                f"Unsupported post request. Object with ID '{match['number']}' does not exist.",
                kind="GraphMethodException",
                subcode=33,
            )
        try:
            body = request.json
        except ValueError:
            return self.error(400, 100, "(#100) Invalid parameter")
        problem = self._problem(body)
        if problem is not None:
            return problem
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": self.next_id()}],
        }
        if body["type"] == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return StubResponse.of_json(200, answer)

    def next_id(self) -> str:
        return f"wamid.HBgM{next(self._ids):06d}{secrets.token_hex(8).upper()}"

    def _problem(self, body: Any) -> StubResponse | None:
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return self.error(400, 100, "(#100) The parameter messaging_product is required.")
        if not str(body.get("to") or "").isdigit():
            return self.error(400, 100, "(#100) Invalid parameter 'to'")
        if body.get("type") == "text":
            if not (body.get("text") or {}).get("body"):
                return self.error(400, 100, "(#100) The parameter text['body'] is required.")
            return None
        if body.get("type") == "template":
            template = body.get("template") or {}
            name = template.get("name")
            language = (template.get("language") or {}).get("code")
            if not name or not language:
                return self.error(400, 100, "(#100) The parameter template['name'] is required.")
            if self.approved is not None and (name, language) not in self.approved:
                return self.error(
                    404,
                    132001,
                    "(#132001) Template name does not exist in the translation",
                    details=f"template name ({name}) does not exist in {language}",
                )
            return None
        return self.error(400, 131051, "(#131051) Unsupported message type")

    def sent(self) -> list[dict[str, Any]]:
        """The message bodies received, in order."""
        return [r.json for r in self.requests if PATH.match(r.path)]


# --- Meta's side of the webhooks -----------------------------------------------------------


def signature(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 header Meta sends with `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(
    *,
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> bytes:
    """One webhook as Meta posts it: one entry, one change of the field "messages"."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
    }
    if messages is not None:
        value["contacts"] = contacts or []
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(payload).encode()


_wamids = itertools.count(1)


def wamid() -> str:
    return f"wamid.IN{next(_wamids):06d}{secrets.token_hex(6).upper()}"


def contact(wa_id: str, name: str) -> dict[str, Any]:
    return {"profile": {"name": name}, "wa_id": wa_id}


def text_message(wa_id: str, text: str, *, message_id: str = "", at: int = 1764234000) -> dict:
    return {
        "from": wa_id,
        "id": message_id or wamid(),
        "timestamp": str(at),
        "type": "text",
        "text": {"body": text},
    }


def button_message(wa_id: str, text: str, payload: str = "") -> dict:
    """A tap on a template's quick-reply button."""
    return {
        "from": wa_id,
        "id": wamid(),
        "timestamp": "1764234000",
        "type": "button",
        "button": {"payload": payload or text, "text": text},
    }


def interactive_reply(wa_id: str, title: str, kind: str = "button_reply") -> dict:
    """A tap on an interactive message's reply button ("button_reply") or list row
    ("list_reply")."""
    return {
        "from": wa_id,
        "id": wamid(),
        "timestamp": "1764234000",
        "type": "interactive",
        "interactive": {"type": kind, kind: {"id": "choice-1", "title": title}},
    }


def image_message(wa_id: str) -> dict:
    return {
        "from": wa_id,
        "id": wamid(),
        "timestamp": "1764234000",
        "type": "image",
        "image": {
            "mime_type": "image/jpeg",
            "sha256": secrets.token_hex(32),
            "id": "1003383421387256",
        },
    }


def status_update(
    message_id: str, status: str, recipient: str, *, error: tuple[int, str] | None = None
) -> dict:
    """A status of a message the business sent: sent, delivered, read or failed (with Meta's
    error code and title)."""
    update: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": "1764234100",
        "recipient_id": recipient,
    }
    if status in ("sent", "delivered"):
        update["conversation"] = {
            "id": secrets.token_hex(16),
            "origin": {"type": "marketing"},
        }
        update["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "marketing"}
    if error is not None:
        code, title = error
        update["errors"] = [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": title},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    return update
