"""The product catalogue through its services and the HTTP API: products found the way a
till finds them, a spreadsheet import with a preview that is exactly the result, the till
pricing from the catalogue (by weight too), and offers that name catalogue items in any case."""

from __future__ import annotations

import io

import openpyxl
import pytest

from wateja.catalog.importing import products_import
from wateja.catalog.models import Product
from wateja.catalog.services import product_find, product_save, product_search
from wateja.core.errors import Conflict, ValidationFailed
from wateja.orders.checkout import SaleInput, checkout_evaluate
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.roles import Role


@pytest.fixture
def latte(business):
    return product_save(business=business, sku="Latte-L", name="Latte", price_minor=28_000,
                        category="Coffee", barcode="6161100000012",
                        names={"sw": "Kahawa ya maziwa"})  # fmt: skip


def test_a_till_finds_a_product_by_barcode_or_sku_in_any_case(business, latte):
    assert product_find(business, "6161100000012") == latte
    assert product_find(business, "latte-l") == latte
    assert product_find(business, " LATTE-L ") == latte
    assert product_find(business, "latte") is None
    assert list(product_search(business, "maziwa")) == [latte]
    assert latte.name_in("sw") == "Kahawa ya maziwa" and latte.name_in("ru") == "Latte"


def test_codes_are_unique_per_business_in_any_case(business, other_business, latte):
    with pytest.raises(Conflict) as taken:
        product_save(business=business, sku="LATTE-l", name="Other", price_minor=1)
    assert taken.value.code == "sku_taken"
    with pytest.raises(Conflict) as barcode:
        product_save(business=business, sku="x", name="X", price_minor=1, barcode="6161100000012")
    assert barcode.value.code == "barcode_taken"
    product_save(business=other_business, sku="latte-l", name="Latte", price_minor=900_000)
    with pytest.raises(ValidationFailed) as bad:
        product_save(business=business, sku="", name="", price_minor=-1)
    assert set(bad.value.details["fields"]) == {"sku", "name", "price_minor"}


def _sheet(rows) -> io.BytesIO:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_a_product_list_in_swahili_imports_after_an_exact_preview(business, latte):
    rows = [
        ["Bidhaa", "Kodi", "Aina", "Bei", "Kipimo", "Jina kwa Kiswahili"],
        ["Latte large", "LATTE-L", "Coffee", 300, "pc", ""],
        ["Chai", "CHAI", "Tea", "120.50", "kipande", "Chai ya tangawizi"],
        ["Sugar", "SUGAR-KG", "Groceries", 250, "kg", "Sukari"],
        ["Broken", "BROKEN", "", "free", "", ""],
        ["Twice", "chai", "", 10, "", ""],
    ]
    preview = products_import(business=business, fileobj=_sheet(rows), dry_run=True)
    assert preview["mapping"] == {"0": "name", "1": "sku", "2": "category", "3": "price",
                                  "4": "unit", "5": "name_sw"}  # fmt: skip
    assert (preview["created"], preview["updated"], preview["error_count"]) == (2, 1, 2)
    assert [(e["row"], e["column"], e["field"]) for e in preview["errors"]] == [
        (5, "D", "price"),
        (6, "B", "sku"),
    ]
    assert Product.objects.filter(business=business).count() == 1  # a preview writes nothing
    done = products_import(business=business, fileobj=_sheet(rows), dry_run=False)
    assert {k: done[k] for k in ("created", "updated", "error_count")} == {
        "created": 2,
        "updated": 1,
        "error_count": 2,
    }
    latte.refresh_from_db()
    assert (latte.name, latte.price_minor, latte.barcode) == (
        "Latte large",
        30_000,
        "6161100000012",
    )
    sugar = product_find(business, "sugar-kg")
    assert (sugar.unit, sugar.by_weight, sugar.price_minor) == ("kg", True, 25_000)
    chai = product_find(business, "chai")
    assert (chai.price_minor, chai.names, chai.category.name) == (
        12_050,
        {"sw": "Chai ya tangawizi"},
        "Tea",
    )


