"""The sending channels against real components: an aiosmtpd server, and the Africa's Talking
and Twilio SDKs talking HTTP to local stubs of the providers' APIs."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import smtplib
import socket
import time

import africastalking
import pytest

from tests.messaging.stubs import ATStub, SMTPStub, StubResponse, TwilioStub
from wateja.messaging.channels import PROVIDERS, channel_for
from wateja.messaging.channels.africastalking import AfricasTalkingChannel
from wateja.messaging.channels.base import ChannelConfig, MalformedCallback, Outgoing
from wateja.messaging.channels.email import EmailChannel, smtp_error_result
from wateja.messaging.channels.outbox import OutboxChannel, outbox_clear, outbox_sent
from wateja.messaging.channels.twilio import TwilioChannel, twilio_signature_valid

UNSUBSCRIBE_URL = "https://wateja.example/u/tok_3fA9"
FAST_TIMEOUT = 0.5


def sms(to: str = "+254711000111", body: str = "Habari! Pointi 20 zimeongezwa.") -> Outgoing:
    return Outgoing(message_id=41, channel="sms", to=to, body=body)


def mail(**overrides: object) -> Outgoing:
    values: dict[str, object] = {
        "message_id": 42,
        "channel": "email",
        "to": "amina@example.co.ke",
        "subject": "Your points",
        "body": "You have 120 points.",
        "html": "<p>You have <b>120</b> points.</p>",
        "sender_name": "Kahawa House",
        "reply_to": "owner@kahawa.example",
        "headers": {
            "List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }
    values.update(overrides)
    return Outgoing(**values)  # type: ignore[arg-type]


def unused_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- choosing a channel ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "cls"),
    [
        ("outbox", OutboxChannel),
        ("smtp", EmailChannel),
        ("africastalking", AfricasTalkingChannel),
        ("twilio", TwilioChannel),
    ],
)
def test_channel_for_picks_the_providers_channel(provider: str, cls: type) -> None:
    channel = channel_for(ChannelConfig(provider=provider, account_sid="AC1", auth_token="t"))
    assert isinstance(channel, cls) and channel.name == provider
    assert provider in PROVIDERS


def test_channel_for_refuses_an_unknown_provider() -> None:
    with pytest.raises(ValueError, match="unknown messaging provider 'pigeon'"):
        channel_for(ChannelConfig(provider="pigeon"))


# --- outbox (development) -------------------------------------------------------------------


def test_outbox_records_and_sends_nothing() -> None:
    outbox_clear()
    result = channel_for(ChannelConfig(provider="outbox")).send(sms())
    assert result.status == "sent" and result.provider_id == "outbox-41"
    assert result.retryable is False and result.error == ""
    assert outbox_sent() == [sms()]


def test_outbox_callbacks_take_a_simple_form() -> None:
    channel = OutboxChannel(ChannelConfig(provider="outbox"))
    report = channel.parse_delivery_report({"id": "outbox-41", "status": "delivered"})
    assert (report.provider_id, report.status, report.final) == ("outbox-41", "delivered", True)
    failed = channel.parse_delivery_report({"id": "outbox-41", "status": "failed", "reason": "x"})
    assert (failed.status, failed.final, failed.reason) == ("failed", True, "x")
    assert channel.parse_delivery_report({"id": "o", "status": "sent"}).final is False
    inbound = channel.parse_inbound({"from": "+254711000111", "text": "STOP"})
    assert (inbound.from_phone, inbound.text) == ("+254711000111", "STOP")


@pytest.mark.parametrize(
    "form", [{}, {"id": "outbox-1"}, {"status": "delivered"}, {"id": "o", "status": "read"}]
)
def test_outbox_malformed_delivery_reports(form: dict[str, str]) -> None:
    with pytest.raises(MalformedCallback):
        OutboxChannel(ChannelConfig(provider="outbox")).parse_delivery_report(form)


@pytest.mark.parametrize("form", [{}, {"text": "hi"}, {"from": "+254711000111"}])
def test_outbox_malformed_inbound(form: dict[str, str]) -> None:
    with pytest.raises(MalformedCallback):
        OutboxChannel(ChannelConfig(provider="outbox")).parse_inbound(form)


# --- e-mail over SMTP -----------------------------------------------------------------------


def test_email_arrives_multipart_with_one_click_unsubscribe(
    smtp_settings: SMTPStub, email_config: ChannelConfig
) -> None:
    result = channel_for(email_config).send(mail())

    assert result.status == "sent" and not result.error
    received = smtp_settings.messages[0]
    assert received.mail_from == "duka@wateja.test"
    assert received.rcpt_tos == ["amina@example.co.ke"]
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"].addresses[0].display_name == "Kahawa House"
    assert message["From"].addresses[0].addr_spec == "duka@wateja.test"
    assert str(message["To"]) == "amina@example.co.ke"
    assert str(message["Reply-To"]) == "owner@kahawa.example"
    assert str(message["List-Unsubscribe"]) == f"<{UNSUBSCRIBE_URL}>"
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(message["Message-ID"]) == result.provider_id
    assert result.provider_id.startswith("<") and result.provider_id.endswith("@wateja.test>")
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content().strip() == "You have 120 points."
    assert html.get_content().strip() == "<p>You have <b>120</b> points.</p>"


@pytest.mark.parametrize(
    ("subject", "sender_name", "body"),
    [
        ("Ձեր միավորները՝ 120", "Սրճարան Արարատ", "Շնորհակալություն, Աննա։"),
        ("Ваши баллы: 120 — спасибо!", "Кофейня «Арарат»", "Спасибо, Анна."),
    ],
)
def test_email_utf8_subject_sender_and_body(
    smtp_settings: SMTPStub,
    email_config: ChannelConfig,
    subject: str,
    sender_name: str,
    body: str,
) -> None:
    result = channel_for(email_config).send(
        mail(subject=subject, sender_name=sender_name, body=body, html=f"<p>{body}</p>")
    )

    assert result.status == "sent"
    raw_headers = smtp_settings.messages[0].content.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()  # encoded words, not raw UTF-8, in the headers
    message = smtp_settings.last
    # Django may fold a long encoded subject right after "Subject:"; clients drop that space
    assert str(message["Subject"]).lstrip() == subject
    assert message["From"].addresses[0].display_name == sender_name
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and text.get_content().strip() == body


def test_email_without_html_is_plain_text(
    smtp_settings: SMTPStub, email_config: ChannelConfig
) -> None:
    result = channel_for(email_config).send(mail(html="", sender_name="", reply_to=""))

    assert result.status == "sent"
    message = smtp_settings.last
    assert message.get_content_type() == "text/plain"
    assert str(message["From"]) == "duka@wateja.test"
    assert message["Reply-To"] is None


def test_email_keeps_a_message_id_given_by_the_caller(
    smtp_settings: SMTPStub, email_config: ChannelConfig
) -> None:
    headers = {"Message-ID": "<m42@wateja.test>", "X-Campaign": "c7"}
    result = channel_for(email_config).send(mail(headers=headers))

    assert result.provider_id == "<m42@wateja.test>"
    assert str(smtp_settings.last["Message-ID"]) == "<m42@wateja.test>"
    assert str(smtp_settings.last["X-Campaign"]) == "c7"


def test_email_goes_through_djangos_configured_backend(
    mailoutbox: list, email_config: ChannelConfig
) -> None:
    """Without `smtp_settings`, pytest-django's locmem backend collects the message."""
    result = channel_for(email_config).send(mail())

    assert result.status == "sent"
    assert [m.to for m in mailoutbox] == [["amina@example.co.ke"]]
    assert mailoutbox[0].extra_headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>"


