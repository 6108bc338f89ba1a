"""The cashier screen through the Django test client: evaluate with reasons, complete a sale,
receipt; money typed the way the cashier types it."""

from __future__ import annotations

import re

from wateja.customers.services import customer_create
from wateja.orders.models import Order
from wateja.promotions.services import codes_issue, promotion_save, promotion_set_status
from wateja.tenants.roles import Role
from wateja.wallet.services import points_earn

EN = {"Accept-Language": "en"}


def _offer(business, **fields):
    promotion = promotion_save(business=business, **fields)
    return promotion_set_status(promotion=promotion, status="active")


def test_cashier_rings_up_a_sale_with_code_points_and_reasons(business, staff_client):
    customer = customer_create(business=business, name="Neema Wairimu", phone="0712345678")
    points_earn(customer=customer, amount=500, idempotency_key="seed")
    _offer(
        business,
        name="Points",
        type="points_per_amount",
        params={"points": 1, "per_amount_minor": 10_000},
    )
    code_offer = _offer(
        business,
        name="KARIBU",
        type="amount_off_order",
        params={"amount_minor": 10_000},
        requires_code=True,
    )
    codes_issue(promotion=code_offer, code="KARIBU", kind="reusable", min_subtotal_minor=100_000)
    _offer(
        business,
        name="Own cup",
        type="amount_off_order",
        params={"amount_minor": 2_000},
        conditions={"type": "flag", "name": "own_cup"},
    )
    client = staff_client(business, Role.CASHIER)
    page = client.get("/checkout/", headers=EN).content.decode()
    assert 'value="own_cup"' in page
    key = re.search(r'name="checkout_key" value="(\w+)"', page).group(1)
    form = {
        "checkout_key": key,
        "customer": "0712 345 678",
        "sku_0": "latte",
        "qty_0": "3",
        "price_0": "280",
        "codes": "karibu",
        "points": "50",
    }
    short = client.post("/checkout/evaluate/", form, headers=EN).content.decode()
    assert "Neema Wairimu" in short
    assert "Add" in short and "160.00" in short  # 840.00 of the 1,000.00 needed
    form["qty_0"] = "4"
    form["flags"] = ["own_cup"]
    full = client.post("/checkout/evaluate/", form, headers=EN).content.decode()
    # 1,120.00 − 100.00 − 20.00 = 1,000.00, minus 50 points = 950.00
    assert "950.00" in full
    done = client.post("/checkout/complete/", form, headers={**EN, "HX-Request": "true"})
    assert done.status_code == 200 and done["HX-Redirect"].startswith("/orders/")
    order = Order.objects.get()
    assert order.total_minor == 100_000
    receipt = client.get(done["HX-Redirect"], headers=EN).content.decode()
    assert "950.00" in receipt and "Neema Wairimu" in receipt
    again = client.post("/checkout/complete/", form, headers={**EN, "HX-Request": "true"})
    assert again["HX-Redirect"] == done["HX-Redirect"]
    assert Order.objects.count() == 1


def test_total_only_sale_and_unknown_customer(business, staff_client):
    client = staff_client(business, Role.CASHIER)
    bad = client.post(
        "/checkout/evaluate/", {"customer": "0799 999 999", "total": "500"}, headers=EN
    ).content.decode()
    assert "No customer matches" in bad
    typo = client.post(
        "/checkout/evaluate/", {"total": "five hundred"}, headers=EN
    ).content.decode()
    assert "not a valid amount" in typo
    client.post("/checkout/complete/", {"checkout_key": "x1", "total": "1,250.50"})
    assert Order.objects.get().total_minor == 125_050


def test_viewer_cannot_use_the_till(business, staff_client):
    assert staff_client(business, Role.VIEWER).get("/checkout/").status_code == 403
