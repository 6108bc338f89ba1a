"""Home is today: the first week's steps until they are done, today's and this week's figures
by the business's own clock, what needs doing, and what is going wrong."""

from __future__ import annotations

import datetime as dt

import time_machine

from wateja.customers.services import customer_create, interaction_add
from wateja.messaging.worker import worker_heartbeat
from wateja.orders.services import order_record
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.roles import Role
from wateja.tenants.services import location_create
from wateja.wallet.services import points_earn

EN = {"Accept-Language": "en"}
NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)  # a Wednesday, noon in Nairobi


def test_the_first_week_steps_show_until_they_are_done(business, staff_client):
    with time_machine.travel(NOW, tick=False):
        owner = staff_client(business, Role.OWNER)
        page = owner.get("/", headers=EN).content.decode()
        assert 'data-testid="checklist"' in page and "0 of 6 done." in page
        location_create(business=business, name="Moi Avenue")
        rule = promotion_save(
            business=business,
            name="Base",
            type="points_per_amount",
            params={"points": 1, "per_amount_minor": 10_000},
        )
        promotion_set_status(promotion=rule, status="active")
        assert owner.get("/join-poster.pdf").status_code == 200
        page = owner.get("/", headers=EN).content.decode()
        assert "3 of 6 done." in page
        assert '<li data-testid="step-poster" class="done">' in page
        cashier_page = staff_client(business, Role.CASHIER).get("/", headers=EN).content.decode()
        assert 'data-testid="checklist"' not in cashier_page  # the owner's business


def test_today_and_this_week_by_the_shops_clock(business, staff_client):
    amina = customer_create(business=business, name="Amina", phone="0712000111")
    monday = dt.datetime(2027, 3, 8, 6, 0, tzinfo=dt.UTC)
    order_record(
        business=business, number="MON", total_minor=40_000, customer=amina, placed_at=monday
    )
    order_record(
        business=business,
        number="WED-1",
        total_minor=30_000,
        customer=amina,
        placed_at=NOW - dt.timedelta(hours=1),
    )
    order_record(
        business=business, number="WED-2", total_minor=10_000, placed_at=NOW - dt.timedelta(hours=2)
    )
    order_record(
        business=business,
        number="LAST-WEEK",
        total_minor=99_000,
        placed_at=monday - dt.timedelta(hours=10),
    )  # 23:00 on Sunday in Nairobi
    with time_machine.travel(NOW, tick=False):
        points_earn(customer=amina, amount=7, idempotency_key="e")
        interaction_add(customer=amina, kind="complaint", summary="cold tea")
        worker_heartbeat()
        page = staff_client(business, Role.MANAGER).get("/", headers=EN).content.decode()
    assert ">KES400.00<" in page and ">KES800.00<" in page  # today; since Monday
    assert 'data-testid="today-members">75%<' in page  # 300 of 400 by members
    assert "1 complaint to answer" in page
    assert 'data-testid="alert-no_worker"' not in page
    assert 'data-testid="alert-sms_not_connected"' in page


def test_a_budget_nearly_spent_is_an_alert(business, staff_client):
    offer = promotion_save(
        business=business,
        name="Launch week",
        type="amount_off_order",
        params={"amount_minor": 1_000},
        budget_minor=10_000,
    )
    promotion_set_status(promotion=offer, status="active")
    type(offer).objects.filter(pk=offer.pk).update(discount_total_minor=8_500)
    page = staff_client(business, Role.OWNER).get("/", headers=EN).content.decode()
    assert "The budget of “Launch week” is nearly spent." in page
    assert 'data-testid="alert-no_worker"' in page
