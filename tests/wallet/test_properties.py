"""Random sequences of wallet operations over three customers, checked after every step: the
ledger agrees with itself (`ledger_check() == []`: balances = entries, pending sums = pending
transfers, every business and kind sums to zero, lots = max(balance, 0)), lots stay within
0..amount, no customer account goes below zero unless the clawback policy "negative" allows
it, a merged customer's wallet is left empty, a refused operation changes nothing, and a
replayed idempotency key changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wateja.core.errors import DomainError
from wateja.customers.merging import customer_merge
from wateja.customers.models import Customer
from wateja.customers.services import customer_create
from wateja.wallet import services as wallet
from wateja.wallet.models import Account, Entry, Lot, LotUse, Operation, Transfer
from wateja.wallet.services import ledger_check, wallet_settings

PEOPLE = 3
ORDERS = 4
ORDER_TOTAL = 1000
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)

who = st.integers(0, PEOPLE - 1)
order = st.none() | st.integers(0, ORDERS - 1)

earn = st.tuples(
    st.just("earn"),
    who,
    st.integers(1, 500),
    st.sampled_from(["points", "points", "cashback"]),
    order,
)
spend = st.tuples(
    st.just("spend"),
    who,
    st.integers(1, 150),
    st.sampled_from(["points"] * 4 + ["cashback", "store_credit", "bonus_credit"]),
    order,
)
hold = st.tuples(st.just("hold"), who, st.integers(1, 150), order)
resolve = st.tuples(st.just("resolve"), st.integers(0, 5), st.booleans())
adjust = st.tuples(
    st.just("adjust"), who, st.integers(-200, 200), st.sampled_from(["points", "cashback"])
)
gift = st.tuples(st.just("gift"), who, st.sampled_from([1, 1, 2, 2, 0]), st.integers(1, 200))
topup = st.tuples(st.just("topup"), who, st.integers(1, 10_000), st.sampled_from([0, 500]))
payout = st.tuples(st.just("payout"), who, st.integers(1, 300))
clock = st.tuples(st.just("clock"), st.integers(0, 20), st.integers(0, 23), st.integers(0, 59))
jobs = st.tuples(st.sampled_from(["timeouts", "expire"]))
refund = st.tuples(st.just("refund"), st.integers(0, ORDERS - 1), st.integers(1, ORDER_TOTAL // 2))
again = st.tuples(st.just("again"))
merge = st.tuples(st.just("merge"), who, st.sampled_from([1, 2]))

# weighted by repetition: enough earning that spends, holds and refunds mostly go through
steps = st.one_of(
    earn, earn, earn, spend, spend, hold, hold, resolve, resolve, adjust, gift, gift,
    topup, payout, clock, jobs, jobs, refund, refund, again, merge,
)  # fmt: skip

programs = st.fixed_dictionaries(
    {
        "expiry": st.sampled_from(
            [("never", 0), ("days", 1), ("days", 10), ("rolling", 5), ("end_of_month", 0)]
        ),
        "pending_days": st.sampled_from([0, 0, 0, 2]),
        "clawback": st.sampled_from(["negative", "absorb", "other_balance"]),
    }
)


def snapshot() -> tuple[Any, ...]:
    """Everything an operation could write."""
    return (
        Transfer.objects.count(),
        Entry.objects.count(),
        Operation.objects.count(),
        LotUse.objects.count(),
        list(Transfer.objects.order_by("id").values_list("id", "status")),
        list(
            Account.objects.order_by("id").values_list(
                "id", "balance", "pending_debits", "pending_credits"
            )
        ),
        list(Lot.objects.order_by("id").values_list("id", "remaining", "expired_at")),
    )


@dataclass
class World:
    business: Any
    people: list[int]
    clawback: str
    now: dt.datetime = START
    keys: int = 0
    holds: list[int] = field(default_factory=list)
    refunded: list[int] = field(default_factory=lambda: [0] * ORDERS)
    last: Callable[[], Any] | None = None
    joined: int = 0

    def key(self, prefix: str) -> str:
        self.keys += 1
        return f"{prefix}-{self.keys}"

    def newcomer(self) -> int:
        self.joined += 1
        return customer_create(
            business=self.business, name=f"Mteja {self.joined}", phone=f"0711{self.joined:06d}"
        ).pk

    def customer(self, index: int) -> Customer:
        return Customer.objects.select_related("business").get(pk=self.people[index])


def operation(world: World, step: tuple[Any, ...]) -> Callable[[], Any] | None:
    """The call a step makes (None: a step that is not a single idempotent operation)."""
    name, *args = step
    now = world.now
    if name == "earn":
        person, amount, kind, order_no = args
        reference = "" if order_no is None else f"order:{order_no}"
        k, c = world.key("earn"), world.customer(person)
        return lambda: wallet.points_earn(
            customer=c, amount=amount, kind=kind, idempotency_key=k, reference=reference, now=now
        )
    if name in ("spend", "hold"):
        if name == "spend":
            person, amount, kind, order_no = args
        else:
            (person, amount, order_no), kind = args, "points"
        reference = "" if order_no is None else f"order:{order_no}"
        k, c = world.key(name), world.customer(person)
        return lambda: wallet.balance_spend(
            customer=c,
            amount=amount,
            kind=kind,
            idempotency_key=k,
            reference=reference,
            hold_minutes=30 if name == "hold" else None,
            now=now,
        )
    if name == "resolve":
        index, post = args
        if not world.holds:
            return None
        k = Operation.objects.get(pk=world.holds[index % len(world.holds)]).key
        return lambda: wallet.pending_resolve(
            business=world.business, operation_key=k, post=post, now=now
        )
    if name == "adjust":
        person, amount, kind = args
        k, c = world.key("adjust"), world.customer(person)
        return lambda: wallet.balance_adjust(
            customer=c, amount=amount, kind=kind, idempotency_key=k, reason="count"
        )
    if name == "gift":
        sender, offset, amount = args
        receiver = (sender + offset) % PEOPLE
        k, s, r = world.key("gift"), world.customer(sender), world.customer(receiver)
        return lambda: wallet.points_gift(sender=s, receiver=r, amount=amount, idempotency_key=k)
    if name == "topup":
        person, amount, bonus = args
        k, c = world.key("topup"), world.customer(person)
        return lambda: wallet.store_credit_topup(
            customer=c, amount_minor=amount, idempotency_key=k, bonus_bp=bonus
        )
    if name == "payout":
        person, amount = args
        k, c = world.key("payout"), world.customer(person)
        return lambda: wallet.cashback_payout(customer=c, amount_minor=amount, idempotency_key=k)
    if name == "refund":
        order_no, part = args
        before, k = world.refunded[order_no], world.key("refund")

        def refund() -> Any:
            posting = wallet.order_refund_reverse(
                business=world.business,
                order_reference=f"order:{order_no}",
                refund_key=k,
                refunded_before=before,
                refunded_now=part,
                order_total=ORDER_TOTAL,
                now=now,
            )
            world.refunded[order_no] = before + part
            return posting

        return refund
    if name == "merge":
        slot = (args[0] + args[1]) % PEOPLE
        keep, drop = world.customer(args[0]), world.customer(slot)

        def merge() -> Any:
            merged = customer_merge(keep=keep, drop=drop)
            world.people[slot] = world.newcomer()  # the merged one's wallet stays (closed)
            return merged

        return merge
    return None


def run_step(world: World, step: tuple[Any, ...]) -> None:
    name = step[0]
    if name == "clock":
        days, hours, minutes = step[1:]
        world.now += dt.timedelta(days=days, hours=hours, minutes=minutes)
        return
    if name in ("timeouts", "expire"):  # the scheduled jobs, run whenever
        job = wallet.pending_timeouts if name == "timeouts" else wallet.expire_due
        with time_machine.travel(world.now, tick=False):
            job(business=world.business, now=world.now)
        return
    if name == "again":
        call = world.last
        if call is None:
            return
        before = snapshot()
        with time_machine.travel(world.now, tick=False):
            result = call()
        if isinstance(result, wallet.Posting):
            assert result.replayed
        assert snapshot() == before, f"replaying {call} changed the ledger"
        return
    call = operation(world, step)
    if call is None:
        return
    before = snapshot()
    try:
        with time_machine.travel(world.now, tick=False):
            result = call()
    except DomainError as error:
        refused = error
    else:
        refused = None
    if refused is not None:
        assert snapshot() == before, f"{step} was refused ({refused.code}) but wrote"
        return
    if name == "hold":
        world.holds.append(result.operation_id)
    if name not in ("resolve", "merge"):  # resolving or merging again is not a replay
        world.last = call
    if isinstance(result, wallet.Posting):
        for name_kind, amount in result.balances.items():
            customer_id, kind = name_kind.split(":")
            stored = Account.objects.get(customer_id=customer_id, kind=kind).balance
            assert stored == amount, f"{step}: posting says {name_kind}={amount}, stored {stored}"


def check(world: World, step: tuple[Any, ...]) -> None:
    problems = ledger_check()
    assert problems == [], f"after {step}: {problems}"
    bad_lots = Lot.objects.filter(remaining__lt=0) | Lot.objects.filter(remaining__gt=F("amount"))
    assert not bad_lots.exists(), f"after {step}: lot out of bounds"
    closed = Account.objects.filter(customer__merged_into__isnull=False).exclude(
        balance=0, pending_debits=0, pending_credits=0
    )
    left = list(closed.values_list("customer_id", "kind", "balance", "pending_credits"))
    assert left == [], f"after {step}: a merged customer's wallet still holds {left}"
    if world.clawback != "negative":
        below = Account.objects.filter(customer__isnull=False).filter(
            balance__lt=F("pending_debits")
        ) | Account.objects.filter(customer__isnull=False, balance__lt=0)
        found = list(below.values_list("customer_id", "kind", "balance", "pending_debits"))
        assert found == [], f"after {step}: customer accounts below zero {found}"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=programs, sequence=st.lists(steps, min_size=5, max_size=40))
def test_random_operations_keep_the_ledger_whole(business, program, sequence):
    with transaction.atomic():  # each example starts from the same empty wallet
        row = wallet_settings(business)
        row.expiry_rule, row.expiry_n = program["expiry"]
        row.pending_days = program["pending_days"]
        row.clawback = program["clawback"]
        row.allow_gifting = True
        row.point_value_minor = 10
        row.save()
        world = World(business=business, people=[], clawback=program["clawback"])
        with time_machine.travel(START, tick=False):
            world.people = [world.newcomer() for _ in range(PEOPLE)]
            for person in range(PEOPLE):  # something to spend from the first step on
                for kind in ("points", "cashback"):
                    wallet.points_earn(
                        customer=world.customer(person),
                        amount=300,
                        kind=kind,
                        idempotency_key=world.key("seed"),
                        pending_days=0,
                    )
        for step in sequence:
            run_step(world, step)
            check(world, step)
        transaction.set_rollback(True)


# ------------------------------------------------------------------ pinned cases
# Found while building the property above (the first one by it: a hold of 1 point, two days,
# the expiry job, and the account was left holding more than it had). Each is a plain test so
# it fails on its own until the service is fixed.


def test_expiry_leaves_the_points_an_open_hold_reserved(business, customer, key):
    row = wallet_settings(business)
    row.expiry_rule, row.expiry_n, row.clawback = "days", 1, "absorb"
    row.save()
    wallet.points_earn(customer=customer, amount=100, idempotency_key=key(), now=START)
    midnight = Lot.objects.get().expires_at
    hold = key("hold")
    wallet.balance_spend(  # a checkout at 23:55 reserves 60 of the points that expire at 00:00
        customer=customer,
        amount=60,
        idempotency_key=hold,
        hold_minutes=15,
        now=midnight - dt.timedelta(minutes=5),
    )
    wallet.expire_due(business=business, now=midnight)
    assert wallet.balances(customer)["points"]["available"] >= 0
    wallet.pending_resolve(
        business=business, operation_key=hold, post=True, now=midnight + dt.timedelta(minutes=2)
    )
    wallet.expire_due(business=business, now=midnight + dt.timedelta(minutes=5))
    assert wallet.balances(customer)["points"] == {"balance": 0, "available": 0, "pending_in": 0}
    assert Transfer.objects.get(code="expire").amount == 40
    assert ledger_check() == []


def drop_accounts_are_empty(drop: Customer) -> None:
    found = list(
        Account.objects.filter(customer=drop).values_list(
            "kind", "balance", "pending_debits", "pending_credits"
        )
    )
    assert found == [(kind, 0, 0, 0) for kind, *_rest in found]


def test_merge_while_the_dropped_customer_has_an_open_hold(customer, friend, key):
    wallet.points_earn(customer=friend, amount=100, idempotency_key=key())
    wallet.balance_spend(customer=friend, amount=60, idempotency_key=key(), hold_minutes=15)
    customer_merge(keep=customer, drop=friend)  # today: refused with insufficient_balance
    assert wallet.balances(customer)["points"]["balance"] == 100
    drop_accounts_are_empty(friend)
    assert ledger_check() == []


def test_merge_moves_points_still_in_the_return_window(business, customer, friend, key):
    row = wallet_settings(business)
    row.pending_days = 3
    row.save()
    wallet.points_earn(customer=friend, amount=100, idempotency_key=key(), now=START)
    customer_merge(keep=customer, drop=friend)
    wallet.pending_timeouts(business=business, now=START + dt.timedelta(days=4))
    assert wallet.balances(customer)["points"]["balance"] == 100  # today: 0, friend has 100
    drop_accounts_are_empty(friend)
    assert ledger_check() == []


def test_refunds_after_a_merge_settle_with_the_kept_customer(business, customer, friend, key):
    row = wallet_settings(business)
    row.clawback = "absorb"
    row.save()
    wallet.points_earn(customer=friend, amount=100, idempotency_key=key(), reference="o:1")
    wallet.points_earn(customer=friend, amount=100, idempotency_key=key())
    wallet.balance_spend(customer=friend, amount=50, idempotency_key=key(), reference="o:2")
    customer_merge(keep=customer, drop=friend)
    refund = {"refunded_before": 0, "refunded_now": 10, "order_total": 10}
    taken = wallet.order_refund_reverse(
        business=business, order_reference="o:1", refund_key="r1", **refund
    )
    assert taken.notes.get("absorbed_points") is None  # today: 100 absorbed, keep keeps them
    wallet.order_refund_reverse(business=business, order_reference="o:2", refund_key="r2", **refund)
    assert wallet.balances(customer)["points"]["balance"] == 150 - 100 + 50
    drop_accounts_are_empty(friend)  # today: the 50 given back land on the merged customer
    assert ledger_check() == []
