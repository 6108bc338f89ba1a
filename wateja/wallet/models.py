"""Ledger tables. Transfers and entries are written once and never changed, except a pending
transfer's single resolution (posted or voided); a mistake is fixed by a reversing transfer.

Sign rule: an entry is +amount on the credited account and −amount on the debited one, so the
sum of all entries — and of all balances — is always zero. A customer's balance is what the
business owes them; system accounts mirror it (issuance goes negative as points go out)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer
from wateja.tenants.models import ApiKey, Location
from wateja.tenants.scoping import BusinessOwned, tenant_key


class Kind(models.TextChoices):
    POINTS = "points", _("Points")
    CASHBACK = "cashback", _("Cashback")
    STORE_CREDIT = "store_credit", _("Store credit")
    BONUS_CREDIT = "bonus_credit", _("Bonus store credit")


MONEY_KINDS = (Kind.CASHBACK, Kind.STORE_CREDIT, Kind.BONUS_CREDIT)


class SystemAccount(models.TextChoices):
    ISSUANCE = "issuance", _("Issued")
    REDEMPTION = "redemption", _("Redeemed")
    EXPIRY = "expiry", _("Expired")
    PAYOUT = "payout", _("Paid out")
    ADJUSTMENT = "adjustment", _("Adjustments")
    TOPUP = "topup", _("Top-ups received")
    DONATION = "donation", _("Donations")
    OPENING = "opening", _("Opening balances (imported)")


class Account(BusinessOwned):
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        db_constraint=False,
    )
    system = models.CharField(max_length=12, choices=SystemAccount.choices, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    balance = models.BigIntegerField(default=0, help_text="posted credits − posted debits")
    pending_debits = models.BigIntegerField(default=0)
    pending_credits = models.BigIntegerField(default=0)
    allow_negative = models.BooleanField(default=False)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            tenant_key("wallet_account"),
            models.UniqueConstraint(
                fields=["business", "customer", "kind"],
                condition=Q(customer__isnull=False),
                name="account_per_customer_kind",
            ),
            models.UniqueConstraint(
                fields=["business", "system", "kind"],
                condition=Q(customer__isnull=True),
                name="account_per_system_kind",
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(system=""), name="account_has_owner"
            ),
        ]

    def __str__(self) -> str:
        owner = f"customer {self.customer_id}" if self.customer_id else self.system
        return f"{owner}/{self.kind}"

    @property
    def available(self) -> int:
        """What can be spent now: the posted balance less what pending debits hold."""
        return self.balance - self.pending_debits


# what each kind of transfer is called where people read a wallet's history
TRANSFER_LABELS = {
    "earn": _("Earned on a purchase"),
    "grant": _("Given by hand"),
    "award": _("A reward from the program (an event, a challenge, a surprise)"),
    "spend": _("Spent"),
    "adjust": _("Correction"),
    "gift": _("Gift between customers"),
    "topup": _("Top-up"),
    "topup_bonus": _("Top-up bonus"),
    "payout": _("Paid out"),
    "donate": _("Donated"),
    "expire": _("Expired"),
    "refund_reverse": _("Taken back by a refund"),
    "refund_reverse_cashback": _("Taken from cashback by a refund"),
    "refund_return": _("Given back by a refund"),
    "earn_remainder": _("Earned, less a refund"),
    "merge": _("Moved when two records were merged"),
    "opening": _("Opening balance (import)"),
    "opening_reverse": _("Opening balance taken back (import undone)"),
}


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    POSTED = "posted", _("Posted")
    VOIDED = "voided", _("Voided")


class Operation(BusinessOwned):
    """One idempotent request (earn, spend, top-up, refund…), made of one or more transfers.
    The same key again returns the stored result; with another body it is refused."""

    key = models.CharField(max_length=200)
    action = models.CharField(max_length=30)
    request_hash = models.CharField(max_length=64)
    result = models.JSONField(default=dict)
    # who did it (a staff member or an API key; neither: the product itself) and where
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    reason = models.CharField(max_length=300, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            tenant_key("wallet_operation"),
            models.UniqueConstraint(fields=["business", "key"], name="operation_key_once"),
        ]
        indexes = [models.Index(fields=["reference"], name="operation_reference")]


class Transfer(BusinessOwned):
    operation = models.ForeignKey(
        Operation, on_delete=models.PROTECT, related_name="transfers", db_constraint=False
    )
    debit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    credit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    amount = models.BigIntegerField()
    code = models.CharField(max_length=30)
    status = models.CharField(max_length=8, choices=TransferStatus.choices)
    timeout_at = models.DateTimeField(null=True, blank=True)  # transfer_pending_timeout
    on_timeout = models.CharField(
        max_length=4, blank=True, help_text="post or void a pending transfer when it times out"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_constraint=False,
        db_index=False,  # transfer_reverses
    )
    created_at = models.DateTimeField(auto_now_add=True)  # transfer_business_time

    class Meta:
        ordering = ["id"]
        constraints = [
            # no tenant_key: partitioned on PostgreSQL (tenants.partitioning)
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(
                condition=~Q(debit_account=models.F("credit_account")), name="transfer_two_sides"
            ),
        ]
        # the business's transfers by time (reports, Citus's whole-table key; partitioned
        # tables carry no (business, id) key); the other two are partial: a posted transfer
        # that reverses nothing, nearly every one, adds no entry to them
        indexes = [
            models.Index(fields=["business", "created_at"], name="transfer_business_time"),
            models.Index(
                fields=["business", "timeout_at"],
                condition=Q(status="pending"),
                name="transfer_pending_timeout",
            ),
            models.Index(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="transfer_reverses"
            ),
        ]


class Entry(BusinessOwned):
    """A posted transfer's effect on one account: +amount credited, −amount debited."""

    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="entries",
        db_constraint=False,
        db_index=False,  # entry_account leads with it
    )
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="entries", db_constraint=False
    )
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "id"], name="entry_account"),
            # the business's entries (Citus's whole-table key); partitioned: no (business, id) key
            models.Index(fields=["business", "created_at"], name="entry_business_time"),
        ]
        # no tenant_key: partitioned on PostgreSQL (tenants.partitioning), no FK points here


