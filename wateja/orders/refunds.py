"""Refunds and voids of recorded orders, from the order's own figures under its lock.

A refund is an amount of the order's total or a quantity of some of its lines; what the
order earned is taken back and what it spent given back in proportion (the wallet), and the
money part never exceeds the money paid. Above the business's threshold a cashier needs a
manager's PIN at the till. A void undoes a whole sale within a few minutes, by the cashier who
made it (or a manager). Every refund and void is recorded with its reason, who did it, who
approved it and where; its key makes it happen once, and the same key for another order or
amount is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import Conflict, Forbidden, ValidationFailed
from wateja.core.ledger import refund_delta
from wateja.orders.models import (
    Order,
    OrderLine,
    OrderRefund,
    OrderStatus,
    RefundKind,
    TillSettings,
)
from wateja.orders.outbound import order_data
from wateja.orders.services import customer_stats_recompute
from wateja.tenants.models import ApiKey, Business
from wateja.tenants.outbound import event_emit
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.staff import till_switch
from wateja.wallet.manual import role_of
from wateja.wallet.services import AmountInvalid, IdempotencyKeyReused, order_refund_reverse


class ApprovalNeeded(Forbidden):
    code = "manager_approval_needed"


def till_settings(business: Business) -> TillSettings:
    found, _created = TillSettings.objects.get_or_create(business=business)
    return found


def till_settings_update(
    *, business: Business, approval_above_minor: int | None = None, void_minutes: int = 10
) -> TillSettings:
    errors: dict[str, object] = {}
    if approval_above_minor is not None and not 0 <= approval_above_minor <= 10**13:
        errors["approval_above_minor"] = _("Enter an amount, 0 or more.")
    if not 0 <= void_minutes <= 24 * 60:
        errors["void_minutes"] = _("From 0 to 1440 minutes.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    row = till_settings(business)
    row.approval_above_minor, row.void_minutes = approval_above_minor, void_minutes
    row.save()
    return row


def order_refund(
    *,
    order: Order,
    refund_id: str,
    amount_minor: int | None = None,
    lines: Sequence[dict[str, Any]] | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    approver_pin: str = "",
    till: str = "",
) -> Order:
    """Refund `amount_minor` of the order's total, or `lines` ([{"line_id", "quantity"}])."""
    with transaction.atomic():
        locked: Order = Order.objects.select_for_update().get(pk=order.pk)
        return _refund(
            locked,
            key=refund_id,
            kind=RefundKind.REFUND,
            amount_minor=amount_minor,
            lines=lines,
            reason=reason,
            now=now or timezone.now(),
            actor=actor,
            api_key=api_key,
            approver_pin=approver_pin,
            till=till,
        )


