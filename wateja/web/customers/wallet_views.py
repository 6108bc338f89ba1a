"""The wallet on the customer page: what it shows (balances, pending and expiring points,
history; also shown on the customer's own card page in wateja.web.public), the link to that
card page, and the staff actions (adjust a balance, donate points)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.core.money import MoneyError, parse_money
from wateja.customers.links import card_page_token
from wateja.customers.models import Card, Customer
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.wallet.models import MONEY_KINDS, Kind
from wateja.wallet.selectors import wallet_history
from wateja.wallet.services import balance_adjust, balances, expiring_soon, points_donate
from wateja.web.errors import error_lines
from wateja.web.permissions import staff_required


def card_page_url(request: HttpRequest, card: Card) -> str:
    return request.build_absolute_uri(reverse("web:my_card", args=[card_page_token(card)]))


def wallet_context(customer: Customer) -> dict[str, object]:
    """What the customer page and the card page show of the wallet."""
    rows = balances(customer)
    return {
        "wallet_balances": [
            {
                "kind": kind,
                "label": Kind(kind).label,
                "is_money": kind in MONEY_KINDS,
                **rows.get(kind, {"balance": 0, "available": 0, "pending_in": 0}),
            }
            for kind in Kind.values
            if kind in rows or kind == Kind.POINTS
        ],
        "wallet_expiring": expiring_soon(customer, days=30),
        "wallet_history": wallet_history(customer, limit=30),
        "money_kinds": list(MONEY_KINDS),
        "adjust_key": uuid.uuid4().hex,
        "kinds": Kind.choices,
    }


def _location_id(request: HttpRequest) -> int | None:
    staff = getattr(request, "staff", None)
    return staff.location_id if staff is not None else None


@require_POST
@staff_required(Role.MANAGER)
def adjust(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        customer = get_owned(Customer, request.business, pk=customer_id)  # type: ignore[attr-defined]
    except DomainError:
        raise Http404 from None
    kind = request.POST.get("kind", Kind.POINTS)
    text = request.POST.get("amount", "").strip()
    try:
        if kind in MONEY_KINDS:
            language = translation.get_language() or "en"
            amount = parse_money(text, customer.business.currency, language).amount_minor
        else:
            amount = int(text.replace(" ", "").replace("+", ""))
        balance_adjust(
            customer=customer,
            amount=amount,
            kind=kind,
            reason=request.POST.get("reason", ""),
            idempotency_key=f"web-adjust:{request.POST.get('key', '')}",
            actor=request.user,  # type: ignore[arg-type]
            location_id=_location_id(request),
        )
    except (ValueError, MoneyError):
        messages.error(request, _("The amount is not valid."))
    except DomainError as error:
        messages.error(request, "; ".join(error_lines(error)))
    else:
        messages.success(request, _("Balance adjusted."))
    return redirect("web:customer_detail", customer_id=customer.pk)


@require_POST
@staff_required(Role.CASHIER)
def donate(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        customer = get_owned(Customer, request.business, pk=customer_id)  # type: ignore[attr-defined]
    except DomainError:
        raise Http404 from None
    try:
        posting = points_donate(
            customer=customer,
            amount=int(request.POST.get("points", "0") or "0"),
            cause=request.POST.get("cause", ""),
            idempotency_key=f"web-donate:{request.POST.get('key', '')}",
            actor=request.user,  # type: ignore[arg-type]
            location_id=_location_id(request),
        )
    except ValueError:
        messages.error(request, _("Points must be a whole number."))
    except DomainError as error:
        messages.error(request, "; ".join(error_lines(error)))
    else:
        messages.success(
            request,
            _("%(points)s points donated to %(cause)s.")
            % {
                "points": posting.transfers[0]["amount"] if posting.transfers else 0,
                "cause": request.POST.get("cause", ""),
            },
        )
    return redirect("web:customer_detail", customer_id=customer.pk)