def test_email_permanently_refused_recipient_is_not_retried(
    smtp_settings: SMTPStub, email_config: ChannelConfig
) -> None:
    smtp_settings.refuse("amina@example.co.ke", "550 5.1.1 <amina@example.co.ke>: User unknown")

    result = channel_for(email_config).send(mail())

    assert result.status == "failed" and result.retryable is False
    assert "550" in result.error and "User unknown" in result.error
    assert smtp_settings.messages == []


def test_email_temporarily_refused_recipient_is_retried(
    smtp_settings: SMTPStub, email_config: ChannelConfig
) -> None:
    smtp_settings.refuse("amina@example.co.ke", "451 4.7.1 Greylisted, try again later")

    result = channel_for(email_config).send(mail())

    assert result.status == "failed" and result.retryable is True
    assert "451" in result.error


def test_email_rejected_message_is_not_retried(
    smtp_settings: SMTPStub, email_config: ChannelConfig
) -> None:
    smtp_settings.reject_next_data("554 5.7.1 Message rejected as spam")

    result = channel_for(email_config).send(mail())

    assert result.status == "failed" and result.retryable is False
    assert "554" in result.error and "spam" in result.error


def test_email_connection_refused_is_retried(settings, email_config: ChannelConfig) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", unused_port()

    result = channel_for(email_config).send(mail())

    assert result.status == "failed" and result.retryable is True
    assert "SMTP" in result.error


