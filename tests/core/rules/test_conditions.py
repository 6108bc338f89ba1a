"""Condition leaves, their failure codes, the all/any/not tree and its validation."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.core.rules import NOW, at, cart, ctx, customer, line
from wateja.core.rules.conditions import (
    LEAVES,
    Facts,
    Failure,
    RuleError,
    Trigger,
    compile_condition,
    validate_condition,
)

ORDER = cart(
    line("latte", 2, 30000, "coffee", grams=300),
    line("croissant", 1, 15000, "bakery", grams=80),
)  # 75000, 3 units, 680 g


def check(tree, order=ORDER, buyer=None, context=None):
    facts = Facts.build(order, buyer, context or ctx())
    return compile_condition(tree).check(facts)


def leaf(kind, **params):
    return {"type": kind, **params}


# --------------------------------------------------------------------------------------------
# Cart leaves


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        (leaf("min_subtotal", amount_minor=75000), None),
        (
            leaf("min_subtotal", amount_minor=100000),
            Failure("min_subtotal_not_met", {"missing_minor": 25000, "required_minor": 100000}),
        ),
        (leaf("min_quantity", quantity=3), None),
        (
            leaf("min_quantity", quantity=5),
            Failure("min_quantity_not_met", {"missing": 2, "required": 5}),
        ),
        (
            leaf("min_quantity", quantity=4, sku="latte"),
            Failure("min_quantity_not_met", {"missing": 2, "required": 4, "sku": "latte"}),
        ),
        (leaf("min_quantity", quantity=1, category="bakery"), None),
        (
            leaf("min_quantity", quantity=2, category="bakery"),
            Failure("min_quantity_not_met", {"missing": 1, "required": 2, "category": "bakery"}),
        ),
        (leaf("min_weight", grams=680), None),
        (
            leaf("min_weight", grams=880),
            Failure("min_weight_not_met", {"missing_grams": 200, "required_grams": 880}),
        ),
        (leaf("has_items", skus=["tea", "latte"]), None),
        (leaf("has_items", categories=["bakery"]), None),
        (
            leaf("has_items", skus=["tea"], categories=["juice"]),
            Failure("items_missing", {"skus": ["tea"], "categories": ["juice"]}),
        ),
        (leaf("bundle_present", skus=["latte", "croissant"]), None),
        (
            leaf("bundle_present", skus=["latte", "juice", "cake"]),
            Failure("bundle_incomplete", {"missing_skus": ["cake", "juice"]}),
        ),
    ],
)
def test_cart_leaves(tree, expected):
    assert check(tree) == expected


def test_min_quantity_ignores_zero_quantity_lines():
    order = cart(line("latte", 0, 30000))
    assert check(leaf("has_items", skus=["latte"]), order) is not None


# --------------------------------------------------------------------------------------------
# Customer leaves


@pytest.mark.parametrize(
    ("tree", "buyer", "expected"),
    [
        (leaf("member"), customer(), None),
        (leaf("member"), customer(is_member=False), Failure("not_a_member")),
        (leaf("member"), None, Failure("not_a_member")),
        (leaf("tier_in", tiers=["gold"]), customer(tier="gold"), None),
        (
            leaf("tier_in", tiers=["gold", "silver"]),
            customer(tier="bronze"),
            Failure("tier_required", {"tiers": ["gold", "silver"]}),
        ),
        (leaf("has_tag", tag="vip"), customer(tags=frozenset({"vip"})), None),
        (leaf("has_tag", tag="vip"), None, Failure("tag_missing", {"tag": "vip"})),
        (leaf("in_segment", segment_id=4), customer(segments=frozenset({4})), None),
        (
            leaf("in_segment", segment_id=4),
            customer(segments=frozenset({5})),
            Failure("not_in_segment", {"segment_ids": [4]}),
        ),
        (leaf("nth_purchase", n=1), customer(purchase_count=0), None),
        (
            leaf("nth_purchase", n=1),
            customer(purchase_count=3),
            Failure("not_first_purchase", {"n": 1, "purchase_number": 4}),
        ),
        (
            leaf("nth_purchase", n=2),
            customer(purchase_count=0),
            Failure("not_second_purchase", {"n": 2, "purchase_number": 1}),
        ),
        (
            leaf("nth_purchase", n=10),
            customer(purchase_count=3),
            Failure("not_nth_purchase", {"n": 10, "purchase_number": 4}),
        ),
        (leaf("nth_purchase", n=1), None, Failure("customer_required")),
        (leaf("nth_visit_every", n=3), customer(purchase_count=5), None),
        (
            leaf("nth_visit_every", n=3),
            customer(purchase_count=6),
            Failure("not_nth_visit", {"n": 3, "visits_to_go": 2}),
        ),
        (leaf("within_days_of_first_purchase", days=7), customer(), None),
        (
            leaf("days_since_last_purchase_gte", days=30),
            customer(last_purchase_at=NOW - dt.timedelta(days=30)),
            None,
        ),
        (
            leaf("days_since_last_purchase_gte", days=30),
            customer(last_purchase_at=NOW - dt.timedelta(days=29)),
            Failure("too_soon_since_last_purchase", {"days": 30, "days_since": 29}),
        ),
        (
            leaf("days_since_last_purchase_gte", days=30),
            customer(),
            Failure("no_previous_purchase"),
        ),
        (leaf("days_since_last_purchase_gte", days=30), None, Failure("customer_required")),
        (
            leaf("card_anniversary_within_days", days=3),
            customer(card_issued_at=at(2025, 3, 12)),
            None,
        ),
        (
            leaf("card_anniversary_within_days", days=3),
            customer(card_issued_at=at(2026, 3, 9)),  # issued yesterday: not an anniversary
            Failure("not_card_anniversary", {"days": 3}),
        ),
        (
            leaf("card_anniversary_within_days", days=3),
            customer(),
            Failure("not_card_anniversary", {"days": 3}),
        ),
        (
            leaf("birthday_within_days", days=7),
            customer(birth_month=3, birth_day=17),
            None,
        ),
        (
            leaf("birthday_within_days", days=7),
            customer(birth_month=3, birth_day=18),
            Failure("not_birthday_period", {"days": 7}),
        ),
        (
            leaf("birthday_within_days", days=7),
            customer(birth_month=13, birth_day=1),  # bad data never raises
            Failure("birthday_unknown"),
        ),
    ],
)
def test_customer_leaves(tree, buyer, expected):
    assert check(tree, buyer=buyer) == expected


def test_an_impossible_birthday_never_matches_and_never_raises():
    # impossible dates (bad imports) do not raise; they simply never match
    buyer = customer(birth_month=4, birth_day=31)
    assert check(leaf("birthday_within_days", days=30), buyer=buyer) == Failure("birthday_unknown")


def test_card_anniversary_of_29_february():
    buyer = customer(card_issued_at=at(2024, 2, 29))
    on = ctx(at(2025, 2, 28))
    assert check(leaf("card_anniversary_within_days", days=0), buyer=buyer, context=on) is None


# --------------------------------------------------------------------------------------------
# Context leaves


@pytest.mark.parametrize(
    ("tree", "context", "expected"),
    [
        (leaf("channel_in", channels=["store", "online"]), ctx(), None),
        (
            leaf("channel_in", channels=["online", "ussd"]),
            ctx(),
            Failure("wrong_channel", {"channels": ["online", "ussd"], "channel": "store"}),
        ),
        (leaf("location_in", locations=[3]), ctx(location_id=3), None),
        (
            leaf("location_in", locations=[3, 1]),
            ctx(),
            Failure("wrong_location", {"locations": [1, 3]}),
        ),
        (leaf("flag", name="own_cup"), ctx(flags={"own_cup"}), None),
        (leaf("flag", name="own_cup"), ctx(), Failure("flag_missing", {"flag": "own_cup"})),
        (leaf("time_between", from_hour=12, to_hour=14), ctx(), None),
        (
            leaf("time_between", from_hour=7, to_hour=12),
            ctx(),
            Failure("outside_schedule", {"from_hour": 7, "to_hour": 12}),
        ),
        (leaf("time_between", from_hour=20, to_hour=24), ctx(at(2026, 3, 10, 23)), None),
        (leaf("time_between", from_hour=22, to_hour=6), ctx(at(2026, 3, 10, 3)), None),
        (leaf("weekday_in", days=[1, 3]), ctx(), None),
        (
            leaf("weekday_in", days=[5, 6]),
            ctx(),
            Failure("outside_schedule", {"weekdays": [5, 6]}),
        ),
    ],
)
def test_context_leaves(tree, context, expected):
    assert check(tree, context=context) == expected


def test_hours_are_local():
    # 10:00 UTC is 13:00 in Nairobi
    utc_ten = dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC)
    assert check(leaf("time_between", from_hour=13, to_hour=14), context=ctx(utc_ten)) is None


# --------------------------------------------------------------------------------------------
# The tree


def test_all_reports_the_first_failure():
    tree = {"all": [leaf("min_subtotal", amount_minor=1), leaf("member"), leaf("flag", name="x")]}
    assert check(tree) == Failure("not_a_member")
    assert check({"all": []}) is None


def test_any_passes_if_one_passes_and_reports_the_first_failure_otherwise():
    tree = {"any": [leaf("member"), leaf("flag", name="own_cup")]}
    assert check(tree, context=ctx(flags={"own_cup"})) is None
    assert check(tree) == Failure("not_a_member")


def test_not():
    assert check({"not": leaf("member")}) is None
    assert check({"not": leaf("member")}, buyer=customer()) == Failure("condition_not_met")


def test_nested_tree():
    tree = {
        "all": [
            {"any": [leaf("tier_in", tiers=["gold"]), leaf("has_tag", tag="staff")]},
            {"not": leaf("flag", name="no_promo")},
        ]
    }
    assert check(tree, buyer=customer(tags=frozenset({"staff"}))) is None
    assert check(tree, buyer=customer(tier="gold"), context=ctx(flags={"no_promo"})) == Failure(
        "condition_not_met"
    )


# --------------------------------------------------------------------------------------------
# Triggers (what the index keys a condition by)


def test_triggers():
    assert compile_condition(leaf("member")).trigger is None
    assert compile_condition(leaf("has_items", skus=["a"], categories=["c"])).trigger == Trigger(
        frozenset({"a"}), frozenset({"c"})
    )
    assert compile_condition(leaf("bundle_present", skus=["b", "a"])).trigger == Trigger(
        frozenset({"a"})
    )
    tightest = {
        "all": [leaf("has_items", skus=["a", "b"]), leaf("min_quantity", quantity=2, sku="c")]
    }
    assert compile_condition(tightest).trigger == Trigger(frozenset({"c"}))
    union = {"any": [leaf("has_items", skus=["a"]), leaf("min_quantity", quantity=2, category="k")]}
    assert compile_condition(union).trigger == Trigger(frozenset({"a"}), frozenset({"k"}))
    loose = {"any": [leaf("has_items", skus=["a"]), leaf("member")]}
    assert compile_condition(loose).trigger is None
    assert compile_condition({"not": leaf("has_items", skus=["a"])}).trigger is None


# --------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("tree", "path", "reason"),
    [
        ([], "conditions", "not_an_object"),
        ({}, "conditions", "one_of"),
        ({"all": [], "any": []}, "conditions", "one_of"),
        ({"both": []}, "conditions.both", "unknown_key"),
        ({"all": "x"}, "conditions.all", "not_a_list"),
        ({"any": []}, "conditions.any", "empty"),
        ({"type": "nope"}, "conditions.type", "unknown_type"),
        ({"type": "member", "x": 1}, "conditions.x", "unknown_key"),
        ({"type": "min_subtotal"}, "conditions.amount_minor", "required"),
        ({"type": "min_subtotal", "amount_minor": 0}, "conditions.amount_minor", "out_of_range"),
        ({"type": "min_subtotal", "amount_minor": 1.5}, "conditions.amount_minor", "not_an_int"),
        ({"all": [{"type": "flag", "name": ""}]}, "conditions.all[0].name", "empty"),
        ({"type": "flag", "name": 3}, "conditions.name", "not_a_string"),
        (
            {"type": "min_quantity", "quantity": 1, "sku": "a", "category": "b"},
            "conditions",
            "one_of",
        ),
        ({"type": "has_items"}, "conditions", "one_of"),
        ({"type": "weekday_in", "days": [7]}, "conditions.days[0]", "out_of_range"),
        ({"type": "weekday_in", "days": []}, "conditions.days", "empty"),
        (
            {"type": "time_between", "from_hour": 5, "to_hour": 5},
            "conditions.to_hour",
            "out_of_range",
        ),
        ({"type": "nth_visit_every", "n": 1}, "conditions.n", "out_of_range"),
        ({"type": "tier_in", "tiers": "gold"}, "conditions.tiers", "not_a_list"),
    ],
)
def test_validation_errors(tree, path, reason):
    with pytest.raises(RuleError) as caught:
        validate_condition(tree)
    assert (caught.value.path, caught.value.reason) == (path, reason)
    assert caught.value.code == "invalid_promotion"


def test_deep_and_large_trees_are_refused():
    deep: dict = leaf("member")
    for _ in range(10):
        deep = {"not": deep}
    with pytest.raises(RuleError, match="too_deep"):
        validate_condition(deep)
    with pytest.raises(RuleError, match="too_large"):
        validate_condition({"all": [leaf("member")] * 300})


def test_every_leaf_is_documented_and_tested():
    documented = set(LEAVES)
    assert documented == {
        "min_subtotal",
        "min_quantity",
        "min_weight",
        "has_items",
        "bundle_present",
        "member",
        "tier_in",
        "has_tag",
        "in_segment",
        "nth_purchase",
        "nth_visit_every",
        "within_days_of_first_purchase",
        "days_since_last_purchase_gte",
        "birthday_within_days",
        "card_anniversary_within_days",
        "channel_in",
        "location_in",
        "flag",
        "time_between",
        "weekday_in",
    }
