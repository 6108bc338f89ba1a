"""A business's online shops and what their webhooks brought: each event once, each shop
order linked to its checkout (a cart until paid) and its sale."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer
from wateja.orders.models import Order
from wateja.tenants.scoping import BusinessOwned
from wateja.tenants.secrets import EncryptedTextField


def _token() -> str:
    return secrets.token_urlsafe(18)


class Platform(models.TextChoices):
    SHOPIFY = "shopify", _("Shopify")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")


class ShopConnection(BusinessOwned):
    platform = models.CharField(_("platform"), max_length=12, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=100)
    token = models.CharField(max_length=40, default=_token, unique=True)
    # the webhook signing secret the shop shows (Shopify: the app's secret; WooCommerce: the
    # secret typed when the webhook was made)
    secret = EncryptedTextField(_("webhook secret"))
    active = models.BooleanField(_("active"), default=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("online shop")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ShopEvent(BusinessOwned):
    """One webhook delivery, by the shop's own delivery id: a repeat is answered, not redone."""

    connection = models.ForeignKey(ShopConnection, on_delete=models.CASCADE, related_name="events")
    delivery_id = models.CharField(max_length=100)
    topic = models.CharField(max_length=60)
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "connection", "delivery_id"], name="shop_event_once"
            )
        ]


class ShopOrder(BusinessOwned):
    connection = models.ForeignKey(ShopConnection, on_delete=models.CASCADE, related_name="orders")
    external_id = models.CharField(max_length=64)
    number = models.CharField(max_length=64, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL)
    checkout_key = models.CharField(max_length=120, blank=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    refunded_minor = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "connection", "external_id"], name="shop_order_once"
            )
        ]
