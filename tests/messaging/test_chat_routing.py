"""Chat apps behind the outbox, provider-independent (the apps in record-only mode): linking a
chat from a card's code, the keywords on a chat, each customer's preferred channel with SMS as
the fallback, and a chat message that fails for good going by SMS once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.messaging.factories import NOON, person, sms_template
from wateja.customers.models import Consent
from wateja.messaging.campaigns import campaign_launch, campaign_preview, campaign_save
from wateja.messaging.channels.base import DeliveryReport
from wateja.messaging.config import messaging_settings_update
from wateja.messaging.inbound import delivery_apply
from wateja.messaging.messengers import (
    chat_message,
    contact_unlink,
    deep_link,
    link_code_issue,
    link_targets,
)
from wateja.messaging.models import (
    InboundAction,
    Message,
    MessageStatus,
    MessengerContact,
)
from wateja.messaging.worker import outbox_send_due
from wateja.wallet.services import points_earn

pytestmark = pytest.mark.django_db


@pytest.fixture
def chats_on(business):
    return messaging_settings_update(
        business=business,
        telegram_mode="outbox",
        telegram_bot_username="kahawa_bot",
        whatsapp_mode="outbox",
        whatsapp_number="+254700111222",
        viber_mode="outbox",
        viber_bot_uri="kahawa",
    )


def _link(business, customer, channel="telegram", chat="5550001", now=NOON):
    code = link_code_issue(customer, channel, now=now).code
    return chat_message(
        business=business, channel=channel, external_id=chat, text=f"/start {code}", now=now
    )


def _consent(customer, channel):
    row = (
        Consent.objects.filter(customer=customer, channel=channel, purpose="marketing")
        .order_by("-recorded_at", "-id")
        .first()
    )
    return None if row is None else row.granted


def test_deep_links_carry_the_code_to_each_app(business, chats_on) -> None:
    assert link_targets(chats_on) == ["whatsapp", "telegram", "viber"]
    assert deep_link(chats_on, "telegram", "abc_DEF-123") == (
        "https://t.me/kahawa_bot?start=abc_DEF-123"
    )
    assert deep_link(chats_on, "viber", "abc") == "viber://pa?chatURI=kahawa&context=abc"
    assert deep_link(chats_on, "whatsapp", "abc") == "https://wa.me/254700111222?text=START%20abc"


def test_a_code_from_the_card_links_the_chat_and_answers_with_the_balance(
    business, chats_on
) -> None:
    customer = person(business, "Baraka Otieno", language="sw")
    points_earn(customer=customer, amount=120, idempotency_key="chat-1", now=NOON)
    inbound = _link(business, customer)
    assert inbound.action == InboundAction.LINKED and inbound.customer == customer
    contact = MessengerContact.objects.get(business=business, channel="telegram")
    assert (contact.customer, contact.external_id) == (customer, "5550001")
    assert _consent(customer, "telegram") is True
    reply = inbound.reply
    assert reply.channel == "telegram" and reply.to_address == "5550001"
    assert "120" in reply.body and "Telegram" in reply.body


def test_a_used_or_old_code_links_nothing(business, chats_on) -> None:
    customer = person(business)
    code = link_code_issue(customer, "telegram", now=NOON).code
    late = NOON + dt.timedelta(hours=2)
    stale = chat_message(
        business=business, channel="telegram", external_id="1", text=f"/start {code}", now=late
    )
    assert stale.customer is None and stale.action != InboundAction.LINKED
    assert "not linked" in stale.reply.body
    assert not MessengerContact.objects.filter(business=business).exists()
    used = link_code_issue(customer, "telegram", now=NOON).code
    for chat in ("2", "3"):  # the second one is someone who saw the link
        again = chat_message(
            business=business, channel="telegram", external_id=chat, text=f"/start {used}", now=NOON
        )
    assert again.customer is None
    assert list(MessengerContact.objects.values_list("external_id", flat=True)) == ["2"]


@pytest.mark.parametrize(
    ("text", "action"),
    [("/balance", "balance"), ("Salio", "balance"), ("Акции", "offers"), ("kadi", "card")],
)
def test_keywords_answer_on_the_chat(business, chats_on, text, action) -> None:
    customer = person(business)
    _link(business, customer)
    inbound = chat_message(
        business=business, channel="telegram", external_id="5550001", text=text, now=NOON
    )
    assert inbound.action == action
    assert inbound.reply is not None and inbound.reply.channel == "telegram"


def test_stop_on_a_chat_withdraws_that_chat_only(business, chats_on) -> None:
    customer = person(business, language="sw")
    _link(business, customer)
    inbound = chat_message(
        business=business, channel="telegram", external_id="5550001", text="ACHA", now=NOON
    )
    assert inbound.action == InboundAction.STOP
    assert _consent(customer, "telegram") is False
    assert _consent(customer, "sms") is True
    assert "START" in inbound.reply.body


def test_a_whatsapp_member_writing_first_is_known_by_number(business, chats_on) -> None:
    customer = person(business, phone="0712345678")
    inbound = chat_message(
        business=business, channel="whatsapp", external_id="254712345678", text="salio", now=NOON
    )
    assert inbound.customer == customer and inbound.reply.to_address == "254712345678"
    contact = MessengerContact.objects.get(business=business, channel="whatsapp")
    assert contact.last_inbound_at == NOON


def test_a_stranger_learns_nothing_about_cards(business, chats_on) -> None:
    person(business, phone="0712345678")
    inbound = chat_message(
        business=business, channel="telegram", external_id="999", text="/balance", now=NOON
    )
    assert inbound.customer is None
    assert "no loyalty card" in inbound.reply.body


def _campaign(business):
    template = sms_template(business)
    return campaign_save(
        business=business,
        name="Chats",
        sms_template_id=template.pk,
        channel="preferred",
        offer="20% off",
        code="BF20",
    )


@time_machine.travel(NOON, tick=False)
def test_the_preferred_chat_gets_the_campaign_with_sms_as_fallback(business, chats_on) -> None:
    on_telegram = person(business, "Telegram Fan", preferred_channel="telegram")
    _link(business, on_telegram, chat="777")
    not_linked = person(business, "Viber Fan", preferred_channel="viber")
    sms_only = person(business, "Plain SMS")
    campaign = _campaign(business)
    preview = campaign_preview(campaign)
    assert preview["sms"] == 2  # the Viber fan has no linked chat: SMS
    campaign_launch(campaign=campaign, now=NOON)
    sent = {m.customer_id: m for m in Message.objects.filter(campaign=campaign)}
    assert sent[on_telegram.pk].channel == "telegram"
    assert sent[on_telegram.pk].to_address == "777"
    assert "BF20" in sent[on_telegram.pk].fallback_body
    assert sent[not_linked.pk].channel == "sms"
    assert sent[sms_only.pk].channel == "sms" and sent[sms_only.pk].fallback_body == ""


@time_machine.travel(NOON, tick=False)
def test_a_chat_message_failing_for_good_goes_by_sms_once(business, chats_on) -> None:
    customer = person(business, preferred_channel="telegram")
    _link(business, customer, chat="888")
    campaign = _campaign(business)
    campaign_launch(campaign=campaign, now=NOON)
    outbox_send_due(now=NOON)
    chat = Message.objects.get(campaign=campaign, channel="telegram")
    assert chat.status == MessageStatus.SENT and chat.provider_id
    report = DeliveryReport(provider_id=chat.provider_id, status="failed", final=True,
                            reason="bot blocked")  # fmt: skip
    delivery_apply(business_id=business.pk, report=report, now=NOON)
    delivery_apply(business_id=business.pk, report=report, now=NOON)  # the provider repeats
    fallback = Message.objects.get(fallback_of=chat)
    assert fallback.channel == "sms" and fallback.to_address == customer.phone
    assert "BF20" in fallback.body and fallback.segments >= 1
    outbox_send_due(now=NOON)
    fallback.refresh_from_db()
    assert fallback.status == MessageStatus.SENT


@time_machine.travel(NOON, tick=False)
def test_a_chat_the_customer_left_is_not_used(business, chats_on) -> None:
    customer = person(business, preferred_channel="telegram")
    _link(business, customer, chat="999")
    contact_unlink(business=business, channel="telegram", external_id="999", now=NOON)
    assert _consent(customer, "telegram") is False
    campaign = _campaign(business)
    campaign_launch(campaign=campaign, now=NOON)
    assert Message.objects.get(campaign=campaign).channel == "sms"
