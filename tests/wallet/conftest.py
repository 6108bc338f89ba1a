"""Wallet fixtures: a customer with an account, and a helper to read balances."""

from __future__ import annotations

import itertools

import pytest

from wateja.customers.services import customer_create
from wateja.wallet.models import Account

_keys = itertools.count(1)


@pytest.fixture
def key():
    return lambda prefix="k": f"{prefix}-{next(_keys)}"


@pytest.fixture
def customer(business):
    return customer_create(business=business, name="Wanjiku", phone="0712345678")


@pytest.fixture
def friend(business):
    return customer_create(business=business, name="Otieno", phone="0722000111")


def balance(customer, kind="points") -> int:
    account = Account.objects.filter(customer=customer, kind=kind).first()
    return account.balance if account else 0
