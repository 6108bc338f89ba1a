"""WhatsApp through the Cloud API, end to end: the worker sends to a local stub of the Graph API
(free text within 24 hours of the customer's last message, an approved template outside it,
else the SMS fallback), and Meta's signed webhooks reach ``/hooks/<token>/whatsapp/`` over HTTP
(the subscription check, customers' keywords and link codes, statuses, retries)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _

from tests.concurrency import race, unexpected
from tests.messaging.factories import NOON, person, sms_template
from tests.messaging.stubs import StubResponse
from tests.messaging.whatsapp_stub import (
    WhatsAppStub,
    button_message,
    contact,
    image_message,
    interactive_reply,
    signature,
    status_update,
    text_message,
    webhook_body,
)
from wateja.customers.selectors import has_consent
from wateja.customers.services import consent_record
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.channels import channel_for
from wateja.messaging.channels.base import ChannelConfig, Outgoing
from wateja.messaging.composing import template_save
from wateja.messaging.config import messaging_settings, messaging_settings_update
from wateja.messaging.messengers import deep_link, link_code_issue
from wateja.messaging.models import (
    Delivery,
    InboundAction,
    InboundMessage,
    Message,
    MessageStatus,
    MessengerContact,
)
from wateja.messaging.worker import outbox_send_due
from wateja.wallet.services import points_earn

pytestmark = pytest.mark.django_db

APP_SECRET = "meta-app-secret-5f0c2a9e41d7"
PRICE = 150  # KES 1.50 per template message
LATER = NOON + dt.timedelta(days=2)  # 12:00 in Nairobi two days on: the window has closed


@pytest.fixture
def wa_stub():
    with WhatsAppStub() as stub:
        yield stub


@pytest.fixture
def row(business, wa_stub, at_stub):
    """WhatsApp live against the Graph API stub, SMS through the Africa's Talking stub."""
    row = messaging_settings_update(
        business=business,
        whatsapp_mode="live",
        whatsapp_phone_number_id=wa_stub.phone_number_id,
        whatsapp_number="+254700111222",
        whatsapp_access_token=wa_stub.access_token,
        whatsapp_app_secret=APP_SECRET,
        whatsapp_price_minor=PRICE,
        sms_provider="africastalking",
        sms_sender="KAHAWA",
        at_username=at_stub.username,
        at_api_key=at_stub.api_key,
    )
    row.whatsapp_api_base = wa_stub.url
    row.provider_api_base = at_stub.url
    row.save(update_fields=["whatsapp_api_base", "provider_api_base"])
    return row


def _post(row, body: bytes, *, sig: str | None = None):
    headers = {"X-Hub-Signature-256": signature(APP_SECRET, body) if sig is None else sig}
    return Client().post(
        f"/hooks/{row.hook_token}/whatsapp/", body, content_type="application/json", headers=headers
    )


def _says(row, wa_id: str, text: str, name: str = "Amina"):
    """The customer writes `text` to the business's WhatsApp number."""
    body = webhook_body(messages=[text_message(wa_id, text)], contacts=[contact(wa_id, name)])
    response = _post(row, body)
    assert response.status_code == 200
    return response


def _wa_id(customer) -> str:
    return customer.phone.lstrip("+")


def _offer_template(business, whatsapp_name: str | None = "offer_november"):
    return template_save(
        business=business,
        name="Offer",
        channel="sms",
        whatsapp_name=whatsapp_name,
        variants=[
            {
                "label": "A",
                "weight": 1,
                "texts": {
                    "en": {"body": "Hi {name}, {offer} at {shop}. Code {code}"},
                    "sw": {"body": "Habari {name}, {offer} kwa {shop}. Nambari {code}"},
                },
            }
        ],
    )


def _launch(business, template, now):
    campaign = campaign_save(
        business=business,
        name="November",
        sms_template_id=template.pk,
        channel="preferred",
        offer="Chai 2 for 1",
        code="BF20",
    )
    return campaign_launch(campaign=campaign, now=now)


