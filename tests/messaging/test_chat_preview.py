"""A campaign's preview per channel on a known audience, with every chat app on (record only):
who goes on SMS, e-mail, WhatsApp, Telegram and Viber, how many chat-app customers have SMS as
the fallback, the cost per channel (SMS segments, WhatsApp template messages only with an
approved template name, Viber messages, Telegram free) and the total; and the send queues
exactly what the preview counted, at the cost it showed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.messaging.factories import NOON, email_template, person, sms_template
from wateja.customers.services import consent_record
from wateja.messaging.campaigns import campaign_launch, campaign_preview, campaign_save
from wateja.messaging.composing import template_save
from wateja.messaging.config import messaging_settings_update
from wateja.messaging.messengers import chat_message, link_code_issue
from wateja.messaging.models import Message

pytestmark = pytest.mark.django_db

WHATSAPP_PRICE = 150  # KES 1.50 a template message
VIBER_PRICE = 200
SMS_PRICE = 100  # the default, per segment


@pytest.fixture
def chats_on(business):
    return messaging_settings_update(
        business=business,
        telegram_mode="outbox",
        telegram_bot_username="kahawa_bot",
        whatsapp_mode="outbox",
        whatsapp_number="+254700111222",
        whatsapp_price_minor=WHATSAPP_PRICE,
        viber_mode="outbox",
        viber_bot_uri="kahawa",
        viber_price_minor=VIBER_PRICE,
    )


def _link(business, customer, channel, chat):
    """The customer taps the card's button and the bot gets the code (consent with it)."""
    code = link_code_issue(customer, channel, now=NOON).code
    chat_message(
        business=business, channel=channel, external_id=chat, text=f"START {code}", now=NOON
    )


@pytest.fixture
def audience(business, chats_on):
    """Ten customers, each a case of the channel rule (names say where they end up)."""
    people = {
        "sms 1": person(business, "Sms One", language="en"),
        "sms 2": person(business, "Sms Two", language="en"),
        "telegram": person(business, "Tele Gram", language="en", preferred_channel="telegram"),
        # prefers Telegram but never linked it: SMS
        "sms 3": person(business, "Not Linked", language="en", preferred_channel="telegram"),
        # Viber without SMS consent: Viber, nothing to fall back to
        "viber 1": person(business, "Vi Ber", language="en", sms=False, preferred_channel="viber"),
        "viber 2": person(business, "Vi Two", language="en", preferred_channel="viber"),
        "whatsapp": person(business, "Wha Tsapp", language="en", preferred_channel="whatsapp"),
        # prefers WhatsApp but never agreed to offers there: SMS
        "sms 4": person(business, "No Wa Consent", language="en", preferred_channel="whatsapp"),
        "email": person(
            business, "E Mail", language="en", sms=None, email=True, preferred_channel="email"
        ),
        "nobody": person(business, "No Body", language="en", sms=False),
    }
    _link(business, people["telegram"], "telegram", "5550001")
    _link(business, people["viber 1"], "viber", "vIbEr0001==")
    _link(business, people["viber 2"], "viber", "vIbEr0002==")
    consent_record(customer=people["whatsapp"], channel="whatsapp", granted=True, text="test")
    return people


def _campaign(business, template):
    return campaign_save(
        business=business,
        name="Chats and SMS",
        channel="preferred",
        sms_template_id=template.pk,
        email_template_id=email_template(business).pk,
        offer="20% off",
        code="BF20",
    )


def _by_channel(preview):
    return {entry["channel"]: entry for entry in preview["channels"]}


