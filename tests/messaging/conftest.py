"""Fixtures for messaging tests: local provider stubs and channel configs pointing at them.

    def test_sms(at_stub, at_config):
        result = channel_for(at_config).send(Outgoing(1, "sms", "+254711000111", "Habari"))
        assert at_stub.last.form["message"] == "Habari"

- `smtp_server`: a running `stubs.SMTPStub` (aiosmtpd); `.messages`, `.last` (parsed),
  `.refuse(address, reply)`, `.reject_next_data(reply)`, `.hang_next_data(seconds)`.
- `smtp_settings`: `smtp_server`, with Django's EMAIL_BACKEND (SMTP), EMAIL_HOST and
  EMAIL_PORT pointed at it through pytest-django's `settings` (pytest-django otherwise
  swaps in the locmem backend, whose `mailoutbox` then collects instead).
- `at_stub` / `twilio_stub`: running `stubs.ATStub` / `stubs.TwilioStub`; `.requests`,
  `.last` (`.form`, `.headers`, `.basic_auth`), `.answer_next()`, `.hang_next()`, and
  `at_stub.next_recipient_status(code, status)`, `twilio_stub.next_error(status, code, msg)`.
- `email_config`, `at_config`, `twilio_config`: `ChannelConfig`s for those (a short timeout;
  use `dataclasses.replace` to change a field).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.messaging.stubs import ATStub, SMTPStub, TwilioStub
from wateja.messaging.channels.base import ChannelConfig

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

STUB_TIMEOUT_SECONDS = 2.0


@pytest.fixture
def smtp_server() -> Iterator[SMTPStub]:
    with SMTPStub() as server:
        yield server


@pytest.fixture
def smtp_settings(settings: Settings, smtp_server: SMTPStub) -> SMTPStub:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = STUB_TIMEOUT_SECONDS
    return smtp_server


@pytest.fixture
def at_stub() -> Iterator[ATStub]:
    with ATStub() as stub:
        yield stub


@pytest.fixture
def twilio_stub() -> Iterator[TwilioStub]:
    with TwilioStub() as stub:
        yield stub


@pytest.fixture
def email_config() -> ChannelConfig:
    return ChannelConfig(
        provider="smtp", sender="duka@wateja.test", timeout_seconds=STUB_TIMEOUT_SECONDS
    )


@pytest.fixture
def at_config(at_stub: ATStub) -> ChannelConfig:
    return ChannelConfig(
        provider="africastalking",
        sender="WATEJA",
        username=at_stub.username,
        api_key=at_stub.api_key,
        api_base=at_stub.url,
        timeout_seconds=STUB_TIMEOUT_SECONDS,
    )


@pytest.fixture
def twilio_config(twilio_stub: TwilioStub) -> ChannelConfig:
    return ChannelConfig(
        provider="twilio",
        sender="+15005550006",
        account_sid=twilio_stub.account_sid,
        auth_token=twilio_stub.auth_token,
        api_base=twilio_stub.url,
        callback_url="https://wateja.example/hooks/twilio/status",
        timeout_seconds=STUB_TIMEOUT_SECONDS,
    )
