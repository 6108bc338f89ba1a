"""Payments: the signed webhook other wallets and till systems post payments to, and the
queue of payments that named no customer (listed, matched and set aside by managers).

No `from __future__ import annotations` here: Ninja reads the annotations at import.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import AwareDatetime, Field

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import Id, StrictSchema
from wateja.core.errors import ValidationFailed
from wateja.core.money import MAX_AMOUNT_MINOR
from wateja.customers.selectors import customer_identify
from wateja.payments.incoming import SIGNATURE_HEADER, incoming_receive, incoming_settings
from wateja.payments.models import Payment, PaymentProvider, PaymentStatus
from wateja.payments.services import payment_match, payment_set_aside
from wateja.tenants.models import ApiKey
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned

router = Router(tags=["payments"])

INCOMING_DOC = f"""A payment from a wallet or till system other than M-Pesa (M-Pesa calls its own
C2B addresses). No API key: the body is signed. Send the header
`{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(signing secret, "<t>.<raw body>")>`;
a timestamp more than 5 minutes off is refused (no replays). `token` and the signing secret are
on the owner's payment settings. The same `reference` again answers the first result
(`created: false`). A payment whose `account` is a customer's card number or phone becomes
their sale at once (earn rules and offers apply; a refund reverses them); otherwise it waits
for staff to match it."""


class PaymentOut(Schema):
    id: int
    provider: str
    reference: str
    amount_minor: int
    currency: str
    paid_at: datetime
    account: str
    payer_name: str
    status: str
    customer_id: int | None
    order_id: int | None
    matched_at: datetime | None


class IncomingOut(PaymentOut):
    created: bool


class IncomingIn(StrictSchema):
    provider: PaymentProvider = Field(description="not mpesa: M-Pesa has its own addresses")
    reference: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_\-.:]+$",
        description="unique per provider",
    )
    amount_minor: int = Field(gt=0, le=MAX_AMOUNT_MINOR)
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")
    paid_at: AwareDatetime
    account: str = Field("", max_length=64, description="card number or phone the payer gave")
    payer_phone: str = Field("", max_length=128)
    payer_name: str = Field("", max_length=200)


class PaymentFilters(Schema):
    status: PaymentStatus | None = None


class MatchIn(StrictSchema):
    customer_id: Id | None = None
    card: str = Field("", max_length=64)
    phone: str = Field("", max_length=32)


def _key(request: HttpRequest) -> ApiKey:
    return request.auth  # type: ignore[attr-defined,no-any-return]


@router.post(
    "/payments/incoming/{token}",
    response=IncomingOut,
    auth=None,
    description=INCOMING_DOC,
    url_name="payment_incoming",
)
def payment_incoming(request: HttpRequest, token: str, payload: IncomingIn) -> dict[str, Any]:
    row = incoming_settings(
        token,
        header=request.headers.get(SIGNATURE_HEADER, ""),
        body=request.body,
        remote_ip=request.META.get("REMOTE_ADDR", ""),
    )
    if payload.provider == PaymentProvider.MPESA:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"provider": _("M-Pesa payments arrive at the M-Pesa addresses.")},
        )
    payment, created = incoming_receive(row, payload.model_dump())
    return {**PaymentOut.from_orm(payment).model_dump(), "created": created}


@router.get("/payments", response=list[PaymentOut])
@paginate(CursorPagination)
def payment_list(request: HttpRequest, filters: Query[PaymentFilters]) -> Any:
    require_role(request, Role.MANAGER)
    found = Payment.objects.for_business(current_business(request))
    if filters.status:
        found = found.filter(status=filters.status)
    return found


@router.post("/payments/{payment_id}/match", response=PaymentOut)
def payment_match_post(request: HttpRequest, payment_id: int, payload: MatchIn) -> Payment:
    require_role(request, Role.MANAGER)
    business = current_business(request)
    payment = get_owned(Payment, business, pk=payment_id)
    customer = customer_identify(
        business, customer_id=payload.customer_id, card=payload.card, phone=payload.phone
    )
    if customer is None:
        raise ValidationFailed(
            _("Name the customer: customer_id, card or phone."), code="customer_required"
        )
    return payment_match(payment=payment, customer=customer, api_key=_key(request))


@router.post("/payments/{payment_id}/set-aside", response=PaymentOut)
def payment_set_aside_post(request: HttpRequest, payment_id: int) -> Payment:
    require_role(request, Role.MANAGER)
    payment = get_owned(Payment, current_business(request), pk=payment_id)
    return payment_set_aside(payment=payment, api_key=_key(request))
