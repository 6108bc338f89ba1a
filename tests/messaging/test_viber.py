"""The Viber bot of a café in Yerevan, end to end: the worker sending through a local stand-in
of Viber's REST bot API (retries, errors, the SMS fallback), and Viber's signed callbacks over
HTTP: linking a chat from the card's deep link (welcome message), keywords in Armenian and
Russian, retried callbacks, unsubscribing, delivery receipts, and setting the webhook."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.messaging.factories import NOON, person, sms_template
from tests.messaging.stubs import StubResponse
from tests.messaging.viber_stub import (
    ViberStub,
    conversation_started,
    message,
    receipt,
    signature,
    signed,
    subscribed,
    unsubscribed,
    webhook_check,
)
from wateja.core.errors import DomainError
from wateja.customers.links import public_url
from wateja.customers.models import Consent, Customer
from wateja.customers.selectors import has_consent
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.channels import channel_for
from wateja.messaging.channels.base import ChannelConfig, Outgoing
from wateja.messaging.channels.viber import ViberError, viber_set_webhook
from wateja.messaging.config import messaging_settings
from wateja.messaging.messengers import deep_link, link_code_issue
from wateja.messaging.models import (
    InboundMessage,
    Message,
    MessageStatus,
    MessagingSettings,
    MessengerContact,
)
from wateja.messaging.worker import outbox_send_due
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.models import Business
from wateja.wallet.services import points_earn

BOT_NAME = "Ծաղիկ սրճարան"
_viber_ids = itertools.count(1)
_phones = itertools.count(100_000)


@pytest.fixture
def viber_stub() -> Iterator[ViberStub]:
    with ViberStub() as stub:
        yield stub


@pytest.fixture
def cafe(make_business) -> Business:
    return make_business(
        name="Ծաղիկ", country="AM", currency="AMD", timezone_name="Asia/Yerevan",
        default_language="hy",
    )  # fmt: skip


@dataclass
class Bot:
    """The café's Viber bot pointed at the stub, and Viber's side of its webhook."""

    row: MessagingSettings
    stub: ViberStub
    client: Client

    @property
    def address(self) -> str:
        return f"/hooks/{self.row.hook_token}/viber/"

    def post(self, payload: dict[str, Any], *, token: str | None = None) -> Any:
        """What Viber posts: the JSON body signed with the bot's token (or `token`)."""
        body, sig = signed(token or self.row.viber_auth_token, payload)
        return self.post_raw(body, sig)

    def post_raw(self, body: bytes, sig: str | None) -> Any:
        headers = {} if sig is None else {"X-Viber-Content-Signature": sig}
        return self.client.post(
            self.address, data=body, content_type="application/json", headers=headers
        )

    def link(self, customer: Customer, *, subscribed: bool = False) -> tuple[str, Any]:
        """The customer taps the Viber button on their card: Viber opens the deep link and
        calls back with its context. Returns their Viber id and the webhook's answer."""
        code = link_code_issue(customer, "viber").code
        context = parse_qs(urlsplit(deep_link(self.row, "viber", code)).query)["context"][0]
        user_id = f"viber-user-{next(_viber_ids)}=="
        answer = self.post(conversation_started(user_id, context=context, subscribed=subscribed))
        return user_id, answer


@pytest.fixture
def bot(cafe, viber_stub) -> Bot:
    row = messaging_settings(cafe)
    row.viber_mode = "live"
    row.viber_auth_token = viber_stub.auth_token
    row.viber_bot_uri = "tsaghik"
    row.viber_bot_name = BOT_NAME
    row.viber_api_base = viber_stub.url
    row.save()
    return Bot(row=row, stub=viber_stub, client=Client())


def armenian(business: Business, **fields: Any) -> Customer:
    fields.setdefault("language", "hy")
    return person(business, "Անի Պետրոսյան", phone=f"+37491{next(_phones):06d}", **fields)


