"""The demo's challenge: running today, with a leaderboard, some leaders named in public,
and a surprise rule."""

from __future__ import annotations

import datetime as dt
import random

from django.test import Client
from django.utils import timezone

from wateja.challenges.models import Challenge, SurpriseRule
from wateja.challenges.services import challenge_leaderboard, challenge_state
from wateja.demo.challenges import seed_challenges


def test_the_demo_runs_a_challenge_with_a_board_and_a_surprise_rule(business, make_customer, sell):
    for n in range(6):
        customer = make_customer(f"Guest {n}")
        for _ in range(n + 1):
            sell(customer, placed_at=timezone.now() - dt.timedelta(days=2))

    summary = seed_challenges(business, random.Random(7))

    challenge = Challenge.objects.get(business=business)
    assert challenge_state(challenge) == "running"
    board = challenge_leaderboard(challenge)
    assert [r.value for r in board] == [6, 5, 4, 3, 2, 1]
    assert summary["leaders"] == 6 and 0 < summary["named"] <= 6
    page = Client().get(f"/board/{challenge.public_slug}/").content.decode()
    assert page.count('class="board-row') == 6
    assert SurpriseRule.objects.filter(business=business, active=True).count() == 1
