"""Demo challenges: each business runs "most visits this month" (started two weeks ago, ends
in two weeks) with a public leaderboard where some of the leaders agreed to be named, and a
surprise rule for regulars (every 10th order, within a monthly budget)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from wateja.challenges.services import challenge_create, challenge_leaderboard
from wateja.challenges.surprises import surprise_rule_save
from wateja.core.localtime import local_start, local_today
from wateja.customers.models import Channel, ConsentSource, Customer
from wateja.customers.services import consent_record
from wateja.tenants.models import Business

TEXTS: dict[str, dict[str, str]] = {
    "KE": {
        "challenge": "Most visits this month",
        "surprise": "Surprise for regulars",
        "consent": "Show my name on the leaderboard of Kahawa Corner's challenges.",
    },
    "AM": {
        "challenge": "Ամսվա ամենահաճախակի այցելուն",
        "surprise": "Անակնկալ մշտական հաճախորդներին",
        "consent": "Ցուցադրել իմ անունը մրցույթների առաջատարների ցուցակում։",
    },
}


def seed_challenges(business: Business, rng: random.Random) -> dict[str, Any]:
    texts = TEXTS.get(business.country, TEXTS["KE"])
    today = local_today(business.timezone, timezone.now())
    challenge = challenge_create(
        business=business,
        name=texts["challenge"],
        metric="visits",
        starts_at=local_start(business.timezone, today - dt.timedelta(days=14)),
        ends_at=local_start(business.timezone, today + dt.timedelta(days=15)),
        rewards=[1000, 500, 250],
        public=True,
    )
    leaders = challenge_leaderboard(challenge, limit=10)
    named = 0
    for row in leaders:
        if rng.random() < 0.6:  # most of the leaders agreed to be shown; some did not
            customer = Customer.objects.get(pk=row.customer_id)
            consent_record(
                customer=customer,
                channel=Channel.PUBLIC,
                granted=True,
                text=texts["consent"],
                source=ConsentSource.STAFF,
            )
            named += 1
    surprise_rule_save(
        business=business,
        name=texts["surprise"],
        every_nth=10,
        min_purchases=10,
        points=100,
        monthly_count=30,
        monthly_points=3000,
    )
    return {"challenge": challenge.public_slug, "leaders": len(leaders), "named": named}
