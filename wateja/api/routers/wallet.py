"""A customer's wallet: balances, history, and every value-moving operation. Each POST that
moves value needs an `Idempotency-Key` header; a retry returns the first result.

No `from __future__ import annotations` here: Ninja reads the Header[...] annotations at import.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from wateja.api.auth import current_business, require_role
from wateja.api.idempotency import IdempotencyKey, required_key
from wateja.api.schemas import StrictSchema
from wateja.core.errors import DomainError, ValidationFailed
from wateja.customers.models import Customer
from wateja.orders.models import Order
from wateja.orders.refunds import order_refund
from wateja.tenants.models import ApiKey, Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.wallet import services as wallet
from wateja.wallet.models import Kind
from wateja.wallet.selectors import wallet_history

router = Router(tags=["wallet"])


class PostingOut(Schema):
    operation_id: int
    action: str
    transfers: list[dict[str, Any]]
    balances: dict[str, int]
    notes: dict[str, Any]
    replayed: bool


class BalanceOut(Schema):
    balance: int
    available: int
    pending_in: int


class ExpiringOut(Schema):
    amount: int
    expires_at: datetime
    kind: str


class HistoryOut(Schema):
    id: int
    at: datetime
    code: str
    label: str = Field(description="the code, in the request's language")
    kind: str
    amount: int
    status: str
    status_label: str
    reason: str
    reference: str
    by: str = Field(description="the staff member or API key that did it; empty: the product")
    location: str


class WalletOut(Schema):
    customer_id: int
    currency: str
    balances: dict[str, BalanceOut]
    expiring_30_days: list[ExpiringOut]
    history: list[HistoryOut]


class EarnIn(StrictSchema):
    amount: int
    kind: Kind = Kind.POINTS
    reference: str = Field("", max_length=100)
    reason: str = Field("", max_length=300)
    pending_days: int | None = Field(None, ge=0, le=365)


class SpendIn(StrictSchema):
    amount: int
    kind: Kind = Kind.POINTS
    reference: str = Field("", max_length=100)
    hold_minutes: int | None = Field(None, ge=1, le=7 * 24 * 60)


class AdjustIn(StrictSchema):
    amount: int = Field(description="positive credits, negative debits")
    kind: Kind = Kind.POINTS
    reason: str = Field(min_length=1, max_length=300)


class GiftIn(StrictSchema):
    to_customer_id: int
    amount: int


class MoneyIn(StrictSchema):
    amount_minor: int
    currency: str = Field(min_length=3, max_length=3)
    reference: str = Field("", max_length=100)
    bonus_bp: int | None = Field(
        None, ge=0, le=10_000, description="another bonus than the program's: manager, reason"
    )
    reason: str = Field("", max_length=300)


class ResolveIn(StrictSchema):
    reason: str = Field("", max_length=300, description="needed to post points early")


class DonateIn(StrictSchema):
    amount: int
    cause: str = Field(min_length=1, max_length=200)


class WalletRefundIn(StrictSchema):
    order_reference: str = Field(
        min_length=1,
        max_length=100,
        description='the order\'s number, or "order:<id>" as its wallet operations name it',
    )
    amount_minor: int = Field(
        ge=1, le=10**13, description="how much of the order's total is refunded now"
    )


class CheckOut(Schema):
    ok: bool
    problems: list[str]


def _key(request: HttpRequest) -> ApiKey:
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return key


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    return get_owned(Customer, current_business(request), pk=customer_id)


def _check_currency(request: HttpRequest, currency: str) -> None:
    expected = current_business(request).currency
    if currency.upper() != expected:
        raise ValidationFailed(
            _("This business keeps its wallet in %(currency)s.") % {"currency": expected},
            code="currency_mismatch",
            details={"fields": {"currency": [expected]}},
        )


def _out(posting: wallet.Posting) -> dict[str, Any]:
    return {**posting.as_dict(), "replayed": posting.replayed}


@router.get("/customers/{customer_id}/wallet", response=WalletOut)
def wallet_get(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    customer = _customer(request, customer_id)
    return {
        "customer_id": customer.pk,
        "currency": current_business(request).currency,
        "balances": wallet.balances(customer),
        "expiring_30_days": wallet.expiring_soon(customer, days=30),
        "history": wallet_history(customer, limit=100),
    }


@router.post("/customers/{customer_id}/wallet/earn", response=PostingOut)
def wallet_earn(
    request: HttpRequest, customer_id: int, payload: EarnIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    """Points or cashback given by hand, outside a sale (a sale earns through the checkout):
    a manager's action with a reason, within the daily limit, audited."""
    require_role(request, Role.MANAGER)
    return _out(
        wallet.points_grant(
            customer=_customer(request, customer_id),
            amount=payload.amount,
            kind=payload.kind,
            idempotency_key=wallet.client_key(required_key(idempotency_key)),
            reference=payload.reference,
            reason=payload.reason,
            pending_days=payload.pending_days,
            api_key=_key(request),
        )
    )