def test_email_timeout_is_retried(smtp_settings: SMTPStub, email_config: ChannelConfig) -> None:
    smtp_settings.hang_next_data()
    config = dataclasses.replace(email_config, timeout_seconds=FAST_TIMEOUT)

    started = time.monotonic()
    result = channel_for(config).send(mail())

    assert result.status == "failed" and result.retryable is True
    assert "timeout" in result.error.lower()
    assert time.monotonic() - started < 5


def test_email_header_injection_is_refused_before_connecting(
    smtp_settings: SMTPStub, email_config: ChannelConfig
) -> None:
    result = channel_for(email_config).send(mail(headers={"X-Note": "a\r\nBcc: x@evil.test"}))

    assert result.status == "failed" and result.retryable is False
    assert smtp_settings.messages == []


@pytest.mark.parametrize(
    ("exc", "retryable", "text"),
    [
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), True, "535"),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "duka@x"), False, "553"),
        (smtplib.SMTPSenderRefused(451, b"4.3.0 Try later", "duka@x"), True, "451"),
        (smtplib.SMTPDataError(552, b"5.3.4 Message too big"), False, "552"),
        (smtplib.SMTPConnectError(421, b"4.7.0 Too many connections"), True, "421"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, "closed"),
        (ConnectionRefusedError(111, "Connection refused"), True, "refused"),
        (socket.gaierror(-2, "Name or service not known"), True, "Name or service"),
    ],
)
def test_smtp_error_mapping(exc: Exception, retryable: bool, text: str) -> None:
    result = smtp_error_result(exc)
    assert result.status == "failed" and result.retryable is retryable
    assert text in result.error


def test_email_channel_refuses_sms_and_callbacks(email_config: ChannelConfig) -> None:
    channel = channel_for(email_config)
    assert channel.send(sms()).retryable is False
    with pytest.raises(MalformedCallback):
        channel.parse_delivery_report({"id": "x", "status": "delivered"})
    with pytest.raises(MalformedCallback):
        channel.parse_inbound({"from": "a@b.c", "text": "hi"})


# --- Africa's Talking -----------------------------------------------------------------------


def test_at_send_goes_through_the_sdk_to_the_api(at_stub: ATStub, at_config: ChannelConfig) -> None:
    result = channel_for(at_config).send(sms())

    request = at_stub.last
    assert (request.method, request.path) == ("POST", "/version1/messaging")
    assert request.headers["apikey"] == "at-test-key"
    assert request.headers["accept"] == "application/json"
    assert request.form == {
        "username": "wateja-test",
        "to": "+254711000111",
        "message": "Habari! Pointi 20 zimeongezwa.",
        "bulkSMSMode": "1",
        "from": "WATEJA",
    }
    assert result.status == "sent" and result.retryable is False
    assert result.provider_id.startswith("ATXid_") and result.cost == "KES 0.8000"
    recipients = result.raw["SMSMessageData"]["Recipients"]
    assert recipients[0]["messageId"] == result.provider_id


