"""Tills racing for one one-time code, and for the last of a budget, on committed data with
real connections: exactly one wins the code, and the budget is never exceeded."""

from __future__ import annotations

import pytest

from tests.concurrency import errors_of, race, unexpected
from tests.orders.conftest import sale
from wateja.orders.checkout import (
    BudgetExhausted,
    CodeAlreadyUsed,
    checkout_commit,
    checkout_reserve,
)
from wateja.orders.models import Order
from wateja.promotions.models import Redemption
from wateja.promotions.services import codes_issue
from wateja.tenants.models import Business

pytestmark = pytest.mark.django_db(transaction=True)


def _sell(business_id: int, key: str, sale_input) -> Order:
    business = Business.objects.get(pk=business_id)
    checkout_reserve(business=business, key=key, sale=sale_input, customer=None)
    return checkout_commit(business=business, key=key)


def test_one_time_code_used_by_eight_tills_at_once_exactly_one_wins(business, promo):
    offer = promo("percent_off_order", {"percent_bp": 1000}, requires_code=True)
    code = codes_issue(promotion=offer, count=1)[0].code
    sale_input = sale(total_minor=50_000, codes=(code,))

    results = race(8, lambda i: _sell(business.pk, f"till-{i}", sale_input))

    assert unexpected(results, CodeAlreadyUsed) == []
    orders = [value for state, value in results if state == "ok"]
    discounted = [o for o in orders if o.discount_minor == 5_000]
    assert len(discounted) == 1
    # the others either were refused or sold without the discount (the code was taken)
    assert all(o.discount_minor == 0 for o in orders if o not in discounted)
    assert len(orders) + len(errors_of(results)) == 8
    assert Redemption.objects.filter(code__code=code, status="committed").count() == 1


def test_budget_is_never_exceeded_by_parallel_checkouts(business, promo):
    promo("amount_off_order", {"amount_minor": 4_000}, budget_minor=10_000, name="Launch week")

    results = race(8, lambda i: _sell(business.pk, f"b-{i}", sale(total_minor=50_000)))

    assert unexpected(results, BudgetExhausted) == []
    given = sum(o.discount_minor for state, o in results if state == "ok")
    assert given <= 10_000
    assert (
        Redemption.objects.filter(promotion__name="Launch week").exclude(status="released").count()
        >= 2
    )


def test_one_reservation_retried_by_eight_requests_at_once_is_made_once(business, customer):
    from wateja.orders.models import Checkout
    from wateja.wallet.services import balances, points_earn

    points_earn(customer=customer, amount=500, idempotency_key="opening")
    sale_input = sale(total_minor=50_000, points_to_spend=100)

    def reserve(i: int):
        fresh = Business.objects.get(pk=business.pk)
        return checkout_reserve(business=fresh, key="till-9", sale=sale_input,
                                customer=type(customer).objects.get(pk=customer.pk)).pk  # fmt: skip

    results = race(8, reserve)

    assert unexpected(results) == []
    assert len({value for _state, value in results}) == 1  # every caller got the one checkout
    assert Checkout.objects.filter(business=business, key="till-9").count() == 1
    assert balances(customer)["points"]["available"] == 400  # held once