def _campaign(business: Business, channel: str = "viber") -> Any:
    template = sms_template(business, en="{name}, coffee 2 for 1", hy="{name}, սուրճ 2-ը 1-ի գնով")
    campaign = campaign_save(
        business=business, name="Սուրճ", channel=channel, sms_template_id=template.pk
    )
    return campaign_launch(campaign=campaign, now=NOON)


def _viber_message(business: Business) -> Message:
    return Message.objects.get(business=business, channel="viber", campaign__isnull=False)


# --- sending --------------------------------------------------------------------------------


def test_the_worker_sends_a_campaign_on_viber_in_armenian(cafe, bot) -> None:
    customer = armenian(cafe)
    user_id, _answer = bot.link(customer)
    _campaign(cafe)

    assert outbox_send_due(now=NOON) == {"sent": 1}
    request = bot.stub.last
    assert request.path == "/pa/send_message"
    assert request.headers["x-viber-auth-token"] == bot.stub.auth_token
    body = request.json
    assert body["receiver"] == user_id
    assert body["sender"] == {"name": BOT_NAME}
    assert body["type"] == "text" and body["min_api_version"] == 1
    assert body["text"].startswith("Անի, սուրճ 2-ը 1-ի գնով")
    sent = _viber_message(cafe)
    assert body["tracking_data"] == str(sent.pk)
    assert sent.status == MessageStatus.SENT
    assert sent.provider == "viber"
    assert sent.provider_id == str(bot.stub.tokens[-1])  # Viber's message_token


def test_too_many_requests_is_retried_later(cafe, bot) -> None:
    customer = armenian(cafe)
    bot.link(customer)
    _campaign(cafe)
    bot.stub.next_status(12)

    assert outbox_send_due(now=NOON) == {"queued": 1}
    waiting = _viber_message(cafe)
    assert "tooManyRequests" in waiting.last_error
    assert waiting.attempts == 1
    assert outbox_send_due(now=waiting.not_before) == {"sent": 1}
    assert _viber_message(cafe).status == MessageStatus.SENT
    assert len(bot.stub.sent) == 2


def test_a_receiver_not_subscribed_fails_at_once_and_goes_by_sms_once(cafe, bot) -> None:
    customer = armenian(cafe, preferred_channel="viber")
    bot.link(customer)
    _campaign(cafe, channel="preferred")
    bot.stub.next_status(6)

    assert outbox_send_due(now=NOON) == {"failed": 1}
    failed = _viber_message(cafe)
    assert failed.attempts == 1
    assert "receiverNotSubscribed" in failed.last_error
    fallback = Message.objects.get(fallback_of=failed)
    assert fallback.channel == "sms"
    assert fallback.to_address == customer.phone
    assert fallback.body.startswith("Անի, սուրճ 2-ը 1-ի գնով")
    assert outbox_send_due(now=NOON) == {"sent": 1}  # the SMS
    assert outbox_send_due(now=NOON + dt.timedelta(hours=1)) == {}
    assert Message.objects.filter(fallback_of=failed).count() == 1
    assert len(bot.stub.sent) == 1


def test_channel_errors_say_whether_to_try_again(viber_stub) -> None:
    config = ChannelConfig(
        provider="viber", sender=BOT_NAME, auth_token=viber_stub.auth_token,
        api_base=viber_stub.url, timeout_seconds=0.5,
    )  # fmt: skip
    channel = channel_for(config)

    def send(text: str = "Բարև") -> Any:
        return channel.send(Outgoing(message_id=7, channel="viber", to="u1==", body=text))

    assert send().status == "sent"
    viber_stub.answer_next(StubResponse.of_text(503, "Service Unavailable"))
    assert send().retryable
    viber_stub.hang_next()
    timed_out = send()
    assert timed_out.status == "failed" and timed_out.retryable
    viber_stub.next_status(2)
    wrong_token = send()
    assert not wrong_token.retryable and "invalidAuthToken" in wrong_token.error
    long = send("ա" * 7001)
    assert not long.retryable and "7000" in long.error
    assert send("ա" * 7000).status == "sent"
    assert len(viber_stub.sent[-1]["text"]) == 7000
    unnamed = channel_for(dataclasses.replace(config, sender="")).send(
        Outgoing(message_id=8, channel="viber", to="u1==", body="Բարև")
    )
    assert unnamed.status == "failed" and not unnamed.retryable


