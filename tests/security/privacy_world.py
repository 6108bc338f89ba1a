"""A customer with personal data in every place the product keeps it, made through the
services a shop uses: two imports (the one that created her, and one that named her phone
again), a merged second record, a merge with another customer undone, consents with the
enrolment page's proof, notes and a complaint, a campaign and direct messages with a
delivery report, inbound SMS from both her numbers, feedback, a manual grant with a reason,
a refund with a reason, an M-Pesa payment and a cashback payout, an event sent to a webhook,
an enrolment waiting for its SMS code.

Free text carries "zqx" (with the place in it: "zqx-notes"), her phones end in 711000301 and
711000302, her address is 198.51.100.77: `markers_in(value)` finds them anywhere. Other
customers (Baraka and Neema from the imports, Juma from the undone merge) must keep theirs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import models
from django.test import Client
from django.utils import timezone

from tests.messaging.factories import basic_auth, sms_template
from wateja.customers.importing import import_run, import_upload
from wateja.customers.merging import customer_merge_record, customer_merge_undo
from wateja.customers.models import (
    Customer,
    CustomerMerge,
    ImportJob,
    PendingEnrolment,
)
from wateja.customers.privacy import NOT_PERSONAL, RANDOM
from wateja.customers.services import (
    ConsentProof,
    consent_record,
    customer_create,
    customer_update,
    interaction_add,
)
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.config import messaging_settings, messaging_settings_update
from wateja.messaging.inbound import feedback_give
from wateja.messaging.messengers import chat_message, link_code_issue
from wateja.messaging.models import Campaign, Message, Template
from wateja.messaging.outbox import direct_queue
from wateja.messaging.surveys import survey_answer, survey_save
from wateja.messaging.worker import outbox_send_due
from wateja.orders.refunds import order_refund
from wateja.orders.services import order_record
from wateja.payments.models import PaymentSettings, Payout
from wateja.payments.payouts import payout_request
from wateja.payments.services import payment_receive, payment_settings
from wateja.tenants.models import Business
from wateja.wallet.services import points_grant
from wateja.webhooks.models import Delivery as WebhookDelivery
from wateja.webhooks.models import Endpoint
from wateja.webhooks.services import deliveries_create

PHONE = "+254711000301"
PHONE_2 = "+254711000302"  # the merged record's
IP = "198.51.100.77"
MARKERS = ("zqx", "711000301", "711000302", IP)
TEXT_FIELDS = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.EmailField,
    models.GenericIPAddressField,
    models.FileField,
    models.BinaryField,
)


def markers_in(value: Any) -> list[str]:
    """The person's markers found in a stored value (text, JSON or bytes), lower case."""
    if value is None:
        return []
    text = value.decode(errors="replace") if isinstance(value, (bytes, memoryview)) else value
    text = str(text).casefold()
    return [m for m in MARKERS if m in text]


def tokens_in(value: Any) -> set[str]:
    """The distinct pieces of the person's data in a value: "zqx-notes", digits of a phone."""
    text = str(value).casefold()
    found = set(re.findall(r"zqx[\w.@+-]*", text))
    found |= {m for m in MARKERS[1:] if m in text}
    return found


def wateja_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("wateja.")]


def text_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]


