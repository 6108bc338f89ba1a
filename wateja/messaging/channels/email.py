"""E-mail over SMTP through Django's mail machinery.

Builds a multipart text + HTML `EmailMultiAlternatives` with From ``"<sender_name>"
<config.sender>``, Reply-To, the caller's extra headers (List-Unsubscribe and
List-Unsubscribe-Post for RFC 8058 one-click unsubscribe) and a Message-ID that becomes the
provider id. The connection comes from `django.core.mail.get_connection()`, so the SMTP host,
port, credentials and TLS come from Django's EMAIL_* settings (and EMAIL_BACKEND chooses the
backend: SMTP in production, locmem in tests unless the `smtp_settings` fixture is used).

SMTP problems become `SendResult`s: connection refused, timeouts, dropped connections and 4xx
replies may be retried; a 5xx reply (recipient refused, message rejected) may not. Failed
authentication is the business's configuration, not the message's fault, so it is retryable:
the worker's backoff gives the owner time to fix the credentials.

E-mail has no delivery reports or inbound messages: those parsers raise `MalformedCallback`.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.utils import formataddr, make_msgid

from django.core.mail import EmailMultiAlternatives, get_connection

from wateja.messaging.channels.base import (
    ChannelConfig,
    DeliveryReport,
    Inbound,
    MalformedCallback,
    Outgoing,
    SendResult,
    failed,
)

DEFAULT_MSGID_DOMAIN = "wateja.local"


def _reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def smtp_error_result(exc: Exception) -> SendResult:
    """Map an exception raised while sending over SMTP to a failed `SendResult`."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # {recipient: (code, message)}; one recipient per message here
        code, message = next(iter(exc.recipients.values()), (0, b"recipient refused"))
        return failed(f"recipient refused: {_reply_text(code, message)}", retryable=code < 500)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return failed(
            f"SMTP authentication failed: {_reply_text(exc.smtp_code, exc.smtp_error)}",
            retryable=True,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        # sender refused, data refused, connect refused with a reply code
        kind = type(exc).__name__.removeprefix("SMTP")
        reply = _reply_text(exc.smtp_code, exc.smtp_error)
        return failed(f"{kind}: {reply}", retryable=not 500 <= exc.smtp_code < 600)
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        # smtplib reports a timeout while reading a reply as SMTPServerDisconnected
        return failed(f"SMTP timeout: {exc}", retryable=True)
    if isinstance(exc, smtplib.SMTPException | OSError):
        # server disconnected, connection refused, DNS failure, STARTTLS missing
        return failed(f"SMTP error: {type(exc).__name__}: {exc}", retryable=True)
    raise exc


def _message_id(outgoing: Outgoing, sender: str) -> str:
    for name, value in outgoing.headers.items():
        if name.lower() == "message-id":
            return value
    domain = sender.rpartition("@")[2] or DEFAULT_MSGID_DOMAIN
    return make_msgid(idstring=f"wateja.{outgoing.message_id}", domain=domain)


def build_email(config: ChannelConfig, outgoing: Outgoing) -> EmailMultiAlternatives:
    """The e-mail for `outgoing`, not yet bound to a connection."""
    headers = {k: v for k, v in outgoing.headers.items() if k.lower() != "message-id"}
    headers["Message-ID"] = _message_id(outgoing, config.sender)
    sender = (
        formataddr((outgoing.sender_name, config.sender)) if outgoing.sender_name else config.sender
    )
    message = EmailMultiAlternatives(
        subject=outgoing.subject,
        body=outgoing.body,
        from_email=sender,
        to=[outgoing.to],
        reply_to=[outgoing.reply_to] if outgoing.reply_to else None,
        headers=headers,
    )
    if outgoing.html:
        message.attach_alternative(outgoing.html, "text/html")
    return message


class EmailChannel:
    name = "smtp"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "email":
            return failed(f"the smtp channel cannot send {outgoing.channel!r}", retryable=False)
        try:
            message = build_email(self.config, outgoing)
            message_id = message.extra_headers["Message-ID"]
            # building the MIME message validates addresses and headers before connecting
            message.message()
        except ValueError as exc:  # invalid address, header injection (BadHeaderError)
            return failed(f"invalid e-mail: {exc}", retryable=False)
        try:
            with get_connection(
                fail_silently=False, timeout=self.config.timeout_seconds
            ) as connection:
                sent = connection.send_messages([message])
        except (smtplib.SMTPException, OSError) as exc:
            return smtp_error_result(exc)
        if not sent:
            return failed("the mail backend sent nothing", retryable=True)
        return SendResult(status="sent", provider_id=message_id, raw={"message_id": message_id})

    def parse_delivery_report(self, form: Mapping[str, str]) -> DeliveryReport:
        raise MalformedCallback("e-mail over SMTP has no delivery reports")

    def parse_inbound(self, form: Mapping[str, str]) -> Inbound:
        raise MalformedCallback("e-mail over SMTP has no inbound messages")
