"""Parallel requests against one wallet, on committed data and real connections: the account
lock (SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) keeps every balance at or
above zero, lets exactly the affordable spends through and posts an idempotency key once.

Runs on whatever database the suite runs on (SQLite file or PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.concurrency import errors_of, fresh, race, unexpected
from tests.wallet.conftest import balance
from wateja.wallet import services as wallet
from wateja.wallet.models import Account, Entry, Operation, Transfer
from wateja.wallet.services import InsufficientBalance, ledger_check, wallet_settings

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_spends_never_overdraw(customer, key):
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    keys = [key("spend") for _ in range(10)]

    results = race(
        10,
        lambda i: wallet.balance_spend(
            customer=fresh(customer.pk), amount=30, idempotency_key=keys[i]
        ),
    )

    assert unexpected(results, InsufficientBalance) == []
    succeeded = [value for state, value in results if state == "ok"]
    refused = errors_of(results)
    assert len(succeeded) == 3 and len(refused) == 7
    assert {e.code for e in refused} == {"insufficient_balance"}
    # each success saw the balance left by the one before it: the spends ran one at a time
    seen = sorted(p.balances[f"{customer.pk}:points"] for p in succeeded)
    assert seen == [10, 40, 70]
    assert balance(customer) == 10
    assert Transfer.objects.filter(code="spend").count() == 3
    assert Operation.objects.filter(action="spend").count() == 3  # refusals leave no operation
    assert ledger_check() == []


@pytest.mark.parametrize("action", ["earn", "spend"])
def test_same_idempotency_key_fired_in_parallel_posts_once(customer, key, action):
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    same = key("same")
    call = wallet.points_earn if action == "earn" else wallet.balance_spend

    results = race(8, lambda i: call(customer=fresh(customer.pk), amount=30, idempotency_key=same))

    assert unexpected(results) == []
    postings = [value for _state, value in results]
    assert len({p.operation_id for p in postings}) == 1
    assert sum(not p.replayed for p in postings) == 1
    assert Operation.objects.filter(key=same).count() == 1
    assert Transfer.objects.filter(operation__key=same).count() == 1
    assert Entry.objects.filter(transfer__operation__key=same).count() == 2
    assert balance(customer) == (130 if action == "earn" else 70)
    assert ledger_check() == []


def test_same_key_with_different_bodies_in_parallel_one_wins(customer, key):
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    same = key("same")

    results = race(
        8,
        lambda i: wallet.balance_spend(
            customer=fresh(customer.pk), amount=10 + i, idempotency_key=same
        ),
    )

    assert unexpected(results, wallet.IdempotencyKeyReused) == []
    winners = [value for state, value in results if state == "ok"]
    assert len({p.operation_id for p in winners}) == 1
    spent = Transfer.objects.get(operation__key=same).amount
    assert balance(customer) == 100 - spent
    assert ledger_check() == []


def test_opposite_gifts_with_earns_and_spends_do_not_deadlock(business, customer, friend, key):
    wallet.points_earn(customer=customer, amount=500, idempotency_key=key())
    wallet.points_earn(customer=friend, amount=500, idempotency_key=key())
    wallet.balance_spend(customer=friend, amount=1, idempotency_key=key())  # redemption account
    # gifting switched on only now, after the settings row exists (as in a running shop)
    row = wallet_settings(business)
    row.allow_gifting = True
    row.save()
    pair = (customer.pk, friend.pk)
    keys = {(i, step): key("mix") for i in range(8) for step in range(6)}

    def work(i: int) -> list[tuple[str, int, int]]:
        me, other = (pair[0], pair[1]) if i % 2 == 0 else (pair[1], pair[0])
        done: list[tuple[str, int, int]] = []
        for step in range(6):
            k = keys[(i, step)]
            sender, receiver = fresh(me), fresh(other)
            try:
                if step % 3 == 0:
                    wallet.points_gift(
                        sender=sender, receiver=receiver, amount=40, idempotency_key=k
                    )
                    done.append(("gift", me, 40))
                elif step % 3 == 1:
                    wallet.points_earn(customer=receiver, amount=7, idempotency_key=k)
                    done.append(("earn", other, 7))
                else:
                    wallet.balance_spend(customer=sender, amount=25, idempotency_key=k)
                    done.append(("spend", me, 25))
            except InsufficientBalance:
                done.append(("refused", me, 0))
        return done

    results = race(8, work)

    assert unexpected(results) == []
    expected = {customer.pk: 500, friend.pk: 499}
    for _state, done in results:
        for action, who, amount in done:
            other = pair[1] if who == pair[0] else pair[0]
            if action == "gift":
                expected[who] -= amount
                expected[other] += amount
            elif action == "earn":
                expected[who] += amount
            elif action == "spend":
                expected[who] -= amount
    assert (balance(customer), balance(friend)) == (expected[customer.pk], expected[friend.pk])
    assert (
        min(Account.objects.filter(customer__isnull=False).values_list("balance", flat=True)) >= 0
    )
    assert ledger_check() == []


# ------------------------------------------------------------------ lock order across services
#
# The two tests below hold one service at a chosen point (after it has taken its account locks)
# while a second service starts, then let the first go on. With every lock taken in one
# ascending-id order the second simply waits; with locks taken out of order PostgreSQL finds a
# deadlock and aborts one of them ("deadlock detected"). On SQLite the IMMEDIATE transaction
# serialises them and both pass.


def paused(monkeypatch, name: str) -> tuple[threading.Event, threading.Event]:
    """Make wateja.wallet.services.<name> stop once on its first call: `reached` is set when
    it is called (its caller holds its locks), it goes on when `go` is set."""
    reached, go = threading.Event(), threading.Event()
    original = getattr(wallet, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not reached.is_set():
            reached.set()
            go.wait(timeout=10)
        return original(*args, **kwargs)

    monkeypatch.setattr(wallet, name, wrapper)
    return reached, go


def first_then_second(first: Callable[[], Any], second: Callable[[], Any], reached, go) -> list:
    """Start `first`; once it is paused start `second`, give it time to block on a lock, then
    release `first`."""

    def work(i: int) -> Any:
        if i == 0:
            return first()
        assert reached.wait(timeout=10)
        threading.Timer(0.5, go.set).start()
        return second()

    return race(2, work)


def test_expiry_run_during_a_spend_does_not_deadlock(
    monkeypatch, settings, business, customer, key
):
    import datetime as dt

    from django.utils import timezone

    # the spend is paused between its locks and its lot updates: only the Python path has such
    # a moment (on PostgreSQL the function takes the same locks, in the same order, in one call)
    settings.PG_POSTING = "python"

    row = wallet_settings(business)
    row.expiry_rule, row.expiry_n = "days", 1
    row.save()
    now = timezone.now()
    wallet.points_earn(
        customer=customer, amount=100, idempotency_key=key(), now=now - dt.timedelta(days=5)
    )
    wallet.balance_spend(customer=customer, amount=1, idempotency_key=key(), now=now)
    reached, go = paused(monkeypatch, "_consume_lots")  # the spend holds the account lock

    results = first_then_second(
        lambda: wallet.balance_spend(
            customer=fresh(customer.pk), amount=10, idempotency_key=key(), now=now
        ),
        lambda: wallet.expire_due(business=business, now=now),
        reached,
        go,
    )

    assert unexpected(results) == []
    assert balance(customer) == 0  # 89 left after the spend, then expired
    assert ledger_check() == []


def test_refund_during_an_earn_does_not_deadlock(monkeypatch, business, customer, key):
    # a checkout: points spent, then points earned on what was paid, on one order
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    wallet.balance_spend(customer=customer, amount=40, idempotency_key=key(), reference="o:1")
    wallet.points_earn(customer=customer, amount=20, idempotency_key=key(), reference="o:1")
    # the refund gives back the spend (locks customer + redemption), then pauses before it
    # takes back the earn (customer + issuance)
    reached, go = paused(monkeypatch, "_reverse_earn")

    results = first_then_second(
        lambda: wallet.order_refund_reverse(
            business=business,
            order_reference="o:1",
            refund_key="r:1",
            refunded_before=0,
            refunded_now=1000,
            order_total=1000,
        ),
        lambda: wallet.points_earn(customer=fresh(customer.pk), amount=5, idempotency_key=key()),
        reached,
        go,
    )

    assert unexpected(results) == []
    assert balance(customer) == 100 - 40 + 20 + 40 - 20 + 5
    assert ledger_check() == []


def test_a_program_change_made_elsewhere_applies_to_the_next_operation(
    business, customer, friend, key
):
    """Two workers: the owner switches gifting off in one; the next gift in the other, which
    served a gift before, is refused (no settings remembered from an earlier operation)."""
    row = wallet_settings(business)
    row.allow_gifting = True
    row.save()
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key())
    wallet.points_gift(sender=customer, receiver=friend, amount=10, idempotency_key=key())

    def switch_off(_i: int) -> None:
        from wateja.wallet.models import WalletSettings

        WalletSettings.objects.filter(business=business).update(allow_gifting=False)

    assert unexpected(race(1, switch_off)) == []
    with pytest.raises(wallet.WalletNotAllowed):
        wallet.points_gift(sender=customer, receiver=friend, amount=10, idempotency_key=key())
    assert (balance(customer), balance(friend)) == (90, 10)
