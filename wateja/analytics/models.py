"""Analytics storage: settings per business, nightly rollups per business per day (and per
location), cohort cells, each customer's RFM score, and fingerprints that tell the nightly job
which months changed after they were rolled up (a sales import, a refund, a merge)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer
from wateja.tenants.models import Location
from wateja.tenants.scoping import BusinessOwned


class AnalyticsSettings(BusinessOwned):
    activity_window_days = models.PositiveIntegerField(
        _("activity window (days)"),
        default=90,
        help_text=_("a customer counts as active while their last purchase is this recent"),
    )
    gross_margin_bp = models.PositiveIntegerField(
        _("gross margin"),
        default=4000,
        help_text=_("share of the sales price that is margin, in basis points (4000 = 40%)"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("analytics settings")
        constraints = [models.UniqueConstraint(fields=["business"], name="analytics_settings_once")]


class DailyRollup(BusinessOwned):
    """One business-local day: the whole business (`location` empty) or one location (orders
    placed there; its customers are those who bought there). Sums are additive over days;
    `recency` and `recency_once` describe the customer base at the end of the day.

    Wallet figures (points, cashback) and tiers are kept on the whole-business row only."""

    day = models.DateField()
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False
    )
    orders = models.PositiveIntegerField(default=0)
    sales_minor = models.BigIntegerField(default=0, help_text="subtotal before discounts")
    discount_minor = models.BigIntegerField(default=0)
    paid_minor = models.BigIntegerField(default=0, help_text="order totals")
    refunded_minor = models.BigIntegerField(default=0)
    member_orders = models.PositiveIntegerField(default=0, help_text="orders with a customer")
    member_sales_minor = models.BigIntegerField(default=0)
    member_paid_minor = models.BigIntegerField(default=0)
    member_refunded_minor = models.BigIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0, help_text="customers who bought that day")
    new_customers = models.PositiveIntegerField(default=0, help_text="first purchase that day")
    customers_total = models.PositiveIntegerField(default=0, help_text="ever bought by then")
    gap_days = models.BigIntegerField(default=0, help_text="sum of days since previous visits")
    gaps = models.PositiveIntegerField(default=0, help_text="visits that had a previous one")
    recency = models.JSONField(
        default=list, help_text="customers by days since their last visit, as of the day's end"
    )
    recency_once = models.JSONField(
        default=list, help_text="the same for customers with a single visit so far"
    )
    points_issued = models.BigIntegerField(default=0)
    points_redeemed = models.BigIntegerField(default=0)
    points_expired = models.BigIntegerField(default=0)
    cashback_issued_minor = models.BigIntegerField(default=0)
    cashback_redeemed_minor = models.BigIntegerField(default=0)
    tiers = models.JSONField(default=dict, help_text="customers per tier id at the day's end")
    tier_moves = models.JSONField(default=dict, help_text='"old>new" tier ids → customers')
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("daily rollup")
        constraints = [
            models.UniqueConstraint(
                fields=["business", "day"],
                condition=Q(location__isnull=True),
                name="rollup_business_day",
            ),
            models.UniqueConstraint(
                fields=["business", "location", "day"],
                condition=Q(location__isnull=False),
                name="rollup_location_day",
            ),
        ]
        # the partial keys above serve only their half; this one every business_id query
        indexes = [models.Index(fields=["business", "day"], name="rollup_day")]


class CohortCell(BusinessOwned):
    """Customers whose first purchase fell in `cohort` (a month), buying again `offset` months
    later: how many of them, their orders and what they paid."""

    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False
    )
    cohort = models.DateField(help_text="first day of the month of first purchase")
    offset = models.PositiveSmallIntegerField(help_text="months after the cohort's month")
    month = models.DateField(help_text="first day of the month of these purchases")
    customers = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    paid_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "cohort", "offset"],
                condition=Q(location__isnull=True),
                name="cohort_business_cell",
            ),
            models.UniqueConstraint(
                fields=["business", "location", "cohort", "offset"],
                condition=Q(location__isnull=False),
                name="cohort_location_cell",
            ),
        ]
        # the partial keys above serve only their half; this one every business_id query
        indexes = [models.Index(fields=["business", "cohort"], name="cohort_month")]


class CustomerRfm(BusinessOwned):
    """A customer's recency / frequency / monetary scores (1–5, quintiles within the business)
    and segment, recomputed nightly. `customers.segments` filters on it by relation name
    (`rfm__segment`), the way it filters tiers, without importing this app. `tier_id` is the
    tier seen at the last scoring, to count tier movements."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="rfm", db_constraint=False
    )
    scored_on = models.DateField()
    last_purchase_on = models.DateField()
    recency_days = models.PositiveIntegerField()
    frequency = models.PositiveIntegerField(help_text="orders")
    monetary_minor = models.BigIntegerField(help_text="paid less refunded")
    r = models.PositiveSmallIntegerField()
    f = models.PositiveSmallIntegerField()
    m = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=24)
    tier_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("RFM score")
        constraints = [
            models.UniqueConstraint(fields=["business", "customer"], name="rfm_once_per_customer")
        ]
        indexes = [
            models.Index(fields=["business", "segment"], name="rfm_segment"),
            # when the base was last scored: one index step, not a scan of every customer's row
            models.Index(fields=["business", "-scored_on"], name="rfm_scored_on"),
        ]


class RollupMonth(BusinessOwned):
    """A month's fingerprint when it was last rolled up: when the same sums read differently
    the next night, the month and everything after it are rolled up again."""

    month = models.DateField()
    fingerprint = models.CharField(max_length=200)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "month"], name="rollup_month_once")
        ]


class ClvFit(BusinessOwned):
    """The CLV models fitted on a business's purchase history (one row per business, refitted
    nightly): BG/NBD for how often customers buy and whether they are still around,
    Gamma-Gamma for how much they spend; time in days."""

    fitted_on = models.DateField()
    customers = models.PositiveIntegerField()
    r = models.FloatField(null=True)
    alpha = models.FloatField(null=True)
    a = models.FloatField(null=True)
    b = models.FloatField(null=True)
    p = models.FloatField(null=True)
    q = models.FloatField(null=True)
    v = models.FloatField(null=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business"], name="clv_fit_per_business")]


class CustomerValue(BusinessOwned):
    """A customer's predicted next 12 months from the fitted models: expected purchases, the
    probability they are still a customer, and the expected value in minor units."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="value", db_constraint=False
    )
    computed_on = models.DateField()
    expected_purchases = models.FloatField()
    probability_alive = models.FloatField()
    value_minor = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "customer"], name="value_per_customer")
        ]
        indexes = [models.Index(fields=["business", "-value_minor"], name="value_top")]
