"""Checkout end to end on the database: evaluate → reserve → commit → refund, with the
wallet, codes, budgets, coupons and referrals. Totals are computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.orders.conftest import sale
from wateja.core.errors import ValidationFailed
from wateja.orders.checkout import (
    ReservationExpired,
    checkout_commit,
    checkout_evaluate,
    checkout_release,
    checkout_reserve,
)
from wateja.orders.loyalty import referrals_qualify
from wateja.orders.models import Order
from wateja.orders.refunds import order_refund
from wateja.promotions.models import PromoCode, Redemption
from wateja.promotions.services import codes_issue, referral_attach, referral_code_for
from wateja.wallet.models import Account
from wateja.wallet.services import ledger_check, points_earn, wallet_settings


def points(customer):
    account = Account.objects.filter(customer=customer, kind="points").first()
    return account.balance if account else 0


def test_total_only_sale_earns_points_on_the_net_amount(business, customer, earn_rule, sell):
    order = sell(sale(total_minor=123_456), customer)
    assert order.total_minor == 123_456
    assert points(customer) == 12  # 1,234.56 KES → 12 points
    customer.refresh_from_db()
    assert customer.purchase_count == 1 and customer.total_spent_minor == 123_456
    assert ledger_check() == []


def test_second_purchase_discount_day_6_applies_day_8_does_not(
    business, customer, earn_rule, promo, sell
):
    promo(
        "percent_off_order",
        {"percent_bp": 1500},
        name="15% off your second visit",
        conditions={
            "all": [
                {"type": "nth_purchase", "n": 2},
                {"type": "within_days_of_first_purchase", "days": 7},
            ]
        },
    )
    first = timezone.now() - dt.timedelta(days=6)
    sell(sale(total_minor=100_000), customer, now=first)
    customer.refresh_from_db()
    result = checkout_evaluate(business=business, sale=sale(total_minor=100_000), customer=customer)
    assert result["discount_minor"] == 15_000 and result["total_minor"] == 85_000
    assert result["points_to_earn"] == 8  # on 850.00 after the discount

    late = customer.__class__.objects.get(pk=customer.pk)
    late.first_purchase_at = timezone.now() - dt.timedelta(days=8)
    late.save()
    result = checkout_evaluate(business=business, sale=sale(total_minor=100_000), customer=late)
    assert result["discount_minor"] == 0
    assert [r["code"] for r in result["rejected"]] == ["second_purchase_window_passed"]
    assert "7" in result["rejected"][0]["message"]


def test_threshold_code_applies_at_exactly_1000_not_999_99(business, customer, promo):
    offer = promo("amount_off_order", {"amount_minor": 10_000}, requires_code=True, name="100 off")
    codes_issue(promotion=offer, code="KARIBU", kind="reusable", min_subtotal_minor=100_000)
    ok = checkout_evaluate(
        business=business, sale=sale(total_minor=100_000, codes=("karibu",)), customer=customer
    )
    assert ok["discount_minor"] == 10_000
    short = checkout_evaluate(
        business=business, sale=sale(total_minor=99_999, codes=("KARIBU",)), customer=customer
    )
    assert short["discount_minor"] == 0
    assert short["rejected"][0]["code"] == "min_subtotal_not_met"
    assert "0.01" in short["rejected"][0]["message"]
    unknown = checkout_evaluate(
        business=business, sale=sale(total_minor=100_000, codes=("NOPE",)), customer=None
    )
    assert unknown["rejected"][0]["code"] == "code_unknown"


def test_one_time_code_is_used_once(business, customer, promo, sell):
    offer = promo("percent_off_order", {"percent_bp": 1000}, requires_code=True)
    code = codes_issue(promotion=offer, count=1)[0].code
    assert set(code) <= set("ACDEFGHJKMNPQRTUVWXY34679")
    sell(sale(total_minor=50_000, codes=(code,)), customer)
    again = checkout_evaluate(
        business=business, sale=sale(total_minor=50_000, codes=(code,)), customer=customer
    )
    assert again["discount_minor"] == 0 and again["rejected"][0]["code"] == "code_used"
    assert PromoCode.objects.get(code=code).uses_count == 1


def test_reserve_holds_a_one_time_code_against_a_second_till(business, customer, promo):
    offer = promo("percent_off_order", {"percent_bp": 1000}, requires_code=True)
    code = codes_issue(promotion=offer, count=1)[0].code
    checkout_reserve(
        business=business, key="till-1", sale=sale(total_minor=50_000, codes=(code,)), customer=None
    )
    second = checkout_evaluate(
        business=business, sale=sale(total_minor=50_000, codes=(code,)), customer=None
    )
    assert second["rejected"][0]["code"] == "code_used"
    checkout_release(business=business, key="till-1")
    third = checkout_evaluate(
        business=business, sale=sale(total_minor=50_000, codes=(code,)), customer=None
    )
    assert third["discount_minor"] == 5_000


def test_commit_is_idempotent_and_expired_reservations_are_refused(business, customer, earn_rule):
    now = timezone.now()
    checkout_reserve(
        business=business, key="k1", sale=sale(total_minor=20_000), customer=customer, now=now
    )
    first = checkout_commit(business=business, key="k1", now=now)
    assert checkout_commit(business=business, key="k1", now=now).pk == first.pk
    assert Order.objects.count() == 1 and points(customer) == 2
    checkout_reserve(
        business=business, key="k2", sale=sale(total_minor=20_000), customer=customer, now=now
    )
    with pytest.raises(ReservationExpired):
        checkout_commit(business=business, key="k2", now=now + dt.timedelta(minutes=16))
    assert Order.objects.count() == 1


def test_pay_with_points_holds_then_posts(business, customer, earn_rule, sell):
    points_earn(customer=customer, amount=300, idempotency_key="seed")
    result = checkout_evaluate(
        business=business, sale=sale(total_minor=100_000, points_to_spend=200), customer=customer
    )
    assert result["points_payment"] == {"points": 200, "value_minor": 20_000}  # 1 point = 1 KES
    assert result["payable_minor"] == 80_000
    checkout_reserve(
        business=business,
        key="pts",
        sale=sale(total_minor=100_000, points_to_spend=200),
        customer=customer,
    )
    account = Account.objects.get(customer=customer, kind="points")
    assert account.available == 100
    checkout_commit(business=business, key="pts")
    assert points(customer) == 300 - 200 + 8  # earned on the 800.00 paid in money
    assert ledger_check() == []


def test_bad_input_is_typed_and_writes_nothing(business, customer):
    bad = [
        sale(lines=({"sku": "A", "quantity": -1, "unit_price_minor": 100},)),
        sale(lines=({"sku": "A", "quantity": 1, "unit_price_minor": -100},)),
        sale(total_minor=-5),
        sale(),
    ]
    for sale_input in bad:
        with pytest.raises(ValidationFailed):
            checkout_evaluate(business=business, sale=sale_input, customer=customer)
    wrong = sale(total_minor=100)
    wrong = wrong.__class__(**{**wrong.__dict__, "currency": "USD"})
    with pytest.raises(ValidationFailed) as info:
        checkout_reserve(business=business, key="w", sale=wrong, customer=customer)
    assert info.value.code == "currency_mismatch"
    assert Order.objects.count() == 0 and Redemption.objects.count() == 0


def test_refund_reverses_points_in_proportion(business, customer, earn_rule, sell):
    order = sell(sale(total_minor=100_000), customer)
    assert points(customer) == 10
    order_refund(order=order, amount_minor=40_000, refund_id="r1")
    assert points(customer) == 6
    order_refund(order=order, amount_minor=40_000, refund_id="r1")  # same refund again
    assert points(customer) == 6
    order_refund(order=order, amount_minor=60_000, refund_id="r2")
    assert points(customer) == 0
    with pytest.raises(ValidationFailed):
        order_refund(order=order, amount_minor=1, refund_id="r3")
    assert Order.objects.get(pk=order.pk).status == "refunded"
    assert ledger_check() == []


def test_next_order_coupon_is_issued_and_only_for_that_customer(business, customer, promo, sell):
    coupon_offer = promo(
        "percent_off_order", {"percent_bp": 1000}, requires_code=True, name="10% next visit"
    )
    promo(
        "next_order_coupon",
        {"percent_bp": 1000, "valid_days": 14, "coupon_promotion_id": coupon_offer.pk},
        name="Coupon for next visit",
    )
    sell(sale(total_minor=50_000), customer)
    code = PromoCode.objects.get(issued_to=customer)
    assert code.kind == "single" and code.valid_until is not None
    mine = checkout_evaluate(
        business=business, sale=sale(total_minor=50_000, codes=(code.code,)), customer=customer
    )
    assert mine["discount_minor"] == 5_000
    other = checkout_evaluate(
        business=business, sale=sale(total_minor=50_000, codes=(code.code,)), customer=None
    )
    assert other["rejected"][0]["code"] == "code_not_yours"


def test_referral_counts_after_the_window_and_rewards_the_referrer(business, customer, promo, sell):
    from wateja.customers.services import customer_create

    promo("referral_reward", {"steps": [[1, 1000], [3, 2000], [5, 3000]]}, name="Referral thanks")
    settings_row = wallet_settings(business)
    settings_row.pending_days = 7  # the return window
    settings_row.save()
    friend = customer_create(business=business, name="Otieno", phone="0722000111")
    code = referral_code_for(customer).code
    with pytest.raises(Exception) as info:
        referral_attach(friend=customer, code=code)
    assert getattr(info.value, "code", "") == "self_referral"
    referral_attach(friend=friend, code=code)
    sell(sale(total_minor=30_000), friend)
    customer.refresh_from_db()
    assert referrals_qualify(business=business) == 0  # the return window is not over
    assert referrals_qualify(business=business, now=timezone.now() + dt.timedelta(days=8)) == 1
    reward = checkout_evaluate(business=business, sale=sale(total_minor=100_000), customer=customer)
    assert reward["discount_minor"] == 10_000
    sell(sale(total_minor=100_000), customer)
    customer.refresh_from_db()
    after = checkout_evaluate(business=business, sale=sale(total_minor=100_000), customer=customer)
    assert after["discount_minor"] == 0


def test_amount_budget_is_never_exceeded(business, promo, sell):
    promo("amount_off_order", {"amount_minor": 4_000}, budget_minor=10_000, name="Launch week")
    results = [sell(sale(total_minor=50_000)) for _ in range(4)]
    discounts = [o.discount_minor for o in results]
    assert sum(discounts) <= 10_000
    assert discounts == [4_000, 4_000, 2_000, 0]


def test_partner_coupon_from_a_pool_is_handed_out_with_the_order(business, customer, promo, sell):
    pool = promo(
        "percent_off_order",
        {"percent_bp": 500},
        activate=False,
        name="Ararat Travel",
        description="5% off a weekend trip",
    )
    codes_issue(promotion=pool, count=2, prefix="AT")
    promo(
        "gift",
        {"description": "Travel coupon", "partner_pool_id": pool.pk},
        conditions={"type": "min_subtotal", "amount_minor": 300_000},
    )
    small = sell(sale(total_minor=100_000), customer)
    assert small.checkout.evaluation.get("partner_coupons") is None
    first = sell(sale(total_minor=300_000), customer)
    second = sell(sale(total_minor=300_000), customer)
    third = sell(sale(total_minor=300_000), customer)
    handed = [o.checkout.evaluation.get("partner_coupons", []) for o in (first, second, third)]
    assert [len(h) for h in handed] == [1, 1, 0]  # the pool had two codes
    assert handed[0][0]["code"] != handed[1][0]["code"]
    assert PromoCode.objects.filter(promotion=pool, issued_to=customer).count() == 2


def test_points_become_a_donation_in_the_customers_name(business, customer):
    from wateja.customers.models import Interaction
    from wateja.wallet.services import points_donate

    points_earn(customer=customer, amount=200, idempotency_key="d0")
    points_donate(customer=customer, amount=150, cause="Nairobi Food Bank", idempotency_key="d1")
    assert points(customer) == 50
    assert Interaction.objects.filter(customer=customer, summary__contains="Food Bank").exists()
    assert ledger_check() == []


def test_tier_upgrade_at_once_gives_its_discount_and_segment(business, customer, sell):
    from wateja.customers.segments import segment_customers
    from wateja.promotions.services import tier_save

    tier_save(business=business, name="Silver", min_spend_minor=200_000, discount_bp=500)
    tier_save(business=business, name="Gold", min_spend_minor=500_000, discount_bp=1000)
    sell(sale(total_minor=250_000), customer)
    customer.refresh_from_db()
    assert list(segment_customers(business, {"tier": "silver"})) == [customer]
    result = checkout_evaluate(business=business, sale=sale(total_minor=100_000), customer=customer)
    assert result["discount_minor"] == 5_000
    sell(sale(total_minor=300_000), customer)
    customer.refresh_from_db()
    result = checkout_evaluate(business=business, sale=sale(total_minor=100_000), customer=customer)
    assert result["discount_minor"] == 10_000