def test_at_send_unicode_text_and_no_sender_id(at_stub: ATStub, at_config: ChannelConfig) -> None:
    config = dataclasses.replace(at_config, sender="")
    text = "Բարև, Աննա։ Ձեր միավորները՝ 120"

    result = channel_for(config).send(sms(to="+37491000111", body=text))

    assert result.status == "sent"
    assert at_stub.last.form["message"] == text
    assert "from" not in at_stub.last.form


def test_at_channels_for_two_businesses_keep_their_own_credentials(at_stub: ATStub) -> None:
    with ATStub(username="other-shop", api_key="other-key") as other:
        first = channel_for(
            ChannelConfig(
                provider="africastalking",
                username=at_stub.username,
                api_key=at_stub.api_key,
                api_base=at_stub.url,
            )
        )
        second = channel_for(
            ChannelConfig(
                provider="africastalking",
                username="other-shop",
                api_key="other-key",
                api_base=other.url,
            )
        )
        assert first.send(sms()).status == "sent"
        assert second.send(sms()).status == "sent"
        assert first.send(sms()).status == "sent"

        assert [r.headers["apikey"] for r in at_stub.requests] == ["at-test-key"] * 2
        assert [r.form["username"] for r in other.requests] == ["other-shop"]
    assert africastalking.SMS is None  # the SDK's module-level singleton was never used


def test_at_sandbox_username_still_goes_to_api_base(at_stub: ATStub) -> None:
    stub = ATStub(username="sandbox", api_key="sandbox-key").start()
    try:
        config = ChannelConfig(
            provider="africastalking", username="sandbox", api_key="sandbox-key", api_base=stub.url
        )
        assert channel_for(config).send(sms()).status == "sent"
        assert stub.last.form["username"] == "sandbox"
    finally:
        stub.stop()


@pytest.mark.parametrize(
    ("code", "status", "expected"), [(100, "Processed", "sent"), (102, "Queued", "queued")]
)
def test_at_accepted_statuses(
    at_stub: ATStub, at_config: ChannelConfig, code: int, status: str, expected: str
) -> None:
    at_stub.next_recipient_status(code, status)

    result = channel_for(at_config).send(sms())

    assert result.status == expected and result.provider_id.startswith("ATXid_")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (401, "RiskHold"),
        (402, "InvalidSenderId"),
        (403, "InvalidPhoneNumber"),
        (404, "UnsupportedNumberType"),
        (406, "UserInBlacklist"),
        (407, "CouldNotRoute"),
        (409, "DoNotDisturbRejection"),
    ],
)
def test_at_rejections_are_final(
    at_stub: ATStub, at_config: ChannelConfig, code: int, status: str
) -> None:
    at_stub.next_recipient_status(code, status)

    result = channel_for(at_config).send(sms())

    assert result.status == "failed" and result.retryable is False
    assert result.error == f"{code} {status}"
    assert result.provider_id == ""


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (405, "InsufficientBalance"),
        (500, "InternalServerError"),
        (501, "GatewayError"),
        (502, "RejectedByGateway"),
    ],
)
def test_at_temporary_failures_are_retried(
    at_stub: ATStub, at_config: ChannelConfig, code: int, status: str
) -> None:
    at_stub.next_recipient_status(code, status)

    result = channel_for(at_config).send(sms())

    assert result.status == "failed" and result.retryable is True
    assert result.error == f"{code} {status}"


def test_at_json_with_a_charset_is_understood(at_stub: ATStub, at_config: ChannelConfig) -> None:
    """The SDK parses JSON only for exactly "application/json"; the channel parses the rest."""
    payload = {
        "SMSMessageData": {
            "Message": "Sent to 1/1 Total Cost: KES 0.8000",
            "Recipients": [
                {
                    "statusCode": 101,
                    "number": "+254711000111",
                    "status": "Success",
                    "cost": "KES 0.8000",
                    "messageId": "ATPid_SampleTxnId123",
                }
            ],
        }
    }
    body = StubResponse.of_json(201, payload).body
    at_stub.answer_next(StubResponse(201, body, "application/json; charset=utf-8"))

    result = channel_for(at_config).send(sms())

    assert (result.status, result.provider_id) == ("sent", "ATPid_SampleTxnId123")


