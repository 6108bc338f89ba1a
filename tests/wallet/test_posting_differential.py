"""The implementations of a posting agree: random sequences of wallet operations run once
through the one-pass path (WATEJA_PG_POSTING=function: PostgreSQL's `wallet_post` function, or
on SQLite its steps as plain statements, `wallet/sqlite_posting.py`) and once through
the Python path built on `wateja/core/ledger.py` (WATEJA_PG_POSTING=python), from the same
empty wallet, and after every step both give the same answer (the posting, or the refusal
with its code, message and details) and leave the same ledger: every account's balance,
pending figures and last activity, every transfer, entry, lot (remaining, expiry, expired)
and lot use, every operation and its stored result. Ids are compared by their order of
creation, times the database stamps itself (created_at) are left out, and so are the request
hashes (they hash the customer's id; the repeated-key steps check what they decide).

Steps: earns (points and cashback, a return window or not), awards, spends (enough, not
enough, other kinds), holds and their resolution, repeated keys (same body: the stored
result; another body: refused), amounts over the business's maximum or not integers, a
customer blocked, the clock moving (holds run out and are voided by the next spend, lots
expire), the expiry and timeout jobs, and refunds of orders (the Python path reversing what
the function posted). Expiry rules with their time zones (one with summer time changing at
midnight) are drawn too.

Both databases: each compares its one-pass path with the Python path, whose arithmetic against
`core/ledger.py` is what tests/wallet/test_properties.py and tests/core check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from wateja.core.errors import DomainError
from wateja.customers.models import Customer
from wateja.customers.services import customer_create
from wateja.wallet import pg_posting
from wateja.wallet import services as wallet
from wateja.wallet.models import Account, Entry, Lot, LotUse, Operation, Transfer, WalletSettings
from wateja.wallet.services import ledger_check, wallet_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("one statement per posting is the PostgreSQL function's")


PEOPLE = 3
ORDERS = 3
ORDER_TOTAL = 1000
MAX_POINTS = 900

who = st.integers(0, PEOPLE - 1)
order = st.none() | st.integers(0, ORDERS - 1)
earn = st.tuples(
    st.just("earn"),
    who,
    st.integers(1, 400) | st.just(MAX_POINTS + 1),
    st.sampled_from(["points", "points", "cashback"]),
    st.sampled_from([None, None, 0, 2]),
    order,
)
award = st.tuples(st.just("award"), who, st.integers(1, 300))
spend = st.tuples(
    st.just("spend"),
    who,
    st.integers(1, 400),
    st.sampled_from(["points"] * 4 + ["cashback", "store_credit"]),
    order,
)
hold = st.tuples(st.just("hold"), who, st.integers(1, 200), st.sampled_from([1, 15, 90]))
resolve = st.tuples(st.just("resolve"), st.integers(0, 5), st.booleans())
clock = st.tuples(st.just("clock"), st.integers(0, 12), st.integers(0, 23), st.integers(0, 59))
jobs = st.tuples(st.sampled_from(["timeouts", "expire"]))
refund = st.tuples(st.just("refund"), st.integers(0, ORDERS - 1), st.integers(1, ORDER_TOTAL // 2))
again = st.tuples(st.just("again"))
reuse = st.tuples(st.just("reuse"))
block = st.tuples(st.just("block"), who)
bad = st.tuples(st.just("bad"), who, st.sampled_from([0, -5, "12", 2.5, True]))

steps = st.one_of(
    earn, earn, earn, award, spend, spend, spend, hold, hold, resolve, clock, clock, jobs,
    refund, again, again, reuse, block, bad,
)  # fmt: skip

programs = st.fixed_dictionaries(
    {
        "expiry": st.sampled_from(
            [
                ("never", 0, None),
                ("days", 1, None),
                ("days", 10, None),
                ("rolling", 3, None),
                ("end_of_month", 0, None),
                ("end_of_month", 1, None),
                ("end_of_year", 0, None),
                ("fixed_date", 0, dt.date(2026, 9, 30)),
            ]
        ),
        "pending_days": st.sampled_from([0, 0, 1]),
        "clawback": st.sampled_from(["negative", "absorb"]),
        # Nairobi (no summer time), London (changes at 01:00), Santiago (changes at midnight)
        "timezone": st.sampled_from(["Africa/Nairobi", "Europe/London", "America/Santiago"]),
        "start": st.sampled_from(
            [
                dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 24, 21, 30, tzinfo=dt.UTC),
                dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.UTC),
                dt.datetime(2026, 12, 30, 22, 0, tzinfo=dt.UTC),
            ]
        ),
    }
)


@dataclass
class World:
    business: Any
    people: list[int]
    now: dt.datetime
    keys: int = 0
    holds: list[str] = field(default_factory=list)
    refunded: list[int] = field(default_factory=lambda: [0] * ORDERS)
    last: tuple[Callable[..., Any], dict[str, Any]] | None = None

    def key(self, prefix: str) -> str:
        self.keys += 1
        return f"{prefix}-{self.keys}"

    def customer(self, index: int) -> Customer:
        return Customer.objects.select_related("business").get(pk=self.people[index])


def call_of(world: World, step: tuple[Any, ...]) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The service a step calls and its arguments (None: a step that calls nothing)."""
    name, *args = step
    now = world.now
    if name == "earn":
        person, amount, kind, days, order_no = args
        reference = "" if order_no is None else f"order:{order_no}"
        return wallet.points_earn, {
            "customer": world.customer(person),
            "amount": amount,
            "kind": kind,
            "pending_days": days,
            "reference": reference,
            "idempotency_key": world.key("earn"),
            "now": now,
        }
    if name == "award":
        person, amount = args
        return wallet.points_award, {
            "customer": world.customer(person),
            "amount": amount,
            "reason": "came to the tasting",
            "reference": "event:1",
            "idempotency_key": world.key("award"),
            "now": now,
        }
    if name in ("spend", "hold"):
        if name == "spend":
            person, amount, kind, order_no = args
            minutes = None
        else:
            person, amount, minutes = args
            kind, order_no = "points", None
        return wallet.balance_spend, {
            "customer": world.customer(person),
            "amount": amount,
            "kind": kind,
            "reference": "" if order_no is None else f"order:{order_no}",
            "hold_minutes": minutes,
            "idempotency_key": world.key(name),
            "now": now,
        }
    if name == "bad":
        person, amount = args
        return wallet.points_earn, {
            "customer": world.customer(person),
            "amount": amount,
            "idempotency_key": world.key("bad"),
            "now": now,
        }
    raise AssertionError(name)