def _whatsapp_fan(business, **fields):
    customer = person(business, "Amina Wanjiru", preferred_channel="whatsapp", **fields)
    consent_record(customer=customer, channel="whatsapp", granted=True, text="test")
    return customer


# --- sending -------------------------------------------------------------------------------


def test_outside_the_window_a_campaign_goes_as_the_approved_template(
    business, row, wa_stub
) -> None:
    customer = _whatsapp_fan(business, language="sw")
    campaign = _launch(business, _offer_template(business), NOON)

    assert outbox_send_due(now=NOON) == {"sent": 1}
    request = wa_stub.last
    assert request.path == f"/v21.0/{wa_stub.phone_number_id}/messages"
    assert request.headers["authorization"] == f"Bearer {wa_stub.access_token}"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": _wa_id(customer),
        "type": "template",
        "template": {
            "name": "offer_november",
            "language": {"policy": "deterministic", "code": "sw"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Amina"},
                        {"type": "text", "text": "Chai 2 for 1"},
                        {"type": "text", "text": "Kahawa Test"},
                        {"type": "text", "text": "BF20"},
                    ],
                }
            ],
        },
    }
    message = Message.objects.get(campaign=campaign)
    assert (message.channel, message.status, message.provider) == ("whatsapp", "sent", "whatsapp")
    assert message.provider_id.startswith("wamid.")
    assert message.cost_minor == PRICE


@time_machine.travel(NOON, tick=False)
def test_within_24_hours_of_their_message_free_text_goes_and_later_the_template(
    business, row, wa_stub
) -> None:
    customer = _whatsapp_fan(business)
    _says(row, _wa_id(customer), "Hello")
    template = _offer_template(business)
    first = Message.objects.get(campaign=_launch(business, template, NOON))

    assert outbox_send_due(now=NOON) == {"sent": 1}
    assert wa_stub.last.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": _wa_id(customer),
        "type": "text",
        "text": {"preview_url": False, "body": first.body},
    }
    assert "Chai 2 for 1" in first.body

    _launch(business, template, LATER)
    assert outbox_send_due(now=LATER) == {"sent": 1}
    assert wa_stub.last.json["type"] == "template"


@time_machine.travel(NOON, tick=False)
def test_outside_the_window_without_an_approved_name_the_sms_goes_instead(
    business, row, wa_stub, at_stub
) -> None:
    customer = _whatsapp_fan(business, language="sw")
    campaign = _launch(business, _offer_template(business, whatsapp_name=None), NOON)

    assert outbox_send_due(now=NOON) == {"failed": 1}
    chat = Message.objects.get(campaign=campaign, channel="whatsapp")
    assert "24-hour window" in chat.last_error
    assert chat.attempts == 1
    assert wa_stub.requests == []  # nothing was asked of Meta
    fallback = Message.objects.get(fallback_of=chat)
    assert (fallback.channel, fallback.status) == ("sms", MessageStatus.QUEUED)

    assert outbox_send_due(now=NOON) == {"sent": 1}
    assert at_stub.last.form["to"] == customer.phone
    assert at_stub.last.form["message"].startswith("Habari Amina, Chai 2 for 1 kwa Kahawa Test.")


def test_meta_has_no_armenian_templates_so_the_sms_goes(business, row, wa_stub) -> None:
    customer = _whatsapp_fan(business, language="hy")
    campaign = _launch(
        business,
        template_save(
            business=business,
            name="Hy",
            channel="sms",
            whatsapp_name="offer_hy",
            variants=[{"label": "A", "texts": {"hy": {"body": "Բարև {name}, {offer}"}}}],
        ),
        NOON,
    )
    assert outbox_send_due(now=NOON) == {"failed": 1}
    chat = Message.objects.get(campaign=campaign, channel="whatsapp")
    assert "(hy)" in chat.last_error
    assert wa_stub.requests == []
    assert Message.objects.get(fallback_of=chat).to_address == customer.phone


@pytest.fixture
def wa_config(wa_stub):
    return ChannelConfig(
        provider="whatsapp",
        sender=wa_stub.phone_number_id,
        auth_token=wa_stub.access_token,
        api_base=wa_stub.url,
        timeout_seconds=1.0,
    )


