"""Random runs of sales (paid partly with points and store credit), partial refunds, spends,
top-ups and grants by hand, against a model that knows only the programme's rules. After
every step each customer holds exactly what the model says, never more value than they
bought (top-ups, purchases that earned) or were given by an audited action, and the ledger
agrees with itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wateja.core.errors import DomainError
from wateja.core.ledger import refund_delta
from wateja.customers.services import customer_create
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.orders.models import Order
from wateja.orders.refunds import order_refund
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.models import AuditEvent
from wateja.wallet import services as wallet
from wateja.wallet.services import ledger_check, wallet_settings

PEOPLE = 2
POINT_VALUE = 100  # 1 point pays 1.00
PER_POINT = 1_000  # 1 point earned per 10.00 paid

who = st.integers(0, PEOPLE - 1)
steps = st.one_of(
    st.tuples(
        st.just("sale"),
        who,
        st.integers(1, 50_000),
        st.sampled_from([0, 0, 3, 40, 10**6]),
        st.sampled_from([0, 0, 500, 10**9]),
    ),
    st.tuples(st.just("refund"), st.integers(0, 5), st.integers(1, 30_000)),
    st.tuples(
        st.just("spend"), who, st.integers(1, 80), st.sampled_from(["points", "store_credit"])
    ),
    st.tuples(st.just("topup"), who, st.integers(1, 20_000)),
    st.tuples(st.just("grant"), who, st.integers(1, 60)),
)


@dataclass
class Person:
    points: int = 0
    store_credit: int = 0
    bought: int = 0  # value paid in: top-ups, and the points purchases earned (as money)
    given: int = 0  # value given by an audited action


@dataclass
class Sale:
    order_id: int
    owner: int
    total: int
    points_used: int
    store_credit: int
    earned: int
    refunded: int = 0


@dataclass
class World:
    people: list[Person]
    customers: list[object]
    sales: list[Sale] = field(default_factory=list)
    n: int = 0

    def key(self) -> str:
        self.n += 1
        return f"k{self.n}"


def _sale(world: World, business, owner: int, total: int, points: int, credit: int) -> None:
    person, customer = world.people[owner], world.customers[owner]
    used = min(points, max(person.points, 0), total // POINT_VALUE)
    left = total - used * POINT_VALUE
    credit_used = min(credit, person.store_credit, left)
    earned = (total - used * POINT_VALUE) // PER_POINT  # store credit is the customer's money
    key = world.key()
    sale = SaleInput(currency="KES", total_minor=total, points_to_spend=points,
                     store_credit_to_spend_minor=credit)  # fmt: skip
    checkout_reserve(business=business, key=key, sale=sale, customer=customer)
    order = checkout_commit(business=business, key=key)
    assert (order.paid_points, order.paid_store_credit_minor) == (used, credit_used)
    person.points += earned - used
    person.store_credit -= credit_used
    person.bought += earned * POINT_VALUE
    world.sales.append(Sale(order.pk, owner, total, used, credit_used, earned))


def _refund(world: World, index: int, amount: int) -> None:
    if not world.sales:
        return
    sale = world.sales[index % len(world.sales)]
    amount = min(amount, sale.total - sale.refunded)
    if amount <= 0:
        return
    order_refund(order=Order.objects.get(pk=sale.order_id), amount_minor=amount,
                 refund_id=f"r{world.key()}")  # fmt: skip
    person = world.people[sale.owner]
    back = refund_delta(sale.points_used, sale.refunded, amount, sale.total)
    taken = refund_delta(sale.earned, sale.refunded, amount, sale.total)
    person.points += back - taken  # the programme takes back even below zero
    person.store_credit += refund_delta(sale.store_credit, sale.refunded, amount, sale.total)
    person.bought -= taken * POINT_VALUE
    sale.refunded += amount


def run(world: World, business, step: tuple) -> None:
    kind = step[0]
    if kind == "sale":
        _sale(world, business, *step[1:])
    elif kind == "refund":
        _refund(world, *step[1:])
    elif kind == "spend":
        _, owner, amount, what = step
        person = world.people[owner]
        have = person.points if what == "points" else person.store_credit
        try:
            wallet.balance_spend(customer=world.customers[owner], amount=amount, kind=what,
                                 idempotency_key=world.key())  # fmt: skip
        except DomainError:
            assert amount > have, f"{step}: refused with {have} available"
            return
        if what == "points":
            person.points -= amount
        else:
            person.store_credit -= amount
    elif kind == "topup":
        _, owner, amount = step
        wallet.store_credit_topup(customer=world.customers[owner], amount_minor=amount,
                                  idempotency_key=world.key())  # fmt: skip
        world.people[owner].store_credit += amount
        world.people[owner].bought += amount
    elif kind == "grant":
        _, owner, amount = step
        wallet.points_grant(customer=world.customers[owner], amount=amount, reason="goodwill",
                            idempotency_key=world.key())  # fmt: skip
        world.people[owner].points += amount
        world.people[owner].given += amount * POINT_VALUE


def check(world: World, business, step: tuple) -> None:
    for person, customer in zip(world.people, world.customers, strict=True):
        held = {k: v["balance"] for k, v in wallet.balances(customer).items()}
        points, credit = held.get("points", 0), held.get("store_credit", 0)
        assert (points, credit) == (person.points, person.store_credit), f"after {step}"
        assert held.get("cashback", 0) == held.get("bonus_credit", 0) == 0
        value = points * POINT_VALUE + credit
        assert value <= person.bought + person.given, f"after {step}: {value} held"
    grants = sum(1 for p in world.people if p.given)
    assert AuditEvent.objects.filter(action="wallet.grant").count() >= grants
    assert ledger_check() == [], f"after {step}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=4, max_size=25))
def test_no_customer_ever_holds_more_than_they_bought_or_were_given(business, sequence):
    with transaction.atomic():  # each example starts from the same empty programme
        row = wallet_settings(business)
        row.point_value_minor, row.pending_days, row.clawback = POINT_VALUE, 0, "negative"
        row.topup_bonus_bp = 0
        row.save()
        rule = promotion_save(business=business, name="Base", type="points_per_amount",
                              params={"points": 1, "per_amount_minor": PER_POINT})  # fmt: skip
        promotion_set_status(promotion=rule, status="active")
        customers = [
            customer_create(business=business, name=f"Person {n}", phone=f"07120000{n:02d}")
            for n in range(PEOPLE)
        ]
        world = World(people=[Person() for _ in customers], customers=customers)
        for step in sequence:
            run(world, business, step)
            check(world, business, step)
        transaction.set_rollback(True)