# --- who calls ------------------------------------------------------------------------------


def test_only_callbacks_signed_with_the_bots_token_are_read(cafe, bot) -> None:
    customer = armenian(cafe)
    user_id, _answer = bot.link(customer)
    linked_inbound = InboundMessage.objects.count()
    payload = message(user_id, "ՄՆԱՑՈՐԴ")
    body, good = signed(bot.row.viber_auth_token, payload)

    missing = bot.post_raw(body, None)
    assert missing.status_code == 401
    assert missing.json()["code"] == "callback_not_authenticated"
    assert bot.post(payload, token="someone-elses-token").status_code == 401
    tampered = body.replace("ՄՆԱՑՈՐԴ".encode(), b"STOP")
    assert bot.post_raw(tampered, good).status_code == 401
    assert InboundMessage.objects.count() == linked_inbound  # nothing read
    assert has_consent(customer, "viber")

    assert bot.post_raw(body, good).status_code == 200
    assert InboundMessage.objects.count() == linked_inbound + 1


def test_unknown_address_viber_off_and_unreadable_bodies(cafe, bot) -> None:
    assert Client().post("/hooks/nope/viber/", data=b"{}", content_type="application/json")\
        .status_code == 404  # fmt: skip
    check = bot.post(webhook_check())
    assert check.status_code == 200 and check.content == b""
    not_json = b"{not json"
    unreadable = bot.post_raw(not_json, signature(bot.row.viber_auth_token, not_json))
    assert unreadable.status_code == 400 and unreadable.json()["code"] == "bad_payload"
    assert bot.post({}).status_code == 400  # no event
    assert bot.post({"event": "message", "message_token": 1}).status_code == 400  # no sender
    assert bot.post({"event": "client_status", "timestamp": 1}).status_code == 200
    bot.row.viber_mode = "off"
    bot.row.save()
    assert bot.post(webhook_check()).status_code == 404
    assert not InboundMessage.objects.exists()


# --- linking from the card ------------------------------------------------------------------


def test_the_deep_link_links_the_chat_and_the_welcome_answers_in_armenian(cafe, bot) -> None:
    customer = armenian(cafe, sms=None)
    points_earn(customer=customer, amount=340, idempotency_key="v-1")
    user_id, answer = bot.link(customer)

    assert answer.status_code == 200
    welcome = answer.json()  # Viber shows the answer's body as the welcome message
    assert welcome["type"] == "text"
    assert welcome["sender"] == {"name": BOT_NAME}
    assert "receiver" not in welcome
    assert "դուք ունեք 340 միավոր" in welcome["text"]
    contact = MessengerContact.objects.get(customer=customer)
    assert (contact.channel, contact.external_id, contact.display_name) == (
        "viber", user_id, "Անի"
    )  # fmt: skip
    assert has_consent(customer, "viber")
    assert has_consent(customer, "viber", purpose="service")
    consent = Consent.objects.filter(customer=customer, channel="viber").latest("id")
    assert consent.source == "messenger"
    assert not has_consent(customer, "sms")  # only Viber
    reply = InboundMessage.objects.get(customer=customer).reply
    assert reply.channel == "viber" and reply.to_address == user_id
    assert reply.status == MessageStatus.SENT and reply.body == welcome["text"]
    assert welcome["tracking_data"] == str(reply.pk)
    assert outbox_send_due() == {}  # already shown as the welcome: not sent again
    assert bot.stub.sent == []


def test_a_used_or_unknown_link_code_links_no_one(cafe, bot) -> None:
    customer = armenian(cafe)
    code = link_code_issue(customer, "viber").code
    assert bot.post(conversation_started("viber-first==", context=code)).status_code == 200
    for context in (code, "not-a-code-of-ours-1234"):
        answer = bot.post(conversation_started("viber-someone-else==", context=context))
        assert answer.status_code == 200
        assert answer.json()["text"].startswith("Ծաղիկ:")  # how to link, in the welcome
    strangers = InboundMessage.objects.filter(from_phone="viber-someone-else==")
    assert [(m.customer, m.action) for m in strangers] == [(None, "start"), (None, "start")]
    linked = MessengerContact.objects.get()
    assert (linked.customer, linked.external_id) == (customer, "viber-first==")


