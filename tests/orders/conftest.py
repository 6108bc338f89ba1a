"""Checkout fixtures: a café with the base earn rule, helpers to create promotions and sell."""

from __future__ import annotations

import itertools

import pytest

from wateja.customers.services import customer_create
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.promotions.services import promotion_save, promotion_set_status

_keys = itertools.count(1)


@pytest.fixture
def promo(business):
    def make(type_, params=None, *, activate=True, **fields):
        promotion = promotion_save(
            business=business,
            name=fields.pop("name", type_.replace("_", " ").capitalize()),
            type=type_,
            params=params or {},
            **fields,
        )
        if activate:
            promotion_set_status(promotion=promotion, status="active")
        return promotion

    return make


@pytest.fixture
def earn_rule(promo):
    return promo(
        "points_per_amount", {"points": 1, "per_amount_minor": 10_000}, name="1 point per 100"
    )


@pytest.fixture
def customer(business):
    return customer_create(business=business, name="Wanjiku", phone="0712345678")


def sale(total_minor=None, lines=(), **extra):
    return SaleInput(currency="KES", total_minor=total_minor, lines=tuple(lines), **extra)


@pytest.fixture
def sell(business):
    def run(sale_input, customer=None, now=None):
        key = f"sale-{next(_keys)}"
        checkout_reserve(business=business, key=key, sale=sale_input, customer=customer, now=now)
        return checkout_commit(business=business, key=key, now=now)

    return run
