"""The wallet over HTTP: idempotency headers, typed refusals, balances and history."""

from __future__ import annotations

import pytest

from wateja.customers.services import customer_create
from wateja.tenants.roles import Role
from wateja.wallet.models import Operation, Transfer


@pytest.fixture
def customer(business):
    return customer_create(business=business, name="Wanjiku", phone="0712345678")


def post(api, path, body, key):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(path, body, **headers)


def test_earn_spend_and_read_the_wallet(api, customer):
    base = f"/customers/{customer.pk}/wallet"
    earned = post(api, f"{base}/earn", {"amount": 150, "reason": "opening balance"}, "e1")
    assert earned.status_code == 200
    assert earned.json()["balances"][f"{customer.pk}:points"] == 150
    assert post(api, f"{base}/spend", {"amount": 50}, "s1").status_code == 200
    body = api.get(base).json()
    assert body["balances"]["points"] == {"balance": 100, "available": 100, "pending_in": 0}
    assert [(h["code"], h["amount"]) for h in body["history"]] == [("spend", -50), ("grant", 150)]


def test_retry_returns_the_first_result_and_a_changed_body_is_409(api, customer):
    path = f"/customers/{customer.pk}/wallet/earn"
    first = post(api, path, {"amount": 10, "reason": "r"}, "same").json()
    again = post(api, path, {"amount": 10, "reason": "r"}, "same").json()
    assert again["operation_id"] == first["operation_id"] and again["replayed"] is True
    conflict = post(api, path, {"amount": 11, "reason": "r"}, "same")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_key_reused"
    assert Transfer.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": 0, "reason": "r"}, 422, "invalid_amount"),
        ({"amount": -3, "reason": "r"}, 422, "invalid_amount"),
        ({"amount": 10**13, "reason": "r"}, 422, "invalid_amount"),
        ({"amount": "ten", "reason": "r"}, 422, "validation_error"),
        ({"amount": 5, "kind": "gold", "reason": "r"}, 422, "validation_error"),
        ({"amount": 5, "kind": "store_credit", "reason": "r"}, 422, "validation_error"),
        ({"amount": 5}, 422, "validation_error"),
    ],
)
def test_bad_earn_requests_are_typed_and_write_nothing(api, customer, body, status, code):
    response = post(api, f"/customers/{customer.pk}/wallet/earn", body, "bad")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert Operation.objects.count() == 0


def test_missing_idempotency_key_is_400(api, customer):
    response = post(api, f"/customers/{customer.pk}/wallet/earn", {"amount": 5}, None)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"


def test_insufficient_balance_is_409(api, customer):
    response = post(api, f"/customers/{customer.pk}/wallet/spend", {"amount": 5}, "s")
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_balance"
    assert response.json()["details"] == {"available": 0, "wanted": 5, "kind": "points"}


def test_topup_in_the_wrong_currency_is_refused(api, customer):
    path = f"/customers/{customer.pk}/wallet/topup"
    wrong = post(api, path, {"amount_minor": 1_000_000, "currency": "USD"}, "t1")
    assert wrong.status_code == 422 and wrong.json()["code"] == "currency_mismatch"
    right = post(api, path, {"amount_minor": 1_000_000, "currency": "KES", "bonus_bp": 500,
                             "reason": "launch week"}, "t2")  # fmt: skip
    assert right.json()["notes"] == {"bonus": 50_000}


def test_adjust_is_for_managers_and_payout_only_for_cashback(api, api_for, business, customer):
    base = f"/customers/{customer.pk}/wallet"
    cashier = api_for(business, Role.CASHIER)
    body = {"amount": 50, "reason": "Goodwill"}
    assert post(cashier, f"{base}/adjust", body, "a1").status_code == 403
    assert post(api, f"{base}/adjust", body, "a2").status_code == 200
    payout = post(api, f"{base}/payout", {"amount_minor": 10, "currency": "KES"}, "p1")
    assert payout.status_code == 409 and payout.json()["code"] == "insufficient_balance"


def test_hold_then_post_by_operation_key(api, customer):
    base = f"/customers/{customer.pk}/wallet"
    post(api, f"{base}/earn", {"amount": 100, "reason": "opening balance"}, "e")
    post(api, f"{base}/spend", {"amount": 70, "hold_minutes": 10}, "hold-1")
    assert api.get(base).json()["balances"]["points"]["available"] == 30
    assert api.post("/wallet/operations/hold-1/post").status_code == 200
    assert api.get(base).json()["balances"]["points"]["balance"] == 30
    assert api.post("/wallet/operations/nope/void").status_code == 404


def test_ledger_check_endpoint(api, customer):
    post(api, f"/customers/{customer.pk}/wallet/earn", {"amount": 100, "reason": "x"}, "e9")
    assert api.get("/wallet/check").json() == {"ok": True, "problems": []}


def test_erased_customer_cannot_spend(api, customer):
    api.post(f"/customers/{customer.pk}/erase")
    response = post(api, f"/customers/{customer.pk}/wallet/earn", {"amount": 5, "reason": "x"}, "x")
    assert response.status_code == 409 and response.json()["code"] == "customer_inactive"