def scan(
    exclude: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[str, str, Any, list[str]]]:
    """Every (model, field, pk, markers) in the whole database that still holds the person.
    Random codes and tokens are not looked at: they hold nothing of hers, and a fresh random
    token may spell "zqx" by chance."""
    found = []
    for model in wateja_models():
        label = model._meta.label
        randoms = {n for n, why in NOT_PERSONAL.get(label, {}).items() if why == RANDOM}
        fields = [
            f
            for f in text_fields(model)
            if (label, f.name) not in exclude and f.name not in randoms
        ]
        if not fields:
            continue
        for row in model._default_manager.values("pk", *(f.attname for f in fields)):
            for f in fields:
                hits = markers_in(row[f.attname])
                if hits:
                    found.append((model._meta.label, f.name, row["pk"], hits))
    return found


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def local_noon(business: Business) -> dt.datetime:
    """Midday today where the shop is: no quiet hours hold a campaign back."""
    zone = ZoneInfo(business.timezone)
    local = timezone.now().astimezone(zone)
    return local.replace(hour=12, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


@dataclass
class World:
    business: Business
    person: Customer
    dropped: Customer
    juma: Customer
    march: ImportJob
    april: ImportJob
    hooks: Client
    others: dict[str, Customer] = field(default_factory=dict)
    provider_ids: list[str] = field(default_factory=list)

    def hook(self, kind: str, **form: str) -> Any:
        row = messaging_settings(self.business)
        return self.hooks.post(f"/hooks/{row.hook_token}/{kind}/", form)


HEADER = ["Name", "Phone", "E-mail", "City", "Notes", "Gender", "SMS consent"]
HER_ROW = ["Zqx-name Amina", "0711000301", "zqx-email@example.com", "Zqx-city", "zqx-notes"]
MARCH = [
    HEADER,
    [*HER_ROW, "zqx-gender", "yes"],  # an unknown gender: imported without it, a warning
    ["Baraka Otieno", "0711000401", "baraka@example.com", "Kisumu", "", "unknown-x", "no"],
]
APRIL = [
    HEADER,
    ["Amina W", "0711000301", "", "", "", "", ""],
    ["Neema Mushi", "0711000402", "", "Arusha", "", "", ""],
]


def _import(business: Business, name: str, rows: list[list[str]]) -> ImportJob:
    job, _created = import_upload(
        business=business, file_name=name, fileobj=io.BytesIO(csv_bytes(rows))
    )
    return import_run(job=job)


def build_world(business: Business) -> World:
    """Needs MEDIA_ROOT pointed at a temporary directory (the imports store files)."""
    march = _import(business, "march.csv", MARCH)
    person = Customer.objects.get(phone=PHONE)
    baraka = Customer.objects.get(phone="+254711000401")
    # a second file names her phone again: a duplicate, left out, kept in its problem report
    april = _import(business, "april.csv", APRIL)
    neema = Customer.objects.get(phone="+254711000402")
    person = customer_update(customer=person, gender="female", language="sw")
    Customer.objects.filter(pk=person.pk).update(
        preferred_channel="sms", interests=["zqx-cakes"], interest_keys=["zqx-cakes"]
    )
    person.refresh_from_db()
    consent_record(
        customer=person,
        channel="email",
        granted=True,
        text="zqx-consent words",
        source="web",
        proof=ConsentProof(
            ip_address=IP,
            user_agent="zqx-agent",
            language="sw",
            verification={"method": "sms_code", "sent_to": PHONE},
        ),
    )
    interaction_add(
        customer=person, kind="note", summary="zqx-summary", body="zqx-body", reference="zqx-ref"
    )
    interaction_add(customer=person, kind="complaint", summary="zqx-complaint cold chai")

    # a second record of hers, merged into this one: its phone and e-mail stay as contacts
    dropped = customer_create(
        business=business,
        name="Zqx-drop Amina",
        phone="0711000302",
        email="zqx-drop@example.com",
        city="zqx-drop-city",
        notes="zqx-drop-notes",
    )
    customer_merge_record(keep=person, drop=dropped)
    # another customer merged by mistake and split again: his timeline names her
    juma = customer_create(business=business, name="Juma Hassan", phone="0711000403")
    customer_merge_undo(merge=customer_merge_record(keep=person, drop=juma))

    # messages: a campaign with her card page link, an SMS and an e-mail she asked for
    noon = local_noon(business)
    campaign = campaign_save(
        business=business,
        name="Menu",
        sms_template_id=sms_template(business, en="Hi {name}, your card: {link}").pk,
        channel="sms",
    )
    campaign_launch(campaign=campaign, now=noon)
    direct_queue(business=business, to=PHONE, body="zqx-sms-body", customer=person, now=noon)
    direct_queue(
        business=business,
        to=person.email,
        channel="email",
        subject="zqx-subject",
        body="zqx-email-body",
        customer=person,
        now=noon,
    )
    # she linked Telegram from her card and wrote on WhatsApp; then a campaign went to her
    # WhatsApp as the approved template, with the SMS wording kept as its fallback
    messaging_settings_update(
        business=business,
        telegram_mode="outbox",
        telegram_bot_username="kahawa_bot",
        whatsapp_mode="outbox",
        whatsapp_number="+254700000001",
    )
    code = link_code_issue(person, "telegram", now=noon).code
    chat_message(business=business, channel="telegram", external_id="zqx-chat-1",
                 text=f"/start {code}", display_name="Zqx-tg Amina", now=noon)  # fmt: skip
    chat_message(business=business, channel="whatsapp", external_id="254711000301",
                 text="salio", display_name="Zqx-wa Amina", now=noon)  # fmt: skip
    chat_message(business=business, channel="whatsapp", external_id="254711000301",
                 text="START", now=noon)  # fmt: skip
    Customer.objects.filter(pk=person.pk).update(preferred_channel="whatsapp")
    template = sms_template(business, "Chat", en="Hi {name}, {offer}")
    Template.objects.filter(pk=template.pk).update(whatsapp_name="offer_hello")
    chat_campaign = campaign_save(
        business=business, name="Chat", sms_template_id=template.pk, channel="preferred",
        offer="tea",
    )  # fmt: skip
    campaign_launch(campaign=chat_campaign, now=noon)
    Customer.objects.filter(pk=person.pk).update(preferred_channel="sms")
    person.refresh_from_db()
    outbox_send_due(now=noon)
    world = World(
        business=business,
        person=person,
        dropped=dropped,
        juma=juma,
        march=march,
        april=april,
        hooks=Client(headers={"Authorization": basic_auth(messaging_settings(business))}),
        others={"baraka": baraka, "neema": neema, "juma": juma},
    )
    sms = Message.objects.get(customer=person, body="zqx-sms-body")
    world.provider_ids = list(
        Message.objects.filter(customer=person)
        .exclude(provider_id="")
        .values_list("provider_id", flat=True)
    )
    world.hook(
        "sms/delivery",
        id=sms.provider_id,
        status="failed",
        reason="zqx-failure",
        phoneNumber=PHONE,
    )
    world.hook("sms/inbound", **{"from": PHONE, "text": "zqx-inbound hello", "id": "zqx-in-1"})
    world.hook("sms/inbound", **{"from": PHONE_2, "text": "zqx-inbound-2", "id": "zqx-in-2"})
    card_message = Message.objects.get(customer=person, campaign=campaign)
    feedback_give(token=card_message.token, rating=4, comment="zqx-comment")
    survey = survey_save(
        business=business, title="Visit", questions=[{"kind": "text", "text": "Why?"}]
    )
    Campaign.objects.filter(pk=campaign.pk).update(survey=survey)  # her link opens it now
    survey_answer(token=card_message.token, answers={"0": "zqx-survey-answer"})

    points_grant(customer=person, amount=10, idempotency_key="gift-1", reason="zqx-grant-reason")
    order = order_record(business=business, number="A-1", total_minor=50_000, customer=person)
    order_refund(order=order, refund_id="r-1", amount_minor=5_000, reason="zqx-refund-reason")

    # she paid by M-Pesa, typing her phone as the account: matched and rung up
    payment_receive(
        business=business,
        provider="mpesa",
        reference="QK12ABC345",
        amount_minor=20_000,
        currency="KES",
        paid_at=timezone.now(),
        account="0711000301",
        payer_phone=PHONE,
        payer_name="Zqx-payer Amina",
        payload={"TransID": "QK12ABC345", "MSISDN": PHONE, "FirstName": "Zqx-first"},
    )

    # cashback paid out to her M-Pesa at her request (refused here; M-Pesa's words kept)
    PaymentSettings.objects.filter(pk=payment_settings(business).pk).update(b2c_enabled=True)
    points_grant(
        customer=person, amount=10_000, idempotency_key="cb-1", reason="gift", kind="cashback"
    )
    payout = payout_request(customer=person, amount_minor=10_000, phone="0711000301")
    Payout.objects.filter(pk=payout.pk).update(result="zqx-mpesa-said")

    # the shop's other system was told she joined (an event of the business's webhooks)
    endpoint = Endpoint.objects.create(business=business, url="https://crm.example.com/in")
    deliveries_create(
        business_id=business.pk,
        event_type="customer.created",
        data={"customer": {"id": person.pk, "name": "Zqx-name Amina", "phone": PHONE}},
        occurred_at=timezone.now(),
    )
    WebhookDelivery.objects.filter(endpoint=endpoint).update(
        last_status_code=500,
        last_error="zqx-hook-error",
        last_response='{"error": "zqx-hook-answer"}',
    )

    # she started enrolling again on the shop's page and never typed the code
    PendingEnrolment.objects.create(
        business=business,
        phone=PHONE,
        data={"name": "zqx-pending-name"},
        consents={"sms": {"granted": True, "text": "zqx-pending-consent"}},
        language="sw",
        ip_address=IP,
        user_agent="zqx-pending-agent",
        code_digest="0" * 64,
        created_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(minutes=10),
    )
    assert CustomerMerge.objects.filter(keep=person).count() == 2
    return world
