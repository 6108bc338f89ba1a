"""The promotion index: only what a cart can trigger is looked at."""

from __future__ import annotations

from tests.core.rules import applied_ids, cart, codes_of, ctx, line, promo
from wateja.core.rules import evaluate
from wateja.core.rules.engine import PromotionIndex

ALWAYS = promo(1, "percent_off_order", {"percent_bp": 1000})
BY_SKU = promo(2, "percent_off_items", {"percent_bp": 1000, "skus": ["latte"]})
BY_CATEGORY = promo(3, "amount_off_items", {"amount_minor": 100, "categories": ["bakery"]})
BY_CODE = promo(4, "amount_off_order", {"amount_minor": 500}, code="Jambo")
BY_CONDITION = promo(
    5, "gift", {"description": "Mug"}, conditions={"type": "has_items", "skus": ["mug-promo"]}
)
BY_BUNDLE = promo(6, "bundle", {"sets": [{"skus": ["pilau", "salad"], "price_minor": 1}]})
FREE_ITEM = promo(7, "free_item", {"sku": "coffee"})  # handed over even if not in the cart
BATCH = promo(8, "amount_off_order", {"amount_minor": 100}, codes=frozenset({"X1", "X2"}))
TIGHTEST = promo(
    9,
    "percent_off_items",
    {"percent_bp": 1000, "categories": ["coffee", "tea", "juice"]},
    conditions={"type": "min_quantity", "quantity": 2, "sku": "latte"},
)
INVALID = promo(10, "percent_off_order", {"percent_bp": 0})
ALL = [ALWAYS, BY_SKU, BY_CATEGORY, BY_CODE, BY_CONDITION, BY_BUNDLE, FREE_ITEM, BATCH, TIGHTEST]


def ids(promotions):
    return [p.id for p in promotions]


def test_an_unrelated_cart_sees_only_the_general_promotions():
    index = PromotionIndex(ALL)
    assert ids(index.candidates(cart(line("soap", 1, 100, "home")), ctx())) == [1, 7]


def test_skus_categories_and_codes_bring_in_their_promotions():
    index = PromotionIndex(ALL)
    order = cart(line("latte", 1, 100, "coffee"), line("bun", 1, 100, "bakery"))
    assert ids(index.candidates(order, ctx())) == [1, 2, 3, 7, 9]
    assert ids(index.candidates(order, ctx(codes=["JAMBO", "X2"]))) == [1, 2, 3, 4, 7, 8, 9]
    mugs_and_pilau = cart(line("mug-promo", 1, 1), line("pilau", 1, 1))
    assert ids(index.candidates(mugs_and_pilau, ctx())) == [1, 5, 6, 7]
    # a bundle is keyed by one sku of each set: salad alone cannot complete pilau + salad
    assert ids(index.candidates(cart(line("salad", 1, 1)), ctx())) == [1, 7]


def test_a_promotion_is_keyed_by_its_tightest_need():
    index = PromotionIndex([TIGHTEST])
    # the benefit needs coffee, tea or juice; the condition needs latte: latte is the key
    assert index.candidates(cart(line("x", 1, 1, "coffee")), ctx()) == []
    assert ids(index.candidates(cart(line("latte", 2, 1, "coffee")), ctx())) == [9]


def test_total_only_carts_skip_item_promotions():
    index = PromotionIndex(ALL)
    assert ids(index.candidates(cart(total=1000), ctx())) == [1, 7]


def test_candidates_are_in_engine_order():
    low = promo(20, "percent_off_order", {"percent_bp": 10}, priority=-5)
    high = promo(30, "percent_off_order", {"percent_bp": 10}, priority=5)
    index = PromotionIndex([low, ALWAYS, high, BY_SKU])
    assert ids(index.candidates(cart(line("latte", 1, 1)), ctx())) == [30, 1, 2, 20]


def test_invalid_promotions_are_listed_and_rejected_not_raised():
    index = PromotionIndex([*ALL, INVALID])
    assert [(p.id, e.path) for p, e in index.invalid] == [(10, "params.percent_bp")]
    result = evaluate(cart(line("soap", 1, 10000)), None, index, ctx())
    assert codes_of(result) == {10: "invalid_promotion"}
    assert applied_ids(result) == [1, 7]


def test_evaluate_with_an_index_reports_only_candidates():
    order = cart(line("soap", 1, 10000))
    plain = evaluate(order, None, ALL, ctx())
    indexed = evaluate(order, None, PromotionIndex(ALL), ctx())
    assert (plain.total_minor, applied_ids(plain)) == (indexed.total_minor, applied_ids(indexed))
    assert set(codes_of(plain)) == {2, 3, 5, 6, 9}
    assert codes_of(indexed) == {}


def test_index_len_and_iteration():
    index = PromotionIndex(ALL)
    assert len(index) == len(ALL)
    assert sorted(ids(index)) == sorted(ids(ALL))


def test_with_budgets_gives_a_view_with_what_is_left_now():
    from wateja.core.rules.model import Budget

    index = PromotionIndex(ALL)
    order = cart(line("soap", 1, 100000))
    spent = index.with_budgets({1: Budget(uses_left=0), 999: Budget(uses_left=0)})
    assert codes_of(evaluate(order, None, spent, ctx())) == {1: "usage_limit_reached"}
    capped = index.with_budgets({1: Budget(amount_left_minor=500)})
    assert evaluate(order, None, capped, ctx()).discount_minor == 500
    # the index itself is unchanged
    assert evaluate(order, None, index, ctx()).discount_minor == 10000
    assert index.candidates(order, ctx()) == [ALWAYS, FREE_ITEM]
