"""The promotions of MISSION.md section 2, each with totals computed by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.core.rules import (
    NOW,
    applied_ids,
    at,
    cart,
    codes_of,
    ctx,
    customer,
    line,
    promo,
)
from wateja.core.rules import EffectKind, evaluate
from wateja.core.rules.model import Budget, Schedule

BASE_EARN = promo(900, "points_per_amount", {"points": 1, "per_amount_minor": 10000})


def rejection(evaluation, pid):
    (found,) = [r for r in evaluation.rejected if r.promotion_id == pid]
    return found


# --------------------------------------------------------------------------------------------
# 15% off a second purchase made within 7 days of the first

SECOND_PURCHASE = promo(
    1,
    "percent_off_order",
    {"percent_bp": 1500},
    conditions={
        "all": [
            {"type": "nth_purchase", "n": 2},
            {"type": "within_days_of_first_purchase", "days": 7},
        ]
    },
)


@pytest.mark.parametrize("days_ago", [0, 6, 7])
def test_second_purchase_within_seven_days_gets_15_percent(days_ago):
    buyer = customer(purchase_count=1, first_purchase_at=NOW - dt.timedelta(days=days_ago))
    result = evaluate(cart(line("latte", 2, 50000)), buyer, [SECOND_PURCHASE], ctx())
    assert applied_ids(result) == [1]
    assert (result.subtotal_minor, result.discount_minor, result.total_minor) == (
        100000,
        15000,
        85000,
    )
    assert result.line_discounts_minor == (15000,)


def test_second_purchase_on_day_eight_is_too_late():
    buyer = customer(purchase_count=1, first_purchase_at=NOW - dt.timedelta(days=8))
    result = evaluate(cart(line("latte", 2, 50000)), buyer, [SECOND_PURCHASE], ctx())
    assert result.applied == ()
    assert result.total_minor == 100000
    found = rejection(result, 1)
    assert found.code == "second_purchase_window_passed"
    assert found.params == {"days": 7, "days_since": 8}


def test_second_purchase_window_counts_local_days():
    # 3 March 23:30 in Nairobi is 20:30 UTC; 11 March 00:30 in Nairobi is 10 March 21:30 UTC:
    # seven days apart in UTC, eight local days apart. Local days decide.
    buyer = customer(purchase_count=1, first_purchase_at=at(2026, 3, 3, 23, 30))
    late = evaluate(cart(line("x", 1, 1000)), buyer, [SECOND_PURCHASE], ctx(at(2026, 3, 11, 0, 30)))
    assert codes_of(late) == {1: "second_purchase_window_passed"}
    in_time = evaluate(
        cart(line("x", 1, 1000)), buyer, [SECOND_PURCHASE], ctx(at(2026, 3, 10, 23, 59))
    )
    assert applied_ids(in_time) == [1]


def test_first_purchase_does_not_get_the_second_purchase_discount():
    result = evaluate(
        cart(line("latte", 2, 50000)), customer(purchase_count=0), [SECOND_PURCHASE], ctx()
    )
    found = rejection(result, 1)
    assert found.code == "not_second_purchase"
    assert found.params == {"n": 2, "purchase_number": 1}


def test_second_purchase_needs_a_known_customer():
    result = evaluate(cart(line("latte", 2, 50000)), None, [SECOND_PURCHASE], ctx())
    assert codes_of(result) == {1: "customer_required"}


# --------------------------------------------------------------------------------------------
# A promo code with a 1,000.00 minimum order

THRESHOLD = promo(
    2,
    "amount_off_order",
    {"amount_minor": 20000},
    code="KARIBU1000",
    conditions={"type": "min_subtotal", "amount_minor": 100000},
)


def test_threshold_code_applies_at_exactly_1000():
    result = evaluate(
        cart(line("a", 1, 60000), line("b", 1, 40000)),
        None,
        [THRESHOLD],
        ctx(codes=["KARIBU1000"]),
    )
    (applied,) = result.applied
    assert applied.code == "KARIBU1000"
    assert (result.discount_minor, result.total_minor) == (20000, 80000)
    assert result.line_discounts_minor == (12000, 8000)  # in proportion to the lines


def test_threshold_code_does_not_apply_to_999_99():
    result = evaluate(cart(line("a", 1, 99999)), None, [THRESHOLD], ctx(codes=["karibu1000"]))
    assert result.applied == ()
    found = rejection(result, 2)
    assert found.code == "min_subtotal_not_met"
    assert found.params == {"missing_minor": 1, "required_minor": 100000, "code": "KARIBU1000"}


def test_code_promotion_is_neither_applied_nor_listed_without_its_code():
    result = evaluate(cart(line("a", 1, 200000)), None, [THRESHOLD], ctx(codes=["OTHER"]))
    assert result.applied == () and result.rejected == ()


# --------------------------------------------------------------------------------------------
# Reusable and one-time codes


def test_reusable_code_applies_on_every_order_until_the_customer_limit():
    reusable = promo(
        3,
        "percent_off_order",
        {"percent_bp": 1000},
        code="WEEKEND",
        budget=Budget(customer_uses_left=2),
    )
    order = cart(line("a", 1, 30000))
    for _ in range(3):  # evaluate is a dry run: nothing is used up
        result = evaluate(order, customer(), [reusable], ctx(codes=["WEEKEND"]))
        assert result.discount_minor == 3000
    spent = promo(
        3,
        "percent_off_order",
        {"percent_bp": 1000},
        code="WEEKEND",
        budget=Budget(customer_uses_left=0),
    )
    result = evaluate(order, customer(), [spent], ctx(codes=["WEEKEND"]))
    assert rejection(result, 3).code == "customer_limit_reached"
    assert rejection(result, 3).params == {"code": "WEEKEND"}


def test_one_time_code_from_a_batch():
    batch = promo(
        4, "amount_off_order", {"amount_minor": 5000}, codes=frozenset({"AX7K2", "BQ9M4"})
    )
    result = evaluate(cart(line("a", 1, 30000)), None, [batch], ctx(codes=["BQ9M4"]))
    assert [a.code for a in result.applied] == ["BQ9M4"]
    used = promo(
        4,
        "amount_off_order",
        {"amount_minor": 5000},
        codes=frozenset({"AX7K2", "BQ9M4"}),
        budget=Budget(uses_left=0),
    )
    result = evaluate(cart(line("a", 1, 30000)), None, [used], ctx(codes=["BQ9M4"]))
    assert codes_of(result) == {4: "usage_limit_reached"}


# --------------------------------------------------------------------------------------------
# Volume discount

WATER = promo(5, "volume_discount", {"min_quantity": 6, "skus": ["water"], "percent_bp": 1000})


def test_volume_discount_from_six_bottles():
    result = evaluate(
        cart(line("water", 6, 5000, "drinks"), line("bread", 1, 10000, "bakery")),
        None,
        [WATER],
        ctx(),
    )
    assert result.line_discounts_minor == (3000, 0)
    assert result.total_minor == 37000


def test_volume_discount_five_bottles_are_one_short():
    result = evaluate(cart(line("water", 5, 5000)), None, [WATER], ctx())
    found = rejection(result, 5)
    assert (found.code, found.params) == ("min_quantity_not_met", {"missing": 1, "required": 6})


def test_volume_discount_at_a_fixed_unit_price_over_a_category():
    crate = promo(
        6,
        "volume_discount",
        {"min_quantity": 12, "categories": ["soda"], "unit_price_minor": 4000},
    )
    result = evaluate(
        cart(line("cola", 7, 5000, "soda"), line("fanta", 5, 4500, "soda")), None, [crate], ctx()
    )
    # 7 x (5000 - 4000) + 5 x (4500 - 4000)
    assert result.line_discounts_minor == (7000, 2500)
    assert result.discount_minor == 9500


# --------------------------------------------------------------------------------------------
# Bundles: a coffee with a gift juice, a main dish with a salad

COMBOS = promo(
    7,
    "bundle",
    {
        "sets": [
            {"skus": ["coffee", "juice"], "price_minor": 35000},  # the juice is the gift
            {"skus": ["pilau", "salad"], "price_minor": 70000},
        ]
    },
)


def test_two_bundles_in_one_cart():
    result = evaluate(
        cart(
            line("coffee", 2, 35000),
            line("juice", 1, 15000),
            line("pilau", 1, 60000),
            line("salad", 1, 25000),
        ),
        None,
        [COMBOS],
        ctx(),
    )
    # coffee+juice: 50000 -> 35000 saves 15000, spread 35:15 over the two units;
    # pilau+salad: 85000 -> 70000 saves 15000, spread 60:25 = 10588.2 + 4411.8: the floors
    # leave 1 over, which goes to the larger line.
    assert result.line_discounts_minor == (10500, 4500, 10589, 4411)
    assert result.discount_minor == 30000
    assert result.total_minor == 170000 - 30000


def test_bundle_used_as_many_times_as_the_cart_allows():
    result = evaluate(
        cart(line("coffee", 3, 35000), line("juice", 2, 15000)), None, [COMBOS], ctx()
    )
    assert result.discount_minor == 30000  # two coffee+juice sets; the third coffee pays full
    (applied,) = result.applied
    assert applied.effects[0].data["sets_used"] == (2, 0)


def test_bundle_picks_the_best_assignment_not_the_biggest_single_saving():
    sets = promo(
        8,
        "bundle",
        {
            "sets": [
                {"skus": ["coffee", "juice"], "price_minor": 38000},  # saves 12000
                {"skus": ["coffee", "cake"], "price_minor": 45000},  # saves 10000
                {"skus": ["juice", "cake"], "price_minor": 20000},  # saves 15000
            ]
        },
    )
    result = evaluate(
        cart(line("coffee", 2, 35000), line("juice", 1, 15000), line("cake", 1, 20000)),
        None,
        [sets],
        ctx(),
    )
    # greedy would take juice+cake (15000) and stop; two sets save 22000
    assert result.discount_minor == 22000
    assert result.applied[0].effects[0].data["sets_used"] == (1, 1, 0)


def test_bundle_incomplete_names_what_is_missing():
    result = evaluate(cart(line("coffee", 1, 35000)), None, [COMBOS], ctx())
    found = rejection(result, 7)
    assert (found.code, found.params) == ("bundle_incomplete", {"missing_skus": ["juice"]})


# --------------------------------------------------------------------------------------------
# Good citizen: own cup

OWN_CUP = promo(
    9,
    "amount_off_items",
    {"amount_minor": 2000, "categories": ["coffee"]},
    conditions={"type": "flag", "name": "own_cup"},
)


def test_own_cup_discount_when_the_cashier_ticks_it():
    order = cart(line("latte", 2, 30000, "coffee"), line("muffin", 1, 15000, "bakery"))
    result = evaluate(order, None, [OWN_CUP], ctx(flags={"own_cup"}))
    assert result.line_discounts_minor == (4000, 0)
    assert result.total_minor == 71000


def test_own_cup_not_ticked():
    order = cart(line("latte", 2, 30000, "coffee"))
    result = evaluate(order, None, [OWN_CUP], ctx())
    found = rejection(result, 9)
    assert (found.code, found.params) == ("flag_missing", {"flag": "own_cup"})


# --------------------------------------------------------------------------------------------
# A pack of coffee with every order of 1.2 kg or more

COFFEE_GIFT = promo(
    10,
    "gift",
    {"description": "A pack of coffee", "sku": "coffee-250g"},
    conditions={"type": "min_weight", "grams": 1200},
)


def test_gift_at_1200_grams():
    order = cart(line("flour", 1, 20000, grams=1000), line("sugar", 1, 15000, grams=200))
    result = evaluate(order, None, [COFFEE_GIFT], ctx())
    (gift,) = result.gifts
    assert gift.kind is EffectKind.GIFT
    assert (gift.sku, gift.quantity, gift.data["description"]) == (
        "coffee-250g",
        1,
        "A pack of coffee",
    )
    assert gift.data["promotion_id"] == 10
    assert result.discount_minor == 0


def test_no_gift_at_1199_grams():
    order = cart(line("flour", 1, 20000, grams=1000), line("sugar", 1, 15000, grams=199))
    result = evaluate(order, None, [COFFEE_GIFT], ctx())
    assert result.gifts == ()
    found = rejection(result, 10)
    assert found.code == "min_weight_not_met"
    assert found.params == {"missing_grams": 1, "required_grams": 1200}


def test_partner_coupon_from_a_pool():
    partner = promo(11, "gift", {"description": "Safari Tours 10% voucher", "partner_pool_id": 42})
    result = evaluate(cart(line("a", 1, 1000)), None, [partner], ctx())
    assert result.gifts[0].data["partner_pool_id"] == 42


# --------------------------------------------------------------------------------------------
# Members-only Black Friday

BLACK_FRIDAY = promo(12, "percent_off_order", {"percent_bp": 3000}, audience="members")


@pytest.mark.parametrize("buyer", [None, customer(is_member=False)], ids=["anonymous", "no card"])
def test_black_friday_refuses_non_members(buyer):
    result = evaluate(cart(line("tv", 1, 5000000)), buyer, [BLACK_FRIDAY], ctx())
    assert codes_of(result) == {12: "not_a_member"}
    assert result.total_minor == 5000000


def test_black_friday_for_card_holders():
    result = evaluate(cart(line("tv", 1, 5000000)), customer(), [BLACK_FRIDAY], ctx())
    assert result.total_minor == 3500000


# --------------------------------------------------------------------------------------------
# Referral reward growing with friends who ordered

REFERRAL = promo(13, "referral_reward", {"steps": [[1, 1000], [3, 2000], [5, 3000]]})


@pytest.mark.parametrize(
    ("friends", "discount"),
    [(1, 10000), (2, 10000), (3, 20000), (4, 20000), (5, 30000), (9, 30000)],
)
def test_referral_reward_steps(friends, discount):
    referrer = customer(referrals_converted=friends, referral_rewards_used=0)
    result = evaluate(cart(line("gym-month", 1, 100000)), referrer, [REFERRAL], ctx())
    assert result.discount_minor == discount
    assert result.applied[0].effects[0].data["referrals_converted"] == friends


def test_referral_reward_is_one_time():
    referrer = customer(referrals_converted=3, referral_rewards_used=3)
    result = evaluate(cart(line("gym-month", 1, 100000)), referrer, [REFERRAL], ctx())
    found = rejection(result, 13)
    assert (found.code, found.params) == ("no_referral_reward", {"referrals_converted": 3})


# --------------------------------------------------------------------------------------------
# Tiers: the more spent, the larger the discount

TIERS = promo(14, "tier_discount", {"tiers": {"gold": 1000, "silver": 500}})


@pytest.mark.parametrize(("tier", "total"), [("gold", 90000), ("silver", 95000)])
def test_tier_discount(tier, total):
    result = evaluate(cart(line("a", 1, 100000)), customer(tier=tier), [TIERS], ctx())
    assert result.total_minor == total


@pytest.mark.parametrize("buyer", [None, customer(tier="bronze")])
def test_tier_discount_needs_a_listed_tier(buyer):
    result = evaluate(cart(line("a", 1, 100000)), buyer, [TIERS], ctx())
    found = rejection(result, 14)
    assert (found.code, found.params) == ("tier_required", {"tiers": ["gold", "silver"]})


# --------------------------------------------------------------------------------------------
# Double points on Tuesdays

DOUBLE_TUESDAY = promo(
    15, "points_multiplier", {"multiplier_bp": 20000}, schedule=Schedule(weekdays=frozenset({1}))
)


def test_double_points_on_tuesday():
    result = evaluate(cart(line("a", 1, 100000)), customer(), [BASE_EARN, DOUBLE_TUESDAY], ctx())
    assert result.points == 20
    by_id = {a.promotion_id: a for a in result.applied}
    assert by_id[900].effects[0].amount_minor == 10
    assert by_id[15].effects[0].kind is EffectKind.POINTS_MULTIPLIER
    assert (by_id[15].effects[0].amount_minor, by_id[15].effects[0].multiplier_bp) == (10, 20000)


def test_single_points_on_wednesday():
    wednesday = ctx(at(2026, 3, 11))
    result = evaluate(
        cart(line("a", 1, 100000)), customer(), [BASE_EARN, DOUBLE_TUESDAY], wednesday
    )
    assert result.points == 10
    found = rejection(result, 15)
    assert (found.code, found.params) == ("outside_schedule", {"weekdays": [1]})


def test_multipliers_do_not_multiply_each_other_the_best_per_line_wins():
    triple_coffee = promo(
        16, "points_multiplier", {"multiplier_bp": 30000, "categories": ["coffee"]}
    )
    order = cart(line("latte", 1, 50000, "coffee"), line("cake", 1, 50000, "bakery"))
    result = evaluate(order, customer(), [BASE_EARN, DOUBLE_TUESDAY, triple_coffee], ctx())
    # base 10; coffee line x3 -> 15, cake line x2 -> 10: 25 (not x6 on coffee)
    assert result.points == 25
    extras = {a.promotion_id: a.effects[0].amount_minor for a in result.applied}
    assert extras == {900: 10, 15: 5, 16: 10}


# --------------------------------------------------------------------------------------------
# Birthday bonus

BIRTHDAY = promo(
    17, "bonus_points", {"points": 500}, conditions={"type": "birthday_within_days", "days": 0}
)
BIRTHDAY_WEEK = promo(
    18, "bonus_points", {"points": 200}, conditions={"type": "birthday_within_days", "days": 1}
)


@pytest.mark.parametrize(
    ("born", "today", "on_day", "within_one"),
    [
        ((2, 29), (2028, 2, 29), True, True),  # leap year: the day itself
        ((2, 29), (2027, 2, 28), True, True),  # other years: 28 February
        ((2, 29), (2027, 3, 1), False, True),
        ((2, 29), (2027, 2, 26), False, False),
        ((12, 31), (2027, 1, 1), False, True),  # year wrap, after
        ((1, 1), (2026, 12, 31), False, True),  # year wrap, before
        ((12, 31), (2026, 12, 31), True, True),
        ((6, 15), (2026, 6, 17), False, False),
    ],
)
def test_birthday_bonus(born, today, on_day, within_one):
    buyer = customer(birth_month=born[0], birth_day=born[1])
    result = evaluate(cart(line("a", 1, 1000)), buyer, [BIRTHDAY, BIRTHDAY_WEEK], ctx(at(*today)))
    assert (17 in applied_ids(result), 18 in applied_ids(result)) == (on_day, within_one)
    assert result.points == 500 * on_day + 200 * within_one


def test_birthday_is_in_the_business_timezone():
    buyer = customer(birth_month=1, birth_day=1)
    # 31 December 22:00 UTC is already 1 January 01:00 in Nairobi
    late = dt.datetime(2026, 12, 31, 22, tzinfo=dt.UTC)
    assert applied_ids(evaluate(cart(line("a", 1, 1000)), buyer, [BIRTHDAY], ctx(late))) == [17]


def test_birthday_unknown():
    result = evaluate(cart(line("a", 1, 1000)), customer(), [BIRTHDAY], ctx())
    assert codes_of(result) == {17: "birthday_unknown"}


# --------------------------------------------------------------------------------------------
# Every 5th visit a free coffee

FIFTH_VISIT = promo(
    19,
    "free_item",
    {"sku": "coffee", "quantity": 1, "value_minor": 25000},
    conditions={"type": "nth_visit_every", "n": 5},
)


def test_fifth_visit_coffee_in_the_cart_is_free():
    order = cart(line("coffee", 2, 25000), line("bun", 1, 5000))
    result = evaluate(order, customer(purchase_count=4), [FIFTH_VISIT], ctx())
    assert result.line_discounts_minor == (25000, 0)
    assert result.total_minor == 30000


def test_fifth_visit_coffee_not_in_the_cart_is_handed_over():
    result = evaluate(cart(line("bun", 1, 5000)), customer(purchase_count=9), [FIFTH_VISIT], ctx())
    (free,) = result.gifts
    assert (free.kind, free.sku, free.quantity, free.amount_minor) == (
        EffectKind.FREE_ITEM,
        "coffee",
        1,
        25000,
    )
    assert result.discount_minor == 0


def test_sixth_visit_no_free_coffee():
    result = evaluate(
        cart(line("coffee", 1, 25000)), customer(purchase_count=5), [FIFTH_VISIT], ctx()
    )
    found = rejection(result, 19)
    assert (found.code, found.params) == ("not_nth_visit", {"n": 5, "visits_to_go": 4})


# --------------------------------------------------------------------------------------------
# Cashback, coupons for the next order, points on the net amount

CASHBACK = promo(20, "cashback_percent", {"percent_bp": 500})


def test_cashback_5_percent_on_a_top_up():
    result = evaluate(cart(total=1000000), customer(), [CASHBACK], ctx())
    assert result.cashback_minor == 50000
    assert result.total_minor == 1000000  # cashback is not a discount
    assert result.line_discounts_minor == ()


def test_cashback_is_on_the_net_paid():
    order = cart(line("a", 1, 100000))
    result = evaluate(
        order, customer(), [CASHBACK, promo(21, "amount_off_order", {"amount_minor": 10000})], ctx()
    )
    assert result.cashback_minor == 4500


def test_next_order_coupon():
    coupon = promo(
        22,
        "next_order_coupon",
        {"percent_bp": 1000, "valid_days": 30, "min_subtotal_minor": 50000},
    )
    result = evaluate(cart(line("a", 1, 100000)), customer(), [coupon], ctx())
    (issued,) = result.coupons
    assert issued.kind is EffectKind.ISSUE_COUPON
    assert issued.data == {
        "percent_bp": 1000,
        "valid_days": 30,
        "valid_until": "2026-04-09",
        "min_subtotal_minor": 50000,
        "promotion_id": 22,
    }


def test_points_are_earned_on_the_net_after_discounts():
    second = promo(
        1,
        "percent_off_order",
        {"percent_bp": 1500},
        conditions={"type": "nth_purchase", "n": 2},
    )
    result = evaluate(
        cart(line("a", 1, 100000)), customer(purchase_count=1), [second, BASE_EARN], ctx()
    )
    assert result.total_minor == 85000
    assert result.points == 8  # 850.00 KES at 1 point per 100.00, rounded down


def test_welcome_message():
    hello = promo(
        23,
        "message",
        {"template": "thanks_first_order"},
        conditions={"type": "nth_purchase", "n": 1},
    )
    result = evaluate(cart(line("a", 1, 100)), customer(), [hello], ctx())
    assert [m.data["template"] for m in result.messages] == ["thanks_first_order"]


# --------------------------------------------------------------------------------------------
# Points follow the money actually paid: what points or cashback pay for earns nothing


def test_a_bill_partly_paid_with_points_earns_on_the_money_paid():
    every_ten = promo(900, "points_per_amount", {"points": 1, "per_amount_minor": 1000})
    full = evaluate(cart(total=20_500), customer(), [every_ten], ctx())
    assert full.points == 20  # 205.00 earns floor(205 / 10)
    paid = dataclasses.replace(cart(total=20_500), rewards_paid_minor=500)
    part = evaluate(paid, customer(), [every_ten], ctx())
    assert part.points == 20  # on 200.00: floor(200 / 10), not 20 × 200 / 205 = 19
    assert part.total_minor == 20_500 and part.discount_minor == 0


def test_rewards_paid_are_spread_over_the_lines_and_leave_the_discounts_alone():
    cashback = promo(5, "cashback_percent", {"percent_bp": 1000})
    half_off_tea = promo(6, "percent_off_items", {"skus": ["tea"], "percent_bp": 5000})
    basket = dataclasses.replace(
        cart(line("tea", 2, 5_000), line("cake", 1, 10_000)), rewards_paid_minor=5_000
    )
    result = evaluate(basket, customer(), [cashback, half_off_tea], ctx())
    assert result.line_discounts_minor == (5_000, 0)
    assert result.total_minor == 15_000
    assert result.cashback_minor == 1_000  # 10% of the 10,000 paid in money
    everything = dataclasses.replace(basket, rewards_paid_minor=10**9)
    assert evaluate(everything, customer(), [cashback, half_off_tea], ctx()).cashback_minor == 0
