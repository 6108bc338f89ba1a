"""The worker against real components: the Africa's Talking and Twilio SDKs talking to local
stubs of their APIs, and e-mail received by a real SMTP server (aiosmtpd): what leaves,
retries with backoff, provider errors, delivery reports, one-click unsubscribe."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.test import Client

from tests.messaging.factories import (
    NOON,
    basic_auth,
    email_template,
    person,
    sms_template,
    twilio_signature,
)
from wateja.customers.selectors import has_consent
from wateja.messaging import config
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import Message, MessageStatus, MessagingSettings
from wateja.messaging.worker import MAX_ATTEMPTS, outbox_send_due


def _use_africastalking(business, stub) -> MessagingSettings:
    row = messaging_settings(business)
    row.sms_provider, row.sms_sender = "africastalking", "KAHAWA"
    row.at_username, row.at_api_key, row.provider_api_base = stub.username, stub.api_key, stub.url
    row.save()
    return row


def _sms_campaign(business, **extra):
    template = sms_template(business)
    campaign = campaign_save(
        business=business, name="Promo", channel="sms", sms_template_id=template.pk,
        offer="Chai 2 for 1", **extra,
    )  # fmt: skip
    return campaign_launch(campaign=campaign, now=NOON)


def test_africastalking_send_and_delivery_report(business, at_stub) -> None:
    row = _use_africastalking(business, at_stub)
    customer = person(business, language="sw")
    _sms_campaign(business)

    assert outbox_send_due(now=NOON) == {"sent": 1}
    request = at_stub.last
    assert request.form["to"] == customer.phone
    assert request.form["from"] == "KAHAWA"
    assert request.form["message"].startswith("Habari Amina, Chai 2 for 1 kwa Kahawa Test.")
    message = Message.objects.get()
    assert message.provider == "africastalking"
    assert message.provider_id

    report = Client().post(
        f"/hooks/{row.hook_token}/sms/delivery/",
        {"id": message.provider_id, "status": "Success", "phoneNumber": customer.phone,
         "networkCode": "63902"},
        headers={"Authorization": basic_auth(row)},
    )  # fmt: skip
    assert report.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_provider_errors_are_retried_with_backoff_then_failed(business, at_stub) -> None:
    _use_africastalking(business, at_stub)
    person(business)
    _sms_campaign(business)
    now = NOON
    for attempt in range(1, MAX_ATTEMPTS + 1):
        at_stub.next_http_error(500)
        result = outbox_send_due(now=now)
        message = Message.objects.get()
        if attempt < MAX_ATTEMPTS:
            assert result == {"queued": 1}
            assert message.not_before == now + dt.timedelta(minutes=2 ** (attempt - 1))
            assert not outbox_send_due(now=now + dt.timedelta(seconds=30))  # not yet due
            now = message.not_before
    assert message.status == MessageStatus.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert [d.outcome for d in message.deliveries.order_by("id")] == ["retry"] * 4 + ["failed"]
    assert len(at_stub.requests) == MAX_ATTEMPTS + 0  # one request per attempt, none extra


def test_a_refused_number_fails_at_once_with_the_reason(business, at_stub) -> None:
    _use_africastalking(business, at_stub)
    person(business)
    _sms_campaign(business)
    at_stub.next_recipient_status(403, "InvalidPhoneNumber")
    assert outbox_send_due(now=NOON) == {"failed": 1}
    message = Message.objects.get()
    assert "InvalidPhoneNumber" in message.last_error
    assert message.attempts == 1


def test_a_timeout_is_retried(business, at_stub, monkeypatch) -> None:
    _use_africastalking(business, at_stub)
    person(business)
    _sms_campaign(business)
    at_stub.hang_next(seconds=30)
    original = config.channel_config  # 15 s by default: shortened so the test stays quick
    monkeypatch.setattr(
        config,
        "channel_config",
        lambda row, channel: dataclasses.replace(original(row, channel), timeout_seconds=0.5),
    )
    assert outbox_send_due(now=NOON) == {"queued": 1}
    message = Message.objects.get()
    assert message.attempts == 1
    assert message.last_error


def test_twilio_send_and_status_callback(business, twilio_stub) -> None:
    row = messaging_settings(business)
    row.sms_provider, row.sms_sender = "twilio", "+15005550006"
    row.twilio_account_sid, row.twilio_auth_token = twilio_stub.account_sid, twilio_stub.auth_token
    row.provider_api_base = twilio_stub.url
    row.save()
    customer = person(business)
    _sms_campaign(business)

    assert outbox_send_due(now=NOON) == {"sent": 1}
    assert twilio_stub.last.form["To"] == customer.phone
    assert twilio_stub.last.form["StatusCallback"].endswith(
        f"/hooks/{row.hook_token}/sms/delivery/"
    )
    message = Message.objects.get()
    assert message.provider_id.startswith("SM")
    path = f"/hooks/{row.hook_token}/sms/delivery/"
    form = {"MessageSid": message.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    unsigned = Client().post(path, form)
    assert unsigned.status_code == 401
    message.refresh_from_db()
    assert message.status != MessageStatus.FAILED  # nothing changes for an unsigned call
    signed = Client().post(
        path, form, headers={"X-Twilio-Signature": twilio_signature(row, path, form)}
    )
    assert signed.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "30003" in message.last_error


def test_email_arrives_with_one_click_unsubscribe_in_the_customers_language(
    business, smtp_settings
) -> None:
    row = messaging_settings(business)
    row.email_provider, row.email_from = "smtp", "habari@kahawa.example"
    row.save()
    business.support_email = "care@kahawa.example"
    business.save()
    mail = email_template(business)
    customer = person(business, "Անի Պետրոսյան", sms=None, email=True, language="hy")
    campaign = campaign_save(
        business=business, name="Letter", channel="email", email_template_id=mail.pk,
        offer="Վարդեր 20% զեղչով",
    )  # fmt: skip
    campaign_launch(campaign=campaign, now=NOON)
    assert outbox_send_due(now=NOON) == {"sent": 1}

    received = smtp_settings.last
    assert received["To"] == customer.email
    assert "Kahawa Test" in received["From"] and "habari@kahawa.example" in received["From"]
    assert received["Reply-To"] == "care@kahawa.example"
    assert received["Subject"].strip() == "Անի, նորություններ Kahawa Test-ից"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", received["List-Unsubscribe"]).group(1)
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Հարգելի Անի" in text and "Վարդեր 20% զեղչով" in html
    assert url in text  # the visible unsubscribe line too

    path = url.split("localhost:8000", 1)[1]
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not has_consent(customer, "email")
