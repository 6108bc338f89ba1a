"""Shopify and WooCommerce webhooks over HTTP, in the shapes they send: signed bodies only; a
paid order becomes a sale that earns, once however often it is delivered; a refund in the
shop takes the points back; an unpaid order or abandoned checkout feeds the cart reminder;
products are created and updated by SKU."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.test import Client

from tests.messaging.factories import person
from wateja.catalog.models import Product
from wateja.customers.models import Customer
from wateja.messaging.automations import automation_run, automation_save
from wateja.messaging.composing import template_save
from wateja.messaging.models import Message
from wateja.orders.models import Checkout, CheckoutStatus, Order
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.shops.services import shop_connect
from wateja.wallet.models import Account

SECRET = "shpss_5f0c0ffee0ddba11"

SHOPIFY_ORDER = {
    "id": 820982911946154508,
    "name": "#1001",
    "email": "wanjiku@example.com",
    "phone": None,
    "currency": "KES",
    "total_price": "1250.00",
    "subtotal_price": "1250.00",
    "financial_status": "paid",
    "cancelled_at": None,
    "customer": {
        "id": 115310627314723954,
        "email": "wanjiku@example.com",
        "first_name": "Wanjiku",
        "last_name": "Kamau",
        "phone": "+254712345678",
    },
    "line_items": [
        {
            "id": 1,
            "sku": "KAH-250",
            "title": "Kahawa beans 250 g",
            "quantity": 2,
            "price": "450.00",
        },
        {"id": 2, "sku": "MUG-1", "title": "Mug", "quantity": 1, "price": "350.00"},
    ],
    "refunds": [],
}

WOO_ORDER = {
    "id": 727,
    "number": "727",
    "status": "pending",
    "currency": "KES",
    "total": "900.00",
    "date_paid": None,
    "billing": {
        "first_name": "Akinyi",
        "last_name": "Otieno",
        "email": "akinyi@example.com",
        "phone": "0722000111",
    },
    "line_items": [
        {"id": 315, "sku": "KAH-250", "name": "Kahawa beans", "quantity": 2, "price": 450}
    ],
    "refunds": [],
}


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def earn(business):
    promotion_set_status(
        promotion=promotion_save(
            business=business,
            name="1 point per 100",
            type="points_per_amount",
            params={"points": 1, "per_amount_minor": 10_000},
        ),
        status="active",
    )


@pytest.fixture
def shopify(business):
    return shop_connect(business=business, platform="shopify", name="Duka online", secret=SECRET)


@pytest.fixture
def woo(business):
    return shop_connect(business=business, platform="woocommerce", name="Woo", secret=SECRET)


def shopify_post(connection, topic, payload, delivery, signature=None):
    body = json.dumps(payload).encode()
    return Client().post(
        f"/hooks/{connection.token}/shop/",
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature if signature is not None else sign(body),
            "X-Shopify-Webhook-Id": delivery,
            "X-Shopify-Shop-Domain": "duka.myshopify.com",
        },
    )


def woo_post(connection, topic, payload, delivery):
    body = json.dumps(payload).encode()
    return Client().post(
        f"/hooks/{connection.token}/shop/",
        data=body,
        content_type="application/json",
        headers={
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign(body),
            "X-WC-Webhook-Delivery-ID": delivery,
        },
    )


def points(customer):
    account = Account.objects.filter(customer=customer, kind="points").first()
    return account.balance if account else 0


def test_a_paid_shopify_order_is_a_sale_that_earns_once(business, earn, shopify):
    first = shopify_post(shopify, "orders/paid", SHOPIFY_ORDER, "d-1")
    assert first.status_code == 200 and first.json() == {"outcome": "sale", "new": True}
    again = shopify_post(shopify, "orders/paid", SHOPIFY_ORDER, "d-1")
    assert again.json() == {"outcome": "sale", "new": False}
    # the same order reported again by another topic changes nothing
    shopify_post(shopify, "orders/updated", SHOPIFY_ORDER, "d-2")
    order = Order.objects.get(business=business)
    assert order.channel == "online" and order.total_minor == 125_000
    assert sorted(line.sku for line in order.lines.all()) == ["KAH-250", "MUG-1"]
    customer = Customer.objects.get(business=business, email="wanjiku@example.com")
    assert customer.name == "Wanjiku Kamau" and order.customer == customer
    assert points(customer) == 12


def test_a_refund_in_the_shop_takes_the_points_back_once(business, earn, shopify):
    shopify_post(shopify, "orders/paid", SHOPIFY_ORDER, "d-1")
    refunded = copy.deepcopy(SHOPIFY_ORDER)
    refunded["financial_status"] = "partially_refunded"
    refunded["refunds"] = [
        {
            "id": 929361462,
            "transactions": [{"kind": "refund", "status": "success", "amount": "450.00"}],
        }
    ]
    assert shopify_post(shopify, "orders/updated", refunded, "d-3").json()["outcome"] == "refund"
    shopify_post(shopify, "orders/updated", refunded, "d-4")  # reported again: no second refund
    order = Order.objects.get(business=business)
    assert order.refunded_minor == 45_000
    customer = Customer.objects.get(business=business, email="wanjiku@example.com")
    assert points(customer) == 8


def test_unsigned_or_forged_webhooks_change_nothing(business, shopify):
    assert (
        shopify_post(shopify, "orders/paid", SHOPIFY_ORDER, "d-1", signature="").status_code == 401
    )
    forged = shopify_post(shopify, "orders/paid", SHOPIFY_ORDER, "d-1", signature=sign(b"{}"))
    assert forged.status_code == 401 and forged.json()["code"] == "callback_not_authenticated"
    assert (
        Client()
        .post("/hooks/not-a-shop/shop/", data="{}", content_type="application/json")
        .status_code
        == 404
    )
    assert not Order.objects.filter(business=business).exists()


def test_a_body_that_is_not_an_order_is_refused_clearly(business, shopify):
    broken = {**SHOPIFY_ORDER, "total_price": "12.345"}
    response = shopify_post(shopify, "orders/paid", broken, "d-9")
    assert response.status_code == 400 and response.json()["code"] == "bad_payload"
    assert not Order.objects.filter(business=business).exists()


def test_a_pending_woocommerce_order_is_a_cart_until_it_is_paid(business, earn, woo):
    assert woo_post(woo, "order.created", WOO_ORDER, "w-1").json()["outcome"] == "cart"
    cart = Checkout.objects.get(business=business)
    assert cart.status == CheckoutStatus.RESERVED and cart.customer.email == "akinyi@example.com"
    paid = {**WOO_ORDER, "status": "processing", "date_paid": "2026-12-07T09:00:00"}
    assert woo_post(woo, "order.updated", paid, "w-2").json()["outcome"] == "sale"
    assert Order.objects.get(business=business).total_minor == 90_000
    cart.refresh_from_db()
    assert cart.status == CheckoutStatus.RELEASED
    refunded = {**paid, "status": "refunded", "refunds": [{"id": 730, "total": "-900.00"}]}
    woo_post(woo, "order.updated", refunded, "w-3")
    assert Order.objects.get(business=business).refunded_minor == 90_000
    assert points(Customer.objects.get(business=business, email="akinyi@example.com")) == 0


def test_an_abandoned_checkout_gets_the_cart_reminder(business, shopify):
    # a customer who agreed to SMS offers, and the shop's reminder automation
    shopper = person(business, "Wanjiku Kamau", phone="0712345678")
    template = template_save(
        business=business,
        name="Basket",
        channel="sms",
        purpose="marketing",
        variants=[{"texts": {"en": {"body": "Your basket is waiting, {name}"}}}],
    )
    reminder = automation_save(
        business=business, kind="cart_1", sms_template_id=template.pk, delay_hours=1
    )
    checkout = {**SHOPIFY_ORDER, "financial_status": None}
    assert shopify_post(shopify, "checkouts/create", checkout, "c-1").json()["outcome"] == "cart"
    cart = Checkout.objects.get(business=business)
    assert cart.customer == shopper
    automation_run(automation=reminder, now=cart.created_at + dt.timedelta(hours=2))
    sent = Message.objects.get(business=business, automation=reminder)
    assert sent.customer == shopper and "Your basket is waiting, Wanjiku" in sent.body


def test_products_are_created_and_updated_by_sku(business, shopify, woo):
    product = {
        "id": 632910392,
        "title": "Kahawa beans",
        "variants": [
            {
                "id": 1,
                "title": "250 g",
                "sku": "KAH-250",
                "price": "450.00",
                "barcode": "6161100000017",
            },
            {"id": 2, "title": "1 kg", "sku": "KAH-1000", "price": "1500.00", "barcode": ""},
        ],
    }
    assert shopify_post(shopify, "products/create", product, "p-1").status_code == 200
    assert Product.objects.get(business=business, sku="KAH-250").price_minor == 45_000
    woo_post(
        woo,
        "product.updated",
        {"id": 9, "name": "Kahawa 1 kg", "sku": "KAH-1000", "price": "1600"},
        "p-2",
    )
    updated = Product.objects.get(business=business, sku="KAH-1000")
    assert updated.price_minor == 160_000 and updated.name == "Kahawa 1 kg"


def test_woocommerce_ping_when_the_webhook_is_made_is_answered(woo):
    response = Client().post(f"/hooks/{woo.token}/shop/", {"webhook_id": "12"})
    assert response.status_code == 200 and response.json()["outcome"] == "ping"


def test_the_owner_connects_a_shop_on_screen_and_sees_its_events(business, staff_client):
    owner = staff_client(business, "owner")
    done = owner.post(
        "/settings/shops/", {"platform": "woocommerce", "name": "Duka Woo", "secret": SECRET}
    )
    assert done.status_code == 302
    page = owner.get(done["Location"]).content.decode()
    connection = business_connection(business)
    assert f"/hooks/{connection.token}/shop/" in page and "order.updated" in page
    woo_post(
        connection, "product.created", {"id": 9, "name": "Chai", "sku": "CH-1", "price": "150"}, "x"
    )
    assert "Products updated" in owner.get(done["Location"]).content.decode()
    short = owner.post("/settings/shops/", {"platform": "shopify", "name": "S", "secret": "abc"})
    assert "8 characters or more" in short.content.decode()
    assert staff_client(business, "manager").get("/settings/shops/").status_code == 403


def business_connection(business):
    from wateja.shops.models import ShopConnection

    return ShopConnection.objects.get(business=business)