def test_viber_retrying_the_conversation_started_gets_the_same_welcome_once(cafe, bot) -> None:
    customer = armenian(cafe)
    code = link_code_issue(customer, "viber").code
    payload = conversation_started("viber-retry==", context=code)
    first = bot.post(payload).json()
    second = bot.post(payload).json()
    assert first == second
    assert InboundMessage.objects.filter(channel="viber").count() == 1
    assert Message.objects.filter(channel="viber").count() == 1


def test_a_subscriber_linking_gets_the_answer_from_the_worker(cafe, bot) -> None:
    customer = armenian(cafe)
    user_id, answer = bot.link(customer, subscribed=True)
    assert answer.status_code == 200 and answer.content == b""
    assert outbox_send_due() == {"sent": 1}
    assert bot.stub.last.json["receiver"] == user_id
    assert "միավոր" in bot.stub.last.json["text"]


def test_opening_the_chat_without_a_link_code_links_nothing(cafe, bot) -> None:
    armenian(cafe)
    answer = bot.post(conversation_started("viber-stranger=="))
    assert answer.status_code == 200 and answer.content == b""
    assert not MessengerContact.objects.exists()
    assert not InboundMessage.objects.exists()
    assert not Message.objects.exists()


# --- what customers write -------------------------------------------------------------------


@pytest.mark.parametrize("word", ["ՄՆԱՑՈՐԴ", "баланс", "/balance"])
def test_balance_words_answer_on_viber(cafe, bot, word) -> None:
    customer = armenian(cafe)
    points_earn(customer=customer, amount=75, idempotency_key="v-2")
    user_id, _answer = bot.link(customer)
    assert bot.post(message(user_id, word)).status_code == 200

    inbound = InboundMessage.objects.get(text=word)
    assert (inbound.channel, inbound.action, inbound.customer) == ("viber", "balance", customer)
    assert outbox_send_due() == {"sent": 1}
    sent = bot.stub.last.json
    assert sent["receiver"] == user_id
    assert "դուք ունեք 75 միավոր" in sent["text"]


@pytest.mark.parametrize("word", ["Ակցիաներ", "offers"])
def test_offer_words_answer_with_the_active_offers(cafe, bot, word) -> None:
    offer = promotion_save(business=cafe, name="Կապուչինո -20%", type="percent_off_order",
                           params={"percent_bp": 2000})  # fmt: skip
    promotion_set_status(promotion=offer, status="active")
    user_id, _answer = bot.link(armenian(cafe))
    bot.post(message(user_id, word))

    assert InboundMessage.objects.get(text=word).action == "offers"
    assert outbox_send_due() == {"sent": 1}
    assert "Կապուչինո -20%" in bot.stub.last.json["text"]


def test_stop_in_armenian_withdraws_viber_only(cafe, bot) -> None:
    customer = armenian(cafe)
    user_id, _answer = bot.link(customer)
    bot.post(message(user_id, "ՉԵՂԱՐԿԵԼ"))

    assert not has_consent(customer, "viber")
    assert not has_consent(customer, "viber", purpose="service")
    assert has_consent(customer, "sms")
    assert outbox_send_due() == {"sent": 1}  # the confirmation, on Viber
    assert bot.stub.last.json["receiver"] == user_id
    assert "START" in bot.stub.last.json["text"]


def test_a_message_viber_sends_again_is_answered_once(cafe, bot) -> None:
    user_id, _answer = bot.link(armenian(cafe))
    payload = message(user_id, "ՄՆԱՑՈՐԴ", token=7_000_000_000_000_000_001)
    assert bot.post(payload).status_code == 200
    assert bot.post(payload).status_code == 200

    assert InboundMessage.objects.filter(provider_id="7000000000000000001").count() == 1
    assert outbox_send_due() == {"sent": 1}
    assert len(bot.stub.sent) == 1