def test_at_message_without_recipients_is_final(at_stub: ATStub, at_config: ChannelConfig) -> None:
    at_stub.answer_next(
        StubResponse.of_json(201, {"SMSMessageData": {"Message": "InvalidSenderId"}})
    )

    result = channel_for(at_config).send(sms())

    assert result.status == "failed" and result.retryable is False
    assert result.error == "InvalidSenderId"


def test_at_http_error_is_retried(at_stub: ATStub, at_config: ChannelConfig) -> None:
    at_stub.next_http_error(503, "Service Unavailable")

    result = channel_for(at_config).send(sms())

    assert result.status == "failed" and result.retryable is True
    assert "Service Unavailable" in result.error


def test_at_wrong_api_key_is_reported(at_stub: ATStub, at_config: ChannelConfig) -> None:
    result = channel_for(dataclasses.replace(at_config, api_key="wrong")).send(sms())

    assert result.status == "failed" and result.retryable is True
    assert "authentication is invalid" in result.error


def test_at_timeout_is_retried(at_stub: ATStub, at_config: ChannelConfig) -> None:
    at_stub.hang_next()
    config = dataclasses.replace(at_config, timeout_seconds=FAST_TIMEOUT)

    started = time.monotonic()
    result = channel_for(config).send(sms())

    assert result.status == "failed" and result.retryable is True
    assert "timeout" in result.error.lower()
    assert time.monotonic() - started < 5


def test_at_unreachable_is_retried(at_config: ChannelConfig) -> None:
    config = dataclasses.replace(at_config, api_base=f"http://127.0.0.1:{unused_port()}")

    result = channel_for(config).send(sms())

    assert result.status == "failed" and result.retryable is True


def test_at_invalid_number_fails_without_a_request(
    at_stub: ATStub, at_config: ChannelConfig
) -> None:
    result = channel_for(at_config).send(sms(to="0711000111"))

    assert result.status == "failed" and result.retryable is False
    assert "0711000111" in result.error
    assert at_stub.requests == []


@pytest.mark.parametrize(
    ("status", "expected", "final"),
    [
        ("Success", "delivered", True),
        ("Sent", "sent", False),
        ("Submitted", "sent", False),
        ("Buffered", "sent", False),
    ],
)
def test_at_delivery_reports(
    at_config: ChannelConfig, status: str, expected: str, final: bool
) -> None:
    form = {
        "id": "ATXid_0001",
        "status": status,
        "phoneNumber": "+254711000111",
        "networkCode": "63902",
    }

    report = channel_for(at_config).parse_delivery_report(form)

    assert (report.provider_id, report.status, report.final) == ("ATXid_0001", expected, final)
    assert report.reason == "" and report.raw == form


@pytest.mark.parametrize("status", ["Rejected", "Failed"])
def test_at_failed_delivery_reports_carry_the_reason(at_config: ChannelConfig, status: str) -> None:
    form = {
        "id": "ATXid_0001",
        "status": status,
        "phoneNumber": "+254711000111",
        "networkCode": "63902",
        "failureReason": "AbsentSubscriber",
    }

    report = channel_for(at_config).parse_delivery_report(form)

    assert (report.status, report.final, report.reason) == ("failed", True, "AbsentSubscriber")


@pytest.mark.parametrize(
    "form",
    [
        {"status": "Success", "phoneNumber": "+254711000111"},
        {"id": "", "status": "Success"},
        {"id": "ATXid_0001"},
        {"id": "ATXid_0001", "status": "Delivered"},
    ],
)
def test_at_malformed_delivery_reports(at_config: ChannelConfig, form: dict[str, str]) -> None:
    with pytest.raises(MalformedCallback):
        channel_for(at_config).parse_delivery_report(form)


