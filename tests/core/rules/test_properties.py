"""Properties of `evaluate` over generated carts, customers and promotions (hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.rules import NAIROBI, TZ
from wateja.core.rules import Cart, Context, CustomerFacts, Line, Promotion, evaluate
from wateja.core.rules.index import PromotionIndex
from wateja.core.rules.model import Budget, Schedule

SKUS = ["a", "b", "c", "d", "e"]
CATEGORIES = ["x", "y"]

sku = st.sampled_from(SKUS)
category = st.sampled_from(CATEGORIES)
percent = st.integers(1, 10_000)
amount = st.integers(1, 60_000)
scope = st.fixed_dictionaries(
    {},
    optional={
        "skus": st.lists(sku, min_size=1, max_size=3, unique=True),
        "categories": st.lists(category, min_size=1, max_size=2, unique=True),
    },
)


def with_scope(**fields):
    return st.builds(lambda s, f: {**s, **f}, scope, st.fixed_dictionaries(fields))


bundle_set = st.fixed_dictionaries(
    {"skus": st.lists(sku, min_size=1, max_size=3)},
    optional={"quantity": st.integers(1, 2)},
).flatmap(
    lambda s: st.one_of(
        st.builds(lambda p: {**s, "price_minor": p}, st.integers(0, 60_000)),
        st.builds(lambda p: {**s, "percent_bp": p}, percent),
    )
)

BENEFIT = st.one_of(
    st.tuples(st.just("percent_off_order"), st.fixed_dictionaries({"percent_bp": percent})),
    st.tuples(st.just("amount_off_order"), st.fixed_dictionaries({"amount_minor": amount})),
    st.tuples(st.just("percent_off_items"), with_scope(percent_bp=percent)),
    st.tuples(st.just("amount_off_items"), with_scope(amount_minor=st.integers(1, 20_000))),
    st.tuples(
        st.just("volume_discount"),
        st.one_of(
            with_scope(min_quantity=st.integers(1, 6), percent_bp=percent),
            with_scope(min_quantity=st.integers(1, 6), unit_price_minor=st.integers(0, 30_000)),
        ),
    ),
    st.tuples(
        st.just("bundle"),
        st.fixed_dictionaries({"sets": st.lists(bundle_set, min_size=1, max_size=3)}),
    ),
    st.tuples(
        st.just("free_item"),
        st.fixed_dictionaries(
            {"sku": sku},
            optional={"quantity": st.integers(1, 3), "value_minor": st.integers(0, 30_000)},
        ),
    ),
    st.tuples(st.just("gift"), st.just({"description": "Mug"})),
    st.tuples(st.just("message"), st.just({"template": "thanks"})),
    st.tuples(st.just("next_order_coupon"), st.just({"percent_bp": 1000, "valid_days": 30})),
    st.tuples(st.just("tier_discount"), st.just({"tiers": {"gold": 1000, "silver": 500}})),
    st.tuples(st.just("referral_reward"), st.just({"steps": [[1, 1000], [3, 2000]]})),
    st.tuples(
        st.just("points_per_amount"),
        with_scope(points=st.integers(1, 5), per_amount_minor=st.sampled_from([100, 10_000])),
    ),
    st.tuples(st.just("points_multiplier"), with_scope(multiplier_bp=st.integers(10_001, 40_000))),
    st.tuples(st.just("bonus_points"), st.fixed_dictionaries({"points": st.integers(1, 100)})),
    st.tuples(st.just("cashback_percent"), st.fixed_dictionaries({"percent_bp": percent})),
)

CONDITION = st.one_of(
    st.none(),
    st.builds(lambda n: {"type": "min_subtotal", "amount_minor": n}, st.integers(1, 100_000)),
    st.builds(lambda s: {"type": "has_items", "skus": [s]}, sku),
    st.builds(lambda s: {"type": "min_quantity", "quantity": 2, "sku": s}, sku),
    st.just({"type": "member"}),
    st.just({"type": "flag", "name": "own_cup"}),
    st.just({"any": [{"type": "member"}, {"type": "flag", "name": "own_cup"}]}),
    st.just({"not": {"type": "nth_purchase", "n": 1}}),
    st.builds(lambda s: {"type": "bundle_present", "skus": [s, "a"]}, sku),
)


@st.composite
def promotions(draw):
    specs = draw(st.lists(BENEFIT, max_size=8))
    out = []
    for pid, (kind, params) in enumerate(specs, start=1):
        out.append(
            Promotion(
                id=pid,
                name=f"P{pid}",
                type=kind,
                params=params,
                conditions=draw(CONDITION),
                priority=draw(st.integers(-1, 2)),
                exclusive_group=draw(st.sampled_from(["", "", "g1", "g2"])),
                stackable=draw(st.sampled_from([True, True, True, False])),
                max_discount_minor=draw(st.one_of(st.none(), st.integers(0, 30_000))),
                code=draw(st.sampled_from(["", "", "", "KARIBU"])),
                budget=Budget(
                    uses_left=draw(st.one_of(st.none(), st.integers(0, 2))),
                    amount_left_minor=draw(st.one_of(st.none(), st.integers(0, 40_000))),
                ),
                schedule=draw(st.sampled_from([Schedule(), Schedule(weekdays=frozenset({1, 2}))])),
            )
        )
    return out


line = st.builds(
    Line,
    sku=sku,
    quantity=st.integers(0, 4),
    unit_price_minor=st.integers(0, 50_000),
    category=st.sampled_from(["x", "y", ""]),
    weight_grams=st.integers(0, 500),
)
carts = st.one_of(
    st.builds(lambda ls: Cart("KES", tuple(ls)), st.lists(line, max_size=6)),
    st.builds(lambda t: Cart("KES", (), total_only_minor=t), st.integers(0, 500_000)),
)
customers = st.one_of(
    st.none(),
    st.builds(
        CustomerFacts,
        id=st.just(1),
        is_member=st.booleans(),
        tier=st.sampled_from(["", "gold", "silver"]),
        purchase_count=st.integers(0, 6),
        referrals_converted=st.integers(0, 4),
    ),
)
contexts = st.builds(
    Context,
    now=st.sampled_from(
        [
            dt.datetime(2026, 3, 10, 12, tzinfo=NAIROBI),
            dt.datetime(2026, 3, 14, 8, tzinfo=NAIROBI),
        ]
    ),
    timezone=st.just(TZ),
    codes=st.sampled_from([(), ("KARIBU",)]),
    flags=st.sampled_from([frozenset(), frozenset({"own_cup"})]),
)

FAST = settings(max_examples=300, deadline=None)


@FAST
@given(carts, customers, promotions(), contexts)
def test_money_adds_up(cart, customer, promos, context):
    result = evaluate(cart, customer, promos, context)
    assert result.subtotal_minor == cart.subtotal_minor
    assert result.total_minor == result.subtotal_minor - result.discount_minor
    assert result.total_minor >= 0
    assert result.discount_minor == sum(a.discount_minor for a in result.applied)
    if cart.lines:
        assert len(result.line_discounts_minor) == len(cart.lines)
        assert sum(result.line_discounts_minor) == result.discount_minor
        for discount, item in zip(result.line_discounts_minor, cart.lines, strict=True):
            assert 0 <= discount <= item.total_minor  # no line below zero
    else:
        assert result.line_discounts_minor == ()
    assert result.points >= 0 and result.cashback_minor >= 0


@FAST
@given(carts, customers, promotions(), contexts)
def test_each_promotion_is_reported_once(cart, customer, promos, context):
    result = evaluate(cart, customer, promos, context)
    ids = [a.promotion_id for a in result.applied] + [r.promotion_id for r in result.rejected]
    assert len(ids) == len(set(ids))
    for p in promos:
        if not (p.code and p.code not in context.codes):
            assert p.id in ids
        else:
            assert p.id not in ids  # a code not entered is never revealed


@FAST
@given(carts, customers, promotions(), contexts, st.randoms(use_true_random=False))
def test_deterministic_and_independent_of_input_order(cart, customer, promos, context, rnd):
    first = evaluate(cart, customer, promos, context)
    assert evaluate(cart, customer, promos, context) == first
    shuffled = list(promos)
    rnd.shuffle(shuffled)
    assert evaluate(cart, customer, shuffled, context) == first


@FAST
@given(carts, customers, promotions(), contexts)
def test_index_gives_the_same_result_and_fewer_rejections(cart, customer, promos, context):
    plain = evaluate(cart, customer, promos, context)
    indexed = evaluate(cart, customer, PromotionIndex(promos), context)
    assert dataclasses.replace(indexed, rejected=()) == dataclasses.replace(plain, rejected=())
    assert all(r in plain.rejected for r in indexed.rejected)


def test_a_group_member_the_cart_cannot_trigger_does_not_move_when_the_group_is_decided():
    # found by the property above: an items offer with no item in the cart is left out by the
    # index, so the group must be decided where its first member that can apply is reached,
    # after the 0.04% ungrouped offer; the 0.64% offer then takes 10.50 -> 10 off 1,640
    def offer(pid, kind, params, group):
        return Promotion(id=pid, name=f"P{pid}", type=kind, params=params, exclusive_group=group)

    promos = [
        offer(1, "percent_off_items", {"skus": ["a"], "percent_bp": 1}, "g1"),
        offer(2, "percent_off_order", {"percent_bp": 4}, ""),
        offer(3, "percent_off_order", {"percent_bp": 64}, "g1"),
    ]
    cart = Cart("KES", (), total_only_minor=1641)
    context = Context(now=dt.datetime(2026, 3, 10, 12, tzinfo=NAIROBI), timezone=TZ)
    plain = evaluate(cart, None, promos, context)
    indexed = evaluate(cart, None, PromotionIndex(promos), context)
    assert [(a.promotion_id, a.discount_minor) for a in plain.applied] == [(2, 1), (3, 10)]
    assert dataclasses.replace(indexed, rejected=()) == dataclasses.replace(plain, rejected=())


odd_line = st.builds(
    Line,
    sku=sku,
    quantity=st.integers(-3, 4),
    unit_price_minor=st.integers(-5_000, 50_000),
    category=st.sampled_from(["x", "y", ""]),
    weight_grams=st.integers(-10, 500),
)
odd_contexts = st.builds(
    Context,
    now=st.datetimes(
        min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)
    ),  # naive: taken as UTC
    timezone=st.sampled_from([TZ, "UTC", "Asia/Yerevan", "Nowhere/Atlantis", ""]),
    codes=st.sampled_from([(), ("karibu",), ("KARIBU", "KARIBU")]),
)
odd_customers = st.one_of(
    st.none(),
    st.builds(
        CustomerFacts,
        id=st.just(1),
        purchase_count=st.integers(-1, 6),
        birth_month=st.one_of(st.none(), st.integers(-1, 14)),
        birth_day=st.one_of(st.none(), st.integers(-1, 33)),
        first_purchase_at=st.one_of(st.none(), st.datetimes()),
        last_purchase_at=st.one_of(st.none(), st.datetimes()),
        card_issued_at=st.one_of(st.none(), st.datetimes()),
        referral_rewards_used=st.integers(-1, 5),
    ),
)


@FAST
@given(
    st.builds(lambda ls: Cart("KES", tuple(ls)), st.lists(odd_line, max_size=6)),
    odd_customers,
    promotions(),
    odd_contexts,
)
def test_never_raises_on_odd_but_typed_input(cart, customer, promos, context):
    result = evaluate(cart, customer, promos, context)
    assert result.total_minor == result.subtotal_minor - result.discount_minor
