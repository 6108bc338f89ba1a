"""Parallel tills and managers on committed data and real connections: a surprise budget is
never overspent, and a challenge finished twice at once pays its places once.

Runs on whatever database the suite runs on (SQLite file or PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

import pytest

from tests.concurrency import race, unexpected
from wateja.challenges.models import Challenge, ChallengeWinner, SurpriseGift
from wateja.challenges.services import challenge_finish
from wateja.challenges.surprises import surprise_after_sale, surprise_rule_save
from wateja.orders.models import Order
from wateja.wallet.models import Transfer
from wateja.wallet.services import ledger_check

from .conftest import balance

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_sales_never_overspend_the_monthly_budget(business, make_customer, sell):
    surprise_rule_save(
        business=business, name="Everyone", every_nth=1, min_purchases=1, points=10,
        monthly_count=3,
    )  # fmt: skip
    orders = [sell(make_customer(f"Guest {n}")).pk for n in range(6)]

    results = race(6, lambda i: surprise_after_sale(order=Order.objects.get(pk=orders[i])))

    assert unexpected(results) == []
    given = [value for _state, value in results if value is not None]
    assert len(given) == 3 and SurpriseGift.objects.count() == 3
    assert Transfer.objects.filter(code="award").count() == 3
    assert ledger_check() == []


def test_finishing_twice_at_once_pays_once(business, make_customer, sell, ended_challenge):
    amina = make_customer("Amina")
    sell(amina)
    challenge = ended_challenge(rewards=[100])

    results = race(4, lambda i: challenge_finish(challenge=Challenge.objects.get(pk=challenge.pk)))

    assert unexpected(results) == []
    assert sorted(value.replayed for _state, value in results) == [False, True, True, True]
    assert ChallengeWinner.objects.filter(challenge_id=challenge.pk).count() == 1
    assert balance(amina) == 100
    assert ledger_check() == []
