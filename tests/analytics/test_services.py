"""Analytics services on the hand-computed café of conftest.py, on SQLite and PostgreSQL:
rollups and the raw orders give the same figures, periods are checked, undefined figures say
so instead of failing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics.conftest import at
from wateja.analytics import rollups
from wateja.analytics.models import CohortCell, CustomerRfm, DailyRollup
from wateja.analytics.rfm import rfm_customers
from wateja.analytics.services import (
    Filters,
    Period,
    PeriodInvalid,
    activity_get,
    analytics_nightly,
    analytics_nightly_due,
    analytics_settings_update,
    as_dict,
    cart_trend_get,
    cohorts_get,
    dashboard_get,
    figures_get,
    filters_parse,
    period_parse,
    points_get,
    rfm_get,
    unprofitable_get,
)
from wateja.core.errors import NotFound, ValidationFailed
from wateja.customers.segments import segment_save

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
CUSTOMER_FIELDS = (
    "buyers",
    "new_customers",
    "customers_at_start",
    "customers_at_end",
    "lost_customers",
    "one_time_buyers",
    "gap_days",
    "gaps",
    "member_orders",
    "member_revenue_minor",
    "retention_rate",
    "churn_rate",
    "repeat_purchase_rate",
    "purchase_frequency",
    "days_between_purchases",
)


def test_march_figures_match_the_hand_computation(shop):
    f = figures_get(business=shop.business, period=MARCH)
    assert (f.customers_at_start, f.customers_at_end, f.new_customers) == (3, 4, 2)
    assert f.retention_rate == 66.67
    assert (f.lost_customers, f.churn_rate) == (1, 33.33)
    assert (f.buyers, f.one_time_buyers, f.repeat_purchase_rate) == (4, 2, 50.0)
    assert (f.orders, f.revenue_minor, f.refunded_minor, f.average_order_minor) == (
        6,
        5000,
        200,
        833,
    )
    assert (f.member_orders, f.member_revenue_minor, f.member_revenue_share) == (4, 3800, 76.0)
    assert f.purchase_frequency == 1.0
    assert (f.gap_days, f.gaps, f.days_between_purchases) == (78, 2, 39.0)
    assert (f.points_issued, f.points_redeemed, f.points_expired) == (100, 90, 0)
    assert f.redemption_rate == 90.0
    assert f.customers_total == 6
    assert f.notes == {}


def test_rollups_and_raw_orders_agree(shop):
    """A segment holding every customer is computed from the raw orders: the customer
    figures must equal those read from the rollups (anonymous sales aside)."""
    everyone = segment_save(business=shop.business, name="All", filters={})
    by_rollups = figures_get(business=shop.business, period=MARCH)
    live = figures_get(
        business=shop.business, period=MARCH, filters=Filters(segment_id=everyone.pk)
    )
    for name in CUSTOMER_FIELDS:
        assert getattr(live, name) == getattr(by_rollups, name), name
    assert live.orders == 4  # the two anonymous sales belong to no segment
    assert DailyRollup.objects.filter(business=shop.business, location__isnull=True).exists()


def test_a_local_midnight_order_counts_on_its_local_day(shop):
    # B's order at 00:30 on 1 March in Nairobi is 21:30 UTC on 28 February
    days = {a.day: a for a in activity_get(business=shop.business, period=MARCH)}
    assert days[dt.date(2026, 3, 1)].orders == 1
    february = figures_get(
        business=shop.business, period=Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    )
    assert february.orders == 2  # A and C on 10 February


def test_today_comes_from_the_raw_orders(shop, sell):
    before = figures_get(business=shop.business, period=MARCH)
    sell(shop.d, at(3, 31, 14))  # D comes back after four months
    after = figures_get(business=shop.business, period=MARCH)
    assert after.orders == before.orders + 1
    assert after.buyers == before.buyers + 1
    assert after.customers_at_end == before.customers_at_end + 1
    assert after.new_customers == before.new_customers  # D is not new
    assert after.one_time_buyers == before.one_time_buyers  # and now has two visits
    assert not DailyRollup.objects.filter(business=shop.business, day=dt.date(2026, 3, 31))


def test_location_figures(shop):
    westlands = figures_get(
        business=shop.business, period=MARCH, filters=Filters(location_id=shop.westlands.pk)
    )
    # A (20 Mar) and E (today) bought there in March, plus an anonymous sale of 500
    assert (westlands.orders, westlands.buyers, westlands.revenue_minor) == (3, 2, 2500)
    # active there at the start: A (10 Feb) and C (10 Feb); at the end: A and E
    assert (westlands.customers_at_start, westlands.customers_at_end) == (2, 2)
    assert westlands.new_customers == 1
    assert westlands.retention_rate == 50.0
    # wallet figures are the whole business's
    assert westlands.points_redeemed == 90


def test_dashboard_compares_with_the_previous_period(shop):
    board = dashboard_get(business=shop.business, period=MARCH)
    assert board.previous_period == Period(dt.date(2026, 1, 29), dt.date(2026, 2, 28))
    previous = board.previous
    # 29 Jan – 28 Feb: active at start (28 Jan, window from 15 Dec) A B; at end A B C;
    # C new → (3 − 1) / 2
    assert (previous.customers_at_start, previous.customers_at_end) == (2, 3)
    assert previous.retention_rate == 100.0
    assert (previous.orders, previous.revenue_minor) == (2, 2000)
    revenue = board.figures["revenue_minor"]
    assert (revenue.value, revenue.previous, revenue.change) == (5000, 2000, 150.0)
    retention = board.figures["retention_rate"]
    assert retention.change == -33.33  # percentage points
    assert board.figures["roi"].value == board.roi.roi


def test_roi_members_against_anonymous_sales(shop):
    roi = dashboard_get(business=shop.business, period=MARCH).roi
    # members: 4 orders, 3,800 sold less refunds → 1,520 margin (380 each); others: 2 orders,
    # 1,200 → 480 (240 each); (380 − 240) × 4 = 560; cost: 90 points × 100 = 9,000
    assert (roi.member_margin_minor, roi.baseline_margin_minor) == (1520, 480)
    assert roi.incremental_margin_minor == 560
    assert (roi.rewards_minor, roi.discounts_minor, roi.cost_minor) == (9000, 0, 9000)
    assert roi.roi == 0.062


def test_points_and_the_ultimate_redemption_rate(shop):
    points = points_get(business=shop.business, period=MARCH)
    assert (points.issued, points.redeemed, points.expired) == (100, 90, 0)
    assert (points.issued_to_date, points.redeemed_to_date, points.expired_to_date) == (
        170,
        90,
        20,
    )
    # closed lots: B's 50 redeemed, C's 20 expired → p = 5/7; A's open 60 → 42.86 predicted
    assert points.open_points == 60
    assert points.predicted_redemptions == pytest.approx(42.86)
    assert points.ultimate_redemption_rate == pytest.approx(78.15)
    february = points_get(
        business=shop.business, period=Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    )
    assert (february.issued, february.expired, february.breakage_rate) == (20, 20, 100.0)
    # as of 28 Feb: B's lot was still open (spent on 1 Mar), C's expired; p = 0 → 0 predicted
    assert february.open_points == 50
    assert february.ultimate_redemption_rate == 0.0


def test_unprofitable_customers(shop):
    result = unprofitable_get(business=shop.business, period=MARCH)
    # B: 800 sold (after the refund) × 40 % = 320 − 50 points × 100 = −4,680
    # A: 1,000 × 40 % = 400 − 40 × 100 = −3,600
    assert (result.buyers, result.unprofitable, result.share) == (4, 2, 50.0)
    assert [(w.customer_id, w.margin_minor) for w in result.worst] == [
        (shop.b.pk, -4680),
        (shop.a.pk, -3600),
    ]


def test_cohort_matrix_and_retention_curve(shop):
    result = cohorts_get(
        business=shop.business, period=Period(dt.date(2025, 12, 1), dt.date(2026, 3, 31))
    )
    table = {(r.cohort.month, r.size): r.customers for r in result.rows}
    assert table == {
        (12, 1): [1, 0, 0, 0],  # D
        (1, 2): [2, 1, 2],  # A and B; A in February; both in March
        (2, 1): [1, 0],  # C
        (3, 2): [2],  # E and F
    }
    curve = [(p.offset, p.base, p.customers, p.rate) for p in result.curve]
    assert curve == [(0, 6, 6, 100.0), (1, 4, 1, 25.0), (2, 3, 2, 66.7), (3, 1, 0, 0.0)]
    by_location = cohorts_get(
        business=shop.business, period=MARCH, filters=Filters(location_id=shop.westlands.pk)
    )
    assert [(r.cohort, r.size) for r in by_location.rows] == [(dt.date(2026, 3, 1), 1)]  # E


def test_rfm_segments_from_sql_match_the_grid(shop):
    result = rfm_get(business=shop.business)
    segments = {s.segment: s.customers for s in result.segments if s.customers}
    assert segments == {
        "champions": 1,  # A: R5 F5
        "new_customers": 1,  # E: R5 F1
        "loyal": 1,  # B: R3 F5
        "promising": 1,  # F: R4 F1
        "hibernating": 1,  # C: R2 F1
        "lost": 1,  # D: R1 F1
    }
    a = CustomerRfm.objects.get(customer=shop.a)
    assert (a.r, a.f, a.m, a.recency_days, a.frequency, a.monetary_minor) == (5, 5, 5, 11, 3, 3000)
    assert list(rfm_customers(shop.business, "lost")) == [shop.d]


def test_nightly_run_and_stale_months(shop, clock, sell):
    business = shop.business
    assert analytics_nightly_due(business)
    done = analytics_nightly(business=business)
    assert done["from"] == dt.date(2025, 12, 1) and done["to"] == dt.date(2026, 3, 30)
    assert not analytics_nightly_due(business)
    assert CohortCell.objects.filter(business=business).exists()
    assert CustomerRfm.objects.filter(business=business).count() == 5  # E bought today
    # an old sale imported afterwards: its month is rolled up again the next night
    sell(shop.c, at(1, 8))
    clock.move_to(dt.datetime(2026, 4, 1, 2, 0, tzinfo=at(1, 1).tzinfo))
    assert analytics_nightly_due(business)
    done = analytics_nightly(business=business)
    assert done["from"] == dt.date(2026, 1, 1)
    january = figures_get(
        business=business, period=Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    )
    assert (january.orders, january.new_customers) == (4, 3)  # C is now a January customer


def test_rollups_build_is_idempotent(shop):
    first = rollups.rollups_build(
        business=shop.business, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 30)
    )
    again = rollups.rollups_build(
        business=shop.business, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 30)
    )
    assert first == again == 30 * 3  # whole business and two locations
    assert DailyRollup.objects.filter(business=shop.business).count() == 90


def test_cart_trend(shop):
    trend = cart_trend_get(business=shop.business, period=MARCH, bucket="month")
    assert [(p.orders, p.revenue_minor, p.average_order_minor) for p in trend.points] == [
        (6, 5000, 833)
    ]
    weekly = cart_trend_get(business=shop.business, period=MARCH)
    assert sum(p.orders for p in weekly.points) == 6
    assert weekly.points[0].start == dt.date(2026, 3, 1)
    with pytest.raises(ValidationFailed):
        cart_trend_get(business=shop.business, period=MARCH, bucket="year")


# ---------------------------------------------------------------- bad input


def test_period_defaults_and_errors(business, clock):
    today = dt.date(2026, 3, 31)
    assert period_parse(business=business) == Period(today - dt.timedelta(days=29), today)
    assert period_parse(business=business, start="2026-03-01") == MARCH
    cases = {
        ("2026-03-10", "2026-03-01"): "period_end_before_start",
        ("2026-03-01", "2026-04-02"): "period_in_future",
        ("2026-04-02", None): "period_in_future",
        ("1999-12-31", "2000-01-10"): "period_too_early",
        ("2001-01-01", "2026-03-01"): "period_too_long",
        ("31.03.2026", None): "period_invalid",
    }
    for (start, end), code in cases.items():
        with pytest.raises(PeriodInvalid) as caught:
            period_parse(business=business, start=start, end=end)
        assert caught.value.code == code, (start, end)
        assert caught.value.status == 422


def test_a_period_without_customers_at_start_is_not_enough_data(business, clock):
    empty = figures_get(business=business, period=MARCH)
    assert empty.retention_rate is None and empty.churn_rate is None
    assert empty.average_order_minor is None
    assert "retention_rate" in empty.notes and "average_order_minor" in empty.notes
    board = dashboard_get(business=business, period=MARCH)
    assert board.figures["retention_rate"].value is None
    assert board.roi.roi is None and "roi" in board.notes
    assert as_dict(board)["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert points_get(business=business, period=MARCH).ultimate_redemption_rate is None
    assert cohorts_get(business=business, period=MARCH).rows == []
    assert rfm_get(business=business).customers == 0


def test_filters_belong_to_the_business(shop, other_business):
    theirs = segment_save(business=other_business, name="Theirs", filters={})
    with pytest.raises(NotFound):
        filters_parse(business=shop.business, segment=theirs.pk)
    with pytest.raises(NotFound):
        filters_parse(business=shop.business, location=999_999)
    with pytest.raises(ValidationFailed):
        filters_parse(business=shop.business, rfm="royalty")
    assert filters_parse(business=shop.business, rfm="lost") == Filters(rfm="lost")


def test_rfm_filter(shop):
    champions = figures_get(business=shop.business, period=MARCH, filters=Filters(rfm="champions"))
    assert (champions.buyers, champions.orders) == (1, 1)  # A


def test_activity_window_setting(shop):
    analytics_settings_update(business=shop.business, activity_window_days=10)
    f = figures_get(business=shop.business, period=MARCH)
    # with 10 days: nobody active at the end of 28 Feb (last visits 10 Feb at best)
    assert f.customers_at_start == 0 and f.retention_rate is None
    # at the end of 31 March only E (today): A's 20 March is 11 days old
    assert f.customers_at_end == 1
    with pytest.raises(ValidationFailed):
        analytics_settings_update(business=shop.business, activity_window_days=0)


def _campaign(shop, sent, held):
    from wateja.messaging.models import Campaign, Conversion, Message
    from wateja.orders.models import Order

    campaign = Campaign.objects.create(business=shop.business, name="Come back", holdout_percent=50)
    for n in range(sent + held):
        message = Message.objects.create(
            business=shop.business,
            customer=shop.a if n < sent else shop.c,
            campaign=campaign,
            channel="sms",
            purpose="marketing",
            status="sent" if n < sent else "holdout",
            sent_at=at(3, 5),
            cost_minor=10 if n < sent else 0,
        )
        if n == 0:
            order = Order.objects.get(customer=shop.a, placed_at=at(3, 20))
            Conversion.objects.create(
                business=shop.business,
                message=message,
                order=order,
                revenue_minor=1000,
                at=at(3, 20),
            )


def test_roi_from_a_campaign_holdout_group(shop):
    _campaign(shop, sent=30, held=30)
    roi = dashboard_get(business=shop.business, period=MARCH).roi
    # 1,000 attributed over 30 messages sent, nothing over 30 held out: 1,000 more revenue,
    # 400 of margin; cost 9,000 of points + 300 of messages
    assert (roi.method, roi.holdout_groups) == ("holdout", 1)
    assert (roi.holdout_incremental_margin_minor, roi.members_incremental_margin_minor) == (
        400,
        560,
    )
    assert (roi.messages_minor, roi.cost_minor) == (300, 9300)
    assert roi.roi == 0.043
    worst = unprofitable_get(business=shop.business, period=MARCH).worst
    assert [(w.customer_id, w.messages_minor, w.margin_minor) for w in worst] == [
        (shop.b.pk, 0, -4680),
        (shop.a.pk, 300, -3900),
    ]


def test_roi_ignores_holdout_groups_too_small_to_say_anything(shop):
    _campaign(shop, sent=5, held=2)
    roi = dashboard_get(business=shop.business, period=MARCH).roi
    assert (roi.method, roi.holdout_groups, roi.incremental_margin_minor) == (
        "members_vs_others",
        0,
        560,
    )


def test_a_period_longer_than_the_activity_window(shop):
    # 1 Jan – 31 Mar (90 days, window 45): active at the start only D (1 Dec); at the end
    # A B E F; new A B C E F, of whom C has lapsed again: (4 − 4) / 1 = 0 %, D lost
    quarter = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    f = figures_get(business=shop.business, period=quarter)
    assert (f.customers_at_start, f.customers_at_end) == (1, 4)
    assert (f.new_customers, f.new_customers_active) == (5, 4)
    assert (f.retention_rate, f.lost_customers, f.churn_rate) == (0.0, 1, 100.0)
    assert f.reactivated_customers == 0
    everyone = segment_save(business=shop.business, name="All", filters={})
    live = figures_get(
        business=shop.business, period=quarter, filters=Filters(segment_id=everyone.pk)
    )
    for name in (*CUSTOMER_FIELDS, "new_customers_active"):
        assert getattr(live, name) == getattr(f, name), name
