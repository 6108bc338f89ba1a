"""Webhook endpoints of a business and every delivery made to them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.tenants.scoping import BusinessOwned, tenant_key
from wateja.tenants.secrets import EncryptedTextField


def _secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


class EventType(models.TextChoices):
    CUSTOMER_CREATED = "customer.created", _("A customer joined")
    ORDER_COMMITTED = "order.committed", _("A sale was recorded")
    ORDER_REFUNDED = "order.refunded", _("A sale was refunded")
    POINTS_EXPIRING = "points.expiring", _("A customer's points expire soon")
    TIER_CHANGED = "tier.changed", _("A customer's tier changed")
    CODE_REDEEMED = "code.redeemed", _("A code was used")
    CONSENT_CHANGED = "consent.changed", _("A customer's consent changed")


class Endpoint(BusinessOwned):
    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # empty: every event type
    event_types = models.JSONField(_("events"), default=list, blank=True)
    secret = EncryptedTextField(default=_secret)
    # the previous secret also signs for a day after a rotation, so the receiver can switch
    secret_previous = EncryptedTextField(blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        ordering = ["id"]
        constraints = [tenant_key("webhooks_endpoint")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.active and (not self.event_types or event_type in self.event_types)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    RETRYING = "retrying", _("Failed, will try again")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Gave up")


class Delivery(BusinessOwned):
    """One event for one endpoint: the body is fixed when the event happens, so a retry or a
    replay sends exactly what was first sent (with a fresh signature)."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", db_constraint=False
    )
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_response = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["business", "endpoint", "created_at"], name="delivery_log"),
        ]
        constraints = [tenant_key("webhooks_delivery")]
