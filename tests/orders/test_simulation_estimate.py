"""The offer cost estimate (orders.simulation) on hand-computed cases: past sales replayed with
and without the offer, the base earn rule and tiers counted, limits and budgets applied as at
checkout, the cost per month as a range; stored and recomputed in the background."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest

from wateja.customers.services import customer_create
from wateja.orders.models import OfferSimulation, SimulationStatus
from wateja.orders.services import order_record
from wateja.orders.simulation import simulate, simulation_run
from wateja.promotions.models import CustomerTier, Promotion
from wateja.promotions.services import promotion_save, promotion_set_status, tier_save

UTC = dt.UTC
NOW = dt.datetime(2026, 4, 30, 9, 0, tzinfo=UTC)  # a Thursday; the window starts 30 Jan 09:00
KES = 100  # minor units in one shilling
_numbers = itertools.count(1)


def day(month: int, d: int, hour: int = 9) -> dt.datetime:
    """A moment of 2026 in UTC (Nairobi is three hours ahead: the same local day)."""
    return dt.datetime(2026, month, d, hour, 0, tzinfo=UTC)


@pytest.fixture
def sold(business):
    def record(when, shillings, customer=None):
        return order_record(
            business=business,
            number=f"H-{next(_numbers)}",
            total_minor=shillings * KES,
            customer=customer,
            placed_at=when,
            update_stats=False,
        )

    return record


@pytest.fixture
def offer(business):
    def make(type_, params, *, active=False, **fields):
        promotion = promotion_save(
            business=business,
            name=fields.pop("name", type_),
            type=type_,
            params=params,
            **fields,
        )
        if active:
            promotion_set_status(promotion=promotion, status="active")
        return promotion

    return make


@pytest.fixture
def earn_rule(offer):
    return offer(
        "points_per_amount",
        {"points": 1, "per_amount_minor": 100 * KES},
        active=True,
        name="1 point per KES 100",
    )


@pytest.fixture
def wanjiku(business):
    return customer_create(business=business, name="Wanjiku", phone="0712345678")


@pytest.fixture
def otieno(business):
    return customer_create(business=business, name="Otieno", phone="0722345678")


def test_double_points_on_tuesdays_counts_the_points_it_adds_to_the_base_rule(
    earn_rule, offer, sold, wanjiku
):
    tuesdays = [day(4, 28), day(4, 21), day(4, 14), day(4, 7), day(3, 31, hour=6)]
    assert {t.astimezone(dt.timezone(dt.timedelta(hours=3))).weekday() for t in tuesdays} == {1}
    # ten known sales of one customer; on Tuesdays the base points double (rounded once)
    for when, shillings in [
        (day(4, 28), 1_200),  # base 12 → 24: +12
        (day(4, 29), 800),
        (day(4, 21), 250),  # base 2 → 5: +3
        (day(4, 20), 5_000),
        (day(4, 14), 99),  # base 0 → 1: +1
        (day(4, 16), 3_000),
        (day(4, 7), 10_000),  # base 100 → 200: +100
        (day(4, 11), 700),
        (day(3, 31, hour=6), 450),  # base 4 → 9: +5
        (day(4, 3), 2_000),
    ]:
        sold(when, shillings, wanjiku)
    sold(day(4, 28), 1_000)  # anonymous: no wallet, so no points to count
    double = offer("points_multiplier", {"multiplier_bp": 20_000}, weekdays=[1])

    result = simulate(promotion=double, months=3, now=NOW)

    assert result["orders_evaluated"] == 11
    assert result["points"] == 12 + 3 + 1 + 100 + 5 == 121
    assert result["base_points"] == 12 + 8 + 2 + 50 + 0 + 30 + 100 + 7 + 4 + 20 + 10
    assert result["orders_touched"] == 5 and result["customers_touched"] == 1
    assert result["discount_minor"] == 0
    assert result["point_value_minor"] == 100  # one point pays KES 1
    assert result["cost_minor"] == 121 * 100
    # 30-day slices from 30 January: 31 March 06:00 is day 59.9 (the second), the rest the third
    assert result["monthly_cost_minor"] == [0, 5 * 100, 116 * 100]
    assert (result["monthly_low_minor"], result["monthly_high_minor"]) == (0, 11_600)
    assert result["compared_with"] == ["1 point per KES 100"]


def test_a_multiplier_without_a_base_rule_adds_nothing(offer, sold, wanjiku):
    sold(day(4, 28), 1_200, wanjiku)
    double = offer("points_multiplier", {"multiplier_bp": 20_000})
    result = simulate(promotion=double, months=3, now=NOW)
    assert result["points"] == 0 and result["base_points"] == 0
    assert result["orders_touched"] == 0 and result["cost_minor"] == 0


def test_a_tier_multiplier_is_in_the_base_and_the_highest_multiplier_wins(
    business, earn_rule, offer, sold, wanjiku
):
    gold = tier_save(business=business, name="Gold", min_spend_minor=0, earn_multiplier_bp=15_000)
    CustomerTier.objects.create(business=business, customer=wanjiku, tier=gold, since=NOW)
    sold(day(4, 20), 1_000, wanjiku)  # base 10, Gold ×1.5 = 15; ×2 = 20
    double = offer("points_multiplier", {"multiplier_bp": 20_000})
    result = simulate(promotion=double, months=3, now=NOW)
    assert result["base_points"] == 15
    assert result["points"] == 5
    assert result["tiers_counted"] is True


def test_one_use_per_customer_cuts_repeat_customers(offer, sold, wanjiku, otieno):
    for d in (3, 10, 17):
        sold(day(4, d), 1_000, wanjiku)
    sold(day(4, 12), 2_000, otieno)
    sold(day(4, 13), 500)  # anonymous: no customer to count uses against
    ten = offer("percent_off_order", {"percent_bp": 1000}, max_uses_per_customer=1)

    result = simulate(promotion=ten, months=3, now=NOW)

    assert result["discount_minor"] == (100 + 200 + 50) * KES
    assert result["orders_touched"] == 3 and result["customers_touched"] == 2
    assert result["orders_limited"] == 2  # Wanjiku's second and third visits
    assert result["limits"]["max_uses_per_customer"] == 1


def test_a_total_budget_stops_the_discount_at_the_budget(offer, sold, wanjiku):
    for d in (1, 2, 3, 4):
        sold(day(4, d), 1_000, wanjiku)
    hundred_off = offer("amount_off_order", {"amount_minor": 100 * KES}, budget_minor=250 * KES)
    result = simulate(promotion=hundred_off, months=3, now=NOW)
    # 100 + 100 + 50 (what is left of the budget) + nothing
    assert result["discount_minor"] == 250 * KES
    assert result["orders_touched"] == 3
    assert result["orders_limited"] == 2  # one capped, one stopped
    assert result["average_discount_minor"] == 250 * KES // 3


def test_a_monthly_budget_starts_again_each_month(offer, sold, wanjiku):
    for when in (day(3, 10), day(3, 20), day(4, 5), day(4, 10), day(4, 15)):
        sold(when, 1_000, wanjiku)
    hundred_off = offer(
        "amount_off_order",
        {"amount_minor": 100 * KES},
        budget_minor=150 * KES,
        budget_period="month",
    )
    result = simulate(promotion=hundred_off, months=3, now=NOW)
    # March: 100 + 50; April: 100 + 50 + nothing
    assert result["discount_minor"] == 300 * KES
    assert result["orders_touched"] == 4


def test_a_limit_on_uses_counts_the_first_sales_only(offer, sold, wanjiku, otieno):
    for d, who in ((1, wanjiku), (2, otieno), (3, wanjiku), (4, otieno)):
        sold(day(4, d), 1_000, who)
    ten = offer("percent_off_order", {"percent_bp": 1000}, max_uses=2)
    result = simulate(promotion=ten, months=3, now=NOW)
    assert result["discount_minor"] == 200 * KES
    assert result["orders_touched"] == 2 and result["orders_limited"] == 2


def test_a_code_only_offer_is_counted_as_if_every_buyer_had_the_code(offer, sold, wanjiku):
    offer(
        "percent_off_order",
        {"percent_bp": 5000},
        active=True,
        requires_code=True,
        name="Half price with a code",
    )  # active, but nobody entered its code: not part of the programme replayed
    sold(day(4, 8), 1_000, wanjiku)
    sold(day(4, 9), 3_000)
    with_code = offer("percent_off_order", {"percent_bp": 1000}, requires_code=True)
    result = simulate(promotion=with_code, months=3, now=NOW)
    assert result["code_only"] is True
    assert result["discount_minor"] == 400 * KES
    assert result["compared_with"] == []


def test_only_the_difference_to_the_offers_already_running_is_counted(
    earn_rule, offer, sold, wanjiku
):
    offer("percent_off_order", {"percent_bp": 500}, active=True, name="5% for everyone")
    sold(day(4, 8), 1_000, wanjiku)
    # 10% that does not stack replaces the 5%: 50 more; points 950 → 9 and 900 → 9
    ten_alone = offer("percent_off_order", {"percent_bp": 1000}, stackable=False)
    result = simulate(promotion=ten_alone, months=3, now=NOW)
    assert result["discount_minor"] == 50 * KES
    assert result["points"] == 0
    assert result["cost_minor"] == 50 * KES


def test_an_offer_that_displaces_a_budgeted_one_leaves_its_budget_for_later_sales(
    offer, sold, wanjiku
):
    offer(
        "amount_off_order",
        {"amount_minor": 100 * KES},
        active=True,
        budget_minor=200 * KES,
        name="KES 100 off while KES 200 last",
    )
    sold(day(4, 14), 2_000, wanjiku)  # Tuesday
    sold(day(4, 15), 1_000, wanjiku)
    sold(day(4, 16), 1_000, wanjiku)
    tuesday_ten = offer("percent_off_order", {"percent_bp": 1000}, weekdays=[1], stackable=False)
    result = simulate(promotion=tuesday_ten, months=3, now=NOW)
    # without it: 100 + 100, then the budget is spent; with it: 200 on Tuesday (the KES 100
    # off gives way), 100 + 100 after: the Thursday sale costs 100 more although the offer
    # does not run on Thursdays
    assert result["discount_minor"] == (100 + 0 + 100) * KES
    assert result["monthly_cost_minor"][-1] == 200 * KES
    assert result["orders_touched"] == 1


def test_a_discount_lowers_the_base_points_it_would_have_earned(earn_rule, offer, sold, wanjiku):
    sold(day(4, 8), 1_000, wanjiku)
    ten = offer("percent_off_order", {"percent_bp": 1000})
    result = simulate(promotion=ten, months=3, now=NOW)
    assert result["discount_minor"] == 100 * KES
    assert result["points"] == -1  # 10 points → 9
    assert result["cost_minor"] == 100 * KES - 100


def test_the_offer_dates_are_ignored_but_its_weekdays_kept(offer, sold, wanjiku):
    sold(day(4, 8), 1_000, wanjiku)  # a Wednesday
    sold(day(4, 9), 1_000, wanjiku)  # a Thursday
    later = offer(
        "amount_off_order",
        {"amount_minor": 100 * KES},
        starts_at=NOW + dt.timedelta(days=10),
        weekdays=[2],
    )
    result = simulate(promotion=later, months=3, now=NOW)
    assert result["orders_touched"] == 1 and result["discount_minor"] == 100 * KES


def test_sales_outside_the_window_only_count_as_history(offer, sold, wanjiku):
    sold(day(1, 10), 1_000, wanjiku)  # before 30 January: history, not replayed
    sold(day(4, 10), 1_000, wanjiku)
    second_visit = offer(
        "percent_off_order",
        {"percent_bp": 1000},
        conditions={"type": "nth_purchase", "n": 2},
    )
    result = simulate(promotion=second_visit, months=3, now=NOW)
    assert result["orders_evaluated"] == 1
    assert result["discount_minor"] == 100 * KES


def test_similar_offers_that_ran_are_listed_with_their_measured_uplift(business, offer, sold):
    sold(day(4, 8), 1_000)
    earlier = offer("percent_off_order", {"percent_bp": 1500}, name="Easter 15%")
    promotion_set_status(promotion=earlier, status="ended")
    Promotion.objects.filter(pk=earlier.pk).update(uses_count=40, discount_total_minor=9_000)
    offer("amount_off_order", {"amount_minor": 100}, name="Other kind", active=True)
    asked = []

    def measure(*, business, promotion_id):
        asked.append(promotion_id)
        return SimpleNamespace(
            method="before_after",
            period=SimpleNamespace(start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 6)),
            comparisons=[
                SimpleNamespace(measure="orders", unit="day", uplift=12.5, significant=True),
                SimpleNamespace(
                    measure="revenue_minor", unit="day", uplift=-3.0, significant=False
                ),
            ],
        )

    draft = offer("percent_off_order", {"percent_bp": 1000})
    result = simulate(promotion=draft, months=3, now=NOW, measure=measure)
    assert asked == [earlier.pk]
    [similar] = result["similar"]
    assert similar["name"] == "Easter 15%" and similar["uses"] == 40
    assert similar["measured"]["orders"] == {
        "uplift_percent": 12.5,
        "significant": True,
        "unit": "day",
    }
    assert similar["measured"]["start"] == "2026-04-01"


def test_saving_a_draft_stores_its_estimate_through_the_worker(
    business, earn_rule, offer, sold, wanjiku, django_capture_on_commit_callbacks
):
    sold(dt.datetime.now(UTC) - dt.timedelta(days=3), 1_000, wanjiku)
    with django_capture_on_commit_callbacks(execute=True):
        draft = offer("bonus_points", {"points": 7})
    stored = OfferSimulation.objects.get(promotion=draft)
    assert stored.status == SimulationStatus.DONE and stored.generation == 1
    assert stored.result["points"] == 7 and stored.orders_seen == 1
    assert stored.computed_at is not None and stored.business_id == business.pk

    with django_capture_on_commit_callbacks(execute=True):
        promotion_save(business=business, promotion=draft, params={"points": 9})
    stored.refresh_from_db()
    assert stored.generation == 2 and stored.result["points"] == 9
    # a run of an older request stores nothing over the newer estimate
    assert simulation_run(simulation_id=stored.pk, generation=1) is None
    stored.refresh_from_db()
    assert stored.result["points"] == 9


def test_an_ended_offer_is_not_estimated_again(business, offer, django_capture_on_commit_callbacks):
    draft = offer("bonus_points", {"points": 7})
    promotion_set_status(promotion=draft, status="ended")
    with django_capture_on_commit_callbacks(execute=True):
        promotion_save(business=business, promotion=draft, params={"points": 8})
    assert not OfferSimulation.objects.filter(promotion=draft).exists()


def test_a_failed_estimate_is_stored_with_a_plain_message(business, offer, sold, monkeypatch):
    sold(day(4, 8), 1_000)
    draft = offer("bonus_points", {"points": 7})
    stored = OfferSimulation.objects.create(business=business, promotion=draft, generation=1)

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("wateja.orders.simulation.simulate", broken)
    result = simulation_run(simulation_id=stored.pk, generation=1)
    assert result.status == SimulationStatus.FAILED
    assert "could not be computed" in result.error and "fire" not in result.error


def test_the_api_returns_the_stored_estimate_unless_asked_to_recompute(
    api, business, offer, sold, wanjiku
):
    sold(dt.datetime.now(UTC) - dt.timedelta(days=2), 1_000, wanjiku)
    draft = offer("percent_off_order", {"percent_bp": 1000})
    first = api.post(f"/promotions/{draft.pk}/simulate", {"months": 3})
    assert first.status_code == 200
    body = first.json()
    assert body["discount_minor"] == 100 * KES and body["status"] == "done"
    assert body["computed_at"] and body["monthly_cost_minor"] == [0, 0, 100 * KES]
    sold(dt.datetime.now(UTC) - dt.timedelta(days=1), 2_000, wanjiku)
    again = api.post(f"/promotions/{draft.pk}/simulate", {"months": 3}).json()
    assert again["discount_minor"] == 100 * KES  # the stored one
    fresh = api.post(f"/promotions/{draft.pk}/simulate?recompute=true", {"months": 3}).json()
    assert fresh["discount_minor"] == 300 * KES
    six = api.post(f"/promotions/{draft.pk}/simulate", {"months": 6}).json()
    assert six["months"] == 6 and len(six["monthly_cost_minor"]) == 6
    bad = api.post(f"/promotions/{draft.pk}/simulate", {"months": 0})
    assert bad.status_code == 422