def test_at_inbound_sms(at_config: ChannelConfig) -> None:
    form = {
        "from": "+254711000111",
        "to": "20880",
        "text": "STOP",
        "date": "2025-03-01 09:15:00",
        "id": "a1b2c3",
        "linkId": "SampleLinkId123",
    }

    inbound = channel_for(at_config).parse_inbound(form)

    assert (inbound.from_phone, inbound.to, inbound.text) == ("+254711000111", "20880", "STOP")
    assert inbound.provider_id == "a1b2c3" and inbound.raw["linkId"] == "SampleLinkId123"


@pytest.mark.parametrize(
    "form",
    [
        {"to": "20880", "text": "STOP", "id": "a1"},
        {"from": "+254711000111", "text": "STOP", "id": "a1"},
        {"from": "+254711000111", "to": "20880", "id": "a1"},
    ],
)
def test_at_malformed_inbound(at_config: ChannelConfig, form: dict[str, str]) -> None:
    with pytest.raises(MalformedCallback):
        channel_for(at_config).parse_inbound(form)


# --- Twilio ---------------------------------------------------------------------------------


def test_twilio_send_goes_through_the_sdk_to_the_api(
    twilio_stub: TwilioStub, twilio_config: ChannelConfig
) -> None:
    result = channel_for(twilio_config).send(sms())

    request = twilio_stub.last
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio_stub.account_sid}/Messages.json"
    assert request.basic_auth == (twilio_stub.account_sid, twilio_stub.auth_token)
    assert request.form == {
        "To": "+254711000111",
        "From": "+15005550006",
        "Body": "Habari! Pointi 20 zimeongezwa.",
        "StatusCallback": "https://wateja.example/hooks/twilio/status",
    }
    assert result.status == "queued" and result.retryable is False
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.raw["sid"] == result.provider_id


def test_twilio_send_from_a_messaging_service(
    twilio_stub: TwilioStub, twilio_config: ChannelConfig
) -> None:
    config = dataclasses.replace(twilio_config, sender="MG" + "a" * 32, callback_url="")
    text = "Спасибо! У вас 120 баллов."

    result = channel_for(config).send(sms(to="+37491000111", body=text))

    assert result.status == "queued"
    form = twilio_stub.last.form
    assert form["MessagingServiceSid"] == "MG" + "a" * 32 and form["Body"] == text
    assert "From" not in form and "StatusCallback" not in form


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, 21211, "The 'To' number +2547110 is not a valid phone number."),
        (400, 21610, "Attempt to send to unsubscribed recipient"),
        (400, 21408, "Permission to send an SMS has not been enabled for the region"),
    ],
)
def test_twilio_client_errors_are_final(
    twilio_stub: TwilioStub, twilio_config: ChannelConfig, status: int, code: int, message: str
) -> None:
    twilio_stub.next_error(status, code, message)

    result = channel_for(twilio_config).send(sms())

    assert result.status == "failed" and result.retryable is False
    assert str(code) in result.error and message in result.error
    assert result.raw["code"] == code


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (429, 20429, "Too Many Requests"),
        (500, 20500, "Internal Server Error"),
        (503, 20503, "Service Unavailable"),
    ],
)
def test_twilio_rate_limits_and_server_errors_are_retried(
    twilio_stub: TwilioStub, twilio_config: ChannelConfig, status: int, code: int, message: str
) -> None:
    twilio_stub.next_error(status, code, message)

    result = channel_for(twilio_config).send(sms())

    assert result.status == "failed" and result.retryable is True
    assert str(code) in result.error


def test_twilio_wrong_credentials_are_retried(
    twilio_stub: TwilioStub, twilio_config: ChannelConfig
) -> None:
    """A 401 is the business's configuration, not the message: retry once it is fixed."""
    result = channel_for(dataclasses.replace(twilio_config, auth_token="wrong")).send(sms())

    assert result.status == "failed" and result.retryable is True
    assert "20003" in result.error


def test_twilio_timeout_is_retried(twilio_stub: TwilioStub, twilio_config: ChannelConfig) -> None:
    twilio_stub.hang_next()
    config = dataclasses.replace(twilio_config, timeout_seconds=FAST_TIMEOUT)

    started = time.monotonic()
    result = channel_for(config).send(sms())

    assert result.status == "failed" and result.retryable is True
    assert "timeout" in result.error.lower()
    assert time.monotonic() - started < 5


