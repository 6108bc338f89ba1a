"""Promotions, codes, tiers and referrals; the checkout flow (evaluate → reserve → commit →
refund) and orders.

No `from __future__ import annotations` here: Ninja reads the Header[...] annotations at import.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from wateja.analytics.services import promotion_uplift_get
from wateja.api.auth import current_business, require_role
from wateja.api.idempotency import IdempotencyKey, required_key
from wateja.api.schemas import StrictSchema
from wateja.challenges.surprises import surprise_after_sale, surprise_text
from wateja.core.errors import DomainError
from wateja.customers.links import public_url
from wateja.customers.models import Customer
from wateja.customers.selectors import customer_identify
from wateja.orders.checkout import (
    SaleInput,
    checkout_commit,
    checkout_evaluate,
    checkout_release,
    checkout_reserve,
)
from wateja.orders.models import Checkout, Order, SimulationStatus
from wateja.orders.refunds import order_refund, order_void, till_settings, till_settings_update
from wateja.orders.simulation import simulation_now, simulation_stored
from wateja.promotions.models import Promotion, PromotionStatus, Tier
from wateja.promotions.reports import code_usage_report
from wateja.promotions.services import (
    ReferralRefused,
    codes_issue,
    promotion_save,
    promotion_set_status,
    referral_attach,
    referral_code_for,
    referral_refusal_record,
)
from wateja.tenants.models import Location
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.wallet.services import client_key

router = Router(tags=["checkout"])


class PromotionIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    type: str = Field(min_length=1, max_length=40)
    params: dict[str, Any] = Field(default_factory=dict)
    conditions: dict[str, Any] | None = None
    priority: int = 0
    exclusive_group: str = Field("", max_length=50)
    stackable: bool = True
    max_discount_minor: int | None = Field(None, ge=0)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    weekdays: list[int] = Field(default_factory=list)
    hour_from: int | None = None
    hour_to: int | None = None
    audience: str = "everyone"
    audience_values: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    locations: list[int] = Field(default_factory=list)
    requires_code: bool = False
    max_uses: int | None = Field(None, ge=1, le=2_000_000_000)
    max_uses_per_customer: int | None = Field(None, ge=1, le=2_000_000_000)
    budget_minor: int | None = Field(None, ge=0)
    budget_period: str = Field("total", max_length=10)


class PromotionOut(Schema):
    id: int
    name: str
    description: str
    type: str
    params: dict[str, Any]
    conditions: dict[str, Any] | None
    status: str
    priority: int
    exclusive_group: str
    stackable: bool
    max_discount_minor: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    audience: str
    requires_code: bool
    max_uses: int | None
    max_uses_per_customer: int | None
    budget_minor: int | None
    budget_period: str
    uses_count: int
    discount_total_minor: int


class StatusIn(StrictSchema):
    status: PromotionStatus


class CodesIn(StrictSchema):
    code: str = Field("", max_length=40)
    count: int = Field(1, ge=1, le=100_000)
    kind: str = "single"
    prefix: str = Field("", max_length=10)
    length: int = Field(8, ge=4, le=20)
    batch: str = Field("", max_length=60)
    max_uses: int | None = Field(None, ge=1, le=2_000_000_000)
    max_uses_per_customer: int | None = Field(None, ge=1, le=2_000_000_000)
    min_subtotal_minor: int | None = Field(None, ge=0)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class CustomerRef(StrictSchema):
    id: int | None = None
    card: str = Field("", max_length=40)
    phone: str = Field("", max_length=40)


class LineIn(StrictSchema):
    sku: str = Field(min_length=1, max_length=64, description="SKU (any case) or barcode")
    name: str = Field("", max_length=200)
    category: str = Field("", max_length=64)
    quantity: int = 1
    unit_price_minor: int | None = Field(None, description="default: the catalogue's price")
    weight_grams: int = Field(0, description="each unit's weight; a weighed item's weight")


class SaleIn(StrictSchema):
    customer: CustomerRef | None = None
    currency: str = Field(min_length=3, max_length=3)
    lines: list[LineIn] = Field(default_factory=list, max_length=500)
    total_minor: int | None = None
    codes: list[str] = Field(default_factory=list, max_length=10)
    flags: list[str] = Field(default_factory=list, max_length=20)
    channel: str = Field("store", max_length=20)
    location_id: int | None = None
    points_to_spend: int = Field(0, ge=0, description="capped at the balance and the bill")
    cashback_to_spend_minor: int = Field(0, ge=0, description="capped like points")
    store_credit_to_spend_minor: int = Field(0, ge=0, description="capped like points")


class RefundLineIn(StrictSchema):
    line_id: int = Field(ge=1, le=2**53 - 1)
    quantity: int = Field(ge=1, le=1_000_000)


class OrderRefundIn(StrictSchema):
    amount_minor: int | None = Field(
        None, ge=1, le=10**13, description="how much of the total; or give lines"
    )
    lines: list[RefundLineIn] | None = Field(None, max_length=500)
    reason: str = Field("", max_length=300)
    approver_pin: str = Field(
        "", max_length=6, description="a manager's PIN, for a refund above the threshold"
    )


class VoidIn(StrictSchema):
    reason: str = Field("", max_length=300)


class TillSettingsIn(StrictSchema):
    approval_above_minor: int | None = Field(None, ge=0, le=10**13)
    void_minutes: int = Field(10, ge=0, le=1440)


class SimulateIn(StrictSchema):
    months: int = Field(3, ge=1, le=24)


class TierIn(StrictSchema):
    name: str = Field(min_length=1, max_length=50)
    min_spend_minor: int = Field(ge=0)
    discount_bp: int = Field(0, ge=0, le=10_000)
    earn_multiplier_bp: int = Field(10_000, ge=0, le=100_000)
    basis: str = "lifetime"
    grace_days: int = Field(30, ge=0, le=365)


class ReferralIn(StrictSchema):
    code: str = Field(min_length=1, max_length=20)


def _sale(request: HttpRequest, payload: SaleIn) -> tuple[SaleInput, Customer | None]:
    business = current_business(request)
    ref = payload.customer
    customer = (
        customer_identify(business, customer_id=ref.id, card=ref.card, phone=ref.phone)
        if ref
        else None
    )
    if payload.location_id is not None:
        get_owned(Location, business, pk=payload.location_id)
    sale = SaleInput(
        currency=payload.currency,
        lines=tuple(line.dict() for line in payload.lines),
        total_minor=payload.total_minor,
        codes=tuple(payload.codes),
        flags=tuple(payload.flags),
        channel=payload.channel,
        location_id=payload.location_id,
        points_to_spend=payload.points_to_spend,
        cashback_to_spend_minor=payload.cashback_to_spend_minor,
        store_credit_to_spend_minor=payload.store_credit_to_spend_minor,
    )
    return sale, customer


def _order_out(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "customer_id": order.customer_id,
        "currency": order.currency,
        "subtotal_minor": order.subtotal_minor,
        "discount_minor": order.discount_minor,
        "total_minor": order.total_minor,
        "refunded_minor": order.refunded_minor,
        "payment": {
            "money_minor": order.paid_money_minor,
            "points": order.paid_points,
            "points_minor": order.paid_points_minor,
            "cashback_minor": order.paid_cashback_minor,
            "store_credit_minor": order.paid_store_credit_minor,
        },
        "refunded_money_minor": order.refunded_money_minor,
        "status": order.status,
        "placed_at": order.placed_at.isoformat(),
        "cashier": order.cashier.get_username() if order.cashier else "",
        "location_id": order.location_id,
        "lines": [
            {
                "id": line.pk,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "discount_minor": line.discount_minor,
                "refunded_quantity": line.refunded_quantity,
            }
            for line in order.lines.all()
        ],
        "refunds": [
            {
                "kind": refund.kind,
                "amount_minor": refund.amount_minor,
                "money_minor": refund.money_minor,
                "lines": refund.lines,
                "reason": refund.reason,
                "by": refund.cashier.get_username() if refund.cashier else "",
                "approved_by": refund.approved_by.get_username() if refund.approved_by else "",
                "at": refund.created_at.isoformat(),
            }
            for refund in order.refunds.select_related("cashier", "approved_by")
        ],
    }


@router.get("/promotions", response=list[PromotionOut])
def promotion_list(request: HttpRequest) -> Any:
    return Promotion.objects.for_business(current_business(request))


@router.post("/promotions", response={201: PromotionOut})
def promotion_post(request: HttpRequest, payload: PromotionIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    return Status(201, promotion_save(business=current_business(request), **payload.dict()))


@router.get("/promotions/{promotion_id}", response=PromotionOut)
def promotion_get(request: HttpRequest, promotion_id: int) -> Promotion:
    return get_owned(Promotion, current_business(request), pk=promotion_id)


@router.put("/promotions/{promotion_id}", response=PromotionOut)
def promotion_put(request: HttpRequest, promotion_id: int, payload: PromotionIn) -> Promotion:
    require_role(request, Role.MANAGER)
    business = current_business(request)
    promotion = get_owned(Promotion, business, pk=promotion_id)
    return promotion_save(business=business, promotion=promotion, **payload.dict())


@router.post("/promotions/{promotion_id}/status", response=PromotionOut)
def promotion_status(request: HttpRequest, promotion_id: int, payload: StatusIn) -> Promotion:
    require_role(request, Role.MANAGER)
    promotion = get_owned(Promotion, current_business(request), pk=promotion_id)
    return promotion_set_status(promotion=promotion, status=payload.status)


@router.post("/promotions/{promotion_id}/codes", response={201: dict[str, Any]})
def promotion_codes(request: HttpRequest, promotion_id: int, payload: CodesIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    promotion = get_owned(Promotion, current_business(request), pk=promotion_id)
    codes = codes_issue(promotion=promotion, **payload.dict())
    return Status(201, {"count": len(codes), "codes": [c.code for c in codes[:1000]]})


@router.get("/promotions/{promotion_id}/codes/report")
def promotion_code_report(request: HttpRequest, promotion_id: int) -> dict[str, Any]:
    require_role(request, Role.MANAGER)
    promotion = get_owned(Promotion, current_business(request), pk=promotion_id)
    return code_usage_report(promotion)


@router.post("/promotions/{promotion_id}/simulate")
def promotion_simulate(
    request: HttpRequest, promotion_id: int, payload: SimulateIn, recompute: bool = False
) -> dict[str, Any]:
    """The offer's cost estimate: the last `months` × 30 days of sales replayed with and
    without it, with the business's active offers, base earn rule and tiers, and its limits
    applied as checkout would. The stored estimate (computed in the background whenever the
    offer is saved) is returned when it is done for these months; otherwise, or with
    `?recompute=true`, it is computed now and stored.

    Every figure is the difference the offer makes; money in minor units of `currency`.
    `orders_evaluated` sales replayed; `orders_touched` / `customers_touched` where the offer
    applied; `discount_minor`, `cashback_minor`, `free_items_minor` extra money given;
    `points` extra points (negative when a discount lowers the base earn), worth
    `points_value_minor` at `point_value_minor` each; `cost_minor` all of it;
    `monthly_cost_minor` the cost per 30-day slice (oldest first), `monthly_low_minor` /
    `monthly_high_minor` their range; `orders_limited` sales its limits stopped or capped;
    `limits`, `code_only` (counted as if every buyer had the code), `compared_with` (the
    active offers counted in both replays), `tiers_counted`, `coupons_issued`, `similar`
    (offers of the same type that ran, with their measured uplift, or null);
    `status` ("done") and `computed_at` (RFC 3339)."""
    require_role(request, Role.MANAGER)
    promotion = get_owned(Promotion, current_business(request), pk=promotion_id)
    stored = simulation_stored(promotion)
    if (
        recompute
        or stored is None
        or stored.status != SimulationStatus.DONE
        or stored.months != payload.months
    ):
        stored = simulation_now(
            promotion=promotion, months=payload.months, measure=promotion_uplift_get
        )
    if stored.status != SimulationStatus.DONE or stored.computed_at is None:
        raise DomainError(stored.error, code="estimate_failed", status=503)
    return {**stored.result, "status": stored.status, "computed_at": stored.computed_at.isoformat()}


@router.get("/tiers")
def tier_list(request: HttpRequest) -> list[dict[str, Any]]:
    return list(
        Tier.objects.for_business(current_business(request)).values(
            "id",
            "name",
            "min_spend_minor",
            "discount_bp",
            "earn_multiplier_bp",
            "basis",
            "grace_days",
        )
    )


@router.post("/tiers", response={201: dict[str, Any]})
def tier_post(request: HttpRequest, payload: TierIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    from wateja.promotions.services import tier_save

    tier = tier_save(business=current_business(request), **payload.dict())
    return Status(201, {"id": tier.pk, "name": tier.name})


@router.get("/customers/{customer_id}/referral")
def referral_get(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    customer = get_owned(Customer, current_business(request), pk=customer_id)
    link = referral_code_for(customer)
    url = public_url(f"/join/{current_business(request).slug}/?ref={link.code}")
    return {"code": link.code, "link": url, "rewards_used": link.rewards_used}


@router.post("/customers/{customer_id}/referral", response={201: dict[str, Any]})
def referral_post(request: HttpRequest, customer_id: int, payload: ReferralIn) -> Status[Any]:
    require_role(request, Role.CASHIER)
    friend = get_owned(Customer, current_business(request), pk=customer_id)
    try:
        with transaction.atomic():
            referral = referral_attach(friend=friend, code=payload.code)
    except ReferralRefused as error:
        referral_refusal_record(friend=friend, error=error, typed=payload.code, source="api")
        raise
    return Status(
        201, {"id": referral.pk, "referrer_id": referral.referrer_id, "status": referral.status}
    )


@router.post("/checkout/evaluate")
def sale_evaluate(request: HttpRequest, payload: SaleIn) -> dict[str, Any]:
    sale, customer = _sale(request, payload)
    return checkout_evaluate(business=current_business(request), sale=sale, customer=customer)


@router.post("/checkout/reserve", response={201: dict[str, Any]})
def sale_reserve(
    request: HttpRequest, payload: SaleIn, idempotency_key: str = IdempotencyKey
) -> Status[Any]:
    require_role(request, Role.CASHIER)
    business = current_business(request)
    sale, customer = _sale(request, payload)
    location = get_owned(Location, business, pk=sale.location_id) if sale.location_id else None
    checkout = checkout_reserve(
        business=business,
        key=idempotency_key or "",
        sale=sale,
        customer=customer,
        location=location,
        api_key=request.auth,  # type: ignore[attr-defined]
    )
    return Status(201, _checkout_out(checkout))


def _checkout_out(checkout: Checkout) -> dict[str, Any]:
    return {
        "key": checkout.key,
        "status": checkout.status,
        "expires_at": checkout.expires_at.isoformat(),
        "order_id": checkout.order_id,
        "evaluation": checkout.evaluation,
    }


@router.post("/checkout/{key}/commit")
def sale_commit(request: HttpRequest, key: str) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    order = checkout_commit(
        business=current_business(request),
        key=key,
        api_key=request.auth,  # type: ignore[attr-defined]
    )
    gift = surprise_after_sale(order=order)  # a regular's surprise, once per order
    out = _order_out(order)
    out["surprise"] = (
        {"points": gift.points, "item": gift.item, "text": surprise_text(gift)} if gift else None
    )
    return out


@router.post("/checkout/{key}/release")
def sale_release(request: HttpRequest, key: str) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    return _checkout_out(checkout_release(business=current_business(request), key=key))


@router.get("/orders/{order_id}")
def order_get(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return _order_out(get_owned(Order, current_business(request), pk=order_id))


@router.post("/orders/{order_id}/refunds")
def order_refund_post(
    request: HttpRequest,
    order_id: int,
    payload: OrderRefundIn,
    idempotency_key: str = IdempotencyKey,
) -> dict[str, Any]:
    require_role(request, Role.CASHIER)
    key = client_key(required_key(idempotency_key))
    order = get_owned(Order, current_business(request), pk=order_id)
    refunded = order_refund(
        order=order,
        amount_minor=payload.amount_minor,
        lines=[line.dict() for line in payload.lines] if payload.lines is not None else None,
        reason=payload.reason,
        approver_pin=payload.approver_pin,
        refund_id=key,
        api_key=request.auth,  # type: ignore[attr-defined]
        till=f"api:{request.auth.pk}",  # type: ignore[attr-defined]
    )
    return _order_out(refunded)


@router.post("/orders/{order_id}/void")
def order_void_post(
    request: HttpRequest, order_id: int, payload: VoidIn, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    """Undo a sale just made (within the business's minutes): everything it moved goes back."""
    require_role(request, Role.CASHIER)
    order = get_owned(Order, current_business(request), pk=order_id)
    voided = order_void(
        order=order,
        key=client_key(required_key(idempotency_key)),
        reason=payload.reason,
        api_key=request.auth,  # type: ignore[attr-defined]
    )
    return _order_out(voided)


@router.get("/till/settings")
def till_settings_get(request: HttpRequest) -> dict[str, Any]:
    row = till_settings(current_business(request))
    return {"approval_above_minor": row.approval_above_minor, "void_minutes": row.void_minutes}


@router.put("/till/settings")
def till_settings_put(request: HttpRequest, payload: TillSettingsIn) -> dict[str, Any]:
    require_role(request, Role.MANAGER)
    row = till_settings_update(business=current_business(request), **payload.dict())
    return {"approval_above_minor": row.approval_above_minor, "void_minutes": row.void_minutes}
