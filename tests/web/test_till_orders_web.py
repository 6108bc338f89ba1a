"""After the sale, through the Django client and the real views: the receipt (lines as
quantity × price = total, the local time, the balance as at the sale, the paper width, the
receipt message's live status), the order page's refunds (by line with a reason, a manager's
PIN above the limit, once per form) and voids (the same cashier within the minutes, with a
confirmation), the till's settings and the end-of-day page."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from wateja.customers.services import customer_create
from wateja.messaging.models import Message
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.orders.models import OrderRefund, OrderStatus
from wateja.orders.refunds import till_settings, till_settings_update
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.roles import Role
from wateja.tenants.services import location_create, staff_add
from wateja.tenants.staff import staff_pin_set
from wateja.wallet.models import Kind
from wateja.wallet.services import balances, points_earn

EN = {"Accept-Language": "en"}
NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
MORNING = dt.datetime(2031, 5, 14, 9, 5, tzinfo=NAIROBI)  # 06:05 UTC
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def shop(business):
    promotion = promotion_save(
        business=business,
        name="Points",
        type="points_per_amount",
        params={"points": 1, "per_amount_minor": 10_000},
    )
    promotion_set_status(promotion=promotion, status="active")
    customer = customer_create(business=business, name="Neema Wairimu", phone="0712345678")
    points_earn(customer=customer, amount=500, idempotency_key="opening")
    return customer


def _user(username):
    return get_user_model().objects.get(username=username)


def _sell(business, cashier, customer=None, points=0, lines=(), total_minor=None, location=None):
    key = f"web-test-{next(_keys)}"
    checkout_reserve(
        business=business,
        key=key,
        sale=SaleInput(
            currency="KES", lines=tuple(lines), total_minor=total_minor, points_to_spend=points
        ),
        customer=customer,
        location=location,
        actor=cashier,
    )
    return checkout_commit(business=business, key=key, actor=cashier)


def _line(sku, quantity, price_minor):
    return {
        "sku": sku,
        "name": sku.capitalize(),
        "quantity": quantity,
        "unit_price_minor": price_minor,
    }


def _form_key(page, form):
    found = re.search(rf'data-testid="{form}".*?name="key" value="(\w+)"', page, re.S)
    return found.group(1)


def _points(customer):
    return balances(customer)[Kind.POINTS]["balance"]


# ---------------------------------------------------------------- the receipt


def test_receipt_lines_local_time_balance_as_at_the_sale_and_paper(business, shop, staff_client):
    client = staff_client(business, Role.CASHIER, username="amina")
    order = _sell(
        business,
        _user("amina"),
        shop,
        points=100,
        lines=[_line("latte", 2, 28_000), _line("cake", 1, 15_000)],
    )
    page = client.get(f"/orders/{order.pk}/receipt/", headers=EN).content.decode()
    assert "2 × 280.00 = 560.00" in page and "1 × 150.00 = 150.00" in page
    assert "14 May 2031, 09:05" in page  # Nairobi's time, not 06:05 UTC
    # 710.00 − 100 points (100.00) = 610.00 paid: 6 points; 500 − 100 + 6
    assert 'data-testid="receipt-total"><strong>KES610.00' in page
    assert "balance 406 points" in page
    assert 'class="card receipt paper-80"' in page
    points_earn(customer=shop, amount=50, idempotency_key="later")
    again = client.get(f"/orders/{order.pk}/receipt/?paper=58", headers=EN).content.decode()
    assert "balance 406 points" in again  # a reprint shows the balance as at the sale
    assert 'class="card receipt paper-58"' in again
    assert 'aria-current="true" data-testid="paper-58"' in again
    main = again.split("<main>", 1)[1]
    assert "None" not in main and "{" not in main and "}" not in main


def test_receipt_in_swahili_has_local_date_and_numbers(business, shop, staff_client):
    client = staff_client(business, Role.CASHIER, username="juma")
    order = _sell(business, _user("juma"), lines=[_line("chai", 3, 5_000)])
    page = client.get(f"/orders/{order.pk}/receipt/", headers={"Accept-Language": "sw"})
    text = page.content.decode()
    assert "3 × 50.00 = 150.00" in text and "14 Mei 2031 09:05" in text


def test_receipt_sms_status_polls_until_final(business, shop, staff_client):
    client = staff_client(business, Role.CASHIER, username="amina")
    order = _sell(business, _user("amina"), shop, lines=[_line("latte", 1, 28_000)])
    page = client.get(f"/orders/{order.pk}/receipt/", headers=EN).content.decode()
    assert 'data-testid="receipt-status-sms"' in page and "every 3s" not in page
    sent = client.post(
        f"/orders/{order.pk}/receipt/send/",
        {"channel": "sms"},
        headers={**EN, "HX-Request": "true"},
    ).content.decode()
    assert ">Queued<" in sent and 'hx-trigger="every 3s"' in sent
    status_url = f"/orders/{order.pk}/receipt/status/sms/"
    assert f'hx-get="{status_url}"' in sent
    message = Message.objects.get()
    message.status, message.sent_at = "sent", dt.datetime.now(dt.UTC)
    message.save()
    polled = client.get(status_url, headers={**EN, "HX-Request": "true"}).content.decode()
    assert ">Sent<" in polled and "every 3s" in polled  # the delivery report may still come
    message.status = "delivered"
    message.save()
    final = client.get(status_url, headers={**EN, "HX-Request": "true"}).content.decode()
    assert ">Delivered<" in final and "hx-trigger" not in final
    failed_order = _sell(business, _user("amina"), shop, lines=[_line("latte", 1, 28_000)])
    client.post(f"/orders/{failed_order.pk}/receipt/send/", {"channel": "sms"}, headers=EN)
    Message.objects.filter(dedupe_key=f"receipt:{failed_order.pk}:sms").update(status="failed")
    page = client.get(f"/orders/{failed_order.pk}/receipt/", headers=EN).content.decode()
    assert ">Failed<" in page and "every 3s" not in page
    assert client.get(f"/orders/{order.pk}/receipt/status/fax/").status_code == 404


# ---------------------------------------------------------------- refunds


def test_refund_by_line_with_reason_gives_points_back_once(business, shop, staff_client):
    client = staff_client(business, Role.CASHIER, username="amina")
    # 2 × 250.00 + 500.00 = 1,000.00; 100 points pay 100.00; 900.00 paid earns 9 points
    order = _sell(
        business,
        _user("amina"),
        shop,
        points=100,
        lines=[_line("latte", 2, 25_000), _line("cake", 1, 50_000)],
    )
    assert _points(shop) == 500 - 100 + 9
    receipt = client.get(f"/orders/{order.pk}/receipt/", headers=EN).content.decode()
    assert f'href="/orders/{order.pk}/"' in receipt
    page = client.get(f"/orders/{order.pk}/", headers=EN).content.decode()
    assert "2 left to refund" in page and "Void the sale" in page
    key = _form_key(page, "refund-form")
    latte = order.lines.get(sku="latte")
    form = {"key": key, "mode": "lines", f"qty_{latte.pk}": "1", "reason": ""}
    refused = client.post(f"/orders/{order.pk}/refund/", form, headers=EN).content.decode()
    assert "Say why the sale is refunded." in refused
    assert not OrderRefund.objects.exists()
    form["reason"] = "cold coffee"
    done = client.post(f"/orders/{order.pk}/refund/", form, headers=EN)
    refund = OrderRefund.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"/orders/{order.pk}/?done={refund.pk}#done"
    # a quarter of the sale: a quarter of the 100 points paid back, of the 9 earned 2 taken
    # back, and 225.00 of the 900.00 paid in money
    assert (refund.amount_minor, refund.money_minor, refund.reason) == (
        25_000,
        22_500,
        "cold coffee",
    )
    assert _points(shop) == 409 + 25 - 2
    shown = client.get(done["Location"], headers=EN).content.decode()
    assert "The refund is done." in shown
    assert re.search(r'data-testid="moves-points-back">25<', shown)
    assert re.search(r'data-testid="moves-points-taken">2<', shown)
    assert re.search(r'data-testid="moves-money">KES225.00<', shown)
    assert "1 left to refund" in shown and "Partially refunded" in shown
    assert "Void the sale" not in shown  # part of it was refunded: no void any more
    again = client.post(f"/orders/{order.pk}/refund/", form, headers=EN)  # a double submit
    assert again["Location"] == done["Location"]
    assert OrderRefund.objects.count() == 1 and _points(shop) == 432
    receipt = client.get(f"/orders/{order.pk}/receipt/", headers=EN).content.decode()
    assert "(1 refunded)" in receipt


def test_refund_above_the_limit_asks_for_a_managers_pin(business, shop, staff_client):
    till_settings_update(business=business, approval_above_minor=20_000, void_minutes=10)
    manager = staff_add(business=business, username="baraka", role=Role.MANAGER)
    staff_pin_set(staff=manager, pin="1397")
    client = staff_client(business, Role.CASHIER, username="amina")
    order = _sell(business, _user("amina"), shop, lines=[_line("latte", 2, 25_000)])
    page = client.get(f"/orders/{order.pk}/", headers=EN).content.decode()
    assert "A refund above KES200.00 needs a manager's PIN." in page
    form = {"key": _form_key(page, "refund-form"), "mode": "order", "reason": "wrong order"}
    asked = client.post(f"/orders/{order.pk}/refund/", form, headers=EN).content.decode()
    assert "A refund above the limit needs a manager&#x27;s PIN." in asked
    assert 'name="approver_pin"' in asked and not OrderRefund.objects.exists()
    assert f'name="key" value="{form["key"]}"' in asked  # the same refund, asked again
    wrong = client.post(
        f"/orders/{order.pk}/refund/", {**form, "approver_pin": "2468"}, headers=EN
    ).content.decode()
    assert "Wrong PIN" in wrong and 'name="approver_pin"' in wrong
    done = client.post(f"/orders/{order.pk}/refund/", {**form, "approver_pin": "1397"}, headers=EN)
    assert done.status_code == 302
    refund = OrderRefund.objects.get()
    assert (refund.amount_minor, refund.approved_by.username) == (50_000, "baraka")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.lines.get().refunded_quantity == 2  # the whole order, line by line
    shown = client.get(done["Location"], headers=EN).content.decode()
    assert "approved by baraka" in shown and "wrong order" in shown
    assert 'data-testid="refund-form"' not in shown  # nothing left to refund


def test_a_viewer_sees_the_order_but_cannot_refund(business, shop, staff_client):
    staff_add(business=business, username="amina", role=Role.CASHIER)
    order = _sell(business, _user("amina"), lines=[_line("latte", 1, 25_000)])
    viewer = staff_client(business, Role.VIEWER)
    page = viewer.get(f"/orders/{order.pk}/", headers=EN).content.decode()
    assert "Latte" in page and 'data-testid="refund-form"' not in page
    posted = viewer.post(
        f"/orders/{order.pk}/refund/", {"key": "0" * 32, "mode": "order", "reason": "x"}
    )
    assert posted.status_code == 403 and not OrderRefund.objects.exists()


def test_another_business_cannot_see_or_refund_the_order(business, other_business, staff_client):
    staff_add(business=business, username="amina", role=Role.CASHIER)
    order = _sell(business, _user("amina"), total_minor=25_000)
    stranger = staff_client(other_business, Role.OWNER)
    assert stranger.get(f"/orders/{order.pk}/").status_code == 404
    assert stranger.get(f"/orders/{order.pk}/receipt/status/sms/").status_code == 404
    form = {"key": "a" * 32, "mode": "order", "reason": "x"}
    assert stranger.post(f"/orders/{order.pk}/refund/", form).status_code == 404
    assert stranger.post(f"/orders/{order.pk}/void/", {**form, "confirmed": "1"}).status_code == 404
    assert not OrderRefund.objects.exists()


# ---------------------------------------------------------------- voids


def test_void_by_the_same_cashier_within_the_minutes_after_a_confirmation(
    business, shop, staff_client, clock
):
    amina = staff_client(business, Role.CASHIER, username="amina")
    other = staff_client(business, Role.CASHIER, username="juma")
    order = _sell(business, _user("amina"), shop, points=100, lines=[_line("latte", 2, 25_000)])
    assert _points(shop) == 500 - 100 + 4
    # another cashier sees no void, and is refused if they try
    theirs = other.get(f"/orders/{order.pk}/", headers=EN).content.decode()
    assert 'data-testid="void-form"' not in theirs and 'data-testid="refund-form"' in theirs
    tried = other.post(
        f"/orders/{order.pk}/void/",
        {"key": "b" * 32, "reason": "mistake", "confirmed": "1"},
        headers=EN,
    ).content.decode()
    assert "Only the cashier who made the sale, or a manager, can void it." in tried
    # the cashier who made it: a reason, then a confirmation, then the void
    page = amina.get(f"/orders/{order.pk}/", headers=EN).content.decode()
    assert "possible until 14 May 2031, 09:15" in page
    key = _form_key(page, "void-form")
    no_reason = amina.post(f"/orders/{order.pk}/void/", {"key": key, "reason": " "}, headers=EN)
    assert "Say why the sale is voided." in no_reason.content.decode()
    confirm = amina.post(
        f"/orders/{order.pk}/void/", {"key": key, "reason": "rang up twice"}, headers=EN
    ).content.decode()
    assert "Void sale W-" in confirm and "KES500.00?" in confirm
    assert 'data-testid="void-confirm-yes"' in confirm and not OrderRefund.objects.exists()
    clock.shift(dt.timedelta(minutes=9))
    done = amina.post(
        f"/orders/{order.pk}/void/",
        {"key": key, "reason": "rang up twice", "confirmed": "1"},
        headers=EN,
    )
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.VOIDED and _points(shop) == 500
    shown = amina.get(done["Location"], headers=EN).content.decode()
    assert "The sale is voided." in shown and ">Voided<" in shown
    assert re.search(r'data-testid="moves-points-back">100<', shown)
    assert re.search(r'data-testid="moves-money">KES400.00<', shown)
    assert 'data-testid="refund-form"' not in shown and 'data-testid="void-form"' not in shown


def test_no_void_after_the_window_not_even_by_a_manager(business, shop, staff_client, clock):
    amina = staff_client(business, Role.CASHIER, username="amina")
    boss = staff_client(business, Role.MANAGER, username="boss")
    order = _sell(business, _user("amina"), total_minor=30_000)
    assert (
        'data-testid="void-form"' in boss.get(f"/orders/{order.pk}/", headers=EN).content.decode()
    )
    clock.shift(dt.timedelta(minutes=11))
    page = amina.get(f"/orders/{order.pk}/", headers=EN).content.decode()
    assert 'data-testid="void-form"' not in page and 'data-testid="refund-form"' in page
    late = amina.post(
        f"/orders/{order.pk}/void/",
        {"key": "c" * 32, "reason": "late", "confirmed": "1"},
        headers=EN,
    ).content.decode()
    assert "A sale can be voided within 10 minutes; refund it instead." in late
    assert 'data-testid="void-form"' not in boss.get(f"/orders/{order.pk}/").content.decode()
    assert not OrderRefund.objects.exists()


# ---------------------------------------------------------------- settings and end of day


def test_till_settings_page_for_managers(business, staff_client):
    cashier = staff_client(business, Role.CASHIER)
    assert cashier.get("/till/settings/").status_code == 403
    manager = staff_client(business, Role.MANAGER)
    page = manager.get("/till/settings/", headers=EN).content.decode()
    assert 'name="approval_above_minor"' in page and 'value="10"' in page
    bad = manager.post(
        "/till/settings/", {"approval_above_minor": "lots", "void_minutes": "5000"}, headers=EN
    ).content.decode()
    assert "Enter an amount, such as 5,000." in bad and 'data-testid="error-void_minutes"' in bad
    saved = manager.post(
        "/till/settings/", {"approval_above_minor": "5,000", "void_minutes": "15"}, headers=EN
    )
    assert saved.status_code == 302
    row = till_settings(business)
    assert (row.approval_above_minor, row.void_minutes) == (500_000, 15)
    assert 'value="5,000.00"' in manager.get("/till/settings/", headers=EN).content.decode()
    manager.post("/till/settings/", {"approval_above_minor": "", "void_minutes": "15"})
    assert till_settings(business).approval_above_minor is None


def _figure(page, name, testid=None):
    scope = page
    if testid:
        scope = page.split(f'data-testid="{testid}"', 1)[1]
    return re.search(rf'data-figure="{name}">([^<]*)<', scope).group(1)


def test_shift_page_cashier_today_manager_any_day_and_location(business, shop, staff_client, clock):
    town = location_create(business=business, name="Town")
    mall = location_create(business=business, name="Mall")
    amina = staff_client(business, Role.CASHIER, username="amina")
    juma = staff_client(business, Role.CASHIER, username="juma")
    manager = staff_client(business, Role.MANAGER, username="boss")
    _sell(business, _user("amina"), shop, lines=[_line("latte", 2, 25_000)], location=town)
    _sell(business, _user("juma"), total_minor=30_000, location=mall)
    voided = _sell(business, _user("juma"), total_minor=10_000, location=mall)
    form = {"key": "d" * 32, "reason": "twice", "confirmed": "1"}
    juma.post(f"/orders/{voided.pk}/void/", form)
    refunded = _sell(business, _user("amina"), total_minor=20_000, location=town)
    amina.post(
        f"/orders/{refunded.pk}/refund/", {"key": "e" * 32, "mode": "order", "reason": "broken"}
    )
    page = amina.get("/till/shift/", headers=EN).content.decode()
    assert "Wednesday, 14 May 2031" in page and 'data-testid="shift-filter"' not in page
    # 500.00 + 300.00 + 100.00 + 200.00 sold; 200.00 refunded, 100.00 voided
    assert _figure(page, "sales", "shift-total") == "4 sales"
    assert _figure(page, "sales-total", "shift-total") == "KES1,100.00"
    assert _figure(page, "members-share", "shift-total") == "45%"  # 500.00 of 1,100.00
    assert _figure(page, "points-given", "shift-total") == "5"
    assert _figure(page, "refunds-total", "shift-total") == "−KES200.00"
    assert _figure(page, "voids-total", "shift-total") == "−KES100.00"
    assert _figure(page, "net", "shift-total") == "KES800.00"
    assert page.index(">amina<") < page.index(">juma<")
    assert "Town" in page and "Mall" in page
    clock.shift(dt.timedelta(days=1))
    today = amina.get("/till/shift/?day=2031-05-14", headers=EN).content.decode()
    assert _figure(today, "sales", "shift-total") == "0 sales"  # a cashier sees today only
    chosen = manager.get(
        f"/till/shift/?day=2031-05-14&location={mall.pk}&paper=58", headers=EN
    ).content.decode()
    assert 'data-testid="shift-filter"' in chosen and "paper-58" in chosen
    assert _figure(chosen, "sales", "shift-total") == "2 sales"
    assert _figure(chosen, "sales-total", "shift-total") == "KES400.00"
    assert _figure(chosen, "voids", "shift-total") == "1"
    assert _figure(chosen, "members-share", "shift-total") == "0%"
    future = manager.get("/till/shift/?day=2099-01-01", headers=EN).content.decode()
    assert "That day has not come yet" in future