def test_twilio_unreachable_is_retried(twilio_config: ChannelConfig) -> None:
    config = dataclasses.replace(twilio_config, api_base=f"http://127.0.0.1:{unused_port()}")

    result = channel_for(config).send(sms())

    assert result.status == "failed" and result.retryable is True


def test_twilio_failed_on_creation_is_final(
    twilio_stub: TwilioStub, twilio_config: ChannelConfig
) -> None:
    resource = twilio_stub.message_resource({"To": "+254711000111"}, status="failed")
    resource.update(error_code=30007, error_message="Message filtered")
    twilio_stub.answer_next(StubResponse.of_json(201, resource))

    result = channel_for(twilio_config).send(sms())

    assert result.status == "failed" and result.retryable is False
    assert "30007" in result.error


@pytest.mark.parametrize(
    ("status", "expected", "final"),
    [
        ("queued", "sent", False),
        ("sending", "sent", False),
        ("sent", "sent", False),
        ("delivered", "delivered", True),
    ],
)
def test_twilio_status_callbacks(
    twilio_config: ChannelConfig, status: str, expected: str, final: bool
) -> None:
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": status, "AccountSid": "AC1"}

    report = channel_for(twilio_config).parse_delivery_report(form)

    assert (report.provider_id, report.status, report.final) == ("SM" + "1" * 32, expected, final)
    assert report.reason == ""


@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_twilio_failed_status_callbacks_carry_the_error_code(
    twilio_config: ChannelConfig, status: str
) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": status, "ErrorCode": "30003"}

    report = channel_for(twilio_config).parse_delivery_report(form)

    assert (report.status, report.final) == ("failed", True)
    assert report.reason == f"{status} 30003"


@pytest.mark.parametrize(
    "form",
    [
        {"MessageStatus": "delivered"},
        {"MessageSid": "SM1"},
        {"MessageSid": "SM1", "MessageStatus": "teleported"},
    ],
)
def test_twilio_malformed_status_callbacks(
    twilio_config: ChannelConfig, form: dict[str, str]
) -> None:
    with pytest.raises(MalformedCallback):
        channel_for(twilio_config).parse_delivery_report(form)


def test_twilio_inbound_sms(twilio_config: ChannelConfig) -> None:
    form = {
        "MessageSid": "SM" + "2" * 32,
        "From": "+254711000111",
        "To": "+15005550006",
        "Body": "Acha",
        "NumMedia": "0",
    }

    inbound = channel_for(twilio_config).parse_inbound(form)

    assert (inbound.from_phone, inbound.to, inbound.text) == (
        "+254711000111",
        "+15005550006",
        "Acha",
    )
    assert inbound.provider_id == "SM" + "2" * 32


@pytest.mark.parametrize(
    "form",
    [
        {"MessageSid": "SM1", "To": "+15005550006", "Body": "x"},
        {"MessageSid": "SM1", "From": "+254711000111", "Body": "x"},
        {"From": "+254711000111", "To": "+15005550006", "Body": "x"},
        {"MessageSid": "SM1", "From": "+254711000111", "To": "+15005550006"},
    ],
)
def test_twilio_malformed_inbound(twilio_config: ChannelConfig, form: dict[str, str]) -> None:
    with pytest.raises(MalformedCallback):
        channel_for(twilio_config).parse_inbound(form)


def _twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's documented scheme: HMAC-SHA1 of the URL + sorted name/value pairs, base64."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_twilio_signature_validation() -> None:
    url = "https://wateja.example/hooks/twilio/inbound"
    params = {"From": "+254711000111", "To": "+15005550006", "Body": "STOP", "MessageSid": "SM1"}
    signature = _twilio_signature("secret-token", url, params)

    assert twilio_signature_valid("secret-token", url, params, signature)
    assert not twilio_signature_valid("other-token", url, params, signature)
    assert not twilio_signature_valid("secret-token", url, {**params, "Body": "HI"}, signature)
    assert not twilio_signature_valid("secret-token", url, params, "")
