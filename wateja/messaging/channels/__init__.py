"""Sending channels behind one interface (`base.Channel`), and `channel_for` to pick one.

    channel = channel_for(ChannelConfig(provider="africastalking", username=..., api_key=...))
    result = channel.send(Outgoing(message_id=7, channel="sms", to="+254711000111", body="Hi"))

Providers: "outbox" (development, sends nothing), "smtp" (e-mail through Django's mail
machinery), "africastalking" and "twilio" (SMS through their SDKs), "whatsapp" (Cloud API),
"telegram" (Bot API) and "viber" (REST bot API) over HTTPS.
"""

from __future__ import annotations

from collections.abc import Callable

from wateja.messaging.channels.base import (
    Channel,
    ChannelConfig,
    DeliveryReport,
    Inbound,
    MalformedCallback,
    Outgoing,
    SendResult,
)

PROVIDERS = ("outbox", "smtp", "africastalking", "twilio", "whatsapp", "telegram", "viber")


def _factory(provider: str) -> Callable[[ChannelConfig], Channel]:
    # imported lazily so that a process using only e-mail never loads the SMS SDKs
    if provider == "outbox":
        from wateja.messaging.channels.outbox import OutboxChannel

        return OutboxChannel
    if provider == "smtp":
        from wateja.messaging.channels.email import EmailChannel

        return EmailChannel
    if provider == "africastalking":
        from wateja.messaging.channels.africastalking import AfricasTalkingChannel

        return AfricasTalkingChannel
    if provider == "twilio":
        from wateja.messaging.channels.twilio import TwilioChannel

        return TwilioChannel
    if provider == "whatsapp":
        from wateja.messaging.channels.whatsapp import WhatsAppChannel

        return WhatsAppChannel
    if provider == "telegram":
        from wateja.messaging.channels.telegram import TelegramChannel

        return TelegramChannel
    if provider == "viber":
        from wateja.messaging.channels.viber import ViberChannel

        return ViberChannel
    raise ValueError(f"unknown messaging provider {provider!r}; expected one of {PROVIDERS}")


def channel_for(config: ChannelConfig) -> Channel:
    """The channel for a business's provider; ValueError for an unknown provider."""
    return _factory(config.provider)(config)


__all__ = [
    "PROVIDERS",
    "Channel",
    "ChannelConfig",
    "DeliveryReport",
    "Inbound",
    "MalformedCallback",
    "Outgoing",
    "SendResult",
    "channel_for",
]
