"""Benefit strategies one by one: params, validation and what each gives."""

from __future__ import annotations

import pytest

from tests.core.rules import applied_ids, cart, codes_of, ctx, customer, line, promo
from wateja.core.rules import EffectKind, evaluate
from wateja.core.rules.benefits import BENEFITS, BUNDLE_EXHAUSTIVE_LIMIT, Phase
from wateja.core.rules.conditions import RuleError


def one(order, promotion, buyer=None, context=None):
    return evaluate(order, buyer, [promotion], context or ctx())


# --------------------------------------------------------------------------------------------
# Line discounts


def test_percent_off_items_by_sku_and_category():
    p = promo(1, "percent_off_items", {"percent_bp": 2000, "skus": ["tea"], "categories": ["cake"]})
    order = cart(line("tea", 2, 10000), line("cheesecake", 1, 25000, "cake"), line("x", 1, 9999))
    result = one(order, p)
    assert result.line_discounts_minor == (4000, 5000, 0)
    effects = result.applied[0].effects
    assert [(e.kind, e.line_index, e.sku, e.amount_minor) for e in effects] == [
        (EffectKind.LINE_DISCOUNT, 0, "tea", 4000),
        (EffectKind.LINE_DISCOUNT, 1, "cheesecake", 5000),
    ]


def test_percent_off_items_without_scope_takes_every_line():
    p = promo(1, "percent_off_items", {"percent_bp": 1000})
    assert one(cart(line("a", 1, 1000), line("b", 3, 500)), p).line_discounts_minor == (100, 150)


def test_percent_rounding_is_half_even():
    p = promo(1, "percent_off_items", {"percent_bp": 5000})
    # 50% of 25 = 12.5 -> 12; of 35 = 17.5 -> 18
    assert one(cart(line("a", 1, 25), line("b", 1, 35)), p).line_discounts_minor == (12, 18)


def test_amount_off_items_is_per_unit_and_stops_at_the_line_price():
    p = promo(1, "amount_off_items", {"amount_minor": 3000, "skus": ["a", "b"]})
    result = one(cart(line("a", 3, 10000), line("b", 1, 2000)), p)
    assert result.line_discounts_minor == (9000, 2000)


def test_no_matching_items():
    p = promo(1, "amount_off_items", {"amount_minor": 3000, "categories": ["shoes"]})
    result = one(cart(line("a", 3, 10000)), p)
    assert codes_of(result) == {1: "no_matching_items"}


def test_volume_unit_price_never_raises_a_price():
    p = promo(
        1, "volume_discount", {"min_quantity": 2, "skus": ["a", "b"], "unit_price_minor": 5000}
    )
    result = one(cart(line("a", 2, 6000), line("b", 1, 4000)), p)
    assert result.line_discounts_minor == (2000, 0)


# --------------------------------------------------------------------------------------------
# Free items


def test_free_item_partly_in_the_cart():
    p = promo(1, "free_item", {"sku": "donut", "quantity": 3})
    result = one(cart(line("donut", 2, 5000), line("tea", 1, 3000)), p)
    assert result.line_discounts_minor == (10000, 0)
    (handed,) = result.gifts
    assert (handed.kind, handed.sku, handed.quantity, handed.amount_minor) == (
        EffectKind.FREE_ITEM,
        "donut",
        1,
        0,
    )


def test_free_item_takes_some_units_of_a_line_and_respects_value():
    p = promo(1, "free_item", {"sku": "donut", "quantity": 1, "value_minor": 4000})
    result = one(cart(line("donut", 3, 5000)), p)
    assert result.line_discounts_minor == (4000,)
    assert result.gifts == ()
    assert result.applied[0].effects[0].quantity == 1


def test_free_item_over_split_lines():
    p = promo(1, "free_item", {"sku": "donut", "quantity": 2})
    result = one(cart(line("donut", 1, 5000), line("donut", 1, 5000), line("donut", 1, 5000)), p)
    assert result.line_discounts_minor == (5000, 5000, 0)


# --------------------------------------------------------------------------------------------
# Bundles


def test_bundle_with_percent_and_quantities():
    p = promo(
        1,
        "bundle",
        {"sets": [{"skus": ["egg"], "quantity": 6, "percent_bp": 2000}]},
    )
    result = one(cart(line("egg", 14, 1500)), p)
    # two sets of six eggs: 20% of 9000 twice; the other two eggs pay full price
    assert result.discount_minor == 3600
    assert result.applied[0].effects[0].data["sets_used"] == (2,)


