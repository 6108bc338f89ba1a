"""Local stand-ins for the messaging providers, for tests that drive the real SDKs.

- `ATStub`: Africa's Talking's SMS API (``POST /version1/messaging``); point a channel at it
  with ``ChannelConfig(provider="africastalking", api_base=stub.url, ...)``.
- `TwilioStub`: Twilio's Messages API (``POST /2010-04-01/Accounts/<sid>/Messages.json``);
  ``ChannelConfig(provider="twilio", api_base=stub.url, ...)``.
- `SMTPStub`: a real aiosmtpd server collecting what it receives.

Each listens on 127.0.0.1 on a port the OS picks (safe under pytest-xdist), records every
request, answers like the provider documents, and can be told to answer the next request(s)
with an error or to hang past the client's timeout. Use them through the fixtures in
`tests/messaging/conftest.py` (`at_stub`, `twilio_stub`, `smtp_server`, `smtp_settings`), or
as context managers: ``with ATStub() as stub: ...``.
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import itertools
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from django.utils import timezone

LOCALHOST = "127.0.0.1"
HANG_SECONDS = 10.0  # longer than any timeout a test gives a client


# --- HTTP --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request a stub received."""

    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The urlencoded body, one value per name (the last)."""
        pairs = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {name: values[-1] for name, values in pairs.items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """(user, password) from an ``Authorization: Basic`` header."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        return user, password


@dataclass(frozen=True)
class StubResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0  # seconds to wait before answering (cut short when the stub stops)

    @classmethod
    def of_json(cls, status: int, payload: Any, *, delay: float = 0.0) -> StubResponse:
        return cls(status, json.dumps(payload).encode("utf-8"), "application/json", delay)

    @classmethod
    def of_text(cls, status: int, text: str) -> StubResponse:
        return cls(status, text.encode("utf-8"), "text/plain")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        split = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        response = self.server.stub._receive(request)
        if response.delay and self.server.stub._released.wait(response.delay):
            return  # the stub stopped while hanging: drop the connection
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except OSError:
            pass  # the client gave up (timeout)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub: HTTPStub) -> None:
        self.stub = stub
        super().__init__((LOCALHOST, 0), _Handler)


