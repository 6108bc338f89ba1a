"""The offer page shows the stored cost estimate (computed in the background when the offer is
saved) without reading a single order; while it is computed the partial polls; a manager can
ask for it again; without a worker the page says the estimate waits for it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wateja.customers.services import customer_create
from wateja.messaging.worker import worker_heartbeat
from wateja.orders.models import OfferSimulation, SimulationStatus
from wateja.orders.services import order_record
from wateja.promotions.models import Promotion
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.roles import Role
from wateja.web.templatetags.wateja_tags import money

EN = {"Accept-Language": "en"}
HTMX = {**EN, "HX-Request": "true"}


@pytest.fixture
def history(business):
    """1 point per KES 100, and two customers' sales of the last weeks."""
    earn = promotion_save(
        business=business,
        name="1 point per KES 100",
        type="points_per_amount",
        params={"points": 1, "per_amount_minor": 10_000},
    )
    promotion_set_status(promotion=earn, status="active")
    now = dt.datetime.now(dt.UTC)
    wanjiku = customer_create(business=business, name="Wanjiku", phone="0712345678")
    otieno = customer_create(business=business, name="Otieno", phone="0722345678")
    for n, (days, shillings, who) in enumerate(
        [(3, 1_000, wanjiku), (10, 2_000, wanjiku), (40, 1_500, otieno), (70, 500, None)]
    ):
        order_record(
            business=business,
            number=f"W-{n}",
            total_minor=shillings * 100,
            customer=who,
            placed_at=now - dt.timedelta(days=days),
            update_stats=False,
        )
    return business


def _draft(business, **fields):
    return promotion_save(
        business=business,
        name=fields.pop("name", "10% once per customer"),
        type="percent_off_order",
        params={"percent_bp": 1000},
        **fields,
    )


def _estimate(page: str) -> str:
    return re.search(r'data-testid="simulation".*?</section>', page, re.S).group(0)


