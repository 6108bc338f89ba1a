"""Payment models: a business's payment settings (its M-Pesa till or paybill, the secret
callback address) and each payment received, matched to a customer and an order or waiting for
staff to match it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.customers.models import Customer
from wateja.orders.models import Order
from wateja.tenants.scoping import BusinessOwned
from wateja.tenants.secrets import EncryptedTextField


def _token() -> str:
    return secrets.token_urlsafe(18)


class MpesaEnvironment(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox (testing)")
    PRODUCTION = "production", _("Production")


class PaymentSettings(BusinessOwned):
    """One per business. The callback token names the business in the address Safaricom calls;
    the secret (basic auth in that address) proves the call is the business's own."""

    mpesa_shortcode = models.CharField(
        _("M-Pesa till or paybill number"), max_length=12, blank=True
    )
    mpesa_environment = models.CharField(
        _("M-Pesa environment"),
        max_length=12,
        choices=MpesaEnvironment.choices,
        default=MpesaEnvironment.SANDBOX,
    )
    mpesa_consumer_key = EncryptedTextField(_("Daraja consumer key"), blank=True)
    mpesa_consumer_secret = EncryptedTextField(_("Daraja consumer secret"), blank=True)
    # cashback paid out to the customer's M-Pesa (B2C); off unless the owner sets it up
    b2c_enabled = models.BooleanField(_("pay cashback out to M-Pesa"), default=False)
    b2c_shortcode = models.CharField(_("B2C shortcode"), max_length=12, blank=True)
    b2c_initiator = models.CharField(_("B2C initiator name"), max_length=100, blank=True)
    b2c_security_credential = EncryptedTextField(_("B2C security credential"), blank=True)
    receipt_sms = models.BooleanField(
        _("send an SMS receipt for each matched payment"), default=True
    )
    hook_token = models.CharField(max_length=40, default=_token, unique=True)
    hook_secret = EncryptedTextField(default=_token)
    # signs the generic payment webhook (wallets other than M-Pesa, a shop's till system); the
    # previous one keeps working for a day after a rotation, so senders can switch over
    signing_secret = EncryptedTextField(default=_token)
    signing_secret_previous = EncryptedTextField(blank=True)
    signing_rotated_at = models.DateTimeField(null=True, blank=True)
    hook_allowed_ips = models.TextField(
        _("addresses allowed to call"),
        blank=True,
        help_text=_("One address or network per line; empty: any address."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")
        constraints = [
            models.UniqueConstraint(fields=["business"], name="payment_settings_once"),
        ]


class PaymentProvider(models.TextChoices):
    MPESA = "mpesa", _("M-Pesa")
    TIGOPESA = "tigopesa", _("Tigo Pesa")
    AIRTELMONEY = "airtelmoney", _("Airtel Money")
    IDRAM = "idram", _("Idram")
    POS = "pos", _("Card terminal or till system")
    OTHER = "other", _("Other")


class PaymentStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    UNMATCHED = "unmatched", _("Waiting to be matched")
    IGNORED = "ignored", _("Not a sale")


class Payment(BusinessOwned):
    """A payment as the provider reported it; `reference` (M-Pesa TransID) makes a repeated
    callback a no-op."""

    provider = models.CharField(_("paid with"), max_length=20, choices=PaymentProvider.choices)
    reference = models.CharField(_("transaction"), max_length=64)
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    paid_at = models.DateTimeField(_("paid at"), db_index=True)
    account = models.CharField(_("account typed by the payer"), max_length=64, blank=True)
    payer_phone = models.CharField(_("payer's number"), max_length=128, blank=True)
    payer_name = models.CharField(_("payer's name"), max_length=200, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=12, choices=PaymentStatus.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        db_constraint=False,
    )
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # empty: matched by itself, from the account the payer typed
    matched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "provider", "reference"], name="payment_once"
            ),
        ]
        indexes = [models.Index(fields=["business", "status", "paid_at"], name="payment_queue")]

    def __str__(self) -> str:
        return f"{self.provider} {self.reference}"


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for a manager")
    SENT = "sent", _("Sent to M-Pesa")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed: cashback given back")
    REJECTED = "rejected", _("Refused by a manager")


class Payout(BusinessOwned):
    """Cashback paid out to a customer's M-Pesa: asked for at the counter, approved by a
    manager, held in the wallet while M-Pesa works, posted when it pays, given back when it
    fails."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payouts")
    phone = models.CharField(_("M-Pesa number"), max_length=32)
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation_id = models.CharField(max_length=64, blank=True, db_index=True)
    transaction_id = models.CharField(max_length=64, blank=True)
    result = models.CharField(_("M-Pesa said"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cashback payout")
        ordering = ["-id"]

    @property
    def wallet_key(self) -> str:
        return f"payout:{self.pk}"
