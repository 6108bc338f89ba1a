"""Cashback paid out to a customer's M-Pesa (Daraja B2C), for businesses that turn it on.

A cashier asks at the customer's request; a manager approves (not the one who asked, unless
an owner). Approval holds the amount in the customer's cashback (it can no longer be spent)
and asks M-Pesa to pay it; M-Pesa's result posts the hold (paid) or voids it (the cashback is
the customer's again). A payout M-Pesa never answers for is failed after HOLD_DAYS (daily,
`payouts_lapsed`) and its hold voided, so the cashback is the customer's again. M-Pesa pays
whole shillings only."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.contacts import InvalidPhone, normalize_phone
from wateja.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from wateja.customers.models import Customer
from wateja.payments.models import Payout, PayoutStatus
from wateja.payments.services import payment_settings
from wateja.tenants.models import Staff
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.services import audit_record
from wateja.wallet import services as wallet
from wateja.wallet.models import Kind

HOLD_DAYS = 7
WHOLE_UNIT = 100  # KES minor units in a shilling


class PayoutsOff(Conflict):
    code = "payouts_off"


def _role(business_id: int, user: User | None) -> str | None:
    if user is None:
        return None
    staff = Staff.objects.filter(business_id=business_id, user=user, active=True).first()
    return staff.role if staff else None


@transaction.atomic
def payout_request(
    *, customer: Customer, amount_minor: int, phone: str = "", actor: User | None = None
) -> Payout:
    business = customer.business
    if not payment_settings(business).b2c_enabled:
        raise PayoutsOff(_("Cashback payouts to M-Pesa are not turned on for this business."))
    errors: dict[str, object] = {}
    if amount_minor <= 0 or amount_minor % WHOLE_UNIT:
        errors["amount_minor"] = _("M-Pesa pays whole shillings: enter an amount like 150.")
    try:
        number = normalize_phone(phone or customer.phone, business.country)
    except InvalidPhone:
        number = ""
        errors["phone"] = _("Enter the customer's M-Pesa number.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    available = wallet.balances(customer).get(Kind.CASHBACK, {}).get("available", 0)
    if amount_minor > available:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"amount_minor": _("The customer has less cashback than that.")},
        )
    payout = Payout.objects.create(
        business=business,
        customer=customer,
        phone=number,
        amount_minor=amount_minor,
        currency=business.currency,
        requested_by=actor,
    )
    audit_record(
        business=business,
        action="payout_requested",
        object_type="payout",
        object_id=payout.pk,
        actor=actor,
        details={"customer": customer.pk, "amount_minor": amount_minor},
    )
    return payout


def _decide(payout: Payout, actor: User) -> Payout:
    role = _role(payout.business_id, actor)
    if role is None or not role_at_least(role, Role.MANAGER):
        raise Forbidden(_("Only a manager can approve a payout."), code="role_required")
    if payout.requested_by_id == actor.pk and role != Role.OWNER:
        raise Forbidden(_("Another manager must approve a payout you asked for."), code="four_eyes")
    locked: Payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status != PayoutStatus.REQUESTED:
        raise Conflict(_("This payout has already been decided."), code="payout_decided")
    return locked


def payout_approve(*, payout: Payout, actor: User) -> Payout:
    """Hold the cashback and ask M-Pesa to pay; the hold is voided if M-Pesa refuses."""
    from wateja.payments.daraja import b2c_payment

    with transaction.atomic():
        locked = _decide(payout, actor)
        wallet.cashback_payout(
            customer=locked.customer,
            amount_minor=locked.amount_minor,
            idempotency_key=locked.wallet_key,
            reference=f"payout:{locked.pk}",
            actor=actor,
            hold_minutes=HOLD_DAYS * 24 * 60,
        )
        locked.status = PayoutStatus.SENT
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.conversation_id = f"wateja-{locked.business_id}-{locked.pk}-{secrets.token_hex(4)}"
        locked.save(update_fields=["status", "decided_by", "decided_at", "conversation_id"])
        audit_record(
            business=locked.business,
            action="payout_approved",
            object_type="payout",
            object_id=locked.pk,
            actor=actor,
        )
    try:
        b2c_payment(payment_settings(locked.business), locked)
    except DomainError as error:
        return payout_finish(payout=locked, paid=False, said=str(error.message))
    return locked


@transaction.atomic
def payout_reject(*, payout: Payout, actor: User) -> Payout:
    locked = _decide(payout, actor)
    locked.status = PayoutStatus.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        business=locked.business,
        action="payout_rejected",
        object_type="payout",
        object_id=locked.pk,
        actor=actor,
    )
    return locked


@transaction.atomic
def payout_finish(
    *, payout: Payout, paid: bool, said: str = "", transaction_id: str = ""
) -> Payout:
    """M-Pesa's answer: post the hold (paid) or void it (the cashback is theirs again).
    A second answer for the same payout changes nothing."""
    locked: Payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status != PayoutStatus.SENT:
        return locked
    wallet.pending_resolve(business=locked.business, operation_key=locked.wallet_key, post=paid)
    locked.status = PayoutStatus.PAID if paid else PayoutStatus.FAILED
    locked.result = said[:300]
    locked.transaction_id = transaction_id[:64]
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "result", "transaction_id", "finished_at"])
    return locked


def b2c_result(business_id: int, body: dict[str, Any]) -> Payout | None:
    """Daraja's B2C result (ResultURL): {"Result": {ResultCode, ResultDesc,
    OriginatorConversationID, TransactionID, …}}. None when it names no payout of ours."""
    result = body.get("Result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        raise ValidationFailed(_("The callback is not a B2C result."), code="bad_payload")
    payout = (
        Payout.objects.for_business(business_id)
        .filter(conversation_id=str(result.get("OriginatorConversationID", "")))
        .first()
    )
    if payout is None or not payout.conversation_id:
        return None
    code = str(result.get("ResultCode", ""))
    return payout_finish(
        payout=payout,
        paid=code == "0",
        said=str(result.get("ResultDesc", "")),
        transaction_id=str(result.get("TransactionID", "")),
    )


def b2c_timeout(business_id: int, body: dict[str, Any]) -> Payout | None:
    """Daraja's queue timeout (QueueTimeOutURL): the request was never processed."""
    conversation = str(body.get("OriginatorConversationID", "")) if isinstance(body, dict) else ""
    payout = Payout.objects.for_business(business_id).filter(conversation_id=conversation).first()
    if payout is None or not conversation:
        return None
    return payout_finish(payout=payout, paid=False, said=_("M-Pesa did not process it in time."))


def payouts_lapsed(*, now: dt.datetime | None = None) -> int:
    """Daily: payouts M-Pesa never answered for within HOLD_DAYS are marked failed and their
    hold voided (if the wallet's housekeeping has not already), so the screen says the
    cashback is the customer's again instead of "sent" for ever."""
    now = now or timezone.now()
    lapsed = Payout.objects.filter(
        status=PayoutStatus.SENT, decided_at__lt=now - dt.timedelta(days=HOLD_DAYS)
    ).order_by("pk")
    count = 0
    for payout in lapsed:
        payout_finish(
            payout=payout,
            paid=False,
            said=_("M-Pesa did not answer within %(days)s days; the cashback was given back.")
            % {"days": HOLD_DAYS},
        )
        count += 1
    return count