@router.post("/customers/{customer_id}/wallet/spend", response=PostingOut)
def wallet_spend(
    request: HttpRequest, customer_id: int, payload: SpendIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    return _out(
        wallet.balance_spend(
            customer=_customer(request, customer_id),
            amount=payload.amount,
            kind=payload.kind,
            idempotency_key=wallet.client_key(required_key(idempotency_key)),
            reference=payload.reference,
            hold_minutes=payload.hold_minutes,
            api_key=_key(request),
        )
    )


@router.post("/wallet/operations/{key}/post", response=PostingOut)
def wallet_post(request: HttpRequest, key: str, payload: ResolveIn | None = None) -> dict[str, Any]:
    """Post a hold, or points still in their return window (a manager's action, with a
    reason)."""
    require_role(request, Role.CASHIER)
    return _out(
        wallet.pending_resolve(
            business=current_business(request),
            operation_key=wallet.client_key(key),
            post=True,
            reason=payload.reason if payload else "",
            api_key=_key(request),
        )
    )


@router.post("/wallet/operations/{key}/void", response=PostingOut)
def wallet_void(request: HttpRequest, key: str) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    return _out(
        wallet.pending_resolve(
            business=current_business(request),
            operation_key=wallet.client_key(key),
            post=False,
            api_key=_key(request),
        )
    )


@router.post("/customers/{customer_id}/wallet/adjust", response=PostingOut)
def wallet_adjust(
    request: HttpRequest, customer_id: int, payload: AdjustIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    require_role(request, Role.MANAGER)
    return _out(
        wallet.balance_adjust(
            customer=_customer(request, customer_id),
            amount=payload.amount,
            kind=payload.kind,
            reason=payload.reason,
            idempotency_key=wallet.client_key(required_key(idempotency_key)),
            api_key=_key(request),
        )
    )


@router.post("/customers/{customer_id}/wallet/gift", response=PostingOut)
def wallet_gift(
    request: HttpRequest, customer_id: int, payload: GiftIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    return _out(
        wallet.points_gift(
            sender=_customer(request, customer_id),
            receiver=_customer(request, payload.to_customer_id),
            amount=payload.amount,
            idempotency_key=wallet.client_key(required_key(idempotency_key)),
            api_key=_key(request),
        )
    )


@router.post("/customers/{customer_id}/wallet/topup", response=PostingOut)
def wallet_topup(
    request: HttpRequest, customer_id: int, payload: MoneyIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    _check_currency(request, payload.currency)
    return _out(
        wallet.store_credit_topup(
            customer=_customer(request, customer_id),
            amount_minor=payload.amount_minor,
            bonus_bp=payload.bonus_bp,
            reason=payload.reason,
            reference=payload.reference,
            idempotency_key=wallet.client_key(required_key(idempotency_key)),
            api_key=_key(request),
        )
    )


@router.post("/customers/{customer_id}/wallet/payout", response=PostingOut)
def wallet_payout(
    request: HttpRequest, customer_id: int, payload: MoneyIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    require_role(request, Role.MANAGER)
    _check_currency(request, payload.currency)
    return _out(
        wallet.cashback_payout(
            customer=_customer(request, customer_id),
            amount_minor=payload.amount_minor,
            reference=payload.reference,
            idempotency_key=wallet.client_key(required_key(idempotency_key)),
            api_key=_key(request),
        )
    )


@router.post("/customers/{customer_id}/wallet/donate", response=PostingOut)
def wallet_donate(
    request: HttpRequest, customer_id: int, payload: DonateIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    return _out(
        wallet.points_donate(
            customer=_customer(request, customer_id),
            amount=payload.amount,
            cause=payload.cause,
            idempotency_key=wallet.client_key(required_key(idempotency_key)),
            api_key=_key(request),
        )
    )


@router.post("/wallet/refunds", response=PostingOut)
def wallet_refund(
    request: HttpRequest, payload: WalletRefundIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    """Refund part of an order the server recorded: what it earned is taken back and what it
    spent given back in proportion, from the order's own figures (as POST
    /orders/{id}/refunds, which shares its keys)."""
    require_role(request, Role.CASHIER)
    business = current_business(request)
    key = wallet.client_key(required_key(idempotency_key))
    order = _order(business, payload.order_reference)
    earlier = wallet.operation_posting(business, key)
    order_refund(
        order=order, amount_minor=payload.amount_minor, refund_id=key, api_key=_key(request)
    )
    posting = wallet.operation_posting(business, key)
    assert posting is not None  # the refund above stored it, or an earlier call did
    return {**posting.as_dict(), "replayed": earlier is not None}


def _order(business: Business, reference: str) -> Order:
    """The order a reference names: its number, or "order:<id>"; 404 when there is none."""
    reference = reference.strip()
    found = Order.objects.for_business(business).filter(number=reference).first()
    if (
        found is None
        and reference.startswith("order:")
        and reference[6:].isdigit()
        and len(reference) < 24
    ):
        found = Order.objects.for_business(business).filter(pk=int(reference[6:])).first()
    if found is None:
        raise DomainError(_("No order with this reference."), code="not_found", status=404)
    return found  # type: ignore[no-any-return]


@router.get("/wallet/check", response=CheckOut)
def wallet_check(request: HttpRequest) -> dict[str, Any]:
    require_role(request, Role.OWNER)
    problems = wallet.ledger_check(current_business(request))
    return {"ok": not problems, "problems": problems}
