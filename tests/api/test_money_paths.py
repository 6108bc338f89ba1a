"""Money paths over HTTP, as a dishonest cashier and a hostile client would try them: value
enters only from a sale, a refund or an audited manager action, whatever a key, a role, a
retry or an odd body tries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from wateja.catalog.models import Product
from wateja.catalog.services import product_save
from wateja.core.ledger import refund_delta
from wateja.customers.services import customer_create
from wateja.orders.models import Order
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role
from wateja.wallet.models import Operation, Transfer
from wateja.wallet.services import wallet_settings_update


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
    assert (
        post(
            api,
            f"/customers/{customer.pk}/wallet/adjust",
            {"amount": 100, "reason": "welcome"},
            "gift",
        ).status_code
        == 200
    )
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
    same = post(
        api,
        "/wallet/refunds",
        {"order_reference": f"order:{one['id']}", "amount_minor": 1_000},
        "r",
    )
    assert same.status_code == 200 and same.json()["replayed"] is True
    assert Order.objects.get(pk=one["id"]).refunded_minor == 1_000
    assert Order.objects.get(pk=two["id"]).refunded_minor == 0


def test_a_refund_names_an_order_the_server_recorded(api, customer):
    post(api, f"/customers/{customer.pk}/wallet/adjust", {"amount": 50, "reason": "x"}, "a")
    missing = post(api, "/wallet/refunds", {"order_reference": "order:999", "amount_minor": 5}, "r")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    old_shape = {
        "order_reference": "order:1",
        "refunded_before": 0,
        "refunded_now": 500,
        "order_total": 1000,
    }
    assert post(api, "/wallet/refunds", old_shape, "r2").status_code == 422
    assert points(api, customer)["balance"] == 50


def test_client_keys_cannot_name_the_products_own_operations(api, customer):
    post(api, f"/customers/{customer.pk}/wallet/adjust", {"amount": 100, "reason": "x"}, "a")
    body = {
        "customer": {"id": customer.pk},
        "currency": "KES",
        "total_minor": 5_000,
        "points_to_spend": 30,
    }
    assert post(api, "/checkout/reserve", body, "till-7").status_code == 201
    # the checkout's hold is the product's own operation: a client cannot post or void it
    assert api.post("/wallet/operations/checkout:till-7:points/post").status_code == 404
    assert api.post("/wallet/operations/checkout:till-7:points/void").status_code == 404
    # nor take its key for another request
    spend = post(
        api, f"/customers/{customer.pk}/wallet/spend", {"amount": 1}, "checkout:till-7:points"
    )
    assert spend.status_code == 200
    order = api.post("/checkout/till-7/commit")
    assert order.status_code == 200
    assert points(api, customer)["balance"] == 100 - 30 - 1


def _every_ten_kes_earns_a_point(api):
    params = {"points": 1, "per_amount_minor": 1_000}
    created = api.post(
        "/promotions", {"name": "Base", "type": "points_per_amount", "params": params}
    )
    assert created.status_code == 201
    api.post(f"/promotions/{created.json()['id']}/status", {"status": "active"})


def _gift(api, customer, amount, kind="points", key="gift"):
    response = post(
        api,
        f"/customers/{customer.pk}/wallet/adjust",
        {"amount": amount, "kind": kind, "reason": "opening balance"},
        key,
    )
    assert response.status_code == 200, response.json()


def test_points_are_earned_on_the_money_actually_paid(api, customer):
    _every_ten_kes_earns_a_point(api)
    _gift(api, customer, 1_000)
    body = {
        "customer": {"id": customer.pk},
        "currency": "KES",
        "total_minor": 20_500,
        "points_to_spend": 5,
    }
    evaluation = api.post("/checkout/evaluate", body).json()
    assert evaluation["payment"]["money_minor"] == 20_000
    assert evaluation["points_to_earn"] == 20  # floor(200.00 / 10.00), not 20 × 200/205 = 19
    order = sale(api, customer, "s", 20_500, points_to_spend=5)
    assert order["payment"] == {
        "money_minor": 20_000,
        "points": 5,
        "points_minor": 500,
        "cashback_minor": 0,
        "store_credit_minor": 0,
    }
    assert points(api, customer)["balance"] == 1_000 - 5 + 20


def test_points_to_spend_are_capped_at_the_balance_and_the_bill(api, customer):
    _every_ten_kes_earns_a_point(api)
    _gift(api, customer, 300)
    body = {
        "customer": {"id": customer.pk},
        "currency": "KES",
        "total_minor": 20_550,
        "points_to_spend": 99_999,
    }
    evaluation = api.post("/checkout/evaluate", body).json()
    payment = evaluation["payment"]
    assert payment["points_requested"] == 99_999
    assert payment["points_max"] == payment["points"] == 205  # 205 × 1.00 ≤ 205.50
    assert payment["money_minor"] == 50 and evaluation["points_to_earn"] == 0
    order = sale(api, customer, "s", 20_550, points_to_spend=99_999)
    assert order["payment"]["points"] == 205
    assert points(api, customer) == {"balance": 95, "available": 95, "pending_in": 0}
    poor = {**body, "total_minor": 1_000_000}
    assert api.post("/checkout/evaluate", poor).json()["payment"]["points"] == 95

    half = post(api, f"/orders/{order['id']}/refunds", {"amount_minor": 10_275}, "r1").json()
    assert half["refunded_money_minor"] == 25
    rest = post(api, f"/orders/{order['id']}/refunds", {"amount_minor": 10_275}, "r2").json()
    assert rest["refunded_money_minor"] == 50 and rest["status"] == "refunded"
    assert points(api, customer)["balance"] == 300
    assert api.get("/wallet/check").json()["ok"] is True


def test_a_sale_paid_four_ways_is_refunded_four_ways(api, customer):
    _gift(api, customer, 50)
    _gift(api, customer, 3_000, kind="cashback", key="cb")
    topped = post(
        api,
        f"/customers/{customer.pk}/wallet/topup",
        {"amount_minor": 2_500, "currency": "KES"},
        "top",
    )
    assert topped.status_code == 200
    body = {
        "customer": {"id": customer.pk},
        "currency": "KES",
        "total_minor": 20_500,
        "points_to_spend": 50,
        "cashback_to_spend_minor": 3_000,
        "store_credit_to_spend_minor": 9_999,
    }
    assert post(api, "/checkout/reserve", body, "four").status_code == 201
    order = api.post("/checkout/four/commit").json()
    assert order["payment"] == {
        "money_minor": 10_000,
        "points": 50,
        "points_minor": 5_000,
        "cashback_minor": 3_000,
        "store_credit_minor": 2_500,
    }
    wallet = api.get(f"/customers/{customer.pk}/wallet").json()["balances"]
    assert [wallet[k]["balance"] for k in ("points", "cashback", "store_credit")] == [0, 0, 0]

    refunded = post(api, f"/orders/{order['id']}/refunds", {"amount_minor": 20_500}, "r").json()
    assert refunded["refunded_money_minor"] == 10_000  # never more than the money paid
    wallet = api.get(f"/customers/{customer.pk}/wallet").json()["balances"]
    assert [wallet[k]["balance"] for k in ("points", "cashback", "store_credit")] == [
        50,
        3_000,
        2_500,
    ]
    assert api.get("/wallet/check").json()["ok"] is True


def test_an_expired_hold_stops_holding_before_the_worker_runs(api, customer):
    start = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    base = f"/customers/{customer.pk}/wallet"
    with time_machine.travel(start, tick=False):
        _gift(api, customer, 100)
        held = post(api, f"{base}/spend", {"amount": 70, "hold_minutes": 10}, "hold-1")
        assert held.status_code == 200
        assert points(api, customer)["available"] == 30
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        assert points(api, customer) == {"balance": 100, "available": 100, "pending_in": 0}
        late = api.post("/wallet/operations/hold-1/post")
        assert late.status_code == 409 and late.json()["code"] == "hold_expired"
        assert post(api, f"{base}/spend", {"amount": 100}, "all").status_code == 200
        assert points(api, customer) == {"balance": 0, "available": 0, "pending_in": 0}
        assert api.get("/wallet/check").json() == {"ok": True, "problems": []}
    hold = Transfer.objects.get(operation__key="client:hold-1")
    assert hold.status == "voided"  # for the record, by the spend that found it expired


def test_a_cashier_cannot_mint_value_by_hand(api, api_for, customer):
    cashier = api_for(customer.business, Role.CASHIER)
    base = f"/customers/{customer.pk}/wallet"
    for kind in ("points", "cashback"):
        minted = post(
            cashier,
            f"{base}/earn",
            {"amount": 50_000, "kind": kind, "reason": "friend"},
            f"c-{kind}",
        )
        assert minted.status_code == 403
    bonus = post(
        cashier,
        f"{base}/topup",
        {"amount_minor": 100_000, "currency": "KES", "bonus_bp": 10_000, "reason": "friend"},
        "t1",
    )
    assert bonus.status_code == 403
    own = post(cashier, f"{base}/topup", {"amount_minor": 100_000, "currency": "KES"}, "t2")
    assert own.status_code == 200 and own.json()["notes"] == {"bonus": 0}
    no_reason = post(api, f"{base}/earn", {"amount": 10}, "m1")
    assert no_reason.status_code == 422
    assert no_reason.json()["details"]["fields"] == {
        "reason": ["Say why: value given by hand needs a reason."]
    }
    wallet = api.get(base).json()["balances"]
    assert "points" not in wallet and "cashback" not in wallet
    assert wallet["store_credit"]["balance"] == 100_000
    assert wallet["bonus_credit"]["balance"] == 0


def test_value_given_by_hand_is_audited_and_shows_who_did_it(api, business, customer):
    post(
        api,
        f"/customers/{customer.pk}/wallet/earn",
        {"amount": 40, "kind": "cashback", "reason": "broken cup"},
        "g",
    )
    post(
        api,
        f"/customers/{customer.pk}/wallet/topup",
        {"amount_minor": 10_000, "currency": "KES", "bonus_bp": 2_000, "reason": "launch"},
        "t",
    )
    events = AuditEvent.objects.filter(business=business).order_by("id")
    assert [(e.action, e.details["reason"]) for e in events] == [
        ("wallet.grant", "broken cup"),
        ("wallet.topup_bonus", "launch"),
    ]
    assert all(e.api_key is not None and e.api_key.role == Role.OWNER for e in events)
    history = api.get(f"/customers/{customer.pk}/wallet").json()["history"]
    assert {(h["label"], h["by"]) for h in history} == {
        ("Given by hand", "test owner"),
        ("Top-up", "test owner"),
        ("Top-up bonus", "test owner"),
    }


def test_a_manager_gives_by_hand_only_up_to_the_daily_limit(api, api_for, business, customer):
    settings = api_for(business, Role.OWNER)
    wallet_settings_update(
        business=business, manager_daily_points=100, manager_daily_money_minor=5_000
    )
    manager = api_for(business, Role.MANAGER)
    base = f"/customers/{customer.pk}/wallet"
    assert post(manager, f"{base}/earn", {"amount": 60, "reason": "a"}, "1").status_code == 200
    assert post(manager, f"{base}/adjust", {"amount": 30, "reason": "b"}, "2").status_code == 200
    over = post(manager, f"{base}/earn", {"amount": 11, "reason": "c"}, "3")
    assert over.status_code == 409 and over.json()["code"] == "daily_limit_reached"
    assert over.json()["details"]["left"] == 10
    assert over.json()["message"] == "A manager may give 100 by hand in a day; 10 is left today."
    # taking back is not giving; money is counted apart; the owner has no limit
    assert post(manager, f"{base}/adjust", {"amount": -20, "reason": "d"}, "4").status_code == 200
    cash = post(manager, f"{base}/earn", {"amount": 5_001, "kind": "cashback", "reason": "e"}, "5")
    assert cash.status_code == 409
    assert post(settings, f"{base}/earn", {"amount": 5_000, "reason": "f"}, "6").status_code == 200
    assert points(api, customer)["balance"] == 60 + 30 - 20 + 5_000


def test_posting_points_before_their_return_window_is_a_managers_call(
    api, api_for, business, customer
):
    wallet_settings_update(business=business, pending_days=14)
    _every_ten_kes_earns_a_point(api)
    sale(api, customer, "s1", 10_000)
    assert points(api, customer) == {"balance": 0, "available": 0, "pending_in": 10}
    earn_key = Operation.objects.get(action="earn").key
    cashier = api_for(business, Role.CASHIER)
    # the product's own operation cannot be named by a client at all
    assert cashier.post(f"/wallet/operations/{earn_key}/post").status_code == 404
    granted = post(
        api,
        f"/customers/{customer.pk}/wallet/earn",
        {"amount": 25, "reason": "welcome", "pending_days": 14},
        "w",
    )
    assert granted.status_code == 200
    early = cashier.post("/wallet/operations/w/post", {"reason": "asked nicely"})
    assert early.status_code == 403
    bare = api.post("/wallet/operations/w/post")
    assert bare.status_code == 422 and "reason" in bare.json()["details"]["fields"]
    done = api.post("/wallet/operations/w/post", {"reason": "customer leaves the country"})
    assert done.status_code == 200
    assert points(api, customer)["available"] == 25
    assert AuditEvent.objects.get(action="wallet.post_early").details["amount"] == 25


def _catalogue_sale(api, customer, key, points_to_spend=0):
    if not Product.objects.filter(business=customer.business).exists():
        product_save(business=customer.business, sku="latte", name="Latte", price_minor=28_000)
        product_save(business=customer.business, sku="mandazi", name="Mandazi", price_minor=12_000)
    body = {
        "customer": {"id": customer.pk},
        "currency": "KES",
        "points_to_spend": points_to_spend,
        "lines": [{"sku": "LATTE", "quantity": 2}, {"sku": "mandazi"}],
    }
    assert post(api, "/checkout/reserve", body, key).status_code == 201
    return api.post(f"/checkout/{key}/commit").json()


def test_a_refund_by_line_returns_points_and_money_as_they_were_paid(api, customer):
    _gift(api, customer, 100)
    order = _catalogue_sale(api, customer, "s1", points_to_spend=50)
    assert (order["total_minor"], order["payment"]["points"]) == (68_000, 50)
    latte = next(line for line in order["lines"] if line["sku"] == "latte")
    body = {"lines": [{"line_id": latte["id"], "quantity": 1}], "reason": "cold coffee"}
    refunded = post(api, f"/orders/{order['id']}/refunds", body, "r1").json()
    assert refunded["refunded_minor"] == 28_000
    assert refunded["refunded_money_minor"] == refund_delta(63_000, 0, 28_000, 68_000)
    assert points(api, customer)["balance"] == 50 + refund_delta(50, 0, 28_000, 68_000)
    assert refunded["refunds"][0]["reason"] == "cold coffee"
    assert refunded["refunds"][0]["lines"] == [{"line_id": latte["id"], "quantity": 1}]
    again = post(
        api,
        f"/orders/{order['id']}/refunds",
        {"lines": [{"line_id": latte["id"], "quantity": 2}]},
        "r2",
    )
    assert again.status_code == 422
    assert again.json()["details"]["fields"] == {"lines.0.quantity": ["Only 1 left to refund."]}
    rest = post(
        api,
        f"/orders/{order['id']}/refunds",
        {
            "lines": [
                {"line_id": latte["id"], "quantity": 1},
                {"line_id": order["lines"][1]["id"], "quantity": 1},
            ]
        },
        "r3",
    ).json()
    assert rest["status"] == "refunded" and rest["refunded_money_minor"] == 63_000
    assert points(api, customer)["balance"] == 100
    assert api.get("/wallet/check").json()["ok"] is True


def test_a_big_refund_needs_a_managers_pin_at_the_till(api, api_for, business, customer):
    assert api.put("/till/settings", {"approval_above_minor": 10_000}).status_code == 200
    for username, role, pin in (("juma", "cashier", "3691"), ("mary", "manager", "4826")):
        api.post(
            "/staff",
            {
                "username": username,
                "name": username,
                "role": role,
                "password": "kahawa-tamu-2026",
                "pin": pin,
            },
        )
    order = _catalogue_sale(api, customer, "s1")
    cashier = api_for(business, Role.CASHIER)
    url = f"/orders/{order['id']}/refunds"
    small = post(cashier, url, {"amount_minor": 10_000, "reason": "spilt"}, "small")
    assert small.status_code == 200
    big = {"amount_minor": 20_000, "reason": "wrong order"}
    refused = post(cashier, url, big, "big")
    assert refused.status_code == 403 and refused.json()["code"] == "manager_approval_needed"
    not_a_manager = post(cashier, url, {**big, "approver_pin": "3691"}, "big")
    assert not_a_manager.status_code == 403
    approved = post(cashier, url, {**big, "approver_pin": "4826"}, "big").json()
    assert approved["refunds"][-1]["approved_by"] == "mary"
    assert approved["refunded_minor"] == 30_000


def test_a_sale_is_voided_by_its_till_within_minutes_and_only_then(
    api, api_for, business, customer
):
    _every_ten_kes_earns_a_point(api)
    till = api_for(business, Role.CASHIER)
    other_till = api_for(business, Role.CASHIER)
    start = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        order = _catalogue_sale(till, customer, "s1")
        assert points(api, customer)["balance"] == 68
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        assert post(other_till, f"/orders/{order['id']}/void", {}, "v").status_code == 403
        voided = post(till, f"/orders/{order['id']}/void", {"reason": "customer changed mind"}, "v")
        assert voided.status_code == 200 and voided.json()["status"] == "voided"
        assert voided.json()["refunds"][0]["kind"] == "void"
        assert points(api, customer)["balance"] == 0
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        late = _catalogue_sale(till, customer, "s2")
    with time_machine.travel(start + dt.timedelta(minutes=45), tick=False):
        too_late = post(till, f"/orders/{late['id']}/void", {}, "v2")
        assert too_late.status_code == 409 and too_late.json()["code"] == "void_too_late"