class Lot(BusinessOwned):
    """One credit of a customer account with its expiry; spends consume lots soonest-expiry
    first, and the expiry job posts each expired lot's unspent remainder once."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lots", db_constraint=False
    )
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="lots", db_constraint=False
    )
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    earned_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expires_at", "id"]
        constraints = [
            tenant_key("wallet_lot"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("amount")),
                name="lot_remaining_in_range",
            ),
        ]


class LotUse(BusinessOwned):
    """How much of a lot a debit transfer consumed (so a refund can give it back)."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="uses", db_constraint=False)
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="lot_uses", db_constraint=False
    )
    amount = models.BigIntegerField()

    class Meta:
        constraints = [tenant_key("wallet_lotuse")]


class ClawbackPolicy(models.TextChoices):
    NEGATIVE = "negative", _("Take back, even below zero")
    OTHER_BALANCE = "other_balance", _("Take back what is left, the rest from cashback")
    ABSORB = "absorb", _("Take back what is left, the business absorbs the rest")


class WalletSettings(BusinessOwned):
    expiry_rule = models.CharField(max_length=14, default="never")
    expiry_n = models.PositiveIntegerField(default=0)
    expiry_date = models.DateField(null=True, blank=True)
    pending_days = models.PositiveIntegerField(
        default=0, help_text=_("points stay pending this many days (the return window)")
    )
    allow_gifting = models.BooleanField(default=False)
    clawback = models.CharField(
        max_length=14, choices=ClawbackPolicy.choices, default=ClawbackPolicy.NEGATIVE
    )
    max_points_per_operation = models.BigIntegerField(default=10_000_000)
    max_money_minor_per_operation = models.BigIntegerField(default=100_000_000)
    topup_bonus_bp = models.PositiveIntegerField(
        default=0, help_text=_("bonus store credit on top-ups, in basis points (500 = 5%)")
    )
    manager_daily_points = models.BigIntegerField(
        default=50_000,
        help_text=_("points one manager may give by hand in a day (owners have no limit)"),
    )
    manager_daily_money_minor = models.BigIntegerField(
        default=5_000_000,
        help_text=_(
            "cashback and store credit one manager may give by hand in a day, in minor units"
        ),
    )
    point_value_minor = models.PositiveIntegerField(
        default=100, help_text=_("what one point is worth when paying, in minor units")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business"], name="wallet_settings_once")]
