"""Demo chat apps, all record-only (the outbox keeps what would be sent): the café on Telegram
(@kahawa_demo_bot) and WhatsApp, the flower shop on Viber. A few customers linked their chat
from their card's page (the link code, and their consent with it) and prefer it; one left
Viber again. A few wrote to the bot: a balance question in Swahili on WhatsApp, /balance on
Telegram, "Ակցիաներ" on Viber; the answers wait in the outbox until the worker moves them
from queued to sent."""

from __future__ import annotations

import datetime as dt
import random
import string
from typing import Any

from django.utils import timezone

from wateja.customers.models import Customer
from wateja.customers.services import customer_update
from wateja.messaging.config import messaging_settings_update
from wateja.messaging.messengers import (
    chat_message,
    contact_link,
    contact_unlink,
    link_code_issue,
)
from wateja.messaging.models import SendChannel
from wateja.tenants.models import Business

CAFE_APPS: dict[str, Any] = {
    "telegram_mode": "outbox",
    "telegram_bot_username": "kahawa_demo_bot",
    "whatsapp_mode": "outbox",
    "whatsapp_number": "+254712000222",
    "whatsapp_phone_number_id": "104857600000222",
    "whatsapp_price_minor": 110,  # KES 1.10 per marketing template message
}
FLOWER_APPS: dict[str, Any] = {
    "viber_mode": "outbox",
    "viber_bot_uri": "vardanots",
    "viber_bot_name": "Վարդանոց",
    "viber_price_minor": 1200,  # AMD 12 per message
}
# (app, customers linking it, what some of them then write)
CAFE_LINKS = [
    (SendChannel.WHATSAPP, 4, ["Salio langu?", "Ofa za leo?"]),
    (SendChannel.TELEGRAM, 4, ["/balance"]),
]
FLOWER_LINKS = [(SendChannel.VIBER, 5, ["Ակցիաներ", "Баланс"])]


def _chat_id(app: str, customer: Customer, rng: random.Random) -> str:
    """The id each app names a customer by: WhatsApp the number, Telegram a chat number,
    Viber an opaque id."""
    if app == SendChannel.WHATSAPP:
        return customer.phone.lstrip("+")
    if app == SendChannel.TELEGRAM:
        return str(rng.randint(100_000_000, 7_999_999_999))
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(22)) + "=="


def seed_chats(business: Business, rng: random.Random, customers: list[Customer]) -> dict[str, int]:
    cafe = business.currency == "KES"
    messaging_settings_update(business=business, **(CAFE_APPS if cafe else FLOWER_APPS))
    now = timezone.now()
    languages = ("sw", "en") if cafe else ("hy", "ru")
    eligible = [
        c
        for c in customers
        if c.phone
        and c.is_active
        and not c.is_blocked
        and (c.language or business.default_language) in languages
    ]
    links = CAFE_LINKS if cafe else FLOWER_LINKS
    chosen = rng.sample(eligible, min(len(eligible), sum(n for _app, n, _texts in links)))
    counts = {"linked": 0, "chat_messages": 0}
    for app, n, texts in links:
        group, chosen = chosen[:n], chosen[n:]
        chats = []
        for customer in group:
            linked_at = now - dt.timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 10))
            code = link_code_issue(customer, app, now=linked_at).code
            external_id = _chat_id(app, customer, rng)
            contact = contact_link(
                business=business,
                channel=app,
                external_id=external_id,
                code=code,
                display_name=customer.name.split(" ")[0],
                now=linked_at,
            )
            if contact is None:
                continue
            customer_update(customer=customer, preferred_channel=app)
            chats.append((customer, external_id))
            counts["linked"] += 1
        # the first writes in their own language: Swahili on WhatsApp, Armenian on Viber
        chats.sort(key=lambda chat: (chat[0].language or business.default_language) != languages[0])
        if chats and (chats[0][0].language or business.default_language) != languages[0]:
            customer_update(customer=chats[0][0], language=languages[0])  # whoever the draw gave
        for (_customer, external_id), text in zip(chats, texts, strict=False):
            chat_message(
                business=business,
                channel=app,
                external_id=external_id,
                text=text,
                provider_id=f"demo-{app}-{external_id}",
                now=now - dt.timedelta(minutes=rng.randint(3, 50)),
            )
            counts["chat_messages"] += 1
        if app == SendChannel.VIBER and len(chats) > len(texts):
            _customer, external_id = chats[-1]  # unsubscribed in Viber: shown as "left"
            contact_unlink(
                business=business,
                channel=app,
                external_id=external_id,
                now=now - dt.timedelta(days=1),
            )
    return counts