TEMPLATE = {"template": "offer_november", "language": "en", "params": ["Amina\n", "a    b"]}


def _outgoing(**changes):
    return Outgoing(
        message_id=1, channel="whatsapp", to="254712300000", body="Hi", payload=TEMPLATE,
        **changes,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "code", "meta_message", "retryable", "reason"),
    [
        (400, 131047, "(#131047) Re-engagement message", False, "24 hours"),
        (400, 131026, "(#131026) Message Undeliverable.", False, "could not deliver"),
        (400, 131051, "(#131051) Unsupported message type", False, "does not support"),
        (400, 100, "(#100) Invalid parameter", False, "refused a parameter"),
        (404, 132001, "(#132001) Template name does not exist in the translation", False,
         "No approved template"),
        (401, 190, "Error validating access token: Session has expired.", True, "access token"),
        (400, 130429, "(#130429) Rate limit hit", True, "rate limit"),
        (400, 131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit",
         True, "short time"),
        (500, 131000, "(#131000) Something went wrong", True, "131000"),
        (429, 80007, "(#80007) Rate limit issues", True, "80007"),
    ],
)  # fmt: skip
def test_graph_api_errors_map_to_a_reason_and_whether_to_retry(
    wa_stub, wa_config, status, code, meta_message, retryable, reason
) -> None:
    wa_stub.next_error(status, code, meta_message)
    result = channel_for(wa_config).send(_outgoing())
    assert result.status == "failed"
    assert result.retryable is retryable
    assert f"WhatsApp {code}:" in result.error and reason in result.error
    assert result.raw["code"] == code


def test_template_parameters_are_made_acceptable_to_meta(wa_stub, wa_config) -> None:
    result = channel_for(wa_config).send(_outgoing())
    assert result.status == "sent" and result.provider_id.startswith("wamid.")
    parameters = wa_stub.last.json["template"]["components"][0]["parameters"]
    assert [p["text"] for p in parameters] == ["Amina", "a   b"]  # no new line, ≤ 3 spaces


def test_timeouts_and_an_unreachable_api_are_retryable(wa_stub, wa_config) -> None:
    wa_stub.hang_next(seconds=5)
    late = channel_for(wa_config).send(_outgoing())
    assert (late.status, late.retryable) == ("failed", True)
    gone = dataclasses.replace(wa_config, api_base="http://127.0.0.1:9")  # nothing listens
    unreachable = channel_for(gone).send(_outgoing())
    assert (unreachable.status, unreachable.retryable) == ("failed", True)


def test_an_answer_without_message_id_is_not_taken_for_sent(wa_stub, wa_config) -> None:
    wa_stub.answer_next(StubResponse.of_json(200, {"messaging_product": "whatsapp"}))
    result = channel_for(wa_config).send(_outgoing())
    assert (result.status, result.retryable) == ("failed", False)


def test_a_wrong_token_is_retried_and_never_written_anywhere(
    business, row, wa_stub, caplog
) -> None:
    secret_token = "EAAG-wrong-and-secret-token-9876"
    row.whatsapp_access_token = secret_token
    row.save()
    _whatsapp_fan(business)
    campaign = _launch(business, _offer_template(business), NOON)
    caplog.set_level(logging.DEBUG)

    assert outbox_send_due(now=NOON) == {"queued": 1}  # retried later: the owner can fix it
    message = Message.objects.get(campaign=campaign)
    assert "access token" in message.last_error
    assert wa_stub.last.headers["authorization"] == f"Bearer {secret_token}"
    stored = [message.last_error] + [json.dumps(d.raw) + d.detail for d in Delivery.objects.all()]
    assert all(secret_token not in text for text in stored)
    assert secret_token not in caplog.text


def test_a_rate_limit_is_tried_again_later_and_then_goes(business, row, wa_stub) -> None:
    _whatsapp_fan(business)
    campaign = _launch(business, _offer_template(business), NOON)
    wa_stub.next_error(400, 130429, "(#130429) Rate limit hit")
    assert outbox_send_due(now=NOON) == {"queued": 1}
    message = Message.objects.get(campaign=campaign)
    assert message.not_before > NOON
    assert outbox_send_due(now=message.not_before) == {"sent": 1}
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2


