"""The end-of-day summary on a day built through the real checkout: two cashiers, an API
till, two locations, a code, points paid and earned, a refund (and one of the day before's
sale) and a void; every figure computed by hand below."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from contextlib import contextmanager

import pytest
import time_machine

from wateja.customers.services import customer_create
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.orders.refunds import order_refund, order_void
from wateja.orders.shift import API_KEY, STAFF, shift_summary
from wateja.promotions.services import codes_issue, promotion_save, promotion_set_status
from wateja.tenants.roles import Role
from wateja.tenants.services import apikey_create, location_create, staff_add
from wateja.wallet.services import points_earn

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
DAY = dt.date(2031, 5, 14)
_keys = itertools.count(1)


@contextmanager
def at(hour, minute=0, day=DAY):
    """The clock at this local time in Nairobi (UTC+3)."""
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NAIROBI)
    with time_machine.travel(moment, tick=False):
        yield


def _offer(business, **fields):
    return promotion_set_status(
        promotion=promotion_save(business=business, **fields), status="active"
    )


@pytest.fixture
def day(business):
    """The day's sales. Points: 1 per 100.00 paid in money; a point pays 1.00."""
    town = location_create(business=business, name="Town")
    mall = location_create(business=business, name="Mall")
    alice = staff_add(business=business, username="alice", role=Role.CASHIER).user
    bob = staff_add(business=business, username="bob", role=Role.CASHIER).user
    online, _token = apikey_create(business=business, name="Online till", role=Role.CASHIER)
    _offer(
        business,
        name="Points",
        type="points_per_amount",
        params={"points": 1, "per_amount_minor": 10_000},
    )
    karibu = _offer(
        business,
        name="KARIBU",
        type="amount_off_order",
        params={"amount_minor": 10_000},
        requires_code=True,
    )
    codes_issue(promotion=karibu, code="KARIBU", kind="reusable")
    wanjiku = customer_create(business=business, name="Wanjiku", phone="0712345678")
    with at(8, day=DAY - dt.timedelta(days=1)):
        points_earn(customer=wanjiku, amount=500, idempotency_key="opening")

    def sell(location, customer=None, actor=None, api_key=None, **sale):
        key = f"shift-{next(_keys)}"
        checkout_reserve(
            business=business,
            key=key,
            sale=SaleInput(currency="KES", **sale),
            customer=customer,
            location=location,
            actor=actor,
            api_key=api_key,
        )
        return checkout_commit(business=business, key=key, actor=actor, api_key=api_key)

    with at(22, day=DAY - dt.timedelta(days=1)):  # the evening before: not this day's sale
        yesterday = sell(town, actor=alice, total_minor=20_000)
    with at(9):  # 2 × 300.00 = 600.00 to a member, 6 points earned
        first = sell(
            town,
            wanjiku,
            alice,
            lines=({"sku": "latte", "quantity": 2, "unit_price_minor": 30_000},),
        )
    with at(10):
        sell(town, actor=alice, total_minor=45_000)
    with at(11):  # 1,200.00 − KARIBU 100.00 = 1,100.00; 100 points pay 100.00; 10 points earned
        sell(
            mall,
            wanjiku,
            bob,
            lines=({"sku": "cake", "quantity": 1, "unit_price_minor": 120_000},),
            codes=("KARIBU",),
            points_to_spend=100,
        )
    with at(12):
        voided = sell(mall, actor=bob, total_minor=30_000)
    with at(12, 5):
        order_void(order=voided, key="void-1", reason="wrong item", actor=bob)
    with at(13):
        sell(mall, api_key=online, total_minor=50_000)
    with at(15):  # one of the two lattes back
        line = first.lines.get()
        order_refund(
            order=first,
            refund_id="refund-1",
            lines=[{"line_id": line.pk, "quantity": 1}],
            reason="spilt",
            actor=alice,
        )
    with at(16):  # the evening before's sale, refunded today by bob (it was sold at Town)
        order_refund(
            order=yesterday, refund_id="refund-2", amount_minor=20_000, reason="x", actor=bob
        )
    with at(0, 10, day=DAY + dt.timedelta(days=1)):  # just after midnight: the next day's
        sell(town, actor=alice, total_minor=99_900)
    return {"town": town, "mall": mall, "alice": alice, "bob": bob, "online": online}


