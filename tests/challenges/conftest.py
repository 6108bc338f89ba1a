"""Challenge fixtures: customers, orders in a period, a running challenge."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from wateja.challenges.services import challenge_create
from wateja.customers.services import customer_create
from wateja.orders.services import order_record
from wateja.wallet.models import Account

_numbers = itertools.count(1)


@pytest.fixture
def make_customer(business):
    phones = itertools.count(100)

    def make(name: str, biz=None):
        return customer_create(
            business=biz or business, name=name, phone=f"0712000{next(phones):03d}"
        )

    return make


@pytest.fixture
def sell():
    def sell(customer, total_minor=10_000, placed_at=None):
        return order_record(
            business=customer.business,
            number=f"T-{next(_numbers)}",
            total_minor=total_minor,
            customer=customer,
            placed_at=placed_at or timezone.now() - dt.timedelta(days=1),
        )

    return sell


@pytest.fixture
def ended_challenge(business):
    now = timezone.now()

    def make(metric="visits", rewards=(500, 300, 100), days=10, public=True):
        return challenge_create(
            business=business,
            name="Most visits",
            metric=metric,
            starts_at=now - dt.timedelta(days=days),
            ends_at=now - dt.timedelta(minutes=1),
            rewards=list(rewards),
            public=public,
        )

    return make


def balance(customer, kind="points") -> int:
    account = Account.objects.filter(customer=customer, kind=kind).first()
    return account.balance if account else 0