class HTTPStub:
    """A threaded HTTP server on a free port that records requests and scripts answers.

    Subclasses implement `respond(request)`, the provider's normal answer. Answers queued with
    `answer_next()` / `hang_next()` are used first, one per request, in order.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._scripted: deque[Callable[[RecordedRequest], StubResponse]] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def script_next(
        self, answer: Callable[[RecordedRequest], StubResponse], times: int = 1
    ) -> None:
        """Answer the next `times` requests with `answer(request)`."""
        with self._lock:
            self._scripted.extend([answer] * times)

    def answer_next(self, response: StubResponse, times: int = 1) -> None:
        """Answer the next `times` requests with `response` instead of the normal answer."""
        self.script_next(lambda _request: response, times)

    def hang_next(self, seconds: float = HANG_SECONDS, times: int = 1) -> None:
        """Answer the next request(s) normally but only after `seconds`: past the client's
        timeout (the wait ends early when the stub stops)."""
        self.script_next(lambda request: replace(self.respond(request), delay=seconds), times)

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    def _receive(self, request: RecordedRequest) -> StubResponse:
        with self._lock:
            self.requests.append(request)
            answer = self._scripted.popleft() if self._scripted else self.respond
        return answer(request)

    def respond(self, request: RecordedRequest) -> StubResponse:
        raise NotImplementedError


# --- Africa's Talking --------------------------------------------------------------------


class ATStub(HTTPStub):
    """Africa's Talking SMS API: ``POST /version1/messaging`` (bulk SMS, form encoded).

    Checks the ``apiKey`` header and ``username`` field against its own (401 otherwise, as AT
    does), answers 201 with ``SMSMessageData`` and one Success (101) recipient per number.
    """

    PATH = "/version1/messaging"

    def __init__(self, username: str = "wateja-test", api_key: str = "at-test-key") -> None:
        super().__init__()
        self.username = username
        self.api_key = api_key
        self._ids = itertools.count(1)

    def next_recipient_status(self, code: int, status: str, times: int = 1) -> None:
        """Answer 201 with each recipient's `statusCode`/`status` set, e.g. (403,
        "InvalidPhoneNumber"), (406, "UserInBlacklist"), (102, "Queued")."""
        self.script_next(lambda request: self._sent(request, code, status), times)

    def next_http_error(self, status: int = 500, text: str = "Internal Server Error") -> None:
        self.answer_next(StubResponse.of_text(status, text))

    def respond(self, request: RecordedRequest) -> StubResponse:
        if request.method != "POST" or request.path != self.PATH:
            return StubResponse.of_text(404, "Not Found")
        form = request.form
        if request.headers.get("apikey") != self.api_key or form.get("username") != self.username:
            return StubResponse.of_text(401, "The supplied authentication is invalid")
        return self._sent(request, 101, "Success")

    def _sent(self, request: RecordedRequest, code: int, status: str) -> StubResponse:
        numbers = [n for n in request.form.get("to", "").split(",") if n]
        success = code in (100, 101, 102)
        recipients = [
            {
                "statusCode": code,
                "number": number,
                "status": status,
                "cost": "KES 0.8000" if success else "0",
                "messageId": f"ATXid_{next(self._ids):04d}{uuid.uuid4().hex[:8]}"
                if success
                else "None",
            }
            for number in numbers
        ]
        sent = len(recipients) if success else 0
        total = f"KES {0.8 * sent:.4f}"
        message = f"Sent to {sent}/{len(numbers)} Total Cost: {total}"
        return StubResponse.of_json(
            201, {"SMSMessageData": {"Message": message, "Recipients": recipients}}
        )


# --- Twilio --------------------------------------------------------------------------------


class TwilioStub(HTTPStub):
    """Twilio Messages API: ``POST /2010-04-01/Accounts/<AccountSid>/Messages.json``.

    Checks HTTP Basic auth (account SID + auth token; 401 with error 20003 otherwise) and
    answers 201 with a Message resource in status "queued".
    """

    PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")

    def __init__(
        self,
        account_sid: str = "AC" + "0123456789abcdef" * 2,
        auth_token: str = "twilio-test-token",
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token

    @staticmethod
    def error(status: int, code: int, message: str) -> StubResponse:
        """Twilio's error body, e.g. error(400, 21211, "The 'To' number … is not valid")."""
        more_info = f"https://www.twilio.com/docs/errors/{code}"
        payload = {"code": code, "message": message, "more_info": more_info, "status": status}
        return StubResponse.of_json(status, payload)

    def next_error(self, status: int, code: int, message: str, times: int = 1) -> None:
        self.answer_next(self.error(status, code, message), times)

    def respond(self, request: RecordedRequest) -> StubResponse:
        match = self.PATH.match(request.path)
        if request.method != "POST" or not match:
            return self.error(404, 20404, "The requested resource was not found")
        if match["sid"] != self.account_sid or request.basic_auth != (
            self.account_sid,
            self.auth_token,
        ):
            return self.error(401, 20003, "Authenticate")
        return StubResponse.of_json(201, self.message_resource(request.form))

    def message_resource(self, form: dict[str, str], status: str = "queued") -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(timezone.now())
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form.get("To"),
            "uri": f"{uri}.json",
        }


# --- SMTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes  # the message as received, CRLF line ends

    @property
    def message(self) -> EmailMessage:
        """Parsed with the modern policy: headers decoded, `get_body()` available."""
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Behaviour:
    refused: dict[str, str] = field(default_factory=dict)  # address → SMTP reply
    data_replies: deque[str] = field(default_factory=deque)  # next DATA replies
    data_delays: deque[float] = field(default_factory=deque)


class _CollectingHandler:
    def __init__(self, stub: SMTPStub) -> None:
        self.stub = stub

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        reply = self.stub._behaviour.refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        behaviour = self.stub._behaviour
        if behaviour.data_delays:
            await asyncio.sleep(behaviour.data_delays.popleft())
        if behaviour.data_replies:
            return behaviour.data_replies.popleft()
        content = envelope.original_content or envelope.content
        self.stub.messages.append(
            ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), bytes(content))
        )
        return "250 Message accepted for delivery"


class _EphemeralController(Controller):
    """aiosmtpd's Controller on port 0: learns the port the OS chose before its self-test."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPStub:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 collecting messages in `messages`."""

    def __init__(self) -> None:
        self.messages: list[ReceivedEmail] = []
        self._behaviour = _Behaviour()
        self._controller = _EphemeralController(
            _CollectingHandler(self),
            hostname=LOCALHOST,
            port=0,
            server_hostname="smtp.stub.test",
        )

    @property
    def host(self) -> str:
        return LOCALHOST

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> Self:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def refuse(self, address: str, reply: str = "550 5.1.1 User unknown") -> None:
        """Answer RCPT TO for `address` with `reply` (e.g. "451 4.2.0 Try again later")."""
        self._behaviour.refused[address.lower()] = reply

    def reject_next_data(self, reply: str = "554 5.7.1 Message rejected") -> None:
        self._behaviour.data_replies.append(reply)

    def hang_next_data(self, seconds: float = HANG_SECONDS) -> None:
        """Wait `seconds` before answering the next DATA: past the client's timeout."""
        self._behaviour.data_delays.append(seconds)

    @property
    def last(self) -> EmailMessage:
        return self.messages[-1].message
