"""The formulas of MISSION.md section 4 on cases computed by hand (no database)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wateja.core import metrics as m


def test_retention_rate_is_end_less_new_over_start():
    # 100 active at the start, 20 new in the period, 90 active at the end: 70 % stayed
    assert m.retention_rate(at_start=100, at_end=90, new=20) == 70.0
    assert m.retention_rate(at_start=8, at_end=8, new=0) == 100.0


def test_retention_without_customers_at_start_is_not_enough_data():
    assert m.retention_rate(at_start=0, at_end=5, new=5) is None
    assert m.churn_rate(at_start=0, lost=0) is None


def test_churn_rate_is_lost_over_start():
    assert m.churn_rate(at_start=50, lost=5) == 10.0


def test_repeat_purchase_rate_counts_buyers_with_two_visits_or_more():
    # 10 buyers, 4 of them bought for the first and only time so far
    assert m.repeat_purchase_rate(buyers=10, one_time_buyers=4) == 60.0
    assert m.repeat_purchase_rate(buyers=0, one_time_buyers=0) is None


def test_average_order_value_rounds_half_to_even_in_minor_units():
    assert m.average_order_value(revenue_minor=1000, orders=3) == 333
    assert m.average_order_value(revenue_minor=1001, orders=2) == 500
    assert m.average_order_value(revenue_minor=1003, orders=2) == 502
    assert m.average_order_value(revenue_minor=0, orders=0) is None


def test_frequency_and_time_between_purchases():
    assert m.purchase_frequency(orders=12, buyers=4) == 3.0
    assert m.purchase_frequency(orders=3, buyers=0) is None
    assert m.mean_days_between(gap_days_total=30, gaps=4) == 7.5
    assert m.mean_days_between(gap_days_total=0, gaps=0) is None
    jan = [dt.date(2026, 1, d) for d in (1, 1, 4, 10)]
    assert m.purchase_gaps(jan) == [3, 6]  # two orders on the 1st are one visit


def test_percent_change_and_trend():
    assert m.percent_change(120, 100) == 20.0
    assert m.percent_change(80, 100) == -20.0
    assert m.percent_change(5, 0) is None
    assert m.percent_change(None, 3) is None
    assert m.linear_trend([100, 110, 120]) == 10.0
    assert m.linear_trend([1, 3, 2, 4]) == pytest.approx(0.8)
    assert m.linear_trend([5]) is None


# ---------------------------------------------------------------- the recency histogram

# at the end of some day: 2 customers bought that day, 1 two days before, 3 four days before
# and 1 five days before
HIST = [2, 0, 1, 0, 3, 1]


def test_active_buyers_and_lost_from_the_histogram():
    assert m.active_customers(HIST, window=3) == 3  # last visit 0, 1 or 2 days ago
    assert m.period_buyers(HIST, days=1) == 2
    assert m.period_buyers(HIST, days=5) == 6
    # a 2-day period with a 3-day window: active at its start = last visit 2..4 days before
    # the end; inactive at its end = 3+ days: those at 3 and 4
    assert m.lost(HIST, window=3, days=2) == 3
    assert m.lost(HIST, window=3, days=4) is None  # longer than the window: not from here


def test_next_day_histogram_ages_everyone_and_moves_buyers_to_zero():
    # next day: 1 new customer, 1 of the 2 from yesterday returns (previous visit 1 day
    # before), 2 of the 3 at age 4 return (5 days before)
    result = m.recency_next_day(HIST, new=1, returning_by_age={1: 1, 5: 2}, cap=10)
    assert result == [4, 1, 0, 1, 0, 1, 1]
    capped = m.recency_next_day(HIST, new=1, returning_by_age={1: 1, 5: 2}, cap=5)
    assert capped == [4, 1, 0, 1, 0, 1]


def _histogram(visits: dict[int, list[int]], day: int) -> list[int]:
    result = [0] * (day + 1)
    for days in visits.values():
        past = [d for d in days if d <= day]
        if past:
            result[day - max(past)] += 1
    while result and result[-1] == 0:
        result.pop()
    return result


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.integers(0, 30), st.lists(st.integers(0, 12), min_size=1), max_size=8))
def test_next_day_histogram_matches_brute_force(visits):
    for day in range(11):
        new = sum(1 for days in visits.values() if min(days) == day + 1)
        returning: dict[int, int] = {}
        for days in visits.values():
            if day + 1 in days and min(days) <= day:
                age = day + 1 - max(d for d in days if d <= day)
                returning[age] = returning.get(age, 0) + 1
        expected = _histogram(visits, day + 1)
        got = m.recency_next_day(
            _histogram(visits, day), new=new, returning_by_age=returning, cap=50
        )
        assert got == expected


# ---------------------------------------------------------------- points


def test_redemption_and_breakage_rates():
    assert m.redemption_rate(issued=200, redeemed=50) == 25.0
    assert m.breakage_rate(issued=200, expired=30) == 15.0
    assert m.redemption_rate(issued=0, redeemed=0) is None


def test_ultimate_redemption_rate_from_open_lots_and_their_history():
    # closed lots of 3 digits: 600 redeemed, 200 expired (p = 0.75); of 4 digits: 200/200
    # (p = 0.5); all closed lots: 800 / 1200 = 2/3 for a class without history
    history = {3: m.LotHistory(600, 200), 4: m.LotHistory(200, 200)}
    predicted = m.predicted_redemptions(open_points={3: 300, 2: 90}, history=history)
    assert predicted == pytest.approx(300 * 0.75 + 90 * 2 / 3)  # 285
    rate = m.ultimate_redemption_rate(issued=1000, redeemed=400, predicted_future=predicted)
    assert rate == pytest.approx(68.5)


def test_ultimate_redemption_rate_without_history_is_not_enough_data():
    assert m.predicted_redemptions(open_points={3: 100}, history={}) is None
    assert m.predicted_redemptions(open_points={}, history={}) == 0.0
    assert m.ultimate_redemption_rate(issued=100, redeemed=10, predicted_future=None) is None
    assert m.ultimate_redemption_rate(issued=0, redeemed=0, predicted_future=0.0) is None


# ---------------------------------------------------------------- margin and ROI


def test_gross_margin_and_margin_after_rewards():
    assert m.gross_margin(12_345, 4000) == 4938
    assert m.gross_margin(12_345, 3333) == 4115  # 4114.5885
    kwargs = {"refunded_minor": 0, "discount_minor": 500, "rewards_minor": 1000}
    assert (
        m.margin_after_rewards(sales_minor=10_000, messages_minor=200, margin_bp=4000, **kwargs)
        == 2300
    )
    # 400 of margin cannot carry 1,700 of discounts, rewards and messages
    assert (
        m.margin_after_rewards(sales_minor=1000, messages_minor=200, margin_bp=4000, **kwargs)
        == -1300
    )


def test_roi_is_incremental_margin_over_cost():
    # members: 10 orders, 5,000 margin (500 each); others: 20 orders, 6,000 (300 each)
    extra = m.incremental_margin(
        members=10, member_margin_minor=5000, baseline=20, baseline_margin_minor=6000
    )
    assert extra == 2000
    cost = m.ProgramCost(discounts_minor=600, rewards_minor=300, messages_minor=100)
    assert cost.total_minor == 1000
    assert m.loyalty_roi(incremental_margin_minor=extra, cost_minor=cost.total_minor) == 2.0


def test_roi_without_a_baseline_or_a_cost_is_not_enough_data():
    assert (
        m.incremental_margin(members=5, member_margin_minor=10, baseline=0, baseline_margin_minor=0)
        is None
    )
    assert m.loyalty_roi(incremental_margin_minor=None, cost_minor=100) is None
    assert m.loyalty_roi(incremental_margin_minor=500, cost_minor=0) is None


# ---------------------------------------------------------------- uplift


def test_welch_interval_of_two_means():
    treated = m.SampleStats.of([1, 2, 3, 4, 5])  # mean 3, variance 2.5
    control = m.SampleStats.from_sums(5, 10, 20)  # five 2s: mean 2, variance 0
    assert (treated.mean, treated.variance) == (3.0, 2.5)
    assert (control.mean, control.variance) == (2.0, 0.0)
    interval = m.welch_interval(treated, control)
    assert interval is not None
    half = 1.959964 * math.sqrt(2.5 / 5)  # 1.3859
    assert interval.difference == 1.0
    assert interval.low == pytest.approx(1 - half, abs=1e-5)
    assert interval.high == pytest.approx(1 + half, abs=1e-5)
    assert interval.relative == 50.0
    assert not interval.significant


def test_welch_interval_shows_a_clear_uplift_as_significant():
    treated = m.SampleStats.of([12, 13, 12, 14, 13, 12, 14])
    control = m.SampleStats.of([10, 9, 10, 11, 10, 9, 11])
    interval = m.welch_interval(treated, control)
    assert interval is not None and interval.significant and interval.low > 0


def test_intervals_need_two_observations_per_group():
    assert m.welch_interval(m.SampleStats.of([1]), m.SampleStats.of([1, 2])) is None
    assert m.SampleStats.from_sums(0, 0, 0) == m.SampleStats(0, 0.0, 0.0)
    assert m.proportion_interval(treated_hits=0, treated_n=0, control_hits=1, control_n=2) is None


def test_proportion_interval():
    interval = m.proportion_interval(treated_hits=30, treated_n=100, control_hits=20, control_n=100)
    assert interval is not None
    half = 1.959964 * math.sqrt(0.3 * 0.7 / 100 + 0.2 * 0.8 / 100)  # 0.1192
    assert interval.difference == pytest.approx(0.1)
    assert interval.low == pytest.approx(0.1 - half, abs=1e-5)
    assert interval.high == pytest.approx(0.1 + half, abs=1e-5)


# ---------------------------------------------------------------- RFM and cohorts


def test_rfm_scores_are_quintiles_by_percent_rank_with_ties_together():
    assert m.rfm_scores([10, 20, 30, 40, 50, 60]) == [1, 2, 3, 4, 5, 5]
    assert m.rfm_scores([1, 1, 1, 2]) == [1, 1, 1, 5]
    assert m.rfm_scores([7]) == [1]


def test_rfm_grid_names_every_cell_with_a_known_segment():
    assert set(m.RFM_GRID) == {(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert set(m.RFM_GRID.values()) == set(m.RFM_SEGMENTS)
    cases = {
        (5, 5): "champions",
        (5, 1): "new_customers",
        (4, 1): "promising",
        (4, 2): "potential_loyalists",
        (3, 4): "loyal",
        (3, 3): "need_attention",
        (3, 2): "about_to_sleep",
        (2, 4): "at_risk",
        (1, 5): "cant_lose_them",
        (2, 1): "hibernating",
        (1, 1): "lost",
    }
    for (r, f), name in cases.items():
        assert m.rfm_segment(r, f) == name


def test_cohort_retention_and_code_repeat_share():
    assert m.cohort_retention(cohort_size=40, active=10) == 25.0
    assert m.cohort_retention(cohort_size=0, active=0) is None
    assert m.repeat_use_share(customers=20, repeat_customers=3) == 15.0