def test_the_page_shows_the_stored_estimate_without_reading_orders(
    history, staff_client, django_capture_on_commit_callbacks
):
    client = staff_client(history, Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        draft = _draft(history, max_uses_per_customer=1)
    assert OfferSimulation.objects.get(promotion=draft).status == SimulationStatus.DONE

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/rewards/{draft.pk}/", headers=EN)
    assert response.status_code == 200
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "orders_order" not in read and "orders_orderline" not in read
    assert "orders_offersimulation" in read

    estimate = _estimate(response.content.decode())
    # in time order: 10% of 500 (anonymous), of Otieno's 1,500 and of Wanjiku's 2,000; her
    # 1,000 three days ago is past her one use: KES 400 off. Their points fall 15 → 13 and
    # 20 → 18 (4 points, KES 4): KES 396 in all
    assert "3 / 4" in estimate  # sales changed / replayed
    assert money(40_000, "KES") in estimate and money(39_600, "KES") in estimate
    assert f"About {money(5_000, 'KES')} to {money(19_800, 'KES')} extra per month" in estimate
    assert "1 per customer" in estimate and "1 sale stopped or capped by them" in estimate
    assert "1 point per KES 100" in estimate  # counted on top of the programme
    assert "extra per month" in estimate
    assert "Simulated on" in estimate
    assert 'data-testid="estimate-recompute"' in estimate
    assert "hx-trigger" not in estimate  # done: nothing to poll


def test_while_estimating_the_partial_polls_and_then_shows_the_result(
    history, staff_client, settings
):
    settings.HUEY = {**settings.HUEY, "immediate": False}
    worker_heartbeat()
    client = staff_client(history, Role.VIEWER)
    draft = _draft(history)
    simulation = OfferSimulation.objects.create(
        business=history, promotion=draft, generation=1, status=SimulationStatus.QUEUED
    )
    page = client.get(f"/rewards/{draft.pk}/", headers=EN).content.decode()
    assert 'data-testid="estimate-pending"' in page
    assert f'hx-get="/rewards/{draft.pk}/estimate/"' in page and "every 2s" in page
    assert 'data-testid="estimate-recompute"' not in page  # a viewer cannot ask again

    from wateja.jobs.simulation_tasks import offer_estimate_run

    offer_estimate_run.call_local(simulation.pk, 1)  # what the worker does
    partial = client.get(f"/rewards/{draft.pk}/estimate/", headers=HTMX).content.decode()
    assert partial.startswith('<div id="offer-estimate"')
    assert "hx-trigger" not in partial and "Simulated on" in partial
    assert money(50_000, "KES") in partial  # 10% of every sale: 100 + 200 + 150 + 50


def test_without_a_worker_the_page_says_the_estimate_waits_for_it(history, staff_client, settings):
    settings.HUEY = {**settings.HUEY, "immediate": False}
    client = staff_client(history, Role.MANAGER)
    draft = _draft(history)
    OfferSimulation.objects.create(
        business=history, promotion=draft, generation=1, status=SimulationStatus.QUEUED
    )
    partial = client.get(f"/rewards/{draft.pk}/estimate/", headers=HTMX).content.decode()
    assert 'data-testid="estimate-waiting"' in partial
    assert "wateja worker" in partial and "every 10s" in partial


def test_a_manager_recomputes_and_a_cashier_cannot(
    history, staff_client, django_capture_on_commit_callbacks
):
    draft = _draft(history)  # saved without its callbacks: no estimate yet
    manager = staff_client(history, Role.MANAGER)
    page = manager.get(f"/rewards/{draft.pk}/", headers=EN).content.decode()
    assert 'data-testid="estimate-none"' in page and "Estimate the cost" in page

    cashier = staff_client(history, Role.CASHIER)
    assert cashier.post(f"/rewards/{draft.pk}/estimate/", headers=HTMX).status_code == 403
    assert not OfferSimulation.objects.filter(promotion=draft).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/rewards/{draft.pk}/estimate/", headers=HTMX)
    assert response.status_code == 200
    assert OfferSimulation.objects.get(promotion=draft).status == SimulationStatus.DONE
    with django_capture_on_commit_callbacks(execute=True):
        plain = manager.post(f"/rewards/{draft.pk}/estimate/")
    assert plain.status_code == 302 and plain["Location"] == f"/rewards/{draft.pk}/"
    assert OfferSimulation.objects.get(promotion=draft).generation == 2


def test_a_failed_estimate_shows_its_message(history, staff_client):
    draft = _draft(history)
    OfferSimulation.objects.create(
        business=history,
        promotion=draft,
        status=SimulationStatus.FAILED,
        error="The estimate could not be computed. Try again; if it fails again, tell us.",
    )
    page = staff_client(history, Role.MANAGER).get(f"/rewards/{draft.pk}/", headers=EN)
    text = page.content.decode()
    assert 'data-testid="estimate-failed"' in text and "could not be computed" in text
    assert "Recompute" in text


def test_a_multiplier_with_no_base_rule_says_why_it_adds_nothing(
    business, staff_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        double = promotion_save(
            business=business,
            name="Double points",
            type="points_multiplier",
            params={"multiplier_bp": 20_000},
        )
    page = staff_client(business, Role.MANAGER).get(f"/rewards/{double.pk}/", headers=EN)
    text = page.content.decode()
    assert 'data-testid="estimate-no-base"' in text
    assert "would not have changed any sale of the last 3 months" in text


def test_another_business_cannot_read_or_recompute_an_estimate(
    history, other_business, staff_client
):
    draft = _draft(history)
    stranger = staff_client(other_business, Role.OWNER)
    assert stranger.get(f"/rewards/{draft.pk}/estimate/").status_code == 404
    assert stranger.post(f"/rewards/{draft.pk}/estimate/").status_code == 404
    assert Promotion.objects.get(pk=draft.pk).business_id == history.pk