def test_unsubscribing_unlinks_and_the_next_campaign_goes_by_sms(cafe, bot) -> None:
    customer = armenian(cafe, preferred_channel="viber")
    user_id, _answer = bot.link(customer)
    assert bot.post(unsubscribed(user_id)).status_code == 200
    assert bot.post(unsubscribed(user_id)).status_code == 200  # Viber retries

    assert MessengerContact.objects.get(customer=customer).unlinked_at is not None
    assert not has_consent(customer, "viber")
    resubscribed = bot.post(subscribed(user_id))
    assert resubscribed.status_code == 200 and resubscribed.content == b""
    assert MessengerContact.objects.get(customer=customer).unlinked_at is not None  # not silently

    _campaign(cafe, channel="preferred")
    campaign_message = Message.objects.get(campaign__isnull=False)
    assert (campaign_message.channel, campaign_message.to_address) == ("sms", customer.phone)
    outbox_send_due(now=NOON)
    assert bot.stub.sent == []


# --- delivery receipts ----------------------------------------------------------------------


def test_delivered_and_failed_receipts_update_the_messages(cafe, bot) -> None:
    reader = armenian(cafe, preferred_channel="viber")
    reader_id, _answer = bot.link(reader)
    away = armenian(cafe, preferred_channel="viber")
    away_id, _answer = bot.link(away)
    _campaign(cafe, channel="preferred")
    assert outbox_send_due(now=NOON) == {"sent": 2}
    read = Message.objects.get(customer=reader, campaign__isnull=False)
    lost = Message.objects.get(customer=away, campaign__isnull=False)

    assert bot.post(receipt("delivered", reader_id, read.provider_id)).status_code == 200
    assert bot.post(receipt("seen", reader_id, read.provider_id)).status_code == 200
    read.refresh_from_db()
    assert read.status == MessageStatus.DELIVERED and read.delivered_at is not None

    failed = receipt("failed", away_id, lost.provider_id, desc="the user's device is off")
    assert bot.post(failed).status_code == 200
    assert bot.post(failed).status_code == 200  # Viber retries
    lost.refresh_from_db()
    assert lost.status == MessageStatus.FAILED
    assert "the user's device is off" in lost.last_error
    fallback = Message.objects.get(fallback_of=lost)
    assert (fallback.channel, fallback.to_address) == ("sms", away.phone)
    # a receipt for a message we do not know is acknowledged (Viber would retry) and ignored
    assert bot.post(receipt("delivered", reader_id, 123)).status_code == 200


# --- the webhook ----------------------------------------------------------------------------


def test_set_webhook_points_the_bot_at_the_business_address(cafe, bot, settings) -> None:
    settings.PUBLIC_URL = "https://wateja.example"
    assert viber_set_webhook(bot.row) == "ok"
    request = bot.stub.last
    assert request.path == "/pa/set_webhook"
    assert request.headers["x-viber-auth-token"] == bot.stub.auth_token
    assert request.json == {
        "url": f"https://wateja.example/hooks/{bot.row.hook_token}/viber/",
        "event_types": ["delivered", "seen", "failed", "subscribed", "unsubscribed",
                        "conversation_started"],
        "send_name": False,
        "send_photo": False,
    }  # fmt: skip
    assert request.json["url"] == public_url(bot.address)

    settings.PUBLIC_URL = "http://localhost:8000"  # Viber wants https
    with pytest.raises(ViberError) as refused:
        viber_set_webhook(bot.row)
    assert "invalidUrl" in str(refused.value.message)
    bot.row.viber_auth_token = "wrong"
    with pytest.raises(ViberError, match="invalidAuthToken"):
        viber_set_webhook(bot.row)
    bot.row.viber_auth_token = ""
    with pytest.raises(DomainError) as missing:
        viber_set_webhook(bot.row)
    assert missing.value.code == "viber_not_configured"