def outcome(result: Any = None, error: DomainError | None = None) -> Any:
    if error is not None:
        return ("refused", type(error).__name__, error.code, str(error.message), error.details)
    if isinstance(result, wallet.Posting):
        return ("posted", result.replayed, result.as_dict())
    return ("done", result)


def run_step(world: World, step: tuple[Any, ...]) -> Any:
    name = step[0]
    if name == "clock":
        days, hours, minutes = step[1:]
        world.now += dt.timedelta(days=days, hours=hours, minutes=minutes)
        return None
    if name == "block":
        Customer.objects.filter(pk=world.people[step[1]]).update(is_blocked=True)
        return None
    call: Callable[[], Any]
    if name in ("timeouts", "expire"):
        job = wallet.pending_timeouts if name == "timeouts" else wallet.expire_due
        call = lambda: job(business=world.business, now=world.now)  # noqa: E731
    elif name == "resolve":
        if not world.holds:
            return None
        hold_key = world.holds[step[1] % len(world.holds)]
        call = lambda: wallet.pending_resolve(  # noqa: E731
            business=world.business, operation_key=hold_key, post=step[2], now=world.now
        )
    elif name == "refund":
        order_no, part = step[1:]
        before, refund_key = world.refunded[order_no], world.key("refund")
        if before + part > ORDER_TOTAL:
            return None

        def call() -> Any:
            posting = wallet.order_refund_reverse(
                business=world.business,
                order_reference=f"order:{order_no}",
                refund_key=refund_key,
                refunded_before=before,
                refunded_now=part,
                order_total=ORDER_TOTAL,
                now=world.now,
            )
            world.refunded[order_no] = before + part
            return posting

    elif name in ("again", "reuse"):
        if world.last is None:
            return None
        service, kwargs = world.last
        if name == "reuse":  # the same key with another body
            kwargs = {**kwargs, "amount": kwargs["amount"] + 1}
        call = lambda: service(**kwargs)  # noqa: E731
    else:
        service, kwargs = call_of(world, step)
        call = lambda: service(**kwargs)  # noqa: E731
        if name != "bad":
            world.last = (service, kwargs)
        if name == "hold":
            world.holds.append(kwargs["idempotency_key"])
    try:
        with time_machine.travel(world.now, tick=False):
            return outcome(call())
    except DomainError as error:
        return outcome(error=error)