def test_bundle_repeated_sku_counts_twice_and_promotion_level_price():
    p = promo(
        1,
        "bundle",
        {"price_minor": 50000, "sets": [{"skus": ["shirt", "shirt", "tie"]}]},
    )
    result = one(cart(line("shirt", 3, 20000), line("tie", 1, 15000)), p)
    assert result.discount_minor == 20000 + 20000 + 15000 - 50000


def test_bundle_takes_the_most_valuable_units_first():
    p = promo(1, "bundle", {"sets": [{"skus": ["pizza", "soda"], "price_minor": 100000}]})
    result = one(cart(line("pizza", 1, 80000), line("pizza", 1, 95000), line("soda", 1, 20000)), p)
    assert result.discount_minor == 95000 + 20000 - 100000
    assert result.line_discounts_minor[0] == 0


def test_bundle_priced_above_the_items_saves_nothing():
    p = promo(1, "bundle", {"sets": [{"skus": ["a", "b"], "price_minor": 10000}]})
    result = one(cart(line("a", 1, 3000), line("b", 1, 3000)), p)
    assert codes_of(result) == {1: "nothing_to_discount"}


def test_large_bundle_carts_fall_back_to_greedy():
    sets = [{"skus": [f"s{k}", "common"], "price_minor": 1000 + k} for k in range(4)]
    p = promo(1, "bundle", {"sets": sets})
    order = cart(*(line(f"s{k}", 20, 5000) for k in range(4)), line("common", 40, 5000))
    assert BUNDLE_EXHAUSTIVE_LIMIT < 21**4
    result = one(order, p)
    # greedy: the cheapest set (s0) saves most per instance: 20 of them, then s1 with the rest
    assert result.applied[0].effects[0].data["sets_used"] == (20, 20, 0, 0)
    assert result.discount_minor == 20 * (10000 - 1000) + 20 * (10000 - 1001)


# --------------------------------------------------------------------------------------------
# Rewards and other effects


def test_points_on_a_total_only_cart_and_scoped_rule_does_not_apply():
    base = promo(1, "points_per_amount", {"points": 2, "per_amount_minor": 10000})
    coffee = promo(2, "points_per_amount", {"points": 1, "per_amount_minor": 100, "skus": ["x"]})
    result = evaluate(cart(total=55000), customer(), [base, coffee], ctx())
    assert result.points == 11
    assert codes_of(result) == {2: "no_matching_items"}


def test_cashback_rounding_param():
    down = promo(1, "cashback_percent", {"percent_bp": 333, "rounding": "down"})
    assert one(cart(total=1000), down, customer()).cashback_minor == 33
    up = promo(1, "cashback_percent", {"percent_bp": 333, "rounding": "up"})
    assert one(cart(total=1000), up, customer()).cashback_minor == 34


def test_cashback_on_nothing_earns_nothing():
    p = promo(1, "cashback_percent", {"percent_bp": 500})
    assert codes_of(one(cart(total=0), p)) == {1: "nothing_to_earn"}


def test_next_order_coupon_by_amount():
    p = promo(1, "next_order_coupon", {"amount_minor": 20000, "valid_days": 14})
    (issued,) = one(cart(line("a", 1, 100)), p).coupons
    assert issued.amount_minor == 20000
    assert issued.data["valid_until"] == "2026-03-24"


def test_referral_needs_a_customer():
    p = promo(1, "referral_reward", {"steps": [[1, 1000]]})
    assert codes_of(one(cart(line("a", 1, 100)), p)) == {1: "customer_required"}


def test_referral_below_the_first_step():
    p = promo(1, "referral_reward", {"steps": [[3, 1000]]})
    result = one(cart(line("a", 1, 100)), p, customer(referrals_converted=2))
    assert codes_of(result) == {1: "no_referral_reward"}


def test_phases_and_exemption():
    rewards = {name for name, b in BENEFITS.items() if b.phase is Phase.REWARD}
    assert rewards == {"points_per_amount", "points_multiplier", "bonus_points", "cashback_percent"}
    assert [name for name, b in BENEFITS.items() if b.exempt] == ["points_per_amount"]


# --------------------------------------------------------------------------------------------
# Validation of params