def order_void(
    *,
    order: Order,
    key: str,
    reason: str = "",
    now: dt.datetime | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Order:
    """Undo a whole sale just made: within the business's minutes, by its own cashier (a
    manager at any time of the same window)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked: Order = Order.objects.select_for_update().get(pk=order.pk)
        done = OrderRefund.objects.filter(business_id=locked.business_id, key=key).first()
        if done is not None:
            return _replayed(locked, done, locked.total_minor)
        role = role_of(locked.business, actor, api_key)
        is_manager = role is None or role_at_least(role, Role.MANAGER)
        own = (actor is not None and locked.cashier_id == actor.pk) or (
            actor is None and api_key is not None and locked.api_key_id == api_key.pk
        )
        if not is_manager and not own:
            raise Forbidden(_("Only the cashier who made the sale, or a manager, can void it."))
        minutes = till_settings(locked.business).void_minutes
        if now - locked.placed_at > dt.timedelta(minutes=minutes):
            raise Conflict(
                _("A sale can be voided within %(minutes)s minutes; refund it instead.")
                % {"minutes": minutes},
                code="void_too_late",
            )
        if locked.refunded_minor:
            raise Conflict(_("Part of this sale was refunded; refund the rest."), code="refunded")
        _refund(
            locked,
            key=key,
            kind=RefundKind.VOID,
            amount_minor=locked.total_minor,
            lines=None,
            reason=reason,
            now=now,
            actor=actor,
            api_key=api_key,
            approver_pin="",
            till="",
            approved=True,
        )
        locked.status = OrderStatus.VOIDED
        locked.save(update_fields=["status"])
        return locked


def _replayed(order: Order, done: OrderRefund, amount_minor: int | None) -> Order:
    if done.order_id != order.pk or (
        amount_minor is not None and done.amount_minor != amount_minor
    ):
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used for a different request."),
            details={"refund_id": done.pk},
        )
    return order


def _refund(
    locked: Order,
    *,
    key: str,
    kind: str,
    amount_minor: int | None,
    lines: Sequence[dict[str, Any]] | None,
    reason: str,
    now: dt.datetime,
    actor: User | None,
    api_key: ApiKey | None,
    approver_pin: str,
    till: str,
    approved: bool = False,
) -> Order:
    done = OrderRefund.objects.filter(business_id=locked.business_id, key=key).first()
    if done is not None:
        return _replayed(locked, done, amount_minor)
    if (amount_minor is None) == (lines is None):
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"amount_minor": _("Refund an amount or some lines, not both.")},
        )
    if lines is not None:
        amount_minor, line_counts = _lines_amount(locked, lines)
    else:
        line_counts = []
        if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
            raise ValidationFailed.fields(
                _("Some fields are not valid."),
                {"amount_minor": _("The amount must be more than zero.")},
            )
    assert amount_minor is not None
    if amount_minor > locked.total_minor - locked.refunded_minor:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"amount_minor": _("The refund is more than was paid.")},
        )
    approver = (
        None if approved else _approval(locked, amount_minor, actor, api_key, approver_pin, till)
    )
    try:
        order_refund_reverse(
            business=locked.business,
            order_reference=f"order:{locked.pk}",
            refund_key=key,
            refunded_before=locked.refunded_minor,
            refunded_now=amount_minor,
            order_total=locked.total_minor,
            now=now,
            actor=actor,
            api_key=api_key,
            location_id=locked.location_id,
        )
    except AmountInvalid:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"amount_minor": _("The refund is more than was paid.")},
        ) from None
    # each part of the payment comes back in proportion: the balances through the wallet
    # (above), the money here; cumulative, so the money refunded never exceeds the money
    # paid and a whole refund returns exactly all of it
    money = refund_delta(
        locked.paid_money_minor, locked.refunded_minor, amount_minor, locked.total_minor
    )
    locked.refunded_money_minor += money
    locked.refunded_minor += amount_minor
    locked.status = (
        OrderStatus.REFUNDED
        if locked.refunded_minor == locked.total_minor
        else OrderStatus.PARTIALLY_REFUNDED
    )
    locked.save(update_fields=["refunded_minor", "refunded_money_minor", "status"])
    for line, quantity in line_counts:
        OrderLine.objects.filter(pk=line.pk).update(
            refunded_quantity=line.refunded_quantity + quantity
        )
    OrderRefund.objects.create(
        business_id=locked.business_id,
        order=locked,
        key=key,
        kind=kind,
        amount_minor=amount_minor,
        money_minor=money,
        lines=[{"line_id": line.pk, "quantity": q} for line, q in line_counts],
        reason=reason.strip()[:300],
        cashier=actor if actor is not None and actor.is_authenticated else None,
        approved_by=approver,
        location_id=locked.location_id,
    )
    if locked.customer_id:
        customer_stats_recompute(business=locked.business, customer_ids=[locked.customer_id])
    event_emit(
        business_id=locked.business_id,
        event_type="order.refunded",
        data={
            "order": order_data(locked),
            "refund": {"id": key, "kind": kind, "amount_minor": amount_minor, "reason": reason},
        },
        at=now,
    )
    return locked


def _lines_amount(
    order: Order, wanted: Sequence[dict[str, Any]]
) -> tuple[int, list[tuple[OrderLine, int]]]:
    """What refunding these quantities of these lines comes to (each line's share of what
    was paid, cumulative per line so a line refunded in parts comes to its whole)."""
    by_id = {line.pk: line for line in order.lines.select_for_update()}
    errors: dict[str, object] = {}
    counts: list[tuple[OrderLine, int]] = []
    amount = 0
    if not wanted:
        errors["lines"] = _("Choose the lines to refund.")
    for n, item in enumerate(wanted):
        line = by_id.get(item.get("line_id")) if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if line is None:
            errors[f"lines.{n}.line_id"] = _("Not a line of this order.")
            continue
        left = line.quantity - line.refunded_quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            errors[f"lines.{n}.quantity"] = _("The quantity must be a whole number above zero.")
        elif quantity > left:
            errors[f"lines.{n}.quantity"] = _("Only %(count)s left to refund.") % {"count": left}
        else:
            amount += refund_delta(line.net_minor, line.refunded_quantity, quantity, line.quantity)
            counts.append((line, quantity))
    if len({line.pk for line, _q in counts}) != len(counts):
        errors["lines"] = _("Name each line once.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    return amount, counts


def _approval(
    order: Order,
    amount_minor: int,
    actor: User | None,
    api_key: ApiKey | None,
    approver_pin: str,
    till: str,
) -> User | None:
    """The manager who approves this refund, when its amount needs one (None otherwise)."""
    threshold = till_settings(order.business).approval_above_minor
    role = role_of(order.business, actor, api_key)
    if threshold is None or amount_minor <= threshold:
        return None
    if role is None or role_at_least(role, Role.MANAGER):
        return actor
    if not approver_pin:
        raise ApprovalNeeded(
            _("A refund above the limit needs a manager's PIN."),
            details={"threshold_minor": threshold},
        )
    approver = till_switch(business=order.business, pin=approver_pin, till=till or "refund")
    if not role_at_least(approver.role, Role.MANAGER):
        raise ApprovalNeeded(_("This PIN is not a manager's."))
    return approver.user