def test_the_days_figures_in_all(business, day):
    total = shift_summary(business, DAY).total
    # 600.00 + 450.00 + 1,100.00 + 300.00 (voided later, still sold) + 500.00
    assert total.sales_count == 5
    assert total.sales_minor == 295_000
    assert total.sales_money_minor == 285_000  # 100.00 of it paid with points
    assert total.member_sales_count == 2
    assert total.member_sales_minor == 170_000
    assert total.members_share == pytest.approx(170_000 / 295_000)
    assert total.points_given == 6 + 10
    assert total.points_redeemed == 100
    assert total.codes_used == 1
    assert (total.refunds_count, total.refunds_minor, total.refunds_money_minor) == (
        2,
        50_000,
        50_000,
    )
    assert (total.voids_count, total.voids_minor, total.voids_money_minor) == (1, 30_000, 30_000)
    assert total.net_minor == 295_000 - 50_000 - 30_000
    assert total.net_money_minor == 285_000 - 50_000 - 30_000


def test_by_cashier_and_api_key(business, day):
    parts = {(p.who.kind, p.who.name): p.figures for p in shift_summary(business, DAY).by_cashier}
    assert list(parts) == [(STAFF, "alice"), (STAFF, "bob"), (API_KEY, "Online till")]
    alice, bob, online = parts.values()
    assert (alice.sales_count, alice.sales_minor, alice.sales_money_minor) == (2, 105_000, 105_000)
    assert (alice.member_sales_minor, alice.points_given, alice.points_redeemed) == (60_000, 6, 0)
    assert (alice.refunds_count, alice.refunds_minor, alice.voids_count) == (1, 30_000, 0)
    assert (bob.sales_count, bob.sales_minor, bob.sales_money_minor) == (2, 140_000, 130_000)
    assert (bob.member_sales_minor, bob.points_given, bob.points_redeemed) == (110_000, 10, 100)
    assert bob.codes_used == 1
    assert (bob.refunds_count, bob.refunds_minor) == (1, 20_000)
    assert (bob.voids_count, bob.voids_minor, bob.voids_money_minor) == (1, 30_000, 30_000)
    assert (online.sales_count, online.sales_minor, online.member_sales_minor) == (1, 50_000, 0)


def test_by_location_and_for_one_location(business, day):
    summary = shift_summary(business, DAY)
    parts = {p.location.name: p.figures for p in summary.by_location}
    assert list(parts) == ["Mall", "Town"]
    town, mall = parts["Town"], parts["Mall"]
    assert (town.sales_count, town.sales_minor, town.points_given) == (2, 105_000, 6)
    # both refunds were of Town's sales (bob's of the evening before's too)
    assert (town.refunds_count, town.refunds_minor, town.voids_count) == (2, 50_000, 0)
    assert (mall.sales_count, mall.sales_minor, mall.sales_money_minor) == (3, 190_000, 180_000)
    assert (mall.points_redeemed, mall.codes_used, mall.voids_minor) == (100, 1, 30_000)
    only_mall = shift_summary(business, DAY, location=day["mall"])
    assert only_mall.total == mall
    assert [p.location.name for p in only_mall.by_location] == ["Mall"]


def test_the_days_before_and_after_and_another_business(business, other_business, day):
    before = shift_summary(business, DAY - dt.timedelta(days=1)).total
    assert (before.sales_count, before.sales_minor, before.refunds_count) == (1, 20_000, 0)
    after = shift_summary(business, DAY + dt.timedelta(days=1)).total
    assert (after.sales_count, after.sales_minor) == (1, 99_900)
    assert shift_summary(other_business, DAY).total.sales_count == 0
    empty = shift_summary(business, DAY + dt.timedelta(days=2))
    assert empty.total.sales_count == 0 and empty.total.members_share is None
    assert empty.by_cashier == [] and empty.by_location == []


def test_aggregates_in_a_fixed_number_of_queries(business, day, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        shift_summary(business, DAY)