@pytest.mark.parametrize(
    ("kind", "params", "path", "reason"),
    [
        ("percent_off_order", {"percent_bp": 0}, "params.percent_bp", "out_of_range"),
        ("percent_off_order", {"percent_bp": 10001}, "params.percent_bp", "out_of_range"),
        ("amount_off_order", {"amount_minor": 0}, "params.amount_minor", "out_of_range"),
        ("percent_off_items", {"percent_bp": 10, "skus": "a"}, "params.skus", "not_a_list"),
        ("percent_off_items", {"percent_bp": 10, "skus": [1]}, "params.skus[0]", "not_a_string"),
        ("volume_discount", {"min_quantity": 3}, "params", "one_of"),
        (
            "volume_discount",
            {"min_quantity": 3, "percent_bp": 10, "unit_price_minor": 1},
            "params",
            "one_of",
        ),
        ("bundle", {"sets": []}, "params.sets", "empty"),
        ("bundle", {"sets": [{"skus": ["a"]}]}, "params.sets[0]", "one_of"),
        (
            "bundle",
            {"sets": [{"skus": ["a"], "price_minor": 1, "percent_bp": 1}]},
            "params.sets[0]",
            "one_of",
        ),
        (
            "bundle",
            {"sets": [{"skus": ["a"], "price_minor": 1, "x": 1}]},
            "params.sets[0].x",
            "unknown_key",
        ),
        ("free_item", {"quantity": 1}, "params.sku", "required"),
        ("gift", {"sku": "a"}, "params.description", "required"),
        ("message", {"template": ""}, "params.template", "empty"),
        ("next_order_coupon", {"valid_days": 3}, "params", "one_of"),
        ("next_order_coupon", {"percent_bp": 10}, "params.valid_days", "required"),
        ("tier_discount", {"tiers": {}}, "params.tiers", "empty"),
        ("tier_discount", {"tiers": {"gold": 0}}, "params.tiers.gold", "out_of_range"),
        ("tier_discount", {"tiers": ["gold"]}, "params.tiers", "not_an_object"),
        (
            "referral_reward",
            {"steps": [[3, 1000], [1, 2000]]},
            "params.steps[1][0]",
            "not_increasing",
        ),
        ("referral_reward", {"steps": [[3]]}, "params.steps[0]", "out_of_range"),
        (
            "points_per_amount",
            {"points": 1, "per_amount_minor": 0},
            "params.per_amount_minor",
            "out_of_range",
        ),
        (
            "points_per_amount",
            {"points": 1, "per_amount_minor": 100, "rounding": "floor"},
            "params.rounding",
            "unknown_type",
        ),
        ("points_multiplier", {"multiplier_bp": 10000}, "params.multiplier_bp", "out_of_range"),
        ("bonus_points", {"points": -1}, "params.points", "out_of_range"),
        ("cashback_percent", {}, "params.percent_bp", "required"),
    ],
)
def test_param_validation(kind, params, path, reason):
    with pytest.raises(RuleError) as caught:
        BENEFITS[kind].validate(params)
    assert (caught.value.path, caught.value.reason) == (path, reason)


def test_params_must_be_an_object():
    with pytest.raises(RuleError) as caught:
        BENEFITS["gift"].validate(["a"])
    assert caught.value.reason == "not_an_object"


def test_every_benefit_validates_a_good_example():
    examples = {
        "percent_off_order": {"percent_bp": 1500},
        "amount_off_order": {"amount_minor": 100},
        "percent_off_items": {"percent_bp": 1500, "categories": ["c"]},
        "amount_off_items": {"amount_minor": 100, "skus": ["a"]},
        "volume_discount": {"min_quantity": 3, "percent_bp": 1000},
        "bundle": {"sets": [{"skus": ["a", "b"], "price_minor": 100}]},
        "free_item": {"sku": "a"},
        "gift": {"description": "Mug"},
        "message": {"template": "t"},
        "next_order_coupon": {"percent_bp": 1000, "valid_days": 30},
        "tier_discount": {"tiers": {"gold": 1000}},
        "referral_reward": {"steps": [[1, 1000]]},
        "points_per_amount": {"points": 1, "per_amount_minor": 10000},
        "points_multiplier": {"multiplier_bp": 20000},
        "bonus_points": {"points": 10},
        "cashback_percent": {"percent_bp": 500},
    }
    assert set(examples) == set(BENEFITS)
    for kind, params in examples.items():
        BENEFITS[kind].validate(params)
        result = evaluate(
            cart(line("a", 2, 10000, "c"), line("b", 1, 5000)),
            customer(tier="gold", referrals_converted=1),
            [
                promo(1, kind, params),
                promo(2, "points_per_amount", {"points": 1, "per_amount_minor": 100}),
            ],
            ctx(),
        )
        assert 1 in applied_ids(result), (kind, result.rejected)
