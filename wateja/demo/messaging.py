"""Demo messaging for both businesses: templates in their languages (with A/B variants),
every automation switched on, two past campaigns (one with a holdout group) with deliveries,
clicks, feedback and conversions credited to them, a scheduled campaign and a draft, and a
few customers who replied STOP or asked for their balance. SMS go to the record-only outbox,
so the demo never sends anything."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from wateja.customers.models import Customer
from wateja.customers.segments import segment_save
from wateja.messaging.attribution import attribution_run
from wateja.messaging.automations import automation_save, automations_run
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.composing import template_save
from wateja.messaging.config import messaging_settings
from wateja.messaging.inbound import feedback_give, inbound_sms
from wateja.messaging.models import Automation, Campaign, Message, MessageStatus, Template
from wateja.orders.services import SaleRow, customer_stats_recompute, orders_bulk_record
from wateja.tenants.models import Business

CAFE_TEXTS: dict[str, dict[str, Any]] = {
    "welcome": {
        "purpose": "service",
        "texts": {
            "sw": "Karibu {shop}, {name}! Kadi yako: {card}. Salio lako: {link}",
            "en": "Welcome to {shop}, {name}! Your card: {card}. Your points: {link}",
        },
    },
    "thanks": {
        "texts": {
            "sw": "Asante {name}! Una pointi {balance} kwa {shop}. Karibu tena!",
            "en": "Thank you {name}! You have {balance} points at {shop}. See you soon!",
        }
    },
    "expiring": {
        "texts": {
            "sw": "{name}, pointi {expiring_points} zitaisha {expiry_date}. Zitumie kwa {shop}!",
            "en": "{name}, {expiring_points} points expire on {expiry_date}. Use them at {shop}!",
        }
    },
    "birthday": {
        "texts": {
            "sw": "Heri ya siku ya kuzaliwa {name}! {offer} leo kwa {shop}.",
            "en": "Happy birthday {name}! {offer} today at {shop}.",
        }
    },
    "winback": {
        "texts": {
            "sw": "Tumekukumbuka {name}! {offer} kwa {shop}. Nambari: {code}",
            "en": "We miss you {name}! {offer} at {shop}. Code: {code}",
        }
    },
    "feedback": {
        "purpose": "service",
        "texts": {
            "sw": "{name}, ziara yako ilikuwaje? Jibu swali moja: {link}",
            "en": "{name}, how was your visit? One question: {link}",
        },
    },
    "second": {
        "texts": {
            "sw": "{name}, punguzo la 15% kwenye ununuzi wako wa pili wiki hii. Nambari {code}",
            "en": "{name}, 15% off your second visit this week. Code {code}",
        }
    },
    "cart": {
        "texts": {
            "sw": "{name}, oda yako bado inakusubiri kwa {shop}: {link}",
            "en": "{name}, your order is still waiting at {shop}: {link}",
        }
    },
}
FLOWER_TEXTS: dict[str, dict[str, Any]] = {
    "welcome": {
        "purpose": "service",
        "texts": {
            "hy": "Բարի գալուստ {shop}, {name}։ Ձեր քարտը՝ {card}",
            "ru": "Добро пожаловать в {shop}, {name}! Ваша карта: {card}",
        },
    },
    "thanks": {
        "texts": {
            "hy": "Շնորհակալություն, {name}։ Ձեր միավորները՝ {balance}",
            "ru": "Спасибо, {name}! У вас {balance} баллов.",
        }
    },
    "expiring": {
        "texts": {
            "hy": "{name}, {expiring_points} միավոր կսպառվի {expiry_date}-ին",
            "ru": "{name}, {expiring_points} баллов сгорят {expiry_date}",
        }
    },
    "birthday": {
        "texts": {
            "hy": "Շնորհավոր ծննդյան օրը, {name}։ {offer}",
            "ru": "С днём рождения, {name}! {offer}",
        }
    },
    "winback": {
        "texts": {
            "hy": "Կարոտել ենք, {name}։ {offer}, կոդ՝ {code}",
            "ru": "Мы скучаем, {name}! {offer}, код {code}",
        }
    },
    "feedback": {
        "purpose": "service",
        "texts": {
            "hy": "{name}, ինչպե՞ս էր այցը։ {link}",
            "ru": "{name}, как вам визит? {link}",
        },
    },
    "second": {
        "texts": {
            "hy": "{name}, 15% զեղչ երկրորդ գնման համար՝ {code}",
            "ru": "{name}, скидка 15% на вторую покупку: {code}",
        }
    },
    "cart": {
        "texts": {
            "hy": "{name}, ձեր պատվերը սպասում է՝ {link}",
            "ru": "{name}, ваш заказ ждёт вас: {link}",
        }
    },
}
LETTER = {
    "en": {"subject": "{name}, what would you like from {shop}?",
           "body": "Dear {name},\n\nWhich of our services would you like to see, and what would "
                   "you change today? Just reply to this letter.\n\n{shop}\n{support}"},
    "sw": {"subject": "{name}, ungependa nini kutoka {shop}?",
           "body": "Mpendwa {name},\n\nNi huduma gani ungependa tuongeze, na ungebadilisha nini "
                   "leo? Jibu barua hii tu.\n\n{shop}\n{support}"},
    "hy": {"subject": "{name}, ի՞նչ կցանկանայիք {shop}-ից",
           "body": "Հարգելի {name},\n\nԻ՞նչ ծառայություններ կցանկանայիք տեսնել մեզ մոտ։ "
                   "Պարզապես պատասխանեք այս նամակին։\n\n{shop}\n{support}"},
    "ru": {"subject": "{name}, чего бы вам хотелось от {shop}?",
           "body": "Здравствуйте, {name}!\n\nКакие услуги вы хотели бы у нас видеть и что бы вы "
                   "изменили? Просто ответьте на это письмо.\n\n{shop}\n{support}"},
}  # fmt: skip


def _template(business: Business, name: str, spec: dict[str, Any]) -> Template:
    variants = [{"label": "A", "texts": {k: {"body": v} for k, v in spec["texts"].items()}}]
    if "variant_b" in spec:
        variants.append(
            {"label": "B", "texts": {k: {"body": v} for k, v in spec["variant_b"].items()}}
        )
    return template_save(
        business=business,
        name=name,
        channel="sms",
        purpose=spec.get("purpose", "marketing"),
        variants=variants,
    )


def seed_messaging(
    business: Business, rng: random.Random, customers: list[Customer]
) -> dict[str, int]:
    cafe = business.currency == "KES"
    row = messaging_settings(business)
    row.sms_sender = "KAHAWA" if cafe else "VARDANOTS"
    row.sms_price_minor = 80 if cafe else 1500  # KES 0.80 / AMD 15 per segment
    row.email_from = business.support_email
    row.link_domains = "kahawa.example" if cafe else "vardanots.example"  # the shop's own site
    row.save()
    texts = CAFE_TEXTS if cafe else FLOWER_TEXTS
    templates = {key: _template(business, key.capitalize(), spec) for key, spec in texts.items()}
    offer_texts = (
        {"en": "This week: {offer} with code {code}. {link}",
         "sw": "Wiki hii: {offer} kwa nambari {code}. {link}"}
        if cafe else
        {"hy": "Այս շաբաթ՝ {offer}, կոդ {code}։ {link}",
         "ru": "На этой неделе: {offer}, код {code}. {link}"}
    )  # fmt: skip
    offer_b = (
        {"en": "{name}, only for members: {offer}! Code {code}",
         "sw": "{name}, kwa wanachama tu: {offer}! Nambari {code}"}
        if cafe else
        {"hy": "{name}, միայն անդամների համար՝ {offer}։ Կոդ {code}",
         "ru": "{name}, только для участников: {offer}! Код {code}"}
    )  # fmt: skip
    promo = template_save(
        business=business,
        name="Offer of the week",
        channel="sms",
        # the café's wording is approved by Meta, so WhatsApp takes it outside the 24 hours
        whatsapp_name="offer_of_the_week" if cafe else "",
        variants=[
            {"label": "A", "weight": 1, "texts": {k: {"body": v} for k, v in offer_texts.items()}},
            {"label": "B", "weight": 1, "texts": {k: {"body": v} for k, v in offer_b.items()}},
        ],
    )
    letter = template_save(
        business=business, name="Personal letter", channel="email", variants=[{"texts": LETTER}]
    )
    _automations(business, templates, letter, cafe)
    _automation_history(business, rng)
    counts = _campaigns(business, rng, promo, letter, cafe)
    _replies(business, rng, customers)
    return counts


def _automations(
    business: Business, templates: dict[str, Template], letter: Template, cafe: bool
) -> None:
    offer = "Free cake slice" if cafe else "Free rose"
    setups: list[tuple[str, Template, dict[str, Any]]] = [
        ("welcome", templates["welcome"], {}),
        ("thank_you", templates["thanks"], {"delay_hours": 2}),
        ("expiring", templates["expiring"], {"days": 14}),
        ("birthday", templates["birthday"], {"offer": offer}),
        ("win_back", templates["winback"], {"days": 60, "offer": "-20%", "code": "TUMEKUKUMBUKA"
                                            if cafe else "KAROTEL", "holdout_percent": 10}),
        ("feedback", templates["feedback"], {"delay_hours": 24}),
        ("second_purchase", templates["second"], {"delay_hours": 24, "code": "PILI15"}),
        ("cart_1", templates["cart"], {"delay_hours": 1}),
        ("cart_2", templates["cart"], {"delay_hours": 24}),
        ("support", templates["thanks"], {"categories": "beans" if cafe else "vases",
                                          "is_active": False}),
    ]  # fmt: skip
    for kind, template, extra in setups:
        automation_save(business=business, kind=kind, sms_template_id=template.pk, **extra)
    automation_save(business=business, kind="preferences", email_template_id=letter.pk, days=30)


def _automation_history(business: Business, rng: random.Random) -> None:
    """Three weeks of automations as if they had been on, run day by day: thank-yous and
    feedback requests after sales, welcomes, birthdays, expiring points, win-backs; then what
    the provider would have reported."""
    now = timezone.now()
    start = now - dt.timedelta(days=21)
    Automation.objects.filter(business=business).update(scanned_until=start)
    for day in range(1, 22):
        automations_run(business=business, now=start + dt.timedelta(days=day))
    for message in (
        Message.objects.filter(
            business=business, automation__isnull=False, status=MessageStatus.QUEUED
        )
        .order_by("pk")
        .iterator()
    ):
        sent_at = max(message.created_at, message.not_before or message.created_at)
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.DELIVERED if rng.random() < 0.95 else MessageStatus.FAILED,
            provider="outbox",
            provider_id=f"outbox-{message.pk}",
            attempts=1,
            sent_at=sent_at,
            delivered_at=sent_at + dt.timedelta(seconds=15),
        )


def _campaigns(
    business: Business, rng: random.Random, promo: Template, letter: Template, cafe: bool
) -> dict[str, int]:
    now = timezone.now()
    regulars = segment_save(
        business=business,
        name="Regulars, 5+ visits" if cafe else "Մշտական հաճախորդներ",
        filters={"purchases_min": 5},
    )
    past = campaign_save(
        business=business,
        name="Two for one coffee week" if cafe else "Վարդերի շաբաթ",
        channel="sms",
        sms_template_id=promo.pk,
        offer="2 for 1 on all coffee" if cafe else "20% զեղչ բոլոր վարդերի համար",
        code="KARIBU" if cafe else "VARD20",
        link_url="https://kahawa.example/menu" if cafe else "https://vardanots.example",
        holdout_percent=10,
    )
    sent_at = now - dt.timedelta(days=20, hours=3)
    campaign_launch(campaign=past, now=sent_at)
    _deliver(past, rng, sent_at)
    _responses(past, rng, sent_at)
    letter_campaign = campaign_save(
        business=business,
        name="Which services would you like?" if cafe else "Ի՞նչ կցանկանայիք",
        channel="email",
        email_template_id=letter.pk,
        segment_id=regulars.pk,
    )
    campaign_launch(campaign=letter_campaign, now=now - dt.timedelta(days=45))
    _deliver(letter_campaign, rng, now - dt.timedelta(days=45))
    scheduled = campaign_save(
        business=business,
        name="Weekend special" if cafe else "Կիրակնօրյա առաջարկ",
        channel="preferred",
        sms_template_id=promo.pk,
        email_template_id=letter.pk,
        offer="Free mandazi with any tea" if cafe else "A tulip with every bouquet",
        code="WEEKEND",
        segment_id=regulars.pk,
    )
    campaign_launch(campaign=scheduled, at=now + dt.timedelta(days=2), now=now)
    campaign_save(
        business=business,
        name="New menu (draft)" if cafe else "Նոր տեսականի (սևագիր)",
        channel="sms",
        sms_template_id=promo.pk,
        offer="New seasonal menu",
    )
    credited = attribution_run(business=business, since=now - dt.timedelta(days=60), now=now)
    return {"campaigns": Campaign.objects.filter(business=business).count(), "credited": credited}


def _deliver(campaign: Campaign, rng: random.Random, sent_at: dt.datetime) -> None:
    """What the providers would have reported for a past campaign."""
    messages = Message.objects.filter(campaign=campaign, status=MessageStatus.QUEUED)
    for message in messages.order_by("pk").iterator():
        roll = rng.random()
        status = MessageStatus.DELIVERED if roll < 0.93 else (
            MessageStatus.FAILED if roll < 0.97 else MessageStatus.SENT
        )  # fmt: skip
        when = sent_at + dt.timedelta(minutes=rng.randint(0, 40))
        Message.objects.filter(pk=message.pk).update(
            status=status,
            provider="outbox",
            provider_id=f"outbox-{message.pk}",
            attempts=1,
            sent_at=when,
            delivered_at=when + dt.timedelta(seconds=20) if status == "delivered" else None,
            clicked_at=when + dt.timedelta(hours=2) if rng.random() < 0.18 else None,
            last_error="" if status != "failed" else "407 CouldNotRoute",
        )


def _responses(campaign: Campaign, rng: random.Random, sent_at: dt.datetime) -> None:
    """Some who got the offer came in for it within a few days (the holdout group did not get
    it, so it shows the uplift); recorded as ordinary sales."""
    business = campaign.business
    cafe = business.currency == "KES"
    rows: list[SaleRow] = []
    delivered = Message.objects.filter(
        campaign=campaign, status=MessageStatus.DELIVERED
    ).select_related("customer")
    for n, message in enumerate(delivered.order_by("pk").iterator()):
        # a few always answer, so even a small demo shows a campaign that paid
        if message.customer is None or (rng.random() > 0.22 and len(rows) >= 3):
            continue
        rows.append(
            SaleRow(
                number=f"{business.slug[:3].upper()}-BF-{campaign.pk}-{n}",
                total_minor=rng.choice([450, 600, 850, 1200]) * 100
                if cafe
                else rng.choice([9000, 15000, 22000]) * 100,
                placed_at=sent_at + dt.timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 8)),
                customer=message.customer,
            )
        )
    orders_bulk_record(business=business, rows=rows)
    customer_stats_recompute(
        business=business, customer_ids=[row.customer.pk for row in rows if row.customer]
    )


def _replies(business: Business, rng: random.Random, customers: list[Customer]) -> None:
    row = messaging_settings(business)
    with_phone = [c for c in customers if c.phone]
    words = ["STOP", "SALIO"] if business.currency == "KES" else ["ՉԵՂԱՐԿԵԼ", "БАЛАНС"]
    for customer, word in zip(rng.sample(with_phone, 4), words * 2, strict=True):
        inbound_sms(row=row, form={"from": customer.phone, "text": word, "id": f"in-{customer.pk}"})
    asked = Message.objects.filter(business=business, automation__kind="feedback").order_by("pk")
    for message in asked[:10]:
        feedback_give(token=message.token, rating=rng.choice([3, 4, 5, 5, 5]))