def test_the_till_prices_from_the_catalogue_and_weighs_what_is_sold_by_weight(business, latte):
    product_save(business=business, sku="beans", name="Coffee beans", price_minor=200_000,
                 unit="kg", category="Coffee")  # fmt: skip
    gift = promotion_save(business=business, name="Mug with 1.2 kg", type="gift",
                          params={"description": "A Kahawa mug"},
                          conditions={"type": "min_weight", "grams": 1200})  # fmt: skip
    promotion_set_status(promotion=gift, status="active")
    sale = SaleInput(currency="KES", lines=(
        {"sku": "6161100000012", "quantity": 2},
        {"sku": "BEANS", "weight_grams": 1250},
    ))  # fmt: skip
    result = checkout_evaluate(business=business, sale=sale, customer=None)
    assert [(x["sku"], x["quantity"], x["unit_price_minor"]) for x in result["lines"]] == [
        ("Latte-L", 2, 28_000),
        ("beans", 1, 250_000),
    ]
    assert result["subtotal_minor"] == 56_000 + 250_000
    assert [g["data"]["description"] for g in result["gifts"]] == ["A Kahawa mug"]
    unweighed = SaleInput(currency="KES", lines=({"sku": "beans"},))
    with pytest.raises(ValidationFailed) as error:
        checkout_evaluate(business=business, sale=unweighed, customer=None)
    assert error.value.details["fields"] == {
        "lines.0.weight_grams": ["Weigh the item: enter its weight in grams."]
    }


def test_an_offer_names_catalogue_items_in_any_case(business, latte):
    offer = promotion_save(business=business, name="Latte 10%", type="percent_off_items",
                           params={"skus": ["LATTE-L"], "categories": ["coffee"],
                                   "percent_bp": 1000})  # fmt: skip
    assert offer.params["skus"] == ["Latte-L"] and offer.params["categories"] == ["Coffee"]
    promotion_set_status(promotion=offer, status="active")
    sale = SaleInput(currency="KES", lines=({"sku": "latte-l", "quantity": 1},))
    assert checkout_evaluate(business=business, sale=sale, customer=None)["discount_minor"] == 2_800


def test_the_catalogue_over_http(api, api_for, business, latte):
    cashier = api_for(business, Role.CASHIER)
    assert cashier.get("/products/lookup/latte-l").json()["id"] == latte.pk
    assert cashier.get("/products/lookup/nothing").status_code == 404
    assert [p["sku"] for p in cashier.get("/products?q=latt").json()["items"]] == ["Latte-L"]
    body = {"sku": "MANDAZI", "name": "Mandazi", "price_minor": 5_000, "category": "Snacks"}
    assert cashier.post("/products", body).status_code == 403
    created = api.post("/products", body)
    assert created.status_code == 201 and created.json()["category"] == "Snacks"
    again = api.post("/products", {**body, "sku": "mandazi"})
    assert again.status_code == 409 and again.json()["code"] == "sku_taken"
    changed = api.patch(
        f"/products/{created.json()['id']}", {"price_minor": 6_000, "favourite": True}
    )
    assert changed.json()["price_minor"] == 6_000 and changed.json()["favourite"] is True
    assert api.patch(f"/products/{latte.pk}", {"name": None}).status_code == 422
    assert {c["name"] for c in api.get("/categories").json()} == {"Coffee", "Snacks"}
    upload = api.client.post(
        "/api/v1/products/imports",
        {
            "file": _named(_sheet([["SKU", "Name", "Price"], ["TEA", "Tea", 100]])),
            "dry_run": "false",
        },
        headers=api.headers,
    )
    assert upload.status_code == 200, upload.json()
    assert upload.json()["created"] == 1
    assert api.get("/products/lookup/tea").json()["price_minor"] == 10_000


def _named(data: io.BytesIO) -> io.BytesIO:
    data.name = "products.xlsx"
    return data
