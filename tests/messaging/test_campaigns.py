"""Campaigns through the services: templates with placeholder checks, reach and cost preview,
consent/contact/cap/holdout decisions, quiet hours, the worker sending each message once,
variants and attribution with a holdout group."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.messaging.factories import NIGHT, NOON, email_template, person, sms_template
from wateja.core.errors import Conflict, ValidationFailed
from wateja.customers.segments import segment_save
from wateja.customers.services import consent_record
from wateja.messaging.attribution import attribution_run
from wateja.messaging.campaigns import (
    campaign_cancel,
    campaign_launch,
    campaign_preview,
    campaign_save,
    campaigns_due,
)
from wateja.messaging.composing import template_save
from wateja.messaging.config import messaging_settings_update
from wateja.messaging.models import Campaign, Delivery, Message, MessageStatus
from wateja.messaging.selectors import campaign_results
from wateja.messaging.worker import outbox_release_stale, outbox_send_due
from wateja.orders.models import Order


def _campaign(business, template, **extra):
    values = {"name": "Black Friday", "sms_template_id": template.pk, "channel": "sms",
              "offer": "20% off", "code": "BF20"}  # fmt: skip
    values.update(extra)
    return campaign_save(business=business, **values)


def test_unknown_placeholder_is_refused_on_save_with_its_name(business) -> None:
    with pytest.raises(ValidationFailed) as error:
        template_save(
            business=business,
            name="Bad",
            channel="sms",
            variants=[{"texts": {"sw": {"body": "Habari {name}, salio {salio}"}}}],
        )
    fields = error.value.details["fields"]
    assert list(fields) == ["variants.0.texts.sw.body"]
    assert "{salio}" in fields["variants.0.texts.sw.body"][0]


def test_email_template_needs_a_subject(business) -> None:
    with pytest.raises(ValidationFailed) as error:
        template_save(
            business=business, name="No subject", channel="email",
            variants=[{"texts": {"en": {"body": "Hi"}}}],
        )  # fmt: skip
    assert "variants.0.texts.en.subject" in error.value.details["fields"]


def test_campaign_queues_only_reachable_consenting_customers_and_counts_the_rest(business):
    template = sms_template(business)
    yes = person(business, "Amina Wanjiru", language="sw")
    person(business, "Baraka No", sms=False)
    person(business, "Chiku Never", sms=None)
    person(business, "Dalia Mail", sms=None, email=True)  # e-mail only: not for an SMS campaign
    campaign = campaign_launch(campaign=_campaign(business, template), now=NOON)

    assert campaign.status == "sent"
    assert campaign.counts == {"audience": 4, "queued": 1, "no_consent": 3}
    message = Message.objects.get(campaign=campaign)
    assert message.customer == yes
    assert message.status == MessageStatus.QUEUED
    assert message.to_address == yes.phone
    assert (
        message.body == "Habari Amina, 20% off kwa Kahawa Test. Nambari BF20\nJibu ACHA kujiondoa"
    )
    assert message.segments == 1
    assert message.cost_minor == 100
    assert message.not_before == NOON


def test_preview_shows_reach_cost_and_ucs2_for_armenian(business) -> None:
    template = sms_template(
        business,
        en="Hi {name}, {offer} on all roses",
        hy="Բարև {name}, {offer} բոլոր վարդերի համար",
    )
    for i in range(3):
        person(business, f"Ani {i}", language="hy")
    person(business, "John Smith", language="en")
    person(business, "No Consent", sms=False)
    campaign = _campaign(business, template, offer="-20%")
    preview = campaign_preview(campaign)

    assert preview["audience"] == 5
    assert preview["sms"] == 4
    assert preview["skipped"] == {"no_consent": 1}
    by_language = {e["language"]: e for e in preview["examples"]}
    assert by_language["hy"]["encoding"] == "UCS-2"
    assert by_language["en"]["encoding"] == "GSM-7"
    assert preview["sms_segments"] >= 4
    assert preview["cost_minor"] == preview["sms_segments"] * 100
    # nothing was written by a preview
    assert not Message.objects.exists()


def test_worker_sends_each_message_once_and_records_the_attempt(business) -> None:
    template = sms_template(business)
    for i in range(3):
        person(business, f"Customer {i}")
    campaign_launch(campaign=_campaign(business, template), now=NOON)

    first = outbox_send_due(now=NOON)
    second = outbox_send_due(now=NOON + dt.timedelta(minutes=1))

    assert first == {"sent": 3}
    assert not second
    messages = Message.objects.filter(business=business)
    assert {m.status for m in messages} == {MessageStatus.SENT}
    assert all(m.provider == "outbox" and m.provider_id == f"outbox-{m.pk}" for m in messages)
    assert Delivery.objects.filter(message__business=business, outcome="sent").count() == 3


def test_quiet_hours_defer_to_the_morning_not_drop(business) -> None:
    template = sms_template(business)
    person(business)
    campaign_launch(campaign=_campaign(business, template), now=NIGHT)
    message = Message.objects.get()
    morning = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)  # 08:00 in Nairobi

    assert message.not_before == morning
    assert not outbox_send_due(now=NIGHT + dt.timedelta(hours=2))
    assert outbox_send_due(now=morning) == {"sent": 1}


def test_frequency_cap_counts_every_campaign(business) -> None:
    messaging_settings_update(business=business, cap_count=1, cap_days=7)
    template = sms_template(business)
    person(business)
    campaign_launch(campaign=_campaign(business, template, name="One"), now=NOON)
    second = campaign_launch(
        campaign=_campaign(business, template, name="Two"), now=NOON + dt.timedelta(days=1)
    )
    third = campaign_launch(
        campaign=_campaign(business, template, name="Three"), now=NOON + dt.timedelta(days=8)
    )
    assert second.counts == {"audience": 1, "frequency_cap": 1}
    assert third.counts == {"audience": 1, "queued": 1}


def test_consent_withdrawn_after_queueing_is_checked_at_send_time(business) -> None:
    template = sms_template(business)
    customer = person(business)
    campaign_launch(campaign=_campaign(business, template), now=NOON)
    consent_record(customer=customer, channel="sms", granted=False, text="changed mind")

    assert outbox_send_due(now=NOON) == {"skipped": 1}
    message = Message.objects.get()
    assert (message.status, message.skip_reason) == ("skipped", "no_consent")


def test_preferred_channel_then_both(business) -> None:
    sms = sms_template(business)
    mail = email_template(business)
    likes_mail = person(business, "Mail Lover", email=True, preferred_channel="email")
    plain = person(business, "Sms Person", email=True)
    campaign = campaign_launch(
        campaign=_campaign(business, sms, email_template_id=mail.pk, channel="preferred"),
        now=NOON,
    )
    got = {(m.customer_id, m.channel) for m in Message.objects.filter(campaign=campaign)}
    assert got == {(likes_mail.pk, "email"), (plain.pk, "sms")}

    both = campaign_launch(
        campaign=_campaign(business, sms, email_template_id=mail.pk, channel="both", name="B"),
        now=NOON + dt.timedelta(days=1),
    )
    assert both.counts["queued"] == 4  # two messages each
    assert both.counts["audience"] == 2  # the audience is people, not messages


def test_holdout_group_is_kept_back_and_measured(business) -> None:
    template = sms_template(business)
    people = [person(business, f"Customer {i}") for i in range(40)]
    campaign = campaign_launch(campaign=_campaign(business, template, holdout_percent=50), now=NOON)
    held = Message.objects.filter(campaign=campaign, status=MessageStatus.HOLDOUT)
    assert campaign.counts["holdout"] == held.count() > 0
    assert campaign.counts["queued"] + campaign.counts["holdout"] == 40
    outbox_send_due(now=NOON)
    assert held.count() == campaign.counts["holdout"]  # never sent

    # two days later everyone in both groups buys once
    for customer in people:
        Order.objects.create(
            business=business, customer=customer, number=f"N{customer.pk}", currency="KES",
            subtotal_minor=50_000, total_minor=50_000, placed_at=NOON + dt.timedelta(days=2),
        )  # fmt: skip
    assert attribution_run(business=business, now=NOON + dt.timedelta(days=3)) == 40
    results = campaign_results(campaign)
    assert results["converted"] == campaign.counts["queued"]
    assert results["holdout_converted"] == campaign.counts["holdout"]
    assert results["revenue_minor"] == 50_000 * campaign.counts["queued"]
    assert results["uplift"]["points"] == 0.0


def test_orders_outside_the_window_are_not_credited(business) -> None:
    template = sms_template(business)
    customer = person(business)
    campaign = campaign_launch(campaign=_campaign(business, template), now=NOON)
    outbox_send_due(now=NOON)
    Order.objects.create(
        business=business, customer=customer, number="LATE", currency="KES",
        subtotal_minor=1000, total_minor=1000, placed_at=NOON + dt.timedelta(days=8),
    )  # fmt: skip
    attribution_run(business=business, now=NOON + dt.timedelta(days=9))
    assert campaign_results(campaign)["converted"] == 0


def test_ab_variants_split_and_report_separately(business) -> None:
    template = template_save(
        business=business,
        name="AB",
        channel="sms",
        variants=[
            {"label": "A", "weight": 1, "texts": {"en": {"body": "A: hi {name}"}}},
            {"label": "B", "weight": 1, "texts": {"en": {"body": "B: hello {name}"}}},
        ],
    )
    for i in range(30):
        person(business, f"Customer {i}")
    campaign = campaign_launch(campaign=_campaign(business, template), now=NOON)
    outbox_send_due(now=NOON)
    variants = campaign_results(campaign)["variants"]
    assert [v["label"] for v in variants] == ["A", "B"]
    assert sum(v["sent"] for v in variants) == 30
    assert all(v["sent"] > 0 for v in variants)
    bodies = {m.body.split(":")[0] for m in Message.objects.filter(campaign=campaign)}
    assert bodies == {"A", "B"}


def test_scheduled_campaign_starts_when_due_and_only_drafts_change(business) -> None:
    template = sms_template(business)
    person(business)
    campaign = campaign_launch(
        campaign=_campaign(business, template), at=NOON + dt.timedelta(hours=2), now=NOON
    )
    assert campaign.status == "scheduled"
    assert campaigns_due(now=NOON + dt.timedelta(hours=1)) == 0
    with pytest.raises(Conflict):
        campaign_save(business=business, campaign=campaign, name="Renamed")
    assert campaigns_due(now=NOON + dt.timedelta(hours=2)) == 1
    assert Campaign.objects.get(pk=campaign.pk).status == "sent"
    assert Message.objects.filter(campaign=campaign).count() == 1
    with pytest.raises(Conflict):
        campaign_cancel(campaign=campaign)


def test_campaign_to_a_segment(business) -> None:
    template = sms_template(business)
    nairobi = person(business, "In Town", city="Nairobi")
    person(business, "Far Away", city="Mombasa")
    segment = segment_save(business=business, name="Nairobi", filters={"city": "Nairobi"})
    campaign = campaign_launch(
        campaign=_campaign(business, template, segment_id=segment.pk), now=NOON
    )
    assert [m.customer_id for m in Message.objects.filter(campaign=campaign)] == [nairobi.pk]


def test_campaign_form_errors_are_typed(business, other_business) -> None:
    foreign = sms_template(other_business)
    with pytest.raises(ValidationFailed) as error:
        campaign_save(
            business=business, name="", channel="fax", sms_template_id=foreign.pk,
            holdout_percent=90,
        )  # fmt: skip
    assert set(error.value.details["fields"]) == {
        "name", "channel", "sms_template_id", "holdout_percent"
    }  # fmt: skip


def test_a_message_left_sending_by_a_dead_worker_is_failed_not_resent(business) -> None:
    template = sms_template(business)
    person(business)
    campaign_launch(campaign=_campaign(business, template), now=NOON)
    Message.objects.update(status=MessageStatus.SENDING, claimed_at=NOON)
    assert outbox_release_stale(now=NOON + dt.timedelta(minutes=11)) == 1
    message = Message.objects.get()
    assert message.status == MessageStatus.FAILED
    assert "not resent" in message.last_error


def test_preview_counts_the_frequency_cap_like_the_send(business) -> None:
    messaging_settings_update(business=business, cap_count=1, cap_days=7)
    template = sms_template(business)
    tired = person(business, "Tired Customer")
    person(business, "Fresh Customer")
    first = _campaign(business, template, name="First", segment_id=None)
    campaign_launch(campaign=first, now=NOON)
    Message.objects.exclude(customer=tired).delete()
    second = _campaign(business, template, name="Second")
    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):  # inside the 7-day cap
        preview = campaign_preview(second)
        sent = campaign_launch(campaign=second)
    assert preview["skipped"] == {"frequency_cap": 1}
    assert preview["sms"] == sent.counts["queued"] == 1
