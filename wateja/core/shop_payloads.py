"""Online shop webhooks read into plain values: Shopify and WooCommerce orders, refunds and
products, and their signatures. No Django, no database.

Both sign the raw body: `X-Shopify-Hmac-Sha256` and `X-WC-Webhook-Signature` carry
base64(HMAC-SHA256(secret, body)). Amounts arrive as decimal strings (Shopify "45.00") or
numbers (WooCommerce line prices) and are read exactly, in the order's currency.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from wateja.core.money import InvalidAmount, parse_money


class BadShopPayload(ValueError):
    """The body is not an order or product we can read."""


@dataclasses.dataclass(frozen=True)
class ShopLine:
    sku: str
    name: str
    quantity: int
    unit_price_minor: int


@dataclasses.dataclass(frozen=True)
class ShopOrder:
    external_id: str
    number: str
    currency: str
    email: str
    phone: str
    name: str
    lines: tuple[ShopLine, ...]
    total_minor: int
    paid: bool
    closed: bool  # cancelled or voided: no sale, no cart reminder
    refunds: tuple[tuple[str, int], ...]  # (the shop's refund id, amount) of each refund


@dataclasses.dataclass(frozen=True)
class ShopProduct:
    external_id: str
    sku: str
    name: str
    price_minor: int
    barcode: str


def signature_valid(secret: str, body: bytes, given: str) -> bool:
    if not secret or not given:
        return False
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(digest, given.strip())


def _minor(value: Any, currency: str, what: str) -> int:
    if isinstance(value, bool) or value is None:
        raise BadShopPayload(f"{what}: missing")
    try:
        amount = parse_money(str(value), currency)
    except InvalidAmount as error:
        raise BadShopPayload(f"{what}: {error}") from error
    return abs(amount.amount_minor)


def _text(data: Mapping[str, Any], key: str, limit: int = 200) -> str:
    value = data.get(key)
    return str(value).strip()[:limit] if isinstance(value, str | int) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BadShopPayload("quantity: not a whole number above zero")
    return value


def _lines(items: Any, currency: str, price_key: str) -> tuple[ShopLine, ...]:
    if not isinstance(items, list):
        return ()
    lines = []
    for item in items:
        item = _mapping(item)
        quantity = _quantity(item.get("quantity"))
        sku = (
            _text(item, "sku", 64)
            or f"item-{_text(item, 'product_id', 50) or _text(item, 'id', 50)}"
        )
        lines.append(
            ShopLine(
                sku=sku,
                name=_text(item, "title") or _text(item, "name"),
                quantity=quantity,
                unit_price_minor=_minor(item.get(price_key), currency, "line price"),
            )
        )
    return tuple(lines)


def _currency(data: Mapping[str, Any]) -> str:
    currency = _text(data, "currency", 3).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise BadShopPayload("currency: missing")
    return currency


def _external_id(data: Mapping[str, Any]) -> str:
    value = _text(data, "id", 64)
    if not value:
        raise BadShopPayload("id: missing")
    return value


def shopify_order(data: Mapping[str, Any]) -> ShopOrder:
    """An order (orders/create, orders/paid, orders/updated) or an abandoned checkout
    (checkouts/create, checkouts/update: never paid)."""
    data = _mapping(data)
    currency = _currency(data)
    customer = _mapping(data.get("customer"))
    names = (_text(customer, "first_name"), _text(customer, "last_name"))
    refunds = []
    for refund in data.get("refunds") or []:
        refund = _mapping(refund)
        amount = sum(
            _minor(_mapping(t).get("amount"), currency, "refund")
            for t in refund.get("transactions") or []
            if _mapping(t).get("kind") == "refund"
            and _mapping(t).get("status") in ("success", None)
        )
        if amount:
            refunds.append((_text(refund, "id", 64), amount))
    status = _text(data, "financial_status")
    return ShopOrder(
        external_id=_external_id(data),
        number=_text(data, "name", 64) or _text(data, "order_number", 64),
        currency=currency,
        email=_text(data, "email") or _text(customer, "email"),
        phone=_text(data, "phone", 32) or _text(customer, "phone", 32),
        name=" ".join(name for name in names if name),
        lines=_lines(data.get("line_items"), currency, "price"),
        total_minor=_minor(data.get("total_price"), currency, "total_price"),
        paid=status in ("paid", "partially_refunded", "refunded"),
        closed=bool(data.get("cancelled_at")) or status == "voided",
        refunds=tuple(refunds),
    )


WOO_PAID = ("processing", "completed", "refunded")
WOO_CLOSED = ("cancelled", "failed", "trash")


def woocommerce_order(data: Mapping[str, Any]) -> ShopOrder:
    data = _mapping(data)
    currency = _currency(data)
    billing = _mapping(data.get("billing"))
    names = (_text(billing, "first_name"), _text(billing, "last_name"))
    refunds = tuple(
        (
            _text(_mapping(refund), "id", 64),
            _minor(_mapping(refund).get("total"), currency, "refund"),
        )
        for refund in data.get("refunds") or []
    )
    status = _text(data, "status")
    return ShopOrder(
        external_id=_external_id(data),
        number=_text(data, "number", 64),
        currency=currency,
        email=_text(billing, "email"),
        phone=_text(billing, "phone", 32),
        name=" ".join(name for name in names if name),
        lines=_lines(data.get("line_items"), currency, "price"),
        total_minor=_minor(data.get("total"), currency, "total"),
        paid=status in WOO_PAID or bool(data.get("date_paid")),
        closed=status in WOO_CLOSED,
        refunds=tuple((rid, amount) for rid, amount in refunds if amount),
    )


def shopify_product(data: Mapping[str, Any], currency: str) -> list[ShopProduct]:
    """One product per variant (each has its own SKU and price)."""
    data = _mapping(data)
    title = _text(data, "title")
    found = []
    for variant in data.get("variants") or []:
        variant = _mapping(variant)
        variant_title = _text(variant, "title")
        name = title if variant_title in ("", "Default Title") else f"{title} – {variant_title}"
        found.append(
            ShopProduct(
                external_id=_text(variant, "id", 64),
                sku=_text(variant, "sku", 64) or f"shopify-{_text(variant, 'id', 50)}",
                name=name,
                price_minor=_minor(variant.get("price"), currency, "price"),
                barcode=_text(variant, "barcode", 64),
            )
        )
    return found


def woocommerce_product(data: Mapping[str, Any], currency: str) -> list[ShopProduct]:
    data = _mapping(data)
    price = data.get("price") or data.get("regular_price")
    if price in (None, ""):
        return []
    return [
        ShopProduct(
            external_id=_external_id(data),
            sku=_text(data, "sku", 64) or f"woo-{_text(data, 'id', 50)}",
            name=_text(data, "name"),
            price_minor=_minor(price, currency, "price"),
            barcode="",
        )
    ]