# --- statuses ------------------------------------------------------------------------------


def _sent_template(business, row):
    customer = _whatsapp_fan(business)
    campaign = _launch(business, _offer_template(business), NOON)
    outbox_send_due(now=NOON)
    return customer, Message.objects.get(campaign=campaign, channel="whatsapp")


@time_machine.travel(NOON, tick=False)
def test_a_failed_status_sends_the_sms_fallback_once_though_meta_repeats_it(
    business, row, at_stub
) -> None:
    customer, chat = _sent_template(business, row)
    failed = status_update(
        chat.provider_id, "failed", _wa_id(customer), error=(131026, "Message undeliverable")
    )
    body = webhook_body(statuses=[failed])
    assert _post(row, body).status_code == 200
    assert _post(row, body).status_code == 200  # Meta repeats it

    chat.refresh_from_db()
    assert chat.status == MessageStatus.FAILED
    assert "131026" in chat.last_error
    fallback = Message.objects.get(fallback_of=chat)
    assert fallback.channel == "sms" and "BF20" in fallback.body
    assert outbox_send_due(now=NOON) == {"sent": 1}
    assert [r.form["to"] for r in at_stub.requests] == [customer.phone]


@time_machine.travel(NOON, tick=False)
def test_delivered_and_read_statuses_mark_the_message_delivered(business, row) -> None:
    customer, chat = _sent_template(business, row)
    wa_id = _wa_id(customer)
    for status in ("sent", "delivered", "read"):
        body = webhook_body(statuses=[status_update(chat.provider_id, status, wa_id)])
        assert _post(row, body).status_code == 200
    chat.refresh_from_db()
    assert chat.status == MessageStatus.DELIVERED and chat.delivered_at == NOON
    outcomes = list(chat.deliveries.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["sent", "report:sent", "report:delivered", "report:delivered"]
    assert not Message.objects.filter(fallback_of=chat).exists()
    # a status of a message that is not ours is acknowledged and dropped
    unknown = webhook_body(statuses=[status_update("wamid.not-ours", "delivered", wa_id)])
    assert _post(row, unknown).status_code == 200


# --- the webhook's door ----------------------------------------------------------------------


def test_the_subscription_check_echoes_the_challenge_for_the_right_token(business, row) -> None:
    address = f"/hooks/{row.hook_token}/whatsapp/"
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    ok = Client().get(address, {**query, "hub.verify_token": row.whatsapp_verify_token})
    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("text/plain")
    assert ok.content == b"1158201444"

    wrong = Client().get(address, {**query, "hub.verify_token": "guess"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "subscription_refused"
    assert b"1158201444" not in wrong.content
    not_subscribe = {**query, "hub.mode": "unsubscribe", "hub.verify_token": "x"}
    assert Client().get(address, not_subscribe).status_code == 403
    assert Client().get(address).status_code == 403
    assert Client().get("/hooks/not-a-token/whatsapp/", query).status_code == 404


def test_with_whatsapp_off_the_address_does_not_exist(business) -> None:
    off = messaging_settings(business)
    assert off.whatsapp_mode == "off"
    address = f"/hooks/{off.hook_token}/whatsapp/"
    query = {"hub.mode": "subscribe", "hub.verify_token": off.whatsapp_verify_token}
    assert Client().get(address, query).status_code == 404
    body = webhook_body(messages=[text_message("254712300000", "SALIO")])
    signed = {"X-Hub-Signature-256": signature(off.whatsapp_app_secret or "x", body)}
    response = Client().post(address, body, content_type="application/json", headers=signed)
    assert response.status_code == 404
    assert not InboundMessage.objects.exists()


def test_unsigned_or_wrongly_signed_posts_are_refused_and_change_nothing(business, row) -> None:
    customer = _whatsapp_fan(business)
    body = webhook_body(messages=[text_message(_wa_id(customer), "STOP")])
    for sig in ("", signature("another-secret", body), "sha256=" + "0" * 64, "sha1=abc"):
        response = _post(row, body, sig=sig)
        assert response.status_code == 401
        assert response.json()["code"] == "callback_not_authenticated"
    tampered = body.replace(b"STOP", b"SALIO")
    assert _post(row, tampered, sig=signature(APP_SECRET, body)).status_code == 401
    assert not InboundMessage.objects.exists() and not Message.objects.exists()
    assert has_consent(customer, "whatsapp")


def test_without_an_app_secret_nothing_is_accepted(business) -> None:
    row = messaging_settings_update(business=business, whatsapp_mode="outbox")
    body = webhook_body(messages=[text_message("254712300000", "SALIO")])
    assert _post(row, body, sig=signature("", body)).status_code == 401
    assert not InboundMessage.objects.exists()


def test_a_signed_body_that_is_not_a_webhook_is_a_400(business, row) -> None:
    for body in (b"{not json", b"[1, 2]", b'{"object": "whatsapp_business_account", "entry": 5}'):
        response = _post(row, body)
        assert response.status_code == 400
        assert response.json()["code"] == "bad_callback"
    assert not InboundMessage.objects.exists()


# --- customers writing -----------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_acha_withdraws_whatsapp_only_and_the_answer_goes_on_whatsapp_in_swahili(
    business, row, wa_stub
) -> None:
    customer = _whatsapp_fan(business, language="sw")
    _says(row, _wa_id(customer), "ACHA")

    assert not has_consent(customer, "whatsapp")
    assert not has_consent(customer, "whatsapp", purpose="service")
    assert has_consent(customer, "sms")
    inbound = InboundMessage.objects.get()
    assert (inbound.channel, inbound.action, inbound.customer) == ("whatsapp", "stop", customer)
    reply = inbound.reply
    with translation.override("sw"):
        expected = _(
            "%(shop)s: you will get no more messages from us by %(channel)s. "
            "Reply START to subscribe again."
        ) % {"shop": "Kahawa Test", "channel": "WhatsApp"}
    assert (reply.channel, reply.to_address, reply.language) == ("whatsapp", _wa_id(customer), "sw")
    assert reply.body == expected
    assert outbox_send_due(now=NOON) == {"sent": 1}  # within the window: free text
    assert wa_stub.last.json["text"]["body"] == expected
    # and WhatsApp is no longer where this customer's campaigns go
    campaign = _launch(business, _offer_template(business), NOON)
    assert Message.objects.get(campaign=campaign).channel == "sms"


@time_machine.travel(NOON, tick=False)
def test_salio_answers_the_balance_on_whatsapp(business, row, wa_stub) -> None:
    customer = person(business, phone="0712345678")  # a member, never linked: known by number
    points_earn(customer=customer, amount=340, idempotency_key="wa-1")
    _says(row, "254712345678", "SALIO")

    inbound = InboundMessage.objects.get()
    assert inbound.action == "balance" and inbound.customer == customer
    assert "340" in inbound.reply.body
    assert outbox_send_due(now=NOON) == {"sent": 1}
    assert wa_stub.last.json["to"] == "254712345678"
    assert "340" in wa_stub.last.json["text"]["body"]


@time_machine.travel(NOON, tick=False)
def test_quick_reply_buttons_and_interactive_replies_count_as_words(business, row) -> None:
    customer = person(business, phone="0712345678")
    for message in (button_message("254712345678", "BALANCE"),
                    interactive_reply("254712345678", "Salio", kind="list_reply")):  # fmt: skip
        assert _post(row, webhook_body(messages=[message])).status_code == 200
    actions = list(InboundMessage.objects.values_list("action", "customer"))
    assert actions == [("balance", customer.pk), ("balance", customer.pk)]


@time_machine.travel(NOON, tick=False)
def test_the_same_message_id_twice_is_answered_once(business, row) -> None:
    customer = person(business, phone="0712345678")
    points_earn(customer=customer, amount=50, idempotency_key="wa-2")
    body = webhook_body(messages=[text_message("254712345678", "SALIO", message_id="wamid.X1")])
    for _attempt in range(3):
        assert _post(row, body).status_code == 200
    assert InboundMessage.objects.count() == 1
    assert Message.objects.count() == 1


@time_machine.travel(NOON, tick=False)
def test_a_stranger_learns_nothing_about_cards(business, row, wa_stub) -> None:
    member = person(business, phone="0712345678")
    points_earn(customer=member, amount=340, idempotency_key="wa-3")
    _says(row, "254799000111", "SALIO", name="Somebody")

    inbound = InboundMessage.objects.get()
    assert inbound.customer is None
    reply = inbound.reply
    assert reply.to_address == "254799000111" and reply.customer is None
    assert "no loyalty card" in reply.body
    assert "340" not in reply.body and member.cards.get().number[-4:] not in reply.body
    assert outbox_send_due(now=NOON) == {"sent": 1}  # they just wrote: free text may go
    assert wa_stub.last.json["text"]["body"] == reply.body
    assert not MessengerContact.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_the_wa_me_link_from_the_card_links_the_chat(business, row, wa_stub) -> None:
    customer = person(business, "Baraka Otieno", preferred_channel="whatsapp")
    points_earn(customer=customer, amount=120, idempotency_key="wa-4")
    link = deep_link(row, "whatsapp", link_code_issue(customer, "whatsapp").code)
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == ("wa.me", "/254700111222")
    prefilled = parse_qs(parts.query)["text"][0]  # what WhatsApp puts in the box
    other_phone = "255754000111"  # the customer's WhatsApp is on another number

    _says(row, other_phone, prefilled, name="Baraka")
    inbound = InboundMessage.objects.get()
    assert (inbound.action, inbound.customer) == (InboundAction.LINKED, customer)
    chat = MessengerContact.objects.get(channel="whatsapp")
    assert (chat.customer, chat.external_id, chat.display_name) == (
        customer, other_phone, "Baraka"
    )  # fmt: skip
    assert has_consent(customer, "whatsapp")
    assert "120" in inbound.reply.body and "WhatsApp" in inbound.reply.body
    # the code was used up: the same words again link nothing more
    _says(row, "255754999999", prefilled)
    assert MessengerContact.objects.count() == 1

    campaign = _launch(business, sms_template(business), NOON)
    message = Message.objects.get(campaign=campaign)
    assert (message.channel, message.to_address) == ("whatsapp", other_phone)


@time_machine.travel(NOON, tick=False)
def test_an_image_is_recorded_unanswered_and_opens_the_window(business, row, wa_stub) -> None:
    customer = _whatsapp_fan(business)
    body = webhook_body(messages=[image_message(_wa_id(customer))])
    assert _post(row, body).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.action, inbound.customer, inbound.reply) == ("unknown", customer, None)
    assert inbound.text == "[image]"
    campaign = _launch(business, _offer_template(business), NOON)
    outbox_send_due(now=NOON)
    assert wa_stub.last.json["type"] == "text"  # they wrote: free text may go
    assert Message.objects.filter(campaign=campaign, status="sent").count() == 1


@time_machine.travel(NOON, tick=False)
def test_messages_for_another_number_of_the_account_are_not_this_business(business, row) -> None:
    person(business, phone="0712345678")
    body = webhook_body(
        messages=[text_message("254712345678", "SALIO")], phone_number_id="999000999000"
    )
    assert _post(row, body).status_code == 200
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_webhook_delivered_in_parallel_is_answered_once(business, row) -> None:
    customer = person(business, phone="0712345678")
    points_earn(customer=customer, amount=50, idempotency_key="wa-5")
    body = webhook_body(messages=[text_message("254712345678", "SALIO", message_id="wamid.P1")])

    results = race(6, lambda _i: _post(row, body).status_code)

    assert unexpected(results) == []
    assert [value for _state, value in results] == [200] * 6
    assert InboundMessage.objects.count() == 1
    assert Message.objects.filter(channel="whatsapp").count() == 1
