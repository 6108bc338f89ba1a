"""Progress to the next reward as the pocket card tells it: the stamp card counts visits and
stamps carried over, the visit that fills it is free; the next tier counts net spend (refunds
taken off), over all time or the last 12 months as the tiers say."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wateja.customers.services import customer_create
from wateja.orders.models import Order
from wateja.orders.progress import stamp_progress, tier_progress
from wateja.promotions.models import TierBasis
from wateja.promotions.recipes import recipe_save
from wateja.promotions.services import tier_save

pytestmark = pytest.mark.django_db


def _order(customer, n: int, total: int, days_ago: int, refunded: int = 0) -> None:
    Order.objects.create(
        business=customer.business, customer=customer, number=f"P-{n}", currency="KES",
        subtotal_minor=total, total_minor=total, refunded_minor=refunded,
        placed_at=timezone.now() - dt.timedelta(days=days_ago),
    )  # fmt: skip


def test_no_stamp_card_and_no_tiers_means_nothing_to_show(business):
    customer = customer_create(business=business, name="Amani", phone="0722000111")
    assert stamp_progress(customer) is None and tier_progress(customer) is None


def test_the_stamp_card_wraps_after_the_free_visit(business):
    recipe_save(business=business, key="stamps", values={"visits": 5, "sku": "tea"}, activate=True)
    customer = customer_create(business=business, name="Amani", phone="0722000111")
    customer.purchase_count, customer.stamps_carried = 3, 1
    progress = stamp_progress(customer)
    assert progress is not None
    assert (progress.have, progress.size, progress.to_go) == (4, 5, 1)
    assert progress.product == "tea"  # no such product in the catalogue: its code
    assert progress.slots == [True, True, True, True, False]
    customer.purchase_count = 4  # the fifth visit was the free one: a fresh card
    assert stamp_progress(customer).have == 0  # type: ignore[union-attr]


def test_lifetime_tiers_count_net_spend_of_all_time(business):
    tier_save(business=business, name="Silver", min_spend_minor=100_000)
    tier_save(business=business, name="Gold", min_spend_minor=500_000)
    customer = customer_create(business=business, name="Amani", phone="0722000111")
    _order(customer, 1, 300_000, days_ago=700)
    _order(customer, 2, 100_000, days_ago=3, refunded=40_000)
    progress = tier_progress(customer)
    assert progress is not None
    assert progress.spend_minor == 360_000 and progress.current == "Silver"
    assert (progress.next_name, progress.missing_minor) == ("Gold", 140_000)
    assert not progress.rolling


def test_rolling_tiers_count_the_last_twelve_months_only(business):
    tier_save(business=business, name="Silver", min_spend_minor=100_000, basis=TierBasis.ROLLING_12)
    tier_save(business=business, name="Gold", min_spend_minor=500_000, basis=TierBasis.ROLLING_12)
    customer = customer_create(business=business, name="Amani", phone="0722000111")
    _order(customer, 1, 300_000, days_ago=400)
    _order(customer, 2, 50_000, days_ago=10)
    progress = tier_progress(customer)
    assert progress is not None and progress.rolling
    assert progress.current == "" and progress.spend_minor == 50_000
    assert (progress.next_name, progress.missing_minor) == ("Silver", 50_000)


def test_at_the_top_tier_there_is_no_next(business):
    tier_save(business=business, name="Gold", min_spend_minor=100_000)
    customer = customer_create(business=business, name="Amani", phone="0722000111")
    _order(customer, 1, 900_000, days_ago=1)
    progress = tier_progress(customer)
    assert progress is not None
    assert progress.current == "Gold" and progress.next_name == "" and progress.missing_minor == 0