def ledger_state(people: list[int]) -> dict[str, Any]:
    """Everything the ledger holds, ids replaced by their order of creation (customers by
    their place in the world), database-stamped times left out."""
    customer_no = {pk: n for n, pk in enumerate(people)}
    accounts = {
        a.pk: (customer_no.get(a.customer_id, a.customer_id), a.system, a.kind)
        for a in Account.objects.order_by("id")
    }
    operations = {
        pk: n for n, pk in enumerate(Operation.objects.order_by("id").values_list("id", flat=True))
    }
    transfers = {
        pk: n for n, pk in enumerate(Transfer.objects.order_by("id").values_list("id", flat=True))
    }
    lots = {pk: n for n, pk in enumerate(Lot.objects.order_by("id").values_list("id", flat=True))}

    def result(stored: Any) -> Any:
        return normal_result(stored, customer_no, operations, transfers, lots)

    def key(text: str) -> str:  # an expiry's key names its lot: "expire:lot:<id>"
        head, _, lot = text.rpartition(":")
        return f"{head}:#{lots[int(lot)]}" if head == "expire:lot" else text

    return {
        "accounts": sorted(
            [
                (accounts[a.pk], a.balance, a.pending_debits, a.pending_credits,
                 a.allow_negative, a.last_activity_at)
                for a in Account.objects.all()
            ],
            key=repr,
        ),
        "operations": [
            (key(o.key), o.action, len(o.request_hash), result(o.result), o.reason, o.reference,
             o.actor_id, o.api_key_id, o.location_id)
            for o in Operation.objects.order_by("id")
        ],
        "transfers": [
            (operations[t.operation_id], accounts[t.debit_account_id],
             accounts[t.credit_account_id], t.amount, t.code, t.status, t.timeout_at,
             t.on_timeout, t.resolved_at, transfers.get(t.reverses_id))
            for t in Transfer.objects.order_by("id")
        ],
        "entries": [
            (accounts[e.account_id], transfers[e.transfer_id], e.amount)
            for e in Entry.objects.order_by("id")
        ],
        "lots": [
            (accounts[lot.account_id], transfers[lot.transfer_id], lot.amount, lot.remaining,
             lot.earned_at, lot.expires_at, lot.expired_at)
            for lot in Lot.objects.order_by("id")
        ],
        "lot_uses": [
            (lots[u.lot_id], transfers[u.transfer_id], u.amount)
            for u in LotUse.objects.order_by("id")
        ],
    }  # fmt: skip


def normal_result(
    value: Any,
    customers: dict[int, int],
    operations: dict[int, int],
    transfers: dict[int, int],
    lots: dict[int, int] | None = None,
) -> Any:
    """A posting or stored result with its ids as orders of creation."""
    lots = lots or {}
    if isinstance(value, list | tuple):
        return [normal_result(v, customers, operations, transfers, lots) for v in value]
    if not isinstance(value, dict):
        return value
    normal: dict[str, Any] = {}
    for name, item in value.items():
        if name == "operation_id" and isinstance(item, int):
            normal[name] = ("operation", operations.get(item, item))
        elif name in ("id", "transfer_id") and isinstance(item, int):
            normal[name] = ("transfer", transfers.get(item, item))
        elif name == "lot" and isinstance(item, int):
            normal[name] = ("lot", lots.get(item, item))
        elif name == "balances" and isinstance(item, dict):
            normal[name] = {
                f"{customers.get(int(k.split(':')[0]), k)}:{k.split(':')[1]}": v
                for k, v in item.items()
            }
        else:
            normal[name] = normal_result(item, customers, operations, transfers, lots)
    return normal


