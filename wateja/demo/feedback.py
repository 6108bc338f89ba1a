"""Demo data of feedback acted on: the café rates on 5 stars, the flower shop on 0–10 (NPS);
more ratings after purchases, one low with its open complaint for the manager and the alert;
a short survey sent to regulars as a campaign with some answers (its "what would you like
more of" answers become interests); interests from the "which services" page on a few more
customers. Everything keyed by primary key order and the passed `rng`."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from wateja.catalog.models import Category
from wateja.customers.models import Customer
from wateja.customers.segments import segment_save
from wateja.customers.selectors import active_customers
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.composing import template_save
from wateja.messaging.feedback import feedback_give, feedback_settings_save
from wateja.messaging.models import Feedback, Message, MessageStatus
from wateja.messaging.surveys import interests_add, survey_answer, survey_save
from wateja.tenants.models import Business

CAFE_SURVEY: dict[str, Any] = {
    "title": "Two minutes about Kahawa Corner",
    "questions": [
        {"kind": "stars", "text": "How do you like our coffee?"},
        {"kind": "choice", "text": "What would you like more of?",
         "choices": ["Pastries", "Fresh juice", "Breakfast", "Live music"], "interests": True},
        {"kind": "choice", "text": "How did you first hear of us?",
         "choices": ["Friends", "Instagram", "Walking by"]},
        {"kind": "text", "text": "One thing we should change?"},
    ],
}  # fmt: skip
FLOWER_SURVEY: dict[str, Any] = {
    "title": "Մի քանի հարց Վարդանոցից",
    "questions": [
        {"kind": "stars", "text": "Ինչպե՞ս եք գնահատում մեր ծաղիկները"},
        {"kind": "choice", "text": "Ինչի՞ մասին կուզեք իմանալ",
         "choices": ["Հարսանեկան ծաղկեփնջեր", "Սենյակային բույսեր", "Առաքում"],
         "interests": True},
        {"kind": "text", "text": "Ի՞նչ փոխենք"},
    ],
}  # fmt: skip
COMMENTS = {
    True: ["The cappuccino was cold and we waited 20 minutes.", "Great chai!", "", "Asante!"],
    False: ["Ծաղիկները թառամեցին երկու օրում։", "Շատ գեղեցիկ էր", "", "Շնորհակալություն"],
}
TEXTS = {
    True: ["More seats outside", "Open earlier on Sunday", "Nothing, all good"],
    False: ["Ավելի շատ վարդեր", "Արագ առաքում", ""],
}


def _rate(business: Business, rng: random.Random, cafe: bool, now: dt.datetime) -> int:
    """Ratings on the feedback requests not rated yet: the first one low (a complaint and the
    manager's alert), then mostly good."""
    rated = Feedback.objects.filter(business=business).values("message_id")
    asked = (
        Message.objects.filter(business=business, automation__kind="feedback")
        .exclude(pk__in=rated)
        .exclude(status__in=[MessageStatus.SKIPPED, MessageStatus.HOLDOUT])
        .order_by("pk")
    )
    given = 0
    for n, message in enumerate(asked[:12]):
        if cafe:
            score = 1 if n == 0 else rng.choice([2, 3, 4, 4, 5, 5, 5])
        else:
            score = 3 if n == 0 else rng.choice([5, 6, 7, 8, 9, 9, 10, 10])
        comment = COMMENTS[cafe][0] if n == 0 else rng.choice(COMMENTS[cafe][1:])
        at = min(now, (message.sent_at or message.created_at) + dt.timedelta(hours=3))
        feedback_give(token=message.token, rating=score, comment=comment, now=at)
        given += 1
    return given


def _survey(business: Business, rng: random.Random, cafe: bool, now: dt.datetime) -> int:
    spec = CAFE_SURVEY if cafe else FLOWER_SURVEY
    survey = survey_save(business=business, title=spec["title"], questions=spec["questions"])
    body = (
        "{name}, 2 minutes for {shop}? Tell us here: {link}"
        if cafe
        else "{name}, մի քանի հարց {shop}-ից. {link}"
    )
    language = "en" if cafe else "hy"
    template = template_save(
        business=business,
        name="Survey invitation" if cafe else "Հարցման հրավեր",
        channel="sms",
        variants=[{"texts": {language: {"body": body}}}],
    )
    segment = segment_save(
        business=business,
        name="Survey: 8+ visits" if cafe else "Հարցում. 8+ այց",
        filters={"purchases_min": 8},
    )
    campaign = campaign_save(
        business=business,
        name=spec["title"],
        channel="sms",
        sms_template_id=template.pk,
        segment_id=segment.pk,
        survey_id=survey.pk,
    )
    sent_at = now - dt.timedelta(days=6)
    campaign_launch(campaign=campaign, now=sent_at)
    sent = (
        Message.objects.filter(campaign=campaign, status=MessageStatus.QUEUED)
        .select_related("customer")
        .order_by("pk")
    )
    answered = 0
    for message in sent:
        if rng.random() > 0.4:
            continue  # most never answer
        answers: dict[str, Any] = {}
        for n, question in enumerate(spec["questions"]):
            if question["kind"] == "stars":
                answers[str(n)] = str(rng.choice([3, 4, 4, 5, 5]))
            elif question["kind"] == "choice":
                count = 2 if question.get("interests") else 1
                answers[str(n)] = rng.sample(question["choices"], count)
            elif rng.random() < 0.5:
                answers[str(n)] = rng.choice(TEXTS[cafe])
        survey_answer(
            token=message.token,
            answers=answers,
            now=sent_at + dt.timedelta(hours=rng.randint(1, 48)),
        )
        answered += 1
    return answered


def _interests(business: Business, rng: random.Random, people: list[Customer]) -> int:
    """A few customers ticked categories on the "which services would you like" page."""
    names = list(
        Category.objects.filter(business=business)
        .order_by("position", "pk")
        .values_list("name", flat=True)
    )
    if not names:
        return 0
    chosen = people[: min(len(people), 15)]
    for customer in chosen:
        interests_add(customer, rng.sample(names, min(len(names), rng.randint(1, 2))))
    return len(chosen)


def seed_feedback(business: Business, rng: random.Random) -> dict[str, int]:
    now = timezone.now()
    cafe = business.currency == "KES"
    if cafe:
        feedback_settings_save(business=business, feedback_low_at=2, feedback_due_hours=24)
    else:
        feedback_settings_save(
            business=business, feedback_scale="nps", feedback_low_at=6, feedback_alert="email"
        )
    people = list(active_customers(business).order_by("pk")[:60])
    return {
        "ratings": _rate(business, rng, cafe, now),
        "survey_answers": _survey(business, rng, cafe, now),
        "interested": _interests(business, rng, people),
    }
