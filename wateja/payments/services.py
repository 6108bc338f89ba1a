"""Payments received without a cashier: stored once per provider transaction, matched to a
customer by the account the payer typed (card number or phone, never the payer's number alone,
which Safaricom may send masked or hashed), then rung up as an order through the checkout
services, so earn rules and offers apply and a refund reverses them. A payment that matches no
one waits in a queue for staff to match by hand, or to mark as not a sale."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import logging
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.cards import normalize_card_number
from wateja.core.contacts import InvalidPhone, normalize_phone
from wateja.core.errors import Conflict, DomainError, ValidationFailed
from wateja.customers.models import Customer
from wateja.customers.selectors import card_lookup, customer_identify
from wateja.messaging.receipts import NoContact, receipt_send
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.payments.models import Payment, PaymentSettings, PaymentStatus
from wateja.tenants.models import ApiKey, Business
from wateja.tenants.services import audit_record

log = logging.getLogger(__name__)


class PaymentDone(Conflict):
    code = "payment_already_handled"


def payment_settings(business: Business | int) -> PaymentSettings:
    business_id = business if isinstance(business, int) else business.pk
    row: PaymentSettings | None = PaymentSettings.objects.filter(business_id=business_id).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return PaymentSettings.objects.create(business_id=business_id)
    except IntegrityError:  # created by a concurrent caller
        return PaymentSettings.objects.get(business_id=business_id)


@transaction.atomic
def payment_hook_rotate(row: PaymentSettings, *, actor: User | None = None) -> PaymentSettings:
    """A new callback address and secret; the old ones stop working at once."""
    row.hook_token = secrets.token_urlsafe(18)
    row.hook_secret = secrets.token_urlsafe(18)
    row.save(update_fields=["hook_token", "hook_secret", "updated_at"])
    audit_record(
        business=row.business,
        action="payment_hook_rotated",
        object_type="payment_settings",
        object_id=row.pk,
        actor=actor,
    )
    return row


def customer_for_account(business: Business, account: str) -> Customer | None:
    """The customer whose card number, or else phone number, the payer typed as the account."""
    account = (account or "").strip()
    if not account:
        return None
    if normalize_card_number(account):
        card = card_lookup(business, account)
        if card is not None and card.status == "active" and card.customer.is_active:
            return card.customer
    try:
        normalize_phone(account, business.country)
    except InvalidPhone:
        return None
    try:
        return customer_identify(business, phone=account)
    except DomainError:
        return None


def payment_receive(
    *,
    business: Business,
    provider: str,
    reference: str,
    amount_minor: int,
    currency: str,
    paid_at: dt.datetime,
    account: str = "",
    payer_phone: str = "",
    payer_name: str = "",
    payload: dict[str, Any] | None = None,
) -> tuple[Payment, bool]:
    """Store a payment once per (provider, reference) and ring it up when the account names a
    customer. Returns the payment and whether this call created it; a repeat is a no-op.

    One transaction: if the server fails half-way (a timeout, a crash), nothing is kept and
    the provider's retry starts afresh. An offer that ran out or a customer erased meanwhile
    is not a failure: the payment is kept, waiting for staff."""
    existing = Payment.objects.for_business(business).filter(provider=provider, reference=reference)
    found = existing.first()
    if found is not None:
        return found, False
    with transaction.atomic():
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    business=business,
                    provider=provider,
                    reference=reference,
                    amount_minor=amount_minor,
                    currency=currency,
                    paid_at=paid_at,
                    account=account,
                    payer_phone=payer_phone,
                    payer_name=payer_name,
                    payload=payload or {},
                    status=PaymentStatus.UNMATCHED,
                )
        except IntegrityError:  # the same transaction, reported twice at once
            return existing.get(), False
        customer = (
            customer_for_account(business, account) if currency == business.currency else None
        )
        if customer is not None:
            try:
                payment = _ring_up(payment, customer, actor=None)
            except DomainError as error:
                log.warning("payment %s left for staff: %s", payment.pk, error.code)
    return payment, True


def _ring_up(
    payment: Payment,
    customer: Customer,
    *,
    actor: User | None,
    api_key: ApiKey | None = None,
) -> Payment:
    """The order for a payment, committed with the payment in one transaction."""
    business = payment.business
    key = f"payment:{payment.provider}:{payment.reference}"
    with transaction.atomic():
        locked: Payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.UNMATCHED:
            raise PaymentDone(_("This payment has already been matched or set aside."))
        sale = SaleInput(
            currency=locked.currency, total_minor=locked.amount_minor, channel=locked.provider
        )
        checkout_reserve(
            business=business,
            key=key,
            sale=sale,
            customer=customer,
            actor=actor,
            api_key=api_key,
        )
        order = checkout_commit(business=business, key=key, actor=actor, api_key=api_key)
        now = timezone.now()
        locked.customer = customer
        locked.order = order
        locked.status = PaymentStatus.MATCHED
        locked.matched_by = actor
        locked.matched_at = now
        locked.save(update_fields=["customer", "order", "status", "matched_by", "matched_at"])
        if actor is not None or api_key is not None:
            audit_record(
                business=business,
                action="payment_matched",
                object_type="payment",
                object_id=locked.pk,
                actor=actor,
                api_key=api_key,
                details={"customer": customer.pk, "order": order.pk},
            )
        if payment_settings(business).receipt_sms:
            with contextlib.suppress(NoContact):  # no phone: no receipt, the sale stands
                receipt_send(order=order)
    return locked


def payment_match(
    *,
    payment: Payment,
    customer: Customer,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Payment:
    """Staff match a waiting payment to a customer: the sale is rung up for them."""
    if customer.business_id != payment.business_id or not customer.is_active:
        raise DomainError(_("Customer not found."), code="not_found", status=404)
    if payment.currency != payment.business.currency:
        raise Conflict(
            _("This payment is in %(currency)s; the business sells in %(own)s.")
            % {"currency": payment.currency, "own": payment.business.currency},
            code="currency_mismatch",
        )
    return _ring_up(payment, customer, actor=actor, api_key=api_key)


@transaction.atomic
def payment_set_aside(
    *, payment: Payment, actor: User | None = None, api_key: ApiKey | None = None
) -> Payment:
    """Staff say a waiting payment is not a sale (a supplier refund, a test payment)."""
    locked: Payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != PaymentStatus.UNMATCHED:
        raise PaymentDone(_("This payment has already been matched or set aside."))
    locked.status = PaymentStatus.IGNORED
    locked.matched_by = actor
    locked.matched_at = timezone.now()
    locked.save(update_fields=["status", "matched_by", "matched_at"])
    audit_record(
        business=locked.business,
        action="payment_set_aside",
        object_type="payment",
        object_id=locked.pk,
        actor=actor,
        api_key=api_key,
    )
    return locked


def unmatched_payments(business: Business) -> Any:
    return (
        Payment.objects.for_business(business)
        .filter(status=PaymentStatus.UNMATCHED)
        .order_by("-paid_at", "-id")
    )


SETTINGS_FIELDS = (
    "mpesa_shortcode",
    "mpesa_environment",
    "mpesa_consumer_key",
    "mpesa_consumer_secret",
    "receipt_sms",
    "hook_allowed_ips",
    "b2c_enabled",
    "b2c_shortcode",
    "b2c_initiator",
    "b2c_security_credential",
)
SECRET_FIELDS = ("mpesa_consumer_key", "mpesa_consumer_secret", "b2c_security_credential")


def _allowed_ips_errors(text: str) -> list[str]:
    wrong = []
    for line in text.split():
        try:
            ipaddress.ip_network(line.strip(), strict=False)
        except ValueError:
            wrong.append(line.strip())
    return wrong


@transaction.atomic
def payment_settings_update(
    *, business: Business, actor: User | None = None, **changes: Any
) -> PaymentSettings:
    """Change the business's payment settings. An empty secret keeps the saved one."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {name: _("Unknown setting.") for name in unknown}
        )
    errors: dict[str, Any] = {}
    for name in ("mpesa_shortcode", "b2c_shortcode"):
        code = str(changes.get(name, "") or "").strip()
        if code and not (code.isdigit() and 5 <= len(code) <= 9):
            errors[name] = _("A till or paybill number is 5 to 9 digits.")
    wrong = _allowed_ips_errors(str(changes.get("hook_allowed_ips", "") or ""))
    if wrong:
        errors["hook_allowed_ips"] = _("Not an address or network: %(items)s") % {
            "items": ", ".join(wrong)
        }
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    row: PaymentSettings = PaymentSettings.objects.select_for_update().get(
        pk=payment_settings(business).pk
    )
    changed = []
    for name, value in changes.items():
        if name in SECRET_FIELDS and not value:
            continue
        value = value.strip() if isinstance(value, str) else value
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    if changed:
        row.save()
        audit_record(
            business=business,
            action="payment_settings_changed",
            object_type="payment_settings",
            object_id=row.pk,
            actor=actor,
            details={"fields": sorted(changed)},
        )
    return row
