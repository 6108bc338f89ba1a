"""Promotion storage: the offer (type, params, conditions, schedule, audience, stacking,
budgets), its codes, every redemption, tiers and referrals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer
from wateja.tenants.scoping import BusinessOwned, OwnedOneToOneField, tenant_key


class PromotionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    MEMBERS = "members", _("Card holders only")
    SEGMENT = "segment", _("A segment")
    TIER = "tier", _("A tier")


class BudgetPeriod(models.TextChoices):
    TOTAL = "total", _("In total")
    DAY = "day", _("Per day")
    WEEK = "week", _("Per week")
    MONTH = "month", _("Per month")


class CustomerLimitPeriod(models.TextChoices):
    TOTAL = "total", _("In total")
    DAY = "day", _("Per day")
    WEEK = "week", _("Per week")
    MONTH = "month", _("Per month")
    YEAR = "year", _("Per year")


class Promotion(BusinessOwned):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=40)
    params = models.JSONField(default=dict)
    conditions = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=PromotionStatus.choices, default=PromotionStatus.DRAFT
    )
    priority = models.IntegerField(_("priority"), default=0)
    exclusive_group = models.CharField(_("exclusive group"), max_length=50, blank=True)
    stackable = models.BooleanField(_("stacks with other offers"), default=True)
    max_discount_minor = models.BigIntegerField(_("cap per order"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    weekdays = models.JSONField(default=list, blank=True)
    hour_from = models.PositiveSmallIntegerField(null=True, blank=True)
    hour_to = models.PositiveSmallIntegerField(null=True, blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.EVERYONE)
    audience_values = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    locations = models.JSONField(default=list, blank=True)
    requires_code = models.BooleanField(default=False)
    max_uses = models.PositiveIntegerField(_("uses allowed"), null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True)
    customer_limit_period = models.CharField(
        max_length=5, choices=CustomerLimitPeriod.choices, default=CustomerLimitPeriod.TOTAL
    )
    budget_minor = models.BigIntegerField(_("discount budget"), null=True, blank=True)
    budget_period = models.CharField(
        max_length=5, choices=BudgetPeriod.choices, default=BudgetPeriod.TOTAL
    )
    uses_count = models.PositiveIntegerField(default=0)
    recipe = models.CharField(max_length=20, blank=True)  # wateja.promotions.recipes key
    recipe_values = models.JSONField(default=dict, blank=True)  # what its short form holds
    discount_total_minor = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("promotion")
        ordering = ["-priority", "id"]
        indexes = [models.Index(fields=["business", "status"], name="promotion_status")]
        constraints = [tenant_key("promotions_promotion")]

    def __str__(self) -> str:
        return self.name


class CodeKind(models.TextChoices):
    SINGLE_USE = "single", _("One-time")
    REUSABLE = "reusable", _("Reusable")


class PromoCode(BusinessOwned):
    promotion = models.ForeignKey(
        Promotion, on_delete=models.CASCADE, related_name="promo_codes", db_constraint=False
    )
    code = models.CharField(_("code"), max_length=40)
    kind = models.CharField(max_length=8, choices=CodeKind.choices, default=CodeKind.REUSABLE)
    batch = models.CharField(max_length=60, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True)
    min_subtotal_minor = models.BigIntegerField(null=True, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    uses_count = models.PositiveIntegerField(default=0)
    issued_to = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("promo code")
        constraints = [
            tenant_key("promotions_promocode"),
            models.UniqueConstraint(fields=["business", "code"], name="code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class RedemptionStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    COMMITTED = "committed", _("Used")
    RELEASED = "released", _("Released")


class Redemption(BusinessOwned):
    """One use of a promotion (and its code) by one checkout. A one-time code can hold at most
    one live redemption: the unique constraint below is what makes two tills racing for the
    same code end with exactly one winner."""

    promotion = models.ForeignKey(
        Promotion, on_delete=models.PROTECT, related_name="redemptions", db_constraint=False
    )
    code = models.ForeignKey(
        PromoCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redemptions",
        db_constraint=False,
    )
    single_use_code = models.CharField(max_length=40, null=True, blank=True)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    checkout_key = models.CharField(max_length=200)
    order_id = models.BigIntegerField(null=True, blank=True)
    discount_minor = models.BigIntegerField(default=0)
    status = models.CharField(max_length=9, choices=RedemptionStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "single_use_code"],
                condition=Q(status__in=["reserved", "committed"])
                & Q(single_use_code__isnull=False),
                name="single_use_code_once",
            ),
            models.UniqueConstraint(
                fields=["business", "checkout_key", "promotion"],
                name="redemption_once_per_checkout",
            ),
        ]


class TierBasis(models.TextChoices):
    LIFETIME = "lifetime", _("Lifetime spend")
    ROLLING_12 = "rolling12", _("Spend in the last 12 months")


class Tier(BusinessOwned):
    name = models.CharField(_("name"), max_length=50)
    min_spend_minor = models.BigIntegerField(_("from spend"))
    discount_bp = models.PositiveIntegerField(_("discount"), default=0)
    earn_multiplier_bp = models.PositiveIntegerField(_("points multiplier"), default=10_000)
    basis = models.CharField(max_length=10, choices=TierBasis.choices, default=TierBasis.LIFETIME)
    grace_days = models.PositiveIntegerField(default=30)

    class Meta:
        ordering = ["min_spend_minor"]
        constraints = [
            tenant_key("promotions_tier"),
            models.UniqueConstraint(fields=["business", "name"], name="tier_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerTier(BusinessOwned):
    """The tier a customer holds: upgrades at once; a downgrade waits for the period's end
    plus the grace days (`keep_until`)."""

    customer = OwnedOneToOneField(Customer, on_delete=models.CASCADE, related_name="tier_state")
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False
    )
    since = models.DateTimeField()
    keep_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "customer"], name="customer_tier_once")
        ]


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the return window")
    QUALIFIED = "qualified", _("Counted")
    REJECTED = "rejected", _("Refused")


class ReferralCode(BusinessOwned):
    customer = OwnedOneToOneField(Customer, on_delete=models.CASCADE, related_name="referral_code")
    code = models.CharField(max_length=20)
    rewards_used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "customer"], name="referral_code_once_per_customer"
            ),
            models.UniqueConstraint(fields=["business", "code"], name="referral_code_unique"),
        ]


class Referral(BusinessOwned):
    referrer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="referrals_made", db_constraint=False
    )
    friend = OwnedOneToOneField(Customer, on_delete=models.CASCADE, related_name="referred_by")
    first_order_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    qualifies_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "friend"], name="referral_once_per_friend")
        ]


class ReferralRefusal(BusinessOwned):
    """A referral the program refused (the fraud checks of `referral_attach`): who tried to be
    brought, by whom (when the code was known), the code typed and why. Written by the callers
    after the refused attempt rolled back, so the report can show refusals."""

    friend = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    referrer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    code = models.CharField(max_length=40)
    reason = models.CharField(max_length=30)
    source = models.CharField(max_length=10, default="till")
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [tenant_key("promotions_referralrefusal")]
