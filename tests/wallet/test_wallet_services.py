"""Wallet services on a real database: every operation, its idempotency, its refusals, and
the ledger staying consistent (wateja check-ledger finds nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from tests.wallet.conftest import balance
from wateja.customers.merging import customer_merge
from wateja.customers.privacy import customer_erase
from wateja.tenants.models import AuditEvent
from wateja.wallet import services as wallet
from wateja.wallet.models import Lot, Operation, Transfer
from wateja.wallet.services import (
    AmountInvalid,
    IdempotencyKeyReused,
    InsufficientBalance,
    WalletNotAllowed,
    ledger_check,
    wallet_settings,
)


def settings_for(business, **values):
    row = wallet_settings(business)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def test_earn_then_spend(customer, key):
    wallet.points_earn(customer=customer, amount=120, idempotency_key=key())
    posting = wallet.balance_spend(customer=customer, amount=50, idempotency_key=key())
    assert posting.balances[f"{customer.pk}:points"] == 70
    assert balance(customer) == 70
    assert ledger_check() == []


def test_spending_more_than_the_balance_is_refused_and_writes_nothing(customer, key):
    wallet.points_earn(customer=customer, amount=10, idempotency_key=key())
    before = Transfer.objects.count()
    with pytest.raises(InsufficientBalance) as info:
        wallet.balance_spend(customer=customer, amount=11, idempotency_key=key())
    assert info.value.details["available"] == 10
    assert Transfer.objects.count() == before
    assert balance(customer) == 10


@pytest.mark.parametrize("amount", [0, -5, 10**12])
def test_bad_amounts_are_refused(customer, key, amount):
    with pytest.raises(AmountInvalid):
        wallet.points_earn(customer=customer, amount=amount, idempotency_key=key())
    assert Operation.objects.count() == 0


def test_same_key_returns_the_first_result(customer, key):
    k = key()
    first = wallet.points_earn(customer=customer, amount=40, idempotency_key=k)
    again = wallet.points_earn(customer=customer, amount=40, idempotency_key=k)
    assert again.replayed and again.operation_id == first.operation_id
    assert again.transfers == first.transfers
    assert balance(customer) == 40
    with pytest.raises(IdempotencyKeyReused):
        wallet.points_earn(customer=customer, amount=41, idempotency_key=k)


def test_pending_points_post_when_the_return_window_ends(business, customer, key):
    settings_for(business, pending_days=14)
    start = timezone.now()
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key(), now=start)
    assert balance(customer) == 0
    assert wallet.balances(customer)["points"]["pending_in"] == 100
    with pytest.raises(InsufficientBalance):
        wallet.balance_spend(customer=customer, amount=1, idempotency_key=key())
    assert wallet.pending_timeouts(business=business, now=start + dt.timedelta(days=13)) == 0
    assert wallet.pending_timeouts(business=business, now=start + dt.timedelta(days=14)) == 1
    assert balance(customer) == 100
    assert wallet.pending_timeouts(business=business, now=start + dt.timedelta(days=15)) == 0
    assert ledger_check() == []


def test_checkout_hold_then_post_or_void_or_timeout(business, customer, key):
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    hold = key("hold")
    wallet.balance_spend(customer=customer, amount=60, idempotency_key=hold, hold_minutes=15)
    assert wallet.balances(customer)["points"]["available"] == 40
    with pytest.raises(InsufficientBalance):
        wallet.balance_spend(customer=customer, amount=41, idempotency_key=key())
    wallet.pending_resolve(business=business, operation_key=hold, post=True)
    wallet.pending_resolve(business=business, operation_key=hold, post=False)  # already posted
    assert balance(customer) == 40
    second = key("hold")
    now = timezone.now()
    wallet.balance_spend(
        customer=customer, amount=30, idempotency_key=second, hold_minutes=15, now=now
    )
    assert wallet.pending_timeouts(business=business, now=now + dt.timedelta(minutes=16)) == 1
    assert wallet.balances(customer)["points"]["available"] == 40
    assert ledger_check() == []


def test_adjust_needs_a_reason_and_is_audited(business, customer, key):
    with pytest.raises(wallet.ValidationFailed):
        wallet.balance_adjust(customer=customer, amount=50, idempotency_key=key(), reason=" ")
    wallet.balance_adjust(customer=customer, amount=50, idempotency_key=key(), reason="Goodwill")
    wallet.balance_adjust(customer=customer, amount=-20, idempotency_key=key(), reason="Typo")
    assert balance(customer) == 30
    events = AuditEvent.objects.filter(action="wallet.adjust").order_by("id")
    assert [e.details["amount"] for e in events] == [50, -20]


def test_gifting_follows_the_program(business, customer, friend, key):
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    with pytest.raises(WalletNotAllowed):
        wallet.points_gift(sender=customer, receiver=friend, amount=10, idempotency_key=key())
    settings_for(business, allow_gifting=True)
    wallet.points_gift(sender=customer, receiver=friend, amount=30, idempotency_key=key())
    assert (balance(customer), balance(friend)) == (70, 30)


def test_topup_with_five_percent_bonus_kept_apart(customer, key):
    posting = wallet.store_credit_topup(
        customer=customer,
        amount_minor=1_000_000,
        idempotency_key=key(),
        bonus_bp=500,
        reason="launch week",
    )
    assert posting.notes == {"bonus": 50_000}
    assert balance(customer, "store_credit") == 1_000_000
    assert balance(customer, "bonus_credit") == 50_000
    assert ledger_check() == []


def test_cashback_pays_out_but_not_beyond(customer, key):
    wallet.points_earn(customer=customer, amount=25_000, kind="cashback", idempotency_key=key())
    wallet.cashback_payout(customer=customer, amount_minor=20_000, idempotency_key=key())
    assert balance(customer, "cashback") == 5_000
    with pytest.raises(InsufficientBalance):
        wallet.cashback_payout(customer=customer, amount_minor=5_001, idempotency_key=key())


def test_expiry_posts_each_lot_once_at_local_midnight(business, customer, key):
    settings_for(business, expiry_rule="days", expiry_n=30)
    earned = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key(), now=earned)
    wallet.balance_spend(
        customer=customer, amount=40, idempotency_key=key(), now=earned + dt.timedelta(days=1)
    )
    lot = Lot.objects.get(account__customer=customer)
    assert lot.expires_at == dt.datetime(2026, 3, 31, 21, 0, tzinfo=dt.UTC)  # midnight Nairobi
    assert (
        wallet.expiring_soon(customer, days=30, now=earned + dt.timedelta(days=2))[0]["amount"]
        == 60
    )
    assert (
        wallet.expire_due(business=business, now=dt.datetime(2026, 3, 31, 20, 59, tzinfo=dt.UTC))
        == 0
    )
    at_midnight = dt.datetime(2026, 3, 31, 21, 0, tzinfo=dt.UTC)
    assert wallet.expire_due(business=business, now=at_midnight) == 1
    assert wallet.expire_due(business=business, now=at_midnight + dt.timedelta(hours=1)) == 0
    assert balance(customer) == 0
    assert Transfer.objects.filter(code="expire").get().amount == 60
    assert ledger_check() == []


def test_rolling_expiry_is_extended_by_activity(business, customer, key):
    settings_for(business, expiry_rule="rolling", expiry_n=90)
    first = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
    with time_machine.travel(first, tick=False):
        wallet.points_earn(customer=customer, amount=50, idempotency_key=key(), now=first)
    later = first + dt.timedelta(days=80)
    wallet.points_earn(customer=customer, amount=10, idempotency_key=key(), now=later)
    assert wallet.expire_due(business=business, now=first + dt.timedelta(days=95)) == 0
    assert balance(customer) == 60


def test_partial_refunds_reverse_earned_points_exactly(business, customer, key):
    order = "order:77"
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key(), reference=order)
    for n in range(3):
        wallet.order_refund_reverse(
            business=business,
            order_reference=order,
            refund_key=f"refund-77-{n}",
            refunded_before=1000 * n,
            refunded_now=1000,
            order_total=3000,
        )
    reversed_amounts = list(
        Transfer.objects.filter(code="refund_reverse")
        .order_by("id")
        .values_list("amount", flat=True)
    )
    assert reversed_amounts == [33, 33, 34]
    assert balance(customer) == 0
    # the same refund again moves nothing
    wallet.order_refund_reverse(
        business=business,
        order_reference=order,
        refund_key="refund-77-2",
        refunded_before=2000,
        refunded_now=1000,
        order_total=3000,
    )
    assert Transfer.objects.filter(code="refund_reverse").count() == 3
    assert ledger_check() == []


def test_refund_gives_back_spent_points_with_their_expiry(business, customer, key):
    settings_for(business, expiry_rule="days", expiry_n=60)
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    lot_expiry = Lot.objects.get().expires_at
    wallet.balance_spend(customer=customer, amount=80, idempotency_key=key(), reference="order:9")
    wallet.order_refund_reverse(
        business=business,
        order_reference="order:9",
        refund_key="r9",
        refunded_before=0,
        refunded_now=500,
        order_total=2000,
    )
    assert balance(customer) == 40
    returned = Lot.objects.filter(transfer__code="refund_return").get()
    assert returned.amount == 20 and returned.expires_at == lot_expiry
    with pytest.raises(AmountInvalid):
        wallet.order_refund_reverse(
            business=business,
            order_reference="order:9",
            refund_key="r10",
            refunded_before=500,
            refunded_now=1501,
            order_total=2000,
        )
    assert ledger_check() == []


@pytest.mark.parametrize(
    ("policy", "expected_points", "expected_cashback", "absorbed"),
    [("negative", -60, 10_000, None), ("absorb", 0, 10_000, 60), ("other_balance", 0, 4_000, 60)],
)
def test_clawback_when_earned_points_were_spent(
    business, customer, key, policy, expected_points, expected_cashback, absorbed
):
    settings_for(business, clawback=policy, point_value_minor=100)
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key(), reference="order:5")
    wallet.points_earn(customer=customer, amount=10_000, kind="cashback", idempotency_key=key())
    wallet.balance_spend(customer=customer, amount=60, idempotency_key=key(), reference="order:6")
    posting = wallet.order_refund_reverse(
        business=business,
        order_reference="order:5",
        refund_key="r5",
        refunded_before=0,
        refunded_now=1000,
        order_total=1000,
    )
    assert balance(customer) == expected_points
    assert balance(customer, "cashback") == expected_cashback
    assert posting.notes.get("absorbed_points") == absorbed
    assert ledger_check() == []


def test_refund_of_pending_points_shrinks_the_pending_credit(business, customer, key):
    settings_for(business, pending_days=7)
    start = timezone.now()
    wallet.points_earn(
        customer=customer, amount=90, idempotency_key=key(), reference="o", now=start
    )
    wallet.order_refund_reverse(
        business=business,
        order_reference="o",
        refund_key="ro1",
        refunded_before=0,
        refunded_now=100,
        order_total=300,
        now=start,
    )
    assert wallet.balances(customer)["points"]["pending_in"] == 60
    wallet.order_refund_reverse(
        business=business,
        order_reference="o",
        refund_key="ro2",
        refunded_before=100,
        refunded_now=100,
        order_total=300,
        now=start,
    )
    assert wallet.balances(customer)["points"]["pending_in"] == 30
    wallet.pending_timeouts(business=business, now=start + dt.timedelta(days=8))
    assert balance(customer) == 30
    assert ledger_check() == []


def test_merge_moves_balances_and_lots(business, customer, friend, key):
    settings_for(business, expiry_rule="days", expiry_n=30)
    wallet.points_earn(customer=customer, amount=10, idempotency_key=key())
    wallet.points_earn(customer=friend, amount=25, idempotency_key=key())
    wallet.store_credit_topup(customer=friend, amount_minor=5_000, idempotency_key=key())
    expiry = Lot.objects.get(account__customer=friend, account__kind="points").expires_at
    customer_merge(keep=customer, drop=friend)
    assert (balance(customer), balance(friend)) == (35, 0)
    assert balance(customer, "store_credit") == 5_000
    moved = Lot.objects.filter(
        account__customer=customer, transfer__code="merge", account__kind="points"
    )
    assert [lot.expires_at for lot in moved] == [expiry]
    assert ledger_check() == []


def test_erased_customer_wallet_is_closed(customer, key):
    wallet.points_earn(customer=customer, amount=10, idempotency_key=key())
    customer_erase(customer=customer)
    customer.refresh_from_db()
    with pytest.raises(WalletNotAllowed) as info:
        wallet.balance_spend(customer=customer, amount=5, idempotency_key=key())
    assert info.value.code == "customer_inactive"


def test_refunds_never_give_back_more_than_was_spent_nor_take_more_than_was_earned(
    business, customer, key
):
    settings_for(business, clawback="negative")
    wallet.points_earn(customer=customer, amount=200, idempotency_key=key())
    wallet.balance_spend(customer=customer, amount=80, idempotency_key=key(), reference="o:9")
    wallet.points_earn(customer=customer, amount=30, idempotency_key=key(), reference="o:9")
    whole = {"refunded_before": 0, "refunded_now": 2000, "order_total": 2000}
    # a caller with wrong figures refunds the whole order under three keys
    for n in range(3):
        wallet.order_refund_reverse(
            business=business, order_reference="o:9", refund_key=f"r{n}", **whole
        )
    assert balance(customer) == 200  # 80 given back once, 30 taken back once
    returned = Transfer.objects.filter(code="refund_return").values_list("amount", flat=True)
    reversed_ = Transfer.objects.filter(code="refund_reverse").values_list("amount", flat=True)
    assert sum(returned) == 80 and sum(reversed_) == 30
    assert ledger_check() == []


def test_ledger_check_finds_a_refund_that_gave_back_more_than_was_spent(business, customer, key):
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    spent = wallet.balance_spend(customer=customer, amount=40, idempotency_key=key(),
                                 reference="o:1")  # fmt: skip
    wallet.order_refund_reverse(business=business, order_reference="o:1", refund_key="r",
                                refunded_before=0, refunded_now=10, order_total=10)  # fmt: skip
    original = Transfer.objects.get(pk=spent.transfers[0]["id"])
    Transfer.objects.filter(code="refund_return").update(amount=41)  # tampered in the database
    problems = ledger_check()
    assert f"transfer {original.pk}: 41 given back by refunds, more than its 40" in problems
