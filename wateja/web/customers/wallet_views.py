"""The wallet on the customer page: what it shows (balances, pending and expiring points,
history; also shown on the customer's own card page in wateja.web.public), the link to that
card page (sent again by a cashier, replaced by a manager so the old links stop working), and
the staff actions (adjust a balance, donate points)."""

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
from wateja.customers.links import card_link_rotate
from wateja.customers.models import Customer
from wateja.messaging.card_links import card_link_send
from wateja.messaging.models import SendChannel
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.wallet.models import MONEY_KINDS, Kind
from wateja.wallet.selectors import wallet_history
from wateja.wallet.services import balance_adjust, balances, expiring_soon, points_donate
from wateja.web.confirm import confirm_first
from wateja.web.errors import error_lines
from wateja.web.permissions import staff_required


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


@require_POST
@staff_required(Role.CASHIER)
def card_link_send_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A fresh link to the customer's card page, by SMS (or e-mail), at their request."""
    try:
        customer = get_owned(Customer, request.business, pk=customer_id)  # type: ignore[attr-defined]
    except DomainError:
        raise Http404 from None
    channel = SendChannel.EMAIL if request.POST.get("channel") == "email" else SendChannel.SMS
    try:
        card_link_send(customer=customer, channel=channel)
    except DomainError as error:
        messages.error(request, "; ".join(error_lines(error)))
    else:
        messages.success(
            request,
            _("A new link to the card page is on its way by SMS.")
            if channel == SendChannel.SMS
            else _("A new link to the card page is on its way by e-mail."),
        )
    return redirect("web:customer_detail", customer_id=customer.pk)


@require_POST
@staff_required(Role.MANAGER)
def card_link_rotate_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Every card page link sent so far stops working (a lost phone, a shared link), after a
    confirmation page."""
    try:
        customer = get_owned(Customer, request.business, pk=customer_id)  # type: ignore[attr-defined]
    except DomainError:
        raise Http404 from None
    card = customer.cards.filter(status="active").order_by("-id").first()
    if card is None:
        messages.error(request, _("This customer has no active card to link to."))
        return redirect("web:customer_detail", customer_id=customer.pk)
    asking = confirm_first(
        request,
        question=_("Replace the card page link of %(name)s?") % {"name": customer.name},
        consequence=_(
            "Every link to the card page sent so far stops working at once (for a lost phone "
            "or a link passed on). Send the customer a new link afterwards."
        ),
        yes=_("Yes, replace the link"),
        cancel_url=reverse("web:customer_detail", args=[customer.pk]),
    )
    if asking is not None:
        return asking
    try:
        card_link_rotate(card=card, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, "; ".join(error_lines(error)))
    else:
        messages.success(request, _("The old card page links no longer work."))
    return redirect("web:customer_detail", customer_id=customer.pk)
