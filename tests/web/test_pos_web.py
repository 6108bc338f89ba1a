"""The cashier screen through the Django test client: evaluate with reasons, complete a sale,
receipt; money typed the way the cashier types it."""

from __future__ import annotations

import re

from wateja.catalog.services import product_save
from wateja.customers.models import Customer
from wateja.customers.services import customer_create
from wateja.orders.models import Order
from wateja.promotions.models import Referral
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
    product_save(business=business, sku="latte", name="Latte", price_minor=28_000, favourite=True)
    client = staff_client(business, Role.CASHIER)
    page = client.get("/checkout/", headers=EN).content.decode()
    assert 'value="own_cup"' in page and 'data-testid="fav-latte"' in page
    key = re.search(r'name="checkout_key" value="(\w+)"', page).group(1)
    found = client.post(
        "/checkout/evaluate/",
        {"checkout_key": key, "customer_q": "345 678", "scan": "LATTE"},
        headers=EN,
    ).content.decode()
    assert "Neema Wairimu" in found and re.search(r"1 × \S*280.00 =</span> <strong", found)
    form = {
        "checkout_key": key,
        "customer_id": str(customer.pk),
        "line_sku": ["latte"],
        "line_qty": ["3"],
        "line_grams": ["0"],
        "line_price": [""],
        "codes": "karibu",
        "points": "50",
    }
    short = client.post("/checkout/evaluate/", form, headers=EN).content.decode()
    assert "Neema Wairimu" in short
    assert "Add" in short and "160.00" in short  # 840.00 of the 1,000.00 needed
    plus = client.post("/checkout/evaluate/", {**form, "inc": "0"}, headers=EN).content.decode()
    assert 'name="line_qty" value="4"' in plus
    form["line_qty"] = ["4"]
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
        "/checkout/evaluate/", {"customer_q": "0799 999 999", "total": "500"}, headers=EN
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


def test_the_till_weighs_enrols_and_uses_all_points(business, staff_client):
    product_save(business=business, sku="beans", name="Beans", price_minor=200_000, unit="kg",
                 favourite=True)  # fmt: skip
    referrer = customer_create(business=business, name="Amina Referrer", phone="0711000222")
    client = staff_client(business, Role.CASHIER)
    added = client.post("/checkout/evaluate/", {"add": "beans"}, headers=EN).content.decode()
    assert 'data-testid="grams-0"' in added and "Weigh the item" in added
    form = {"line_sku": ["beans"], "line_qty": ["1"], "line_grams": ["750"], "line_price": [""],
            "enrol": "1", "new_name": "Juma Mpya", "new_phone": "0722 333 444",
            "new_referrer": "0711 000 222"}  # fmt: skip
    weighed = client.post("/checkout/evaluate/", form, headers=EN).content.decode()
    assert "1,500.00" in weighed and "Juma Mpya" in weighed  # 0.75 kg × 2,000.00
    juma = Customer.objects.get(name="Juma Mpya")
    assert Referral.objects.get(friend=juma).referrer == referrer
    points_earn(customer=juma, amount=9_999, idempotency_key="gift")
    use_all = {**form, "enrol": "", "customer_id": str(juma.pk), "use_all": "1"}
    capped = client.post("/checkout/evaluate/", use_all, headers=EN).content.decode()
    assert 'name="points" value="1500"' in capped  # the bill, not the 9,999 held
    assert "0.00" in capped


def test_odd_ids_in_the_till_form_find_no_one_and_never_fail(business, staff_client):
    client = staff_client(business, Role.CASHIER)
    for field in ("customer_id", "pick_customer"):
        for value in (str(10**30), "-5", "abc"):
            page = client.post("/checkout/evaluate/", {field: value, "total": "100"}, headers=EN)
            assert page.status_code == 200
            assert 'data-testid="pos-customer-found"' not in page.content.decode()


def test_the_till_says_when_a_sale_would_earn_the_customer_nothing(business, staff_client):
    from wateja.customers.services import customer_create
    from wateja.promotions.recipes import recipe_save

    customer_create(business=business, name="Akinyi", phone="0712000999")
    client = staff_client(business, Role.CASHIER)
    form = {"customer_q": "0712000999", "total": "500"}
    page = client.post("/checkout/evaluate/", form, headers=EN).content.decode()
    assert "Akinyi" in page and 'data-testid="pos-no-programme"' in page
    recipe_save(business=business, key="stamps", values={"visits": 5, "sku": "x"}, activate=True)
    page = client.post("/checkout/evaluate/", form, headers=EN).content.decode()
    assert 'data-testid="pos-no-programme"' not in page
