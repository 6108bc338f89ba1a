"""The catalogue screens through the Django test client: a manager adds and changes products
with prices typed as people type them, brings a list in from a spreadsheet after a preview,
and chooses an offer's products from the catalogue; a cashier only looks."""

from __future__ import annotations

import io

from wateja.catalog.models import Product
from wateja.catalog.services import product_save
from wateja.promotions.models import Promotion
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}


def test_a_manager_adds_and_changes_a_product(business, staff_client):
    manager = staff_client(business, Role.MANAGER)
    form = {
        "sku": "LATTE",
        "name": "Latte",
        "name_sw": "Kahawa ya maziwa",
        "name_hy": "",
        "name_ru": "",
        "category": "Coffee",
        "price": "1,250.50",
        "unit": "piece",
        "weight_grams": "",
        "barcode": "6161100000012",
        "favourite": "on",
        "active": "on",
    }
    assert manager.post("/catalog/new/", form, headers=EN).status_code == 302
    latte = Product.objects.get(business=business)
    assert (latte.price_minor, latte.names, latte.category.name) == (
        125_050,
        {"sw": "Kahawa ya maziwa"},
        "Coffee",
    )
    taken = manager.post("/catalog/new/", {**form, "sku": "latte", "barcode": ""}, headers=EN)
    assert "Already used by another product." in taken.content.decode()
    bad = manager.post(f"/catalog/{latte.pk}/", {**form, "price": "lots"}, headers=EN)
    assert "The price is not a valid amount." in bad.content.decode()
    manager.post(f"/catalog/{latte.pk}/", {**form, "price": "300", "unit": "kg"}, headers=EN)
    latte.refresh_from_db()
    assert (latte.price_minor, latte.unit, latte.by_weight) == (30_000, "kg", True)
    page = manager.get("/catalog/?q=kahawa", headers=EN).content.decode()
    assert "Latte" in page and f'href="/catalog/{latte.pk}/"' in page


def test_a_cashier_finds_products_but_does_not_change_them(business, staff_client):
    product_save(business=business, sku="chai", name="Chai", price_minor=15_000)
    cashier = staff_client(business, Role.CASHIER)
    page = cashier.get("/catalog/", headers=EN).content.decode()
    assert "Chai" in page and "/catalog/new/" not in page
    assert cashier.get("/catalog/new/").status_code == 403
    assert cashier.get("/catalog/import/").status_code == 403


def test_a_product_list_is_imported_after_a_preview(business, staff_client):
    manager = staff_client(business, Role.MANAGER)
    sheet = io.BytesIO(
        "Код;Наименование;Цена;Категория\nTEA;Чай;120,50;Напитки\nBAD;Плохо;дорого;\n".encode(
            "cp1251"
        )
    )
    sheet.name = "products.csv"
    preview = manager.post("/catalog/import/", {"file": sheet}, headers=EN).content.decode()
    assert 'data-testid="import-preview"' in preview and "1 new products" in preview
    assert "Row 3, column C" in preview
    assert not Product.objects.filter(business=business).exists()
    token = preview.split('name="token" value="')[1].split('"')[0]
    done = manager.post("/catalog/import/", {"token": token}, headers=EN).content.decode()
    assert 'data-testid="import-done"' in done
    tea = Product.objects.get(business=business)
    assert (tea.sku, tea.name, tea.price_minor, tea.category.name) == (
        "TEA",
        "Чай",
        12_050,
        "Напитки",
    )
    gone = manager.post("/catalog/import/", {"token": token}, headers=EN)
    assert gone.status_code == 302  # the file was used once and removed


def test_an_offer_chooses_its_products_from_the_catalogue(business, staff_client):
    product_save(
        business=business, sku="Latte-L", name="Latte", price_minor=28_000, category="Coffee"
    )
    manager = staff_client(business, Role.MANAGER)
    page = manager.get("/rewards/new/custom/", headers=EN).content.decode()
    assert '<option value="Latte-L">Latte (Latte-L)</option>' in page
    assert 'value="Coffee"' in page
    saved = manager.post(
        "/rewards/new/custom/",
        {
            "name": "Latte week",
            "type": "percent_off_items",
            "percent": "10",
            "skus": ["Latte-L"],
            "categories": ["Coffee"],
            "stackable": "on",
            "budget_period": "total",
        },
        headers=EN,
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    offer = Promotion.objects.get(business=business, name="Latte week")
    assert offer.params["skus"] == ["Latte-L"] and offer.params["categories"] == ["Coffee"]
    typed = manager.post(
        "/rewards/new/custom/",
        {
            "name": "Typed",
            "type": "percent_off_items",
            "percent": "10",
            "skus": ["NOT-IN-CATALOGUE"],
            "budget_period": "total",
        },
        headers=EN,
    )
    assert "Select a valid choice" in typed.content.decode()


def test_a_forged_import_token_is_refused_calmly(business, staff_client):
    manager = staff_client(business, Role.MANAGER)
    for token in ("not-a-token", "../../etc/passwd", "0" * 32):
        response = manager.post("/catalog/import/", {"token": token}, headers=EN)
        assert response.status_code == 302 and response["Location"] == "/catalog/import/"
    assert not Product.objects.filter(business=business).exists()
