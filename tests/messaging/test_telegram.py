"""Telegram end to end over HTTP: the bot's webhook (secret, /start with a card's code, the
keywords, Telegram's retries, a blocked bot), the worker sending through the Bot API (a local
stub that answers like Telegram: flood control, a blocked bot, an unreachable API), the
setWebhook call, and the pocket card's "in Telegram" button that mints the code."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client

from tests.helpers import free_port
from tests.messaging.factories import NOON, person, sms_template
from tests.messaging.telegram_stub import TelegramStub
from wateja.customers.links import card_link_rotate, card_page_token
from wateja.customers.models import Consent, ConsentSource
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.channels.telegram import TelegramSetupFailed, telegram_set_webhook
from wateja.messaging.config import messaging_settings_update
from wateja.messaging.messengers import link_code_issue
from wateja.messaging.models import (
    Delivery,
    InboundAction,
    InboundMessage,
    Message,
    MessageStatus,
    MessengerContact,
    MessengerLinkCode,
)
from wateja.messaging.worker import outbox_send_due
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.wallet.services import points_earn

CHAT = 5550001
_updates = iter(range(700_000_000, 800_000_000))


@pytest.fixture
def stub():
    with TelegramStub() as telegram:
        yield telegram


@pytest.fixture
def bot(business, stub):
    """The business's Telegram bot switched on for real, pointed at the stub."""
    row = messaging_settings_update(
        business=business,
        telegram_mode="live",
        telegram_bot_token=stub.token,
        telegram_bot_username=stub.username,
    )
    row.telegram_api_base = stub.url
    row.save()
    return row


def update(text, *, chat=CHAT, first_name="Amina", update_id=None, chat_type="private"):
    """An Update with a Message, as Telegram posts it."""
    return {
        "update_id": update_id or next(_updates),
        "message": {
            "message_id": 17,
            "from": {"id": chat, "is_bot": False, "first_name": first_name, "language_code": "sw"},
            "chat": {"id": chat, "first_name": first_name, "type": chat_type},
            "date": 1795770000,
            "text": text,
        },
    }


def member_update(status, *, chat=CHAT, old="member"):
    """An Update with my_chat_member: the bot's status in the customer's private chat."""
    bot_user = {"id": 123456, "is_bot": True, "first_name": "Kahawa", "username": "kahawa_bot"}
    return {
        "update_id": next(_updates),
        "my_chat_member": {
            "chat": {"id": chat, "first_name": "Amina", "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Amina"},
            "date": 1795770000,
            "old_chat_member": {"user": bot_user, "status": old},
            "new_chat_member": {"user": bot_user, "status": status, "until_date": 0},
        },
    }


