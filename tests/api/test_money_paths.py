"""Money paths over HTTP, as a dishonest cashier and a hostile client would try them: value
enters only from a sale, a refund or an audited manager action, whatever a key, a role, a
retry or an odd body tries."""

from __future__ import annotations

import pytest

from wateja.customers.services import customer_create
from wateja.orders.models import Order
from wateja.tenants.roles import Role


@pytest.fixture
def customer(business):
    return customer_create(business=business, name="Wanjiku", phone="0712345678")


def post(api, path, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(path, body, **headers)


def points(api, customer) -> dict[str, int]:
    return api.get(f"/customers/{customer.pk}/wallet").json()["balances"]["points"]


def sale(api, customer, key, total_minor, points_to_spend=0):
    body = {
        "customer": {"id": customer.pk},
        "currency": "KES",
        "total_minor": total_minor,
        "points_to_spend": points_to_spend,
    }
    reserved = post(api, "/checkout/reserve", body, key)
    assert reserved.status_code == 201, reserved.json()
    order = api.post(f"/checkout/{key}/commit")
    assert order.status_code == 200, order.json()
    return order.json()


def test_refunding_the_same_sale_again_and_again_returns_its_points_once(api, api_for, customer):
    assert post(api, f"/customers/{customer.pk}/wallet/adjust",
                {"amount": 100, "reason": "welcome"}, "gift").status_code == 200  # fmt: skip
    order = sale(api, customer, "sale-1", 10_000, points_to_spend=40)  # 40.00 paid in points
    assert points(api, customer)["balance"] == 60
    cashier = api_for(customer.business, Role.CASHIER)
    refund = {"order_reference": order["number"], "amount_minor": 10_000}
    first = post(cashier, "/wallet/refunds", refund, "refund-1")
    assert first.status_code == 200 and first.json()["replayed"] is False
    assert points(api, customer)["balance"] == 100
    for n in range(2, 6):  # new keys: the order is already refunded in full
        again = post(cashier, "/wallet/refunds", refund, f"refund-{n}")
        assert again.status_code == 422
        assert again.json()["details"]["fields"] == {
            "amount_minor": ["The refund is more than was paid."]
        }
    retry = post(cashier, "/wallet/refunds", refund, "refund-1")
    assert retry.status_code == 200 and retry.json()["replayed"] is True
    assert retry.json()["operation_id"] == first.json()["operation_id"]
    assert points(api, customer)["balance"] == 100
    assert api.get("/wallet/check").json() == {"ok": True, "problems": []}


def test_a_refund_key_reused_for_another_order_or_amount_is_409(api, customer):
    one = sale(api, customer, "sale-1", 10_000)
    two = sale(api, customer, "sale-2", 5_000)
    assert (
        post(api, f"/orders/{one['id']}/refunds", {"amount_minor": 1_000}, "r").status_code == 200
    )
    other_amount = post(api, f"/orders/{one['id']}/refunds", {"amount_minor": 2_000}, "r")
    other_order = post(api, f"/orders/{two['id']}/refunds", {"amount_minor": 1_000}, "r")
    for response in (other_amount, other_order):
        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_key_reused"
    # the wallet endpoint shares the keys of the order endpoint: the same refund, not a second
    same = post(api, "/wallet/refunds", {"order_reference": f"order:{one['id']}",
                                         "amount_minor": 1_000}, "r")  # fmt: skip
    assert same.status_code == 200 and same.json()["replayed"] is True
    assert Order.objects.get(pk=one["id"]).refunded_minor == 1_000
    assert Order.objects.get(pk=two["id"]).refunded_minor == 0


def test_a_refund_names_an_order_the_server_recorded(api, customer):
    post(api, f"/customers/{customer.pk}/wallet/adjust", {"amount": 50, "reason": "x"}, "a")
    missing = post(api, "/wallet/refunds", {"order_reference": "order:999", "amount_minor": 5}, "r")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    old_shape = {"order_reference": "order:1", "refunded_before": 0, "refunded_now": 500,
                 "order_total": 1000}  # fmt: skip
    assert post(api, "/wallet/refunds", old_shape, "r2").status_code == 422
    assert points(api, customer)["balance"] == 50


def test_client_keys_cannot_name_the_products_own_operations(api, customer):
    post(api, f"/customers/{customer.pk}/wallet/adjust", {"amount": 100, "reason": "x"}, "a")
    body = {"customer": {"id": customer.pk}, "currency": "KES", "total_minor": 5_000,
            "points_to_spend": 30}  # fmt: skip
    assert post(api, "/checkout/reserve", body, "till-7").status_code == 201
    # the checkout's hold is the product's own operation: a client cannot post or void it
    assert api.post("/wallet/operations/checkout:till-7:points/post").status_code == 404
    assert api.post("/wallet/operations/checkout:till-7:points/void").status_code == 404
    # nor take its key for another request
    spend = post(api, f"/customers/{customer.pk}/wallet/spend", {"amount": 1},
                 "checkout:till-7:points")  # fmt: skip
    assert spend.status_code == 200
    order = api.post("/checkout/till-7/commit")
    assert order.status_code == 200
    assert points(api, customer)["balance"] == 100 - 30 - 1
