"""Challenges through their services: the leaderboard is a query over the period, ties share
a place (1, 1, 3) and share that place's reward, finishing pays each place once through the
ledger, and the public board names only customers who agreed to be shown."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from wateja.challenges.models import ChallengeStatus
from wateja.challenges.services import (
    challenge_create,
    challenge_finish,
    challenge_leaderboard,
    challenge_state,
)
from wateja.core.errors import Conflict, ValidationFailed
from wateja.customers.models import Channel
from wateja.customers.services import consent_record
from wateja.tenants.models import AuditEvent
from wateja.wallet.services import ledger_check, points_earn

from .conftest import balance


def _visits(sell, customer, n):
    for _ in range(n):
        sell(customer)


def test_ties_share_a_place_and_the_next_place_skips(
    business, make_customer, sell, ended_challenge
):
    amina, baraka, chiku, dede, eli = (
        make_customer(n) for n in ("Amina", "Baraka", "Chiku", "Dede", "Eli")
    )
    for customer, visits in ((amina, 3), (baraka, 3), (chiku, 2), (dede, 1), (eli, 1)):
        _visits(sell, customer, visits)
    challenge = ended_challenge(rewards=[500, 300, 100])

    board = challenge_leaderboard(challenge)

    assert [(r.name, r.place, r.value, r.points) for r in board] == [
        ("Amina", 1, 3, 500),
        ("Baraka", 1, 3, 500),
        ("Chiku", 3, 2, 100),
        ("Dede", 4, 1, 0),
        ("Eli", 4, 1, 0),
    ]


def test_a_tie_on_the_last_rewarded_place_rewards_everyone_tied(
    business, make_customer, sell, ended_challenge
):
    people = [make_customer(n) for n in ("Amina", "Baraka", "Chiku", "Dede")]
    for customer, visits in zip(people, (3, 2, 1, 1), strict=True):
        _visits(sell, customer, visits)
    challenge = ended_challenge(rewards=[500, 300, 100])

    board = challenge_leaderboard(challenge, limit=3)  # the limit never cuts a rewarded tie

    assert [(r.place, r.points) for r in board] == [(1, 500), (2, 300), (3, 100), (3, 100)]


def test_only_the_period_counts_and_spend_is_net_of_refunds(
    business, make_customer, sell, ended_challenge
):
    amina, baraka = make_customer("Amina"), make_customer("Baraka")
    sell(amina, 50_000, placed_at=timezone.now() - dt.timedelta(days=30))  # before the start
    sell(amina, 10_000)
    sell(baraka, 20_000)
    challenge = ended_challenge(metric="spend")

    board = challenge_leaderboard(challenge)

    assert [(r.name, r.value) for r in board] == [("Baraka", 20_000), ("Amina", 10_000)]


def test_points_earned_in_the_period_rank_the_points_challenge(
    business, make_customer, ended_challenge
):
    amina, baraka = make_customer("Amina"), make_customer("Baraka")
    with time_machine.travel(timezone.now() - dt.timedelta(days=1)):  # inside the period
        points_earn(customer=amina, amount=120, idempotency_key="e1", pending_days=0)
        points_earn(customer=baraka, amount=300, idempotency_key="e2", pending_days=0)
    points_earn(customer=amina, amount=900, idempotency_key="e3", pending_days=0)  # after it
    challenge = ended_challenge(metric="points")

    assert [(r.name, r.value, r.place) for r in challenge_leaderboard(challenge)] == [
        ("Baraka", 300, 1),
        ("Amina", 120, 2),
    ]


def test_finishing_pays_each_place_once_through_the_ledger_and_is_audited(
    business, make_customer, sell, ended_challenge
):
    amina, baraka, chiku = (make_customer(n) for n in ("Amina", "Baraka", "Chiku"))
    for customer, visits in ((amina, 2), (baraka, 2), (chiku, 1)):
        _visits(sell, customer, visits)
    challenge = ended_challenge(rewards=[500, 300])

    first = challenge_finish(challenge=challenge)
    again = challenge_finish(challenge=challenge)

    assert not first.replayed and again.replayed
    assert [(w.customer_id, w.place, w.points) for w in first.paid] == [
        (amina.pk, 1, 500),
        (baraka.pk, 1, 500),
    ]
    assert (balance(amina), balance(baraka), balance(chiku)) == (500, 500, 0)
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.FINISHED
    assert challenge_state(challenge) == "finished"
    assert (
        AuditEvent.objects.filter(
            business=business, action="challenge.finish", object_id=str(challenge.pk)
        ).count()
        == 1
    )
    assert ledger_check(business) == []
    sell(chiku)
    sell(chiku)  # after the end, and the board is frozen as it was paid
    assert [r.customer_id for r in challenge_leaderboard(challenge)] == [amina.pk, baraka.pk]


def test_a_running_challenge_cannot_be_finished_yet(business, make_customer, sell):
    now = timezone.now()
    challenge = challenge_create(
        business=business,
        name="December",
        metric="visits",
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=5),
        rewards=[100],
    )
    assert challenge_state(challenge) == "running"
    with pytest.raises(Conflict) as error:
        challenge_finish(challenge=challenge)
    assert error.value.code == "challenge_not_ended"


def test_a_challenge_needs_a_period_and_rewards(business):
    now = timezone.now()
    with pytest.raises(ValidationFailed) as error:
        challenge_create(
            business=business, name="", metric="nope", starts_at=now, ends_at=now, rewards=[]
        )
    assert set(error.value.details["fields"]) == {"name", "metric", "ends_at", "rewards"}


def test_the_public_board_names_only_customers_who_agreed(
    business, make_customer, sell, ended_challenge
):
    amina, baraka, chiku = (make_customer(n) for n in ("Amina", "Baraka", "Chiku"))
    for customer, visits in ((amina, 3), (baraka, 2), (chiku, 1)):
        _visits(sell, customer, visits)
    consent_record(customer=amina, channel=Channel.PUBLIC, granted=True)
    consent_record(customer=chiku, channel=Channel.PUBLIC, granted=True)
    consent_record(customer=chiku, channel=Channel.PUBLIC, granted=False)  # changed her mind
    challenge = ended_challenge()

    board = challenge_leaderboard(challenge, public=True)

    assert [(r.place, r.name, r.shown) for r in board] == [
        (1, "Amina", True),
        (2, "", False),
        (3, "", False),
    ]