def run(business: Any, program: dict[str, Any], sequence: list[Any], path: str) -> list[Any]:
    """The sequence through one path: after every step, its outcome and the ledger."""
    trace: list[Any] = []
    with override_settings(PG_POSTING=path), transaction.atomic():
        assert pg_posting.enabled() is (path == pg_posting.FUNCTION)
        business.timezone = program["timezone"]
        business.save(update_fields=["timezone"])
        WalletSettings.objects.filter(business=business).delete()
        row = wallet_settings(business)
        row.expiry_rule, row.expiry_n, row.expiry_date = program["expiry"]
        row.pending_days = program["pending_days"]
        row.clawback = program["clawback"]
        row.max_points_per_operation = MAX_POINTS
        row.save()
        start = program["start"]
        with time_machine.travel(start, tick=False):
            people = [
                customer_create(business=business, name=f"Mteja {n}", phone=f"07110000{n:02d}").pk
                for n in range(PEOPLE)
            ]
        world = World(business=business, people=people, now=start)
        for step in sequence:
            answer = run_step(world, step)
            customers = {pk: n for n, pk in enumerate(people)}
            state = ledger_state(people)
            ops = {
                pk: n
                for n, pk in enumerate(
                    Operation.objects.order_by("id").values_list("id", flat=True)
                )
            }
            transfers = {
                pk: n
                for n, pk in enumerate(Transfer.objects.order_by("id").values_list("id", flat=True))
            }
            lots = {
                pk: n
                for n, pk in enumerate(Lot.objects.order_by("id").values_list("id", flat=True))
            }
            trace.append((step, normal_result(answer, customers, ops, transfers, lots), state))
        assert ledger_check() == [], f"{path}: {ledger_check()}"
        transaction.set_rollback(True)
    return trace


def assert_same(function: list[Any], python: list[Any]) -> None:
    for (step, f_answer, f_state), (_step, p_answer, p_state) in zip(function, python, strict=True):
        assert f_answer == p_answer, f"{step}: the function answered {f_answer}, Python {p_answer}"
        for part in f_state:
            assert f_state[part] == p_state[part], (
                f"after {step}, {part} differ:\nfunction {f_state[part]}\npython   {p_state[part]}"
            )


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=programs, sequence=st.lists(steps, min_size=3, max_size=30))
def test_function_and_python_post_the_same(business, program, sequence):
    function = run(business, program, sequence, pg_posting.FUNCTION)
    python = run(business, program, sequence, pg_posting.PYTHON)
    assert_same(function, python)


def test_the_function_creates_the_settings_with_the_models_defaults(business, customer):
    WalletSettings.objects.filter(business=business).delete()
    with override_settings(PG_POSTING=pg_posting.FUNCTION):
        wallet.points_earn(customer=customer, amount=5, idempotency_key="first")
    made = WalletSettings.objects.get(business=business)
    fresh = WalletSettings(business=business)
    for f in WalletSettings._meta.concrete_fields:
        if not f.primary_key:
            assert getattr(made, f.attname) == getattr(fresh, f.attname), f.name


@pytest.mark.usefixtures("_postgresql_only")
def test_an_earn_and_a_spend_are_one_statement_each(customer):
    with CaptureQueriesContext(connection) as earn:
        wallet.points_earn(customer=customer, amount=50, idempotency_key="one-earn")
    with CaptureQueriesContext(connection) as spend:
        wallet.balance_spend(customer=customer, amount=20, idempotency_key="one-spend")
    with CaptureQueriesContext(connection) as replay:
        wallet.balance_spend(customer=customer, amount=20, idempotency_key="one-spend")
    assert (len(earn), len(spend), len(replay)) == (1, 1, 1)
    assert wallet.balances(customer)["points"]["balance"] == 30


def test_a_posting_while_queries_are_logged_is_the_same(customer):
    """DEBUG, or a test counting queries: the one-pass path runs through Django's own cursor
    (on SQLite the bare one otherwise) and every statement is logged."""
    with CaptureQueriesContext(connection) as logged:
        wallet.points_earn(customer=customer, amount=50, idempotency_key="logged-earn")
        wallet.balance_spend(customer=customer, amount=20, idempotency_key="logged-spend")
    assert pg_posting.enabled()
    assert wallet.balances(customer)["points"]["balance"] == 30
    if connection.vendor == "sqlite":
        statements = " ".join(str(q["sql"]) for q in logged.captured_queries)
        assert statements.count("INSERT INTO wallet_transfer") == 2
    else:
        assert len(logged.captured_queries) == 2  # a call of wallet_post each
