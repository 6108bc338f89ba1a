"""What comes back, over HTTP: STOP in four languages, START, SALIO/BALANCE, delivery
reports, the provider's opt-out callback, USSD menus, one-click unsubscribe, tracked links and
malformed callbacks (400, nothing changes)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.messaging.factories import NOON, basic_auth, email_template, person, sms_template
from wateja.customers.selectors import has_consent
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.config import messaging_settings, messaging_settings_update
from wateja.messaging.models import InboundMessage, Message, MessageStatus
from wateja.messaging.worker import outbox_send_due
from wateja.wallet.services import points_earn


@pytest.fixture
def hooks(business):
    row = messaging_settings(business)
    client = Client(headers={"Authorization": basic_auth(row)})

    def post(kind, **form):
        return client.post(f"/hooks/{row.hook_token}/{kind}/", form)

    return post


@pytest.mark.parametrize("word", ["STOP", "acha", "СТОП", "ՉԵՂԱՐԿԵԼ", "Unsubscribe"])
def test_stop_words_withdraw_sms_consent_at_once_and_confirm(business, hooks, word) -> None:
    customer = person(business, language="sw")
    response = hooks("sms/inbound", **{"from": customer.phone, "text": word, "id": "in-1"})

    assert response.status_code == 200
    assert not has_consent(customer, "sms")
    assert not has_consent(customer, "sms", purpose="service")
    inbound = InboundMessage.objects.get()
    assert inbound.action == "stop"
    assert inbound.customer == customer
    reply = inbound.reply
    assert reply.to_address == customer.phone
    assert reply.purpose == "service"
    assert "START" in reply.body
    # the confirmation goes out even though consent is now withdrawn
    assert outbox_send_due() == {"sent": 1}


def test_start_gives_consent_back(business, hooks) -> None:
    customer = person(business, sms=False)
    hooks("sms/inbound", **{"from": customer.phone, "text": "START"})
    assert has_consent(customer, "sms")


def test_salio_replies_with_the_balance(business, hooks) -> None:
    customer = person(business)
    points_earn(customer=customer, amount=340, idempotency_key="e-1")
    hooks("sms/inbound", **{"from": customer.phone, "text": "SALIO"})
    reply = InboundMessage.objects.get().reply
    number = customer.cards.get().number
    assert "340" in reply.body
    assert f"Card ending {number[-4:]}." in reply.body and number not in reply.body


def test_no_reply_to_an_unknown_or_foreign_number_and_a_few_a_day_at_most(business, hooks):
    hooks("sms/inbound", **{"from": "+254799000000", "text": "BALANCE"})
    hooks("sms/inbound", **{"from": "+254799000001", "text": "STOP"})
    inbound = InboundMessage.objects.order_by("id")
    assert [(m.customer, m.reply) for m in inbound] == [(None, None), (None, None)]
    abroad = person(business, phone="+37491123456")  # a customer, but not in Kenya
    hooks("sms/inbound", **{"from": abroad.phone, "text": "SALIO"})
    assert InboundMessage.objects.get(customer=abroad).reply is None
    customer = person(business)
    for _n in range(5):
        hooks("sms/inbound", **{"from": customer.phone, "text": "SALIO"})
    replies = InboundMessage.objects.filter(customer=customer, reply__isnull=False).count()
    assert replies == 3  # REPLIES_PER_NUMBER_PER_DAY
    assert not Message.objects.exclude(to_address__in=[customer.phone]).exists()


def test_malformed_callbacks_get_400_and_change_nothing(business, hooks) -> None:
    assert hooks("sms/inbound", text="STOP").status_code == 400
    assert hooks("sms/delivery", status="delivered").status_code == 400
    assert hooks("sms/delivery", id="x", status="exploded").status_code == 400
    assert hooks("ussd", sessionId="s1").status_code == 400
    assert hooks("sms/optout").status_code == 400
    assert not InboundMessage.objects.exists()
    assert (
        Client().post("/hooks/not-a-token/sms/inbound/", {"from": "1", "text": "x"}).status_code
        == 404
    )


def _sent_sms(business):
    template = sms_template(business, en="Hi {name}, see our menu: {link}")
    customer = person(business)
    messaging_settings_update(business=business, link_domains="kahawa.example")
    campaign = campaign_save(
        business=business, name="C", sms_template_id=template.pk, channel="sms",
        link_url="https://kahawa.example/menu",
    )  # fmt: skip
    campaign_launch(campaign=campaign, now=NOON)
    outbox_send_due(now=NOON)
    return customer, Message.objects.get(campaign=campaign)


def test_delivery_reports_update_the_message_and_a_late_sent_does_not_undo(business, hooks):
    _customer, message = _sent_sms(business)
    assert hooks("sms/delivery", id=message.provider_id, status="delivered").status_code == 200
    hooks("sms/delivery", id=message.provider_id, status="sent")
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None
    assert [d.outcome for d in message.deliveries.order_by("id")] == [
        "sent", "report:delivered", "report:sent"
    ]  # fmt: skip
    # an unknown id is acknowledged (providers retry until 2xx) and ignored
    assert hooks("sms/delivery", id="nope", status="delivered").status_code == 200


def test_provider_opt_out_callback(business, hooks) -> None:
    customer = person(business)
    assert hooks("sms/optout", senderId="KAHAWA", phoneNumber=customer.phone).status_code == 200
    assert not has_consent(customer, "sms")


def test_ussd_menu_balance_expiring_offer_card(business, hooks) -> None:
    customer = person(business)
    points_earn(customer=customer, amount=75, idempotency_key="e-2")
    base = {"sessionId": "ATUid_1", "serviceCode": "*384*123#", "phoneNumber": customer.phone}

    menu = hooks("ussd", text="", **base).content.decode()
    assert menu.startswith("CON ")
    assert "1. My balance" in menu
    assert (
        hooks("ussd", text="1", **base)
        .content.decode()
        .startswith("END Kahawa Test: you have 75 points.")
    )
    assert (
        hooks("ussd", text="2", **base).content.decode()
        == "END No points expire in the next 30 days."
    )
    assert (
        hooks("ussd", text="4", **base).content.decode()
        == f"END Card ending {customer.cards.get().number[-4:]}."
    )
    assert hooks("ussd", text="9", **base).content.decode() == "END Unknown choice."
    stranger = hooks(
        "ussd", text="", sessionId="s2", serviceCode="*1#", phoneNumber="+254700000001"
    )
    assert stranger.content.decode().startswith("END ")


def test_one_click_unsubscribe_from_the_mailbox_provider(business) -> None:
    mail = email_template(business)
    customer = person(business, email=True, sms=None)
    campaign = campaign_save(
        business=business, name="Mail", email_template_id=mail.pk, channel="email"
    )
    campaign_launch(campaign=campaign, now=NOON)
    message = Message.objects.get(campaign=campaign)
    client = Client(enforce_csrf_checks=True)

    page = client.get(f"/u/{message.token}/")  # a link scanner only looks
    assert page.status_code == 200
    assert has_consent(customer, "email")
    response = client.post(f"/u/{message.token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not has_consent(customer, "email")
    assert has_consent(customer, "sms") is False  # never given; untouched
    again = client.post(f"/u/{message.token}/", {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert customer.consents.filter(channel="email", granted=False).count() == 1
    assert Client().get("/u/forged-token/").status_code == 404


def test_tracked_link_records_the_click_and_redirects(business) -> None:
    _customer, message = _sent_sms(business)
    assert f"/r/{message.token}/" in message.body
    response = Client().get(f"/r/{message.token}/")
    assert response.status_code == 302
    assert response["Location"] == "https://kahawa.example/menu"
    message.refresh_from_db()
    assert message.clicked_at is not None
