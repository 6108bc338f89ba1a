"""The demo tells the same story whatever day it is seeded on: a year of history ending today,
campaigns with measured results, points about to expire, automations that ran, segments that
still describe who they say, a ledger that balances, and chat apps (record only) with linked
customers whose chat questions are answered once the worker runs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import Max, Min

from wateja.core.localtime import local_date, local_today
from wateja.customers.models import Consent, Segment
from wateja.customers.segments import segment_customers
from wateja.demo import seed
from wateja.messaging.campaigns import campaign_preview
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import (
    Automation,
    Campaign,
    CampaignStatus,
    InboundMessage,
    Message,
    MessageStatus,
    MessengerContact,
)
from wateja.messaging.selectors import campaign_results
from wateja.messaging.worker import outbox_send_due
from wateja.orders.models import Order
from wateja.payments.models import Payment
from wateja.promotions.models import Promotion
from wateja.tenants.models import Business
from wateja.wallet.models import Lot
from wateja.wallet.services import ledger_check

# far apart, and each on an awkward day: the last evening of January in UTC is already
# February in Nairobi and Yerevan; a leap day; the last hour of a year
DAYS = [
    dt.datetime(2027, 1, 31, 22, 30, tzinfo=dt.UTC),
    dt.datetime(2032, 2, 29, 9, 0, tzinfo=dt.UTC),
    dt.datetime(2034, 12, 31, 21, 45, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("now", DAYS, ids=lambda d: d.date().isoformat())
def test_demo_seeded_on_any_day_shows_the_same_picture(db, now):
    with time_machine.travel(now, tick=False):
        seed(scale=0.08)

        for business in Business.objects.all():
            tz = business.timezone
            today = local_today(tz)
            orders = Order.objects.for_business(business).aggregate(
                first=Min("placed_at"), last=Max("placed_at")
            )
            assert orders["last"] <= now, "no order in the future"
            assert (today - local_date(orders["last"], tz)).days <= 3, "sales up to today"
            assert (today - local_date(orders["first"], tz)).days >= 300, "a year of history"

            campaigns = Campaign.objects.filter(business=business)
            sent = [c for c in campaigns if c.status == CampaignStatus.SENT]
            assert any(campaign_results(c)["orders"] > 0 for c in sent), "a campaign that paid"
            scheduled = campaigns.get(status=CampaignStatus.SCHEDULED)
            assert now < scheduled.scheduled_at <= now + dt.timedelta(days=3)

            recent = Message.objects.filter(
                business=business,
                automation__in=Automation.objects.filter(business=business),
                created_at__gte=now - dt.timedelta(days=21),
            )
            assert recent.exists(), "automations ran in the last three weeks"

            live = Promotion.objects.filter(business=business, status="active")
            assert live.exists()
            lapsed = Segment.objects.get(business=business, name__startswith="Lapsed")
            assert segment_customers(business, lapsed.filters).exists()
            birthdays = Segment.objects.get(business=business, name="Birthdays this month")
            assert all(
                c.birth_month == today.month for c in segment_customers(business, birthdays.filters)
            )

        cafe = Business.objects.get(slug="kahawa-corner")
        soon = Lot.objects.filter(
            business=cafe,
            remaining__gt=0,
            expires_at__gt=now,
            expires_at__lte=now + dt.timedelta(days=30),
        )
        assert soon.exists(), "some points expire within a month"
        payments = Payment.objects.filter(business=cafe)
        assert payments.filter(status="matched", order__isnull=False).exists(), "M-Pesa rung up"
        assert payments.filter(status="unmatched").exists(), "M-Pesa payments to match"
        receipts = [f"receipt:{p.order_id}:sms" for p in payments.filter(status="matched")]
        assert Message.objects.filter(business=cafe, dedupe_key__in=receipts).exists()
        online = Order.objects.filter(business=cafe, channel="online")
        assert online.exists(), "the online shop's paid orders are sales"
        assert online.filter(refunded_minor__gt=0).exists(), "one refunded in the shop"
        members = Promotion.objects.get(
            business__slug="vardanots-flowers", name__startswith="Անդամների օրեր"
        )
        assert members.starts_at <= now < members.ends_at
        assert ledger_check() == []
        _chat_apps_tell_their_story(now)

    later = now + dt.timedelta(days=90)
    with time_machine.travel(later, tick=False):  # a saved segment keeps meaning its name
        lapsed = Segment.objects.get(business=cafe, name__startswith="Lapsed")
        members_now = list(segment_customers(cafe, lapsed.filters))
        assert members_now
        assert all(
            c.last_purchase_at is None or c.last_purchase_at < later - dt.timedelta(days=59)
            for c in members_now
        )
        assert any(c.last_purchase_at and c.last_purchase_at > now - dt.timedelta(days=10)
                   for c in members_now)  # fmt: skip


def _chat_apps_tell_their_story(now: dt.datetime) -> None:
    cafe = Business.objects.get(slug="kahawa-corner")
    flowers = Business.objects.get(slug="vardanots-flowers")
    cafe_row, flower_row = messaging_settings(cafe), messaging_settings(flowers)
    assert (cafe_row.telegram_mode, cafe_row.telegram_bot_username) == (
        "outbox",
        "kahawa_demo_bot",
    )
    assert cafe_row.whatsapp_mode == "outbox" and cafe_row.whatsapp_number
    assert cafe_row.viber_mode == "off" and flower_row.viber_mode == "outbox"
    assert (flower_row.viber_bot_uri, flower_row.viber_bot_name) == ("vardanots", "Վարդանոց")

    for business, app in ((cafe, "whatsapp"), (cafe, "telegram"), (flowers, "viber")):
        contacts = MessengerContact.objects.filter(business=business, channel=app)
        assert contacts.filter(unlinked_at__isnull=True).count() >= 3, app
        for contact in contacts.filter(unlinked_at__isnull=True).select_related("customer"):
            assert contact.customer.preferred_channel == app
            consent = (
                Consent.objects.filter(customer=contact.customer, channel=app, purpose="marketing")
                .order_by("-recorded_at", "-id")
                .first()
            )
            assert consent is not None and consent.granted and consent.source == "messenger"
    assert MessengerContact.objects.filter(business=flowers, unlinked_at__isnull=False).exists()

    swahili = InboundMessage.objects.get(business=cafe, channel="whatsapp", action="balance")
    assert swahili.text == "Salio langu?" and swahili.customer is not None
    offers = InboundMessage.objects.get(business=flowers, channel="viber", action="offers")
    assert offers.text == "Ակցիաներ"
    replies = [swahili.reply, offers.reply]
    assert all(r is not None and r.status == MessageStatus.QUEUED for r in replies)
    assert swahili.reply.channel == "whatsapp" and swahili.reply.language == "sw"
    assert offers.reply.channel == "viber" and offers.reply.to_address == offers.from_phone

    outbox_send_due(now=now)  # the worker beside the demo server: queued → sent (recorded)
    for reply in replies:
        reply.refresh_from_db()
        assert reply.status == MessageStatus.SENT and reply.provider == "outbox"

    # each draft, sent to each customer's preferred channel, shows the chat apps
    previews = {}
    for business in (cafe, flowers):
        draft = Campaign.objects.get(business=business, status=CampaignStatus.DRAFT)
        Campaign.objects.filter(pk=draft.pk).update(channel="preferred")
        draft.refresh_from_db()
        previews[business] = {c["channel"]: c for c in campaign_preview(draft)["channels"]}
    channels = previews[cafe]
    assert channels["whatsapp"]["customers"] >= 1 and channels["telegram"]["customers"] >= 1
    assert channels["whatsapp"]["cost_minor"] == channels["whatsapp"]["customers"] * 110
    assert "viber" not in channels
    channels = previews[flowers]
    assert channels["viber"]["customers"] >= 1 and "telegram" not in channels
    assert channels["viber"]["cost_minor"] == channels["viber"]["customers"] * 1200
