"""The checkout over HTTP: promotions and codes set up by a manager, a till evaluating,
reserving and committing, refunds, and typed refusals."""

from __future__ import annotations

import pytest

from wateja.customers.services import customer_create
from wateja.orders.models import Order
from wateja.tenants.roles import Role


@pytest.fixture
def customer(business):
    return customer_create(business=business, name="Wanjiku", phone="0712345678")


def _offer(api, **body):
    created = api.post("/promotions", {"name": "Offer", "type": "percent_off_order", **body})
    assert created.status_code == 201, created.json()
    promotion_id = created.json()["id"]
    assert api.post(f"/promotions/{promotion_id}/status", {"status": "active"}).status_code == 200
    return promotion_id


def test_full_sale_with_a_code_and_points(api, customer):
    _offer(
        api,
        name="Points",
        type="points_per_amount",
        params={"points": 1, "per_amount_minor": 10_000},
    )
    offer = _offer(api, name="Weekend 10%", params={"percent_bp": 1000}, requires_code=True)
    codes = api.post(f"/promotions/{offer}/codes", {"code": "WIKENDI", "kind": "reusable"})
    assert codes.status_code == 201 and codes.json()["codes"] == ["WIKENDI"]
    body = {
        "customer": {"phone": "0712 345 678"},
        "currency": "KES",
        "lines": [
            {"sku": "latte", "name": "Latte", "quantity": 2, "unit_price_minor": 28_000},
            {"sku": "mandazi", "quantity": 1, "unit_price_minor": 12_000},
        ],
        "codes": ["wikendi"],
    }
    evaluation = api.post("/checkout/evaluate", body).json()
    assert evaluation["subtotal_minor"] == 68_000
    assert evaluation["discount_minor"] == 6_800
    assert sum(line["discount_minor"] for line in evaluation["lines"]) == 6_800
    assert evaluation["points_to_earn"] == 6  # 612.00 KES
    reserved = api.post("/checkout/reserve", body, **{"Idempotency-Key": "till1-0001"})
    assert reserved.status_code == 201
    again = api.post("/checkout/reserve", body, **{"Idempotency-Key": "till1-0001"})
    assert again.json()["key"] == reserved.json()["key"]
    order = api.post("/checkout/till1-0001/commit").json()
    assert order["total_minor"] == 61_200 and len(order["lines"]) == 2
    assert api.post("/checkout/till1-0001/commit").json()["id"] == order["id"]
    wallet = api.get(f"/customers/{customer.pk}/wallet").json()
    assert wallet["balances"]["points"]["balance"] == 6
    report = api.get(f"/promotions/{offer}/codes/report").json()
    assert report["uses"] == 1 and report["codes"][0]["code"] == "WIKENDI"
    refund = api.post(
        f"/orders/{order['id']}/refunds", {"amount_minor": 61_200}, **{"Idempotency-Key": "rf1"}
    )
    assert refund.json()["status"] == "refunded"
    assert api.get(f"/customers/{customer.pk}/wallet").json()["balances"]["points"]["balance"] == 0


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"currency": "USD"}, 422, "currency_mismatch"),
        (
            {"lines": [{"sku": "x", "quantity": -1, "unit_price_minor": 100}]},
            422,
            "validation_error",
        ),
        (
            {"lines": [{"sku": "x", "quantity": 1, "unit_price_minor": -100}]},
            422,
            "validation_error",
        ),
        ({"customer": {"card": "4000000000002"}}, 404, "customer_not_found"),
        ({"total_minor": "ten"}, 422, "validation_error"),
        ({"surprise": 1}, 422, "validation_error"),
    ],
)
def test_bad_sales_are_typed(api, change, status, code):
    body = {"currency": "KES", "total_minor": 10_000, **change}
    if "lines" in change:
        body.pop("total_minor")
    response = api.post("/checkout/evaluate", body)
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code


def test_reserve_needs_a_key_and_commit_needs_a_reservation(api):
    body = {"currency": "KES", "total_minor": 10_000}
    assert api.post("/checkout/reserve", body).status_code == 400
    assert api.post("/checkout/nope/commit").status_code == 404
    assert Order.objects.count() == 0


def test_refund_more_than_paid_is_refused(api, customer):
    api.post(
        "/checkout/reserve", {"currency": "KES", "total_minor": 10_000}, **{"Idempotency-Key": "k"}
    )
    order = api.post("/checkout/k/commit").json()
    response = api.post(
        f"/orders/{order['id']}/refunds", {"amount_minor": 10_001}, **{"Idempotency-Key": "r"}
    )
    assert response.status_code == 422
    assert Order.objects.get().refunded_minor == 0


def test_bad_promotion_params_are_refused_at_save(api):
    response = api.post(
        "/promotions", {"name": "Broken", "type": "percent_off_order", "params": {"percent_bp": -5}}
    )
    assert response.status_code == 422
    unknown = api.post("/promotions", {"name": "Broken", "type": "teleport", "params": {}})
    assert unknown.status_code == 422


def test_cashier_cannot_create_promotions(api_for, business):
    cashier = api_for(business, Role.CASHIER)
    response = cashier.post(
        "/promotions", {"name": "Mine", "type": "percent_off_order", "params": {"percent_bp": 500}}
    )
    assert response.status_code == 403


def test_simulation_reports_reach_and_cost(api, customer):
    for n in range(3):
        key = f"s{n}"
        api.post(
            "/checkout/reserve",
            {"currency": "KES", "total_minor": 200_000, "customer": {"id": customer.pk}},
            **{"Idempotency-Key": key},
        )
        api.post(f"/checkout/{key}/commit")
    created = api.post(
        "/promotions",
        {
            "name": "Draft 10% from 1,500",
            "type": "percent_off_order",
            "params": {"percent_bp": 1000},
            "conditions": {"type": "min_subtotal", "amount_minor": 150_000},
        },
    ).json()
    result = api.post(f"/promotions/{created['id']}/simulate", {"months": 3}).json()
    assert result["orders_evaluated"] == 3 and result["orders_touched"] == 3
    assert result["customers_touched"] == 1 and result["discount_minor"] == 60_000
