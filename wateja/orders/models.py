"""Orders. Many small shops ring up only a total, so lines are optional (they come with the
checkout flow); the total, what was refunded and when are always known."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer
from wateja.tenants.models import Location
from wateja.tenants.scoping import BusinessOwned, OwnedOneToOneField, tenant_key


class OrderStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    VOIDED = "voided", _("Voided")


class Order(BusinessOwned):
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        db_constraint=False,
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cashier"),
    )
    api_key = models.ForeignKey(
        "tenants.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )  # the till system that rang it up, when it came through the API
    number = models.CharField(_("order number"), max_length=64)
    currency = models.CharField(max_length=3)
    subtotal_minor = models.BigIntegerField(_("subtotal"))
    discount_minor = models.BigIntegerField(_("discount"), default=0)
    total_minor = models.BigIntegerField(_("total paid"))
    refunded_minor = models.BigIntegerField(_("refunded"), default=0)
    # how the total was paid: the customer's balances below, the rest in money
    paid_points = models.BigIntegerField(_("points paid"), default=0)
    paid_points_minor = models.BigIntegerField(_("paid with points"), default=0)
    paid_cashback_minor = models.BigIntegerField(_("paid with cashback"), default=0)
    paid_store_credit_minor = models.BigIntegerField(_("paid with store credit"), default=0)
    refunded_money_minor = models.BigIntegerField(_("money refunded"), default=0)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.COMPLETED
    )
    channel = models.CharField(max_length=20, default="store")
    placed_at = models.DateTimeField(_("placed at"), db_index=True)

    class Meta:
        verbose_name = _("order")
        ordering = ["-placed_at", "-id"]
        constraints = [
            # no tenant_key: partitioned on PostgreSQL (tenants.partitioning)
            models.UniqueConstraint(fields=["business", "number"], name="order_number_unique"),
        ]
        indexes = [
            models.Index(fields=["business", "customer", "placed_at"], name="order_customer")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def net_minor(self) -> int:
        return self.total_minor - self.refunded_minor

    @property
    def paid_money_minor(self) -> int:
        """What the customer paid in money (cash, card, M-Pesa), after their balances."""
        return (
            self.total_minor
            - self.paid_points_minor
            - self.paid_cashback_minor
            - self.paid_store_credit_minor
        )


class OrderLine(BusinessOwned):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", db_constraint=False
    )
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price_minor = models.BigIntegerField()
    discount_minor = models.BigIntegerField(default=0)
    weight_grams = models.PositiveIntegerField(default=0)
    refunded_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [tenant_key("orders_orderline")]

    @property
    def net_minor(self) -> int:
        return self.quantity * self.unit_price_minor - self.discount_minor


class RefundKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    VOID = "void", _("Void")


class OrderRefund(BusinessOwned):
    """One refund or void of an order: how much, of which lines, why, who did it, where,
    and the manager who approved it when the amount needed one."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="refunds", db_constraint=False
    )
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=6, choices=RefundKind.choices, default=RefundKind.REFUND)
    amount_minor = models.BigIntegerField(_("refunded"))
    money_minor = models.BigIntegerField(_("money refunded"))
    lines = models.JSONField(default=list, blank=True)  # [{"line_id", "quantity"}]
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "key"], name="order_refund_key_once")
        ]


class TillSettings(BusinessOwned):
    """How a business's tills handle refunds and voids."""

    approval_above_minor = models.BigIntegerField(
        _("refunds above this amount need a manager's PIN"), null=True, blank=True
    )
    void_minutes = models.PositiveIntegerField(
        _("a cashier may void their own sale within (minutes)"), default=10
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business"], name="till_settings_once")]


class CheckoutStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    COMMITTED = "committed", _("Completed")
    RELEASED = "released", _("Cancelled")


class Checkout(BusinessOwned):
    """One sale in progress: what was evaluated and reserved (codes, budgets, points held)
    until it is committed or its time runs out. The key makes every step idempotent."""

    key = models.CharField(max_length=200)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    status = models.CharField(max_length=9, choices=CheckoutStatus.choices)
    request = models.JSONField(default=dict)
    evaluation = models.JSONField(default=dict)
    points_to_spend = models.BigIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)
    order = OwnedOneToOneField(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkout"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "order"], name="checkout_once_per_order"),
            models.UniqueConstraint(fields=["business", "key"], name="checkout_key_once"),
        ]


class SimulationStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be estimated")
    RUNNING = "running", _("Being estimated")
    DONE = "done", _("Estimated")
    FAILED = "failed", _("Could not be estimated")


class OfferSimulation(BusinessOwned):
    """The stored cost estimate of one offer (see orders.simulation): computed in the
    background each time the offer is saved, read by the offer page without touching a single
    order. `generation` grows with every request, and a run stores its result only while no
    newer request came, so an estimate never describes an older version of the offer."""

    promotion = OwnedOneToOneField(
        "promotions.Promotion", on_delete=models.CASCADE, related_name="simulation"
    )
    status = models.CharField(
        max_length=8, choices=SimulationStatus.choices, default=SimulationStatus.QUEUED
    )
    months = models.PositiveSmallIntegerField(default=3)
    generation = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(_("simulated on"), null=True, blank=True)
    orders_seen = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "promotion"], name="simulation_once_per_promotion"
            )
        ]
