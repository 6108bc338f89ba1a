"""Online shop webhooks turned into the product's own records.

An unpaid order or an abandoned checkout with a known customer becomes an online checkout
that is never committed, which is what the cart-reminder automations look for. A paid order
becomes a sale through the checkout services (earn rules and offers apply, the customer found
or created by e-mail or phone); each refund the shop reports is refunded once, by its own id,
so the points and cashback it earned are taken back. Products are created or updated by SKU.
Every delivery is handled once, by the shop's delivery id."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.catalog.services import product_find, product_save
from wateja.core.errors import ValidationFailed
from wateja.core.shop_payloads import (
    BadShopPayload,
    ShopProduct,
    shopify_order,
    shopify_product,
    woocommerce_order,
    woocommerce_product,
)
from wateja.core.shop_payloads import (
    ShopOrder as OrderData,
)
from wateja.customers.models import Customer, Source
from wateja.customers.services import clean_customer_fields, customer_create, find_duplicate
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_release, checkout_reserve
from wateja.orders.models import Checkout, CheckoutStatus
from wateja.orders.refunds import order_refund
from wateja.shops.models import Platform, ShopConnection, ShopEvent, ShopOrder
from wateja.tenants.models import Business
from wateja.tenants.services import audit_record

# topic → what it carries
TOPICS = {
    Platform.SHOPIFY: {
        "orders/create": "order",
        "orders/updated": "order",
        "orders/paid": "order",
        "orders/cancelled": "order",
        "checkouts/create": "cart",
        "checkouts/update": "cart",
        "products/create": "product",
        "products/update": "product",
    },
    Platform.WOOCOMMERCE: {
        "order.created": "order",
        "order.updated": "order",
        "product.created": "product",
        "product.updated": "product",
    },
}


def _customer(business: Business, data: OrderData) -> Customer | None:
    """The customer the order names by e-mail or phone, created when new."""
    contacts: dict[str, Any] = {}
    for field, value in (("email", data.email), ("phone", data.phone)):
        if not value:
            continue
        try:
            contacts[field] = clean_customer_fields(business, {field: value})[field]
        except (ValidationFailed, KeyError):
            continue  # a phone from another country, a mistyped e-mail: use the other
    if not contacts:
        return None
    found = find_duplicate(business, **contacts)
    if found is not None:
        customer = found[0]
        return customer if customer.is_active else None
    name = data.name or (data.email.split("@")[0] if data.email else data.phone)
    return customer_create(business=business, source=Source.API, name=name, **contacts)


def _sale(data: OrderData) -> SaleInput:
    lines = tuple(
        {
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price_minor": line.unit_price_minor,
        }
        for line in data.lines
    )
    if lines:
        return SaleInput(currency=data.currency, lines=lines, channel="online")
    return SaleInput(currency=data.currency, total_minor=data.total_minor, channel="online")


def _release(business: Business, key: str) -> None:
    open_cart = Checkout.objects.for_business(business).filter(
        key=key, status=CheckoutStatus.RESERVED
    )
    if open_cart.exists():
        checkout_release(business=business, key=key)


def order_sync(connection: ShopConnection, data: OrderData, *, cart: bool = False) -> str:
    """Bring one shop order (or abandoned checkout, `cart`) up to date; says what it did."""
    business = connection.business
    if data.currency != business.currency:
        return "ignored: currency"
    prefix = f"shop:{connection.pk}:{'cart' if cart else 'order'}:{data.external_id}"
    with transaction.atomic():
        row, _created = ShopOrder.objects.select_for_update().get_or_create(
            business=business,
            connection=connection,
            external_id=f"{'cart' if cart else 'order'}:{data.external_id}",
            defaults={"number": data.number},
        )
        if row.customer is None:
            row.customer = _customer(business, data)
        outcome = "unchanged"
        if row.order is None:
            if data.closed:
                if row.checkout_key:
                    _release(business, row.checkout_key)
                outcome = "closed"
            elif cart or not data.paid:
                if row.customer is not None and not row.checkout_key:
                    row.checkout_key = prefix
                    checkout_reserve(
                        business=business, key=prefix, sale=_sale(data), customer=row.customer
                    )
                    outcome = "cart"
            else:
                if row.checkout_key:
                    _release(business, row.checkout_key)
                key = f"{prefix}:paid"
                checkout_reserve(
                    business=business, key=key, sale=_sale(data), customer=row.customer
                )
                row.order = checkout_commit(business=business, key=key)
                row.checkout_key = key
                outcome = "sale"
        if row.order is not None:
            for refund_id, amount in data.refunds:
                left = row.order.total_minor - row.order.refunded_minor
                if left <= 0:
                    break
                row.order = order_refund(
                    order=row.order,
                    refund_id=f"shop:{connection.pk}:refund:{refund_id}",
                    amount_minor=min(amount, left),
                    reason=_("Refunded in the online shop"),
                )
            if row.order.refunded_minor != row.refunded_minor:
                row.refunded_minor = row.order.refunded_minor
                outcome = "refund"
        row.save()
    return outcome


def products_sync(business: Business, products: list[ShopProduct]) -> str:
    for found in products:
        existing = product_find(business, found.sku)
        values: dict[str, Any] = {"name": found.name or found.sku, "price_minor": found.price_minor}
        if found.barcode:
            values["barcode"] = found.barcode
        if existing is None:
            product_save(business=business, sku=found.sku, **values)
        else:
            product_save(business=business, product=existing, **values)
    return f"products: {len(products)}"


def _handle(connection: ShopConnection, kind: str, payload: Any) -> str:
    business = connection.business
    shopify = connection.platform == Platform.SHOPIFY
    if kind == "product":
        read = shopify_product if shopify else woocommerce_product
        return products_sync(business, read(payload, business.currency))
    order = (shopify_order if shopify else woocommerce_order)(payload)
    return order_sync(connection, order, cart=kind == "cart")


def shop_event_receive(
    connection: ShopConnection, *, topic: str, delivery_id: str, payload: Any
) -> tuple[str, bool]:
    """Handle a verified webhook once. Returns (what was done, whether it was new). Raises
    ValidationFailed for a body that is not what the topic promises."""
    kind = TOPICS[Platform(connection.platform)].get(topic)
    delivery_id = (delivery_id or "").strip()[:100]
    if not delivery_id:
        raise ValidationFailed(_("The webhook has no delivery id."), code="bad_payload")
    done = ShopEvent.objects.for_business(connection.business_id).filter(
        connection=connection, delivery_id=delivery_id
    )
    earlier = done.first()
    if earlier is not None:
        return earlier.outcome, False
    try:
        with transaction.atomic():
            outcome = "ignored: topic" if kind is None else _handle(connection, kind, payload)
            ShopEvent.objects.create(
                business=connection.business,
                connection=connection,
                delivery_id=delivery_id,
                topic=topic[:60],
                outcome=outcome[:200],
            )
    except BadShopPayload as error:
        raise ValidationFailed(
            _("The shop's message cannot be read: %(problem)s") % {"problem": str(error)},
            code="bad_payload",
        ) from error
    except IntegrityError:  # the same delivery, handled at the same moment elsewhere
        repeat = done.first()
        if repeat is None:
            raise
        return repeat.outcome, False
    ShopConnection.objects.filter(pk=connection.pk).update(last_event_at=timezone.now())
    return outcome, True


@transaction.atomic
def shop_connect(
    *, business: Business, platform: str, name: str, secret: str, actor: User | None = None
) -> ShopConnection:
    errors: dict[str, object] = {}
    if platform not in Platform.values:
        errors["platform"] = _("Choose Shopify or WooCommerce.")
    if not name.strip():
        errors["name"] = _("Enter a name.")
    if len(secret.strip()) < 8:
        errors["secret"] = _("Paste the webhook secret from the shop (8 characters or more).")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    connection = ShopConnection.objects.create(
        business=business, platform=platform, name=name.strip()[:100], secret=secret.strip()
    )
    audit_record(
        business=business,
        action="shop_connected",
        object_type="shop_connection",
        object_id=connection.pk,
        actor=actor,
        details={"platform": platform, "name": connection.name},
    )
    return connection


@transaction.atomic
def shop_disconnect(*, connection: ShopConnection, actor: User | None = None) -> None:
    audit_record(
        business=connection.business,
        action="shop_disconnected",
        object_type="shop_connection",
        object_id=connection.pk,
        actor=actor,
        details={"name": connection.name},
    )
    connection.active = False
    connection.save(update_fields=["active"])