def post(row, body, *, secret=None, client=None):
    headers = {"X-Telegram-Bot-Api-Secret-Token": row.telegram_secret if secret is None else secret}
    if secret == "":
        headers = {}
    return (client or Client()).post(
        f"/hooks/{row.hook_token}/telegram/",
        body if isinstance(body, (str, bytes)) else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def link(row, customer, chat=CHAT):
    code = link_code_issue(customer, "telegram").code
    assert post(row, update(f"/start {code}", chat=chat)).status_code == 200
    return InboundMessage.objects.filter(from_phone=str(chat)).latest("id")


def consent(customer, channel):
    """The customer's latest marketing consent on `channel` (None: never asked)."""
    return (
        Consent.objects.filter(customer=customer, channel=channel, purpose="marketing")
        .order_by("-recorded_at", "-id")
        .first()
    )


def sent_texts(stub):
    return [(r.json["chat_id"], r.json["text"]) for r in stub.calls("sendMessage")]


# --- the webhook -----------------------------------------------------------------------------


def test_start_with_a_fresh_code_links_the_chat_and_the_balance_goes_back_on_telegram(
    business, bot, stub
) -> None:
    customer = person(business, "Amina Wanjiru", language="sw")
    points_earn(customer=customer, amount=250, idempotency_key="tg-1")

    inbound = link(bot, customer)

    assert inbound.action == InboundAction.LINKED and inbound.customer == customer
    contact = MessengerContact.objects.get(business=business, channel="telegram")
    assert (contact.customer, contact.external_id, contact.display_name) == (
        customer, str(CHAT), "Amina"
    )  # fmt: skip
    given = consent(customer, "telegram")
    assert given.granted and given.source == ConsentSource.MESSENGER == "messenger"
    assert "Telegram" in given.text

    assert outbox_send_due() == {"sent": 1}
    request = stub.last
    assert request.path == f"/bot{stub.token}/sendMessage"
    assert request.json["chat_id"] == str(CHAT)
    assert request.json["link_preview_options"] == {"is_disabled": True}
    assert "una pointi 250" in request.json["text"]  # the balance, in Swahili
    reply = inbound.reply
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT and reply.provider == "telegram"
    assert reply.provider_id == f"{CHAT}:100"


@pytest.mark.parametrize("why", ["expired", "used"])
def test_an_expired_or_used_code_links_nothing_and_says_the_chat_is_not_linked(
    business, bot, stub, why
) -> None:
    customer = person(business)
    code = link_code_issue(customer, "telegram", now=NOON).code
    if why == "used":
        with time_machine.travel(NOON):
            assert post(bot, update(f"/start {code}", chat=42)).status_code == 200
        assert MessengerContact.objects.filter(external_id="42").delete()[0] == 1
    with time_machine.travel(NOON + dt.timedelta(hours=2 if why == "expired" else 0)):
        response = post(bot, update(f"/start {code}"))
    assert response.status_code == 200
    assert not MessengerContact.objects.filter(business=business).exists()
    inbound = InboundMessage.objects.get(from_phone=str(CHAT))
    assert inbound.customer is None and inbound.action != InboundAction.LINKED
    if why == "expired":
        assert consent(customer, "telegram") is None
    outbox_send_due()
    chat_id, text = sent_texts(stub)[-1]
    assert chat_id == str(CHAT) and "not linked to a loyalty card" in text


@pytest.mark.parametrize(
    ("language", "text", "action", "expected"),
    [
        ("sw", "/balance", "balance", "una pointi 90"),
        ("sw", "salio", "balance", "una pointi 90"),
        ("ru", "Баланс", "balance", "на вашем счёте баллов: 90"),
        ("en", "/offers", "offers", "Chai 2 for 1"),
        ("en", "/card", "card", "/my/"),
    ],
)
def test_keywords_and_bot_commands_answer_on_telegram_in_the_customers_language(
    business, bot, stub, language, text, action, expected
) -> None:
    customer = person(business, language=language)
    points_earn(customer=customer, amount=90, idempotency_key="tg-kw")
    offer = promotion_save(business=business, name="Chai 2 for 1", type="percent_off_order",
                           params={"percent_bp": 1000})  # fmt: skip
    promotion_set_status(promotion=offer, status="active")
    link(bot, customer)
    post(bot, update(text))
    inbound = InboundMessage.objects.latest("id")
    assert (inbound.action, inbound.customer) == (action, customer)
    outbox_send_due()
    chat_id, reply = sent_texts(stub)[-1]
    assert chat_id == str(CHAT) and expected in reply


def test_stop_withdraws_telegram_consent_only_and_confirms_there(business, bot, stub) -> None:
    customer = person(business, sms=True)
    link(bot, customer)
    post(bot, update("stop"))
    assert InboundMessage.objects.latest("id").action == InboundAction.STOP
    assert consent(customer, "telegram").granted is False
    assert consent(customer, "sms").granted is True
    outbox_send_due()
    chat_id, text = sent_texts(stub)[-1]
    assert chat_id == str(CHAT) and "no more messages from us by Telegram" in text


def test_a_repeated_update_is_answered_once(business, bot, stub) -> None:
    customer = person(business)
    link(bot, customer)
    again = update("salio")
    assert post(bot, again).status_code == 200
    assert post(bot, again).status_code == 200  # Telegram retries the same update_id
    assert InboundMessage.objects.filter(provider_id=str(again["update_id"])).count() == 1
    assert Message.objects.filter(channel="telegram").count() == 2  # the link's and one answer


def test_the_secret_header_must_match(business, bot) -> None:
    customer = person(business)
    code = link_code_issue(customer, "telegram").code
    body = update(f"/start {code}")
    missing = post(bot, body, secret="")
    wrong = post(bot, body, secret=bot.telegram_secret[:-1] + "x")
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.json()["code"] == wrong.json()["code"] == "callback_not_authenticated"
    assert not InboundMessage.objects.exists() and not MessengerContact.objects.exists()
    assert post(bot, body).status_code == 200
    assert MessengerContact.objects.get().customer == customer


def test_unknown_address_telegram_off_and_bodies_that_are_not_updates(business, bot) -> None:
    unknown = Client().post("/hooks/nope/telegram/", "{}", content_type="application/json")
    assert unknown.status_code == 404
    assert post(bot, "not json").status_code == 400
    assert post(bot, [1, 2]).json()["code"] == "bad_payload"
    assert post(bot, {"message": {"text": "hi"}}).status_code == 400  # no update_id
    assert post(bot, {"update_id": 5, "message": {"chat": "x"}}).status_code == 400
    # a group, a sticker: read and left alone
    group = update("salio", chat=-100123, chat_type="group")
    assert post(bot, group).json() == {"outcome": "ignored"}
    sticker = update("x")
    del sticker["message"]["text"]
    assert post(bot, sticker).json() == {"outcome": "ignored"}
    assert not InboundMessage.objects.exists()
    off = messaging_settings_update(business=business, telegram_mode="off")
    assert post(off, update("salio")).status_code == 404


@time_machine.travel(NOON, tick=False)
def test_blocking_the_bot_unlinks_the_chat_and_the_next_campaign_goes_by_sms(
    business, bot, stub
) -> None:
    customer = person(business, preferred_channel="telegram")
    link(bot, customer)
    outbox_send_due()
    assert post(bot, member_update("kicked")).json() == {"outcome": "unlinked"}
    contact = MessengerContact.objects.get()
    assert contact.unlinked_at is not None
    assert consent(customer, "telegram").granted is False
    # unblocking changes nothing until the customer writes /start again
    assert post(bot, member_update("member", old="kicked")).json() == {"outcome": "ignored"}
    contact.refresh_from_db()
    assert contact.unlinked_at is not None

    campaign = _campaign(business)
    campaign_launch(campaign=campaign, now=NOON)
    message = Message.objects.get(campaign=campaign)
    assert message.channel == "sms" and message.to_address == customer.phone
    outbox_send_due(now=NOON)
    assert len(stub.calls("sendMessage")) == 1  # only the link's answer ever went to Telegram


# --- sending -----------------------------------------------------------------------------


def _campaign(business):
    template = sms_template(business)
    return campaign_save(
        business=business, name="Chats", sms_template_id=template.pk, channel="preferred",
        offer="Chai 2 for 1", code="CHAI",
    )  # fmt: skip


@pytest.fixture
def fan(business, bot, stub):
    """A customer who prefers Telegram, linked, with the link's answer already sent."""
    customer = person(business, "Telegram Fan", preferred_channel="telegram")
    link(bot, customer)
    outbox_send_due(now=NOON)
    stub.requests.clear()
    return customer


@time_machine.travel(NOON, tick=False)
def test_a_campaign_goes_to_the_linked_chat(business, fan, stub) -> None:
    campaign_launch(campaign=_campaign(business), now=NOON)
    assert outbox_send_due(now=NOON) == {"sent": 1}
    assert stub.last.json["chat_id"] == str(CHAT)
    assert "Chai 2 for 1" in stub.last.json["text"] and "CHAI" in stub.last.json["text"]
    message = Message.objects.get(campaign__isnull=False)
    assert message.channel == "telegram" and message.status == MessageStatus.SENT


@time_machine.travel(NOON, tick=False)
def test_flood_control_429_is_retried_later(business, fan, stub) -> None:
    campaign_launch(campaign=_campaign(business), now=NOON)
    stub.next_error(429, "Too Many Requests: retry after 7", retry_after=7)
    assert outbox_send_due(now=NOON) == {"queued": 1}
    message = Message.objects.get(campaign__isnull=False)
    assert "429" in message.last_error and message.attempts == 1
    retry = Delivery.objects.get(message=message, outcome="retry")
    assert retry.raw["retry_after"] == 7
    assert outbox_send_due(now=message.not_before) == {"sent": 1}
    assert len(stub.calls("sendMessage")) == 2


@pytest.mark.parametrize(
    ("status", "description", "reason"),
    [
        (403, "Forbidden: bot was blocked by the user", "blocked the bot"),
        (403, "Forbidden: user is deactivated", "deleted their Telegram account"),
        (400, "Bad Request: chat not found", "chat not found"),
    ],
)
@time_machine.travel(NOON, tick=False)
def test_a_refusal_fails_at_once_and_the_sms_fallback_goes(
    business, fan, stub, status, description, reason
) -> None:
    campaign_launch(campaign=_campaign(business), now=NOON)
    stub.next_error(status, description)
    assert outbox_send_due(now=NOON) == {"failed": 1}
    chat = Message.objects.get(campaign__isnull=False, channel="telegram")
    assert chat.status == MessageStatus.FAILED and chat.attempts == 1
    assert reason in chat.last_error
    fallback = Message.objects.get(fallback_of=chat)
    assert (fallback.channel, fallback.to_address) == ("sms", fan.phone)
    assert "CHAI" in fallback.body
    assert outbox_send_due(now=NOON) == {"sent": 1}  # the SMS (record-only provider here)
    assert len(stub.calls("sendMessage")) == 1


@time_machine.travel(NOON, tick=False)
def test_an_unreachable_api_is_retried_and_the_token_never_shows(business, fan, bot) -> None:
    bot.telegram_api_base = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    bot.save()
    campaign_launch(campaign=_campaign(business), now=NOON)
    assert outbox_send_due(now=NOON) == {"queued": 1}
    message = Message.objects.get(campaign__isnull=False)
    assert message.last_error.startswith("Telegram unreachable")
    secret_part = bot.telegram_bot_token.split(":")[1]
    details = [message.last_error, *Delivery.objects.values_list("detail", flat=True)]
    raws = [json.dumps(raw) for raw in Delivery.objects.values_list("raw", flat=True)]
    assert not any(secret_part in text for text in details + raws)


# --- setWebhook --------------------------------------------------------------------------


def test_set_webhook_registers_the_address_the_secret_and_the_updates(bot, stub, settings):
    settings.PUBLIC_URL = "https://wateja.example"
    assert telegram_set_webhook(bot) == "Webhook was set"
    request = stub.last
    assert request.path == f"/bot{stub.token}/setWebhook"
    assert request.json == {
        "url": f"https://wateja.example/hooks/{bot.hook_token}/telegram/",
        "secret_token": bot.telegram_secret,
        "allowed_updates": ["message", "my_chat_member"],
    }


def test_set_webhook_says_why_telegram_refused(bot, stub, settings) -> None:
    settings.PUBLIC_URL = "http://localhost:8000"
    with pytest.raises(TelegramSetupFailed) as refused:
        telegram_set_webhook(bot)
    assert "HTTPS url must be provided" in str(refused.value.message)
    assert refused.value.status == 400 and refused.value.code == "telegram_setup_failed"
    settings.PUBLIC_URL = "https://wateja.example"
    bot.telegram_bot_token = "999:wrong"
    with pytest.raises(TelegramSetupFailed) as unknown:
        telegram_set_webhook(bot)
    assert "does not know this bot token" in str(unknown.value.message)
    assert "999:wrong" not in str(unknown.value.message)


# --- the pocket card ---------------------------------------------------------------------


def card_path(customer):
    return f"/my/{card_page_token(customer.cards.get())}/"


def test_the_card_offers_each_chat_app_and_shows_the_linked_ones(business, bot) -> None:
    messaging_settings_update(business=business, viber_mode="outbox", viber_bot_uri="kahawa")
    customer = person(business)
    client = Client()
    page = client.get(card_path(customer)).content.decode()
    assert "Get your balance and offers in Telegram" in page
    assert "Get your balance and offers in Viber" in page
    assert "offers in WhatsApp" not in page and "chat-link-whatsapp" not in page  # off
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # the strict CSP: nothing inline

    link(bot, customer)
    page = client.get(card_path(customer)).content.decode()
    assert "Linked to Telegram ✓" in page
    assert "Get your balance and offers in Telegram" not in page
    assert "Get your balance and offers in Viber" in page


def test_the_button_sends_the_phone_to_the_bot_with_a_fresh_code(business, bot) -> None:
    customer = person(business, language="ru")
    client = Client()
    page = client.get(card_path(customer), headers={"Accept-Language": "ru"})
    href = re.search(r'href="([^"]+/chat/telegram/)"', page.content.decode()).group(1)
    response = client.get(href)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "t.me", "/kahawa_bot")
    code = parse_qs(target.query)["start"][0]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code)
    issued = MessengerLinkCode.objects.get(code=code)
    assert (issued.customer, issued.channel, issued.used_at) == (customer, "telegram", None)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]

    post(bot, update(f"/start {code}"))  # what Telegram then posts
    assert MessengerContact.objects.get().customer == customer

    messaging_settings_update(business=business, viber_mode="outbox", viber_bot_uri="kahawa")
    viber = client.get(href.replace("/telegram/", "/viber/"))
    assert viber.status_code == 302
    assert viber["Location"].startswith("viber://pa?chatURI=kahawa&context=")


def test_the_button_refuses_what_the_card_page_refuses(business, bot) -> None:
    customer = person(business)
    path = card_path(customer)
    client = Client()
    assert client.get(f"{path}chat/whatsapp/").status_code == 404  # not offered
    assert client.get(f"{path}chat/sms/").status_code == 404
    assert client.get("/my/forged/chat/telegram/").status_code == 404
    card_link_rotate(card=customer.cards.get())
    expired = client.get(f"{path}chat/telegram/")
    assert expired.status_code == 410
    assert expired.content == client.get(path).content  # the card page's own answer
    assert not MessengerLinkCode.objects.exists()


def test_the_button_is_rate_limited_per_card(business, bot) -> None:
    customer = person(business)
    path = f"{card_path(customer)}chat/telegram/"
    answers = [Client(REMOTE_ADDR=f"10.0.0.{n}").get(path).status_code for n in range(12)]
    assert answers == [302] * 10 + [429] * 2
    refused = Client(REMOTE_ADDR="10.0.1.1").get(path)
    assert refused["Retry-After"]
    assert "Too many tries" in refused.content.decode()
    assert MessengerLinkCode.objects.count() == 10
