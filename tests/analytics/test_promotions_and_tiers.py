"""Promotion uplift with its confidence interval, code usage, tier movement."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics.conftest import NAIROBI, at
from wateja.analytics.services import (
    Period,
    analytics_nightly,
    code_usage_get,
    promotion_uplift_get,
    tiers_get,
)
from wateja.core.errors import NotFound, ValidationFailed
from wateja.customers.services import customer_create
from wateja.promotions.models import CustomerTier, PromoCode, Redemption
from wateja.promotions.services import promotion_save, tier_save


@pytest.fixture
def offer(business):
    return promotion_save(
        business=business,
        name="Karibu March",
        type="percent_off_order",
        params={"percent_bp": 1000},
        starts_at=at(3, 11, 0),
        ends_at=at(3, 20, 23, 59),
    )


def test_uplift_against_the_days_before_with_an_interval(business, clock, sell, offer):
    # 1 – 10 March: one sale of 1,000 a day; 11 – 20 (the offer): two a day, except one
    # day with three; 21 – 30: one a day, then 1,500 on the 30th
    for day in range(1, 11):
        sell(None, at(3, day))
    for day in range(11, 21):
        for _n in range(3 if day == 15 else 2):
            sell(None, at(3, day, 13))
    for day in range(21, 31):
        sell(None, at(3, day), total=1500 if day == 30 else 1000)
    uplift = promotion_uplift_get(business=business, promotion_id=offer.pk)
    assert uplift.method == "before_after"
    assert uplift.period == Period(dt.date(2026, 3, 11), dt.date(2026, 3, 20))
    assert uplift.baseline == Period(dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    orders, revenue = uplift.comparisons
    # orders a day: during 2.1 (variance 0.1), before 1.0 (variance 0) → +1.1 ± 1.96·√(0.1/10)
    assert (orders.treated_mean, orders.control_mean, orders.difference) == (2.1, 1.0, 1.1)
    assert orders.low == pytest.approx(1.1 - 1.959964 * 0.1, abs=0.01)
    assert orders.high == pytest.approx(1.1 + 1.959964 * 0.1, abs=0.01)
    assert orders.uplift == 110.0 and orders.significant
    assert (revenue.treated_mean, revenue.control_mean) == (2100.0, 1000.0)
    # the ten days after: one sale a day, one of them bigger: no lasting effect on orders
    after_orders, after_revenue = uplift.after_effect
    assert uplift.after == Period(dt.date(2026, 3, 21), dt.date(2026, 3, 30))
    assert after_orders.difference == 0.0 and not after_orders.significant
    assert after_revenue.difference == 50.0


def test_uplift_refuses_a_period_the_promotion_did_not_run(business, clock, offer):
    with pytest.raises(ValidationFailed) as caught:
        promotion_uplift_get(
            business=business,
            promotion_id=offer.pk,
            period=Period(dt.date(2026, 3, 25), dt.date(2026, 3, 31)),
        )
    assert caught.value.code == "promotion_not_running"


def test_uplift_of_another_business_promotion_is_not_found(business, other_business, clock):
    theirs = promotion_save(
        business=other_business, name="Theirs", type="percent_off_order", params={"percent_bp": 5}
    )
    with pytest.raises(NotFound):
        promotion_uplift_get(business=business, promotion_id=theirs.pk)


def test_code_usage_reach_and_repeat_use(business, clock, offer):
    code = PromoCode.objects.create(business=business, promotion=offer, code="KARIBU")
    people = [
        customer_create(business=business, name=f"Mteja {n}", phone=f"07130000{n:02d}")
        for n in range(3)
    ]
    uses = [people[0], people[1], people[1], people[2], people[2], people[2], None]
    for n, customer in enumerate(uses):
        Redemption.objects.create(
            business=business,
            promotion=offer,
            code=code,
            customer=customer,
            checkout_key=f"k{n}",
            discount_minor=100,
            status="committed",
        )
    Redemption.objects.create(
        business=business, promotion=offer, checkout_key="held", status="reserved"
    )
    usage = code_usage_get(
        business=business,
        promotion_id=offer.pk,
        period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
    )
    assert (usage.uses, usage.anonymous_uses, usage.customers) == (7, 1, 3)
    assert (usage.repeat_customers, usage.repeat_share) == (2, 66.67)
    assert usage.uses_histogram == {"1": 1, "2": 1, "3+": 1}
    assert (usage.discount_minor, usage.codes_issued, usage.codes_used) == (700, 1, 1)
    assert usage.top_codes[0]["code"] == "KARIBU" and usage.top_codes[0]["uses"] == 7
    earlier = code_usage_get(
        business=business,
        promotion_id=offer.pk,
        period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 30)),
    )
    assert earlier.uses == 0 and earlier.repeat_share is None


def test_tier_distribution_and_movement(shop, clock):
    business = shop.business
    silver = tier_save(business=business, name="Silver", min_spend_minor=1000)
    gold = tier_save(business=business, name="Gold", min_spend_minor=3000)
    CustomerTier.objects.create(business=business, customer=shop.a, tier=silver, since=at(3, 1))
    CustomerTier.objects.create(business=business, customer=shop.b, tier=gold, since=at(3, 1))
    analytics_nightly(business=business)  # the first snapshot: no movement known yet
    CustomerTier.objects.filter(customer=shop.a).update(tier=gold)
    CustomerTier.objects.filter(customer=shop.b).update(tier=silver)
    CustomerTier.objects.create(business=business, customer=shop.f, tier=silver, since=at(3, 31))
    clock.move_to(dt.datetime(2026, 4, 1, 2, 0, tzinfo=NAIROBI))
    analytics_nightly(business=business)
    result = tiers_get(business=business, period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    assert [(t.name, t.customers) for t in result.distribution] == [("Silver", 2), ("Gold", 1)]
    moves = {(m.from_tier, m.to_tier): (m.customers, m.direction) for m in result.moves}
    assert moves == {
        ("Silver", "Gold"): (1, "up"),
        ("Gold", "Silver"): (1, "down"),
        ("", "Silver"): (1, "new"),  # F had no tier before
    }
    assert (result.upgrades, result.downgrades) == (2, 1)
    assert [(t.name, t.customers) for t in result.at_start or []] == []