@time_machine.travel(NOON + dt.timedelta(hours=1), tick=False)
def test_reach_and_cost_per_channel_without_an_approved_whatsapp_template(business, audience):
    campaign = _campaign(business, sms_template(business, en="Hi {name}, {offer}. Code {code}"))
    preview = campaign_preview(campaign)

    channels = _by_channel(preview)
    assert list(channels) == ["sms", "email", "whatsapp", "telegram", "viber"]
    assert {c: e["customers"] for c, e in channels.items()} == {
        "sms": 4, "email": 1, "whatsapp": 1, "telegram": 1, "viber": 2,
    }  # fmt: skip
    assert {c: e["fallback_sms"] for c, e in channels.items()} == {
        "sms": 0, "email": 0, "whatsapp": 1, "telegram": 1, "viber": 1,
    }  # fmt: skip
    assert preview["skipped"] == {"no_consent": 1}
    assert (preview["sms"], preview["email"], preview["audience"]) == (4, 1, 10)
    assert (preview["whatsapp"], preview["telegram"], preview["viber"]) == (1, 1, 2)

    # SMS: one segment each; no approved name: WhatsApp costs nothing and says who gets it
    assert channels["sms"]["segments"] == preview["sms_segments"] == 4
    assert channels["sms"]["cost_minor"] == 4 * SMS_PRICE == preview["sms_cost_minor"]
    assert channels["whatsapp"]["cost_minor"] == 0 and not channels["whatsapp"]["approved"]
    assert "24 hours" in channels["whatsapp"]["note"]
    assert channels["whatsapp"]["in_window"] == 0  # the WhatsApp customer never wrote
    assert channels["telegram"]["cost_minor"] == 0 and channels["email"]["cost_minor"] == 0
    assert channels["viber"]["cost_minor"] == 2 * VIBER_PRICE
    assert preview["cost_minor"] == 4 * SMS_PRICE + 2 * VIBER_PRICE
    assert [e["label"] for e in preview["channels"]] == [
        "SMS", "E-mail", "WhatsApp", "Telegram", "Viber",
    ]  # fmt: skip
    # the chat apps share one example (no SMS opt-out line there); SMS has its own
    chat = next(e for e in preview["examples"] if e["channel"] in ("whatsapp", "telegram"))
    assert chat["label"] == "WhatsApp, Telegram, Viber"
    assert "Reply STOP" not in chat["body"] and "BF20" in chat["body"]
    sms = next(e for e in preview["examples"] if e["channel"] == "sms")
    assert sms["label"] == "SMS" and "Reply STOP" in sms["body"]
    assert not Message.objects.filter(campaign=campaign).exists()  # a preview writes nothing


@time_machine.travel(NOON + dt.timedelta(hours=1), tick=False)
def test_whatsapp_counts_who_wrote_within_24_hours(business, audience):
    chat_message(
        business=business,
        channel="whatsapp",
        external_id=audience["whatsapp"].phone.lstrip("+"),
        text="Habari",
        now=NOON,
    )
    campaign = _campaign(business, sms_template(business, en="Hi {name}, {offer}"))
    whatsapp = _by_channel(campaign_preview(campaign))["whatsapp"]
    assert whatsapp["in_window"] == 1 and "(1 now)" in whatsapp["note"]


@time_machine.travel(NOON + dt.timedelta(hours=1), tick=False)
def test_an_approved_whatsapp_template_is_priced_and_the_send_costs_what_the_preview_showed(
    business, audience
):
    template = template_save(
        business=business,
        name="Approved",
        channel="sms",
        whatsapp_name="black_friday_2026",
        variants=[{"label": "A", "texts": {"en": {"body": "Hi {name}, {offer}. Code {code}"}}}],
    )
    campaign = _campaign(business, template)
    preview = campaign_preview(campaign)
    channels = _by_channel(preview)
    assert channels["whatsapp"]["approved"] and channels["whatsapp"]["note"] == ""
    assert channels["whatsapp"]["cost_minor"] == WHATSAPP_PRICE
    total = 4 * SMS_PRICE + WHATSAPP_PRICE + 2 * VIBER_PRICE
    assert preview["cost_minor"] == total

    campaign_launch(campaign=campaign, now=NOON + dt.timedelta(hours=1))
    queued = Message.objects.filter(campaign=campaign)
    counted = {c: queued.filter(channel=c).count() for c in channels}
    assert counted == {c: e["customers"] for c, e in channels.items()}
    assert sum(queued.values_list("cost_minor", flat=True)) == total
    whatsapp = queued.get(channel="whatsapp")
    assert whatsapp.payload["template"] == "black_friday_2026"
    assert whatsapp.fallback_body and "BF20" in whatsapp.fallback_body
    assert queued.get(customer=audience["viber 1"]).fallback_body == ""  # no SMS consent


@time_machine.travel(NOON + dt.timedelta(hours=1), tick=False)
def test_a_campaign_for_one_chat_app_lists_it_beside_sms(business, audience):
    campaign = campaign_save(
        business=business,
        name="Viber only",
        channel="viber",
        sms_template_id=sms_template(business).pk,
        offer="Roses",
    )
    preview = campaign_preview(campaign)
    channels = _by_channel(preview)
    assert list(channels) == ["sms", "viber"]  # SMS: where an undelivered Viber message goes
    assert channels["viber"]["customers"] == 2 and channels["sms"]["customers"] == 0
    assert preview["cost_minor"] == 2 * VIBER_PRICE
    assert preview["skipped"] == {"no_contact": 8}  # no linked Viber chat
