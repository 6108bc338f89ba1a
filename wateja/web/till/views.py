"""The cashier screen (POS): find the customer, ring up items or just a total, enter codes,
tick conditions, see every discount with its reason and the points to earn, pay with points,
complete, and print the receipt. Keyboard first; the same services as the API."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from wateja.core.errors import DomainError, NotFound
from wateja.core.money import MoneyError, parse_money
from wateja.customers.selectors import customer_identify
from wateja.messaging.receipts import receipt_send
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_evaluate, checkout_reserve
from wateja.orders.models import Order
from wateja.promotions.messages import flag_label
from wateja.promotions.selectors import cashier_flags
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.wallet.services import balances
from wateja.web.errors import error_lines
from wateja.web.permissions import staff_required

MAX_ROWS = 30


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _money(text: str, business: Business) -> int:
    return parse_money(text, business.currency, translation.get_language() or "en").amount_minor


def _read_sale(request: HttpRequest) -> tuple[SaleInput, Any, list[str]]:
    """The form as a SaleInput, the customer, and the problems to show next to the form."""
    business = _business(request)
    post = request.POST
    problems: list[str] = []
    customer = None
    who = post.get("customer", "").strip()
    if who:
        try:
            digits = "".join(ch for ch in who if ch.isdigit())
            if len(digits) >= 11 and not who.startswith(("+", "0")):
                customer = customer_identify(business, card=who)
            else:
                try:
                    customer = customer_identify(business, card=who)
                except NotFound:
                    customer = customer_identify(business, phone=who)
        except NotFound:
            problems.append(_("No customer matches %(who)s.") % {"who": who})
    lines = []
    for n in range(MAX_ROWS):
        sku = post.get(f"sku_{n}", "").strip()
        price_text = post.get(f"price_{n}", "").strip()
        if not sku and not price_text:
            continue
        try:
            quantity = int(post.get(f"qty_{n}", "1") or "1")
            lines.append(
                {
                    "sku": sku or f"item-{n + 1}",
                    "name": post.get(f"name_{n}", "").strip() or sku,
                    "category": post.get(f"category_{n}", "").strip(),
                    "quantity": quantity,
                    "unit_price_minor": _money(price_text, business),
                    "weight_grams": int(post.get(f"grams_{n}", "0") or "0"),
                }
            )
        except (ValueError, MoneyError):
            problems.append(_("Line %(n)s: check the price and quantity.") % {"n": n + 1})
    total_minor = None
    if not lines and post.get("total", "").strip():
        try:
            total_minor = _money(post["total"], business)
        except MoneyError:
            problems.append(_("The total is not a valid amount."))
    points = 0
    try:
        points = int(post.get("points", "0") or "0")
    except ValueError:
        problems.append(_("Points must be a whole number."))
    sale = SaleInput(
        currency=business.currency,
        lines=tuple(lines),
        total_minor=total_minor,
        codes=tuple(c for c in post.get("codes", "").replace(",", " ").split() if c),
        flags=tuple(post.getlist("flags")),
        channel="store",
        location_id=getattr(request.staff, "location_id", None),  # type: ignore[attr-defined]
        points_to_spend=points,
    )
    return sale, customer, problems


@staff_required(Role.CASHIER)
def pos(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    return render(
        request,
        "web/till/pos.html",
        {
            "rows": range(5),
            "flags": [(flag, flag_label(flag)) for flag in cashier_flags(business)],
            "checkout_key": uuid.uuid4().hex,
        },
    )


@require_POST
@staff_required(Role.CASHIER)
def pos_evaluate(request: HttpRequest) -> HttpResponse:
    sale, customer, problems = _read_sale(request)
    result = None
    if not problems and (sale.lines or sale.total_minor is not None):
        try:
            result = checkout_evaluate(business=_business(request), sale=sale, customer=customer)
        except DomainError as error:
            problems += error_lines(error)
    return render(
        request,
        "web/till/_evaluation.html",
        {
            "result": result,
            "problems": problems,
            "customer": customer,
            "wallet": balances(customer) if customer else {},
        },
    )


@require_POST
@staff_required(Role.CASHIER)
def pos_complete(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    sale, customer, problems = _read_sale(request)
    key = f"pos:{request.POST.get('checkout_key', '')}"
    if not problems:
        try:
            staff = request.staff  # type: ignore[attr-defined]
            checkout_reserve(
                business=business,
                key=key,
                sale=sale,
                customer=customer,
                location=staff.location if staff else None,
                actor=request.user,  # type: ignore[arg-type]
            )
            order = checkout_commit(
                business=business,
                key=key,
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            problems += error_lines(error)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return HttpResponseClientRedirect(reverse("web:receipt", args=[order.pk]))
            return redirect("web:receipt", order_id=order.pk)
    return render(
        request,
        "web/till/_evaluation.html",
        {"result": None, "problems": problems, "customer": customer, "wallet": {}},
        status=200,
    )


@staff_required()
def receipt(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        order = get_owned(Order, _business(request), pk=order_id)
    except DomainError:
        return render(request, "web/shell/forbidden.html", {"reason": _("Not found.")}, status=404)
    checkout = getattr(order, "checkout", None)
    return render(
        request,
        "web/till/receipt.html",
        {
            "order": order,
            "evaluation": checkout.evaluation if checkout else None,
            "wallet": balances(order.customer) if order.customer else {},
        },
    )


@require_POST
@staff_required()
def receipt_send_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Send the receipt to the customer by SMS (or e-mail) from the receipt screen."""
    try:
        order = get_owned(Order, _business(request), pk=order_id)
    except DomainError:
        return render(request, "web/shell/forbidden.html", {"reason": _("Not found.")}, status=404)
    channel = "email" if request.POST.get("channel") == "email" else "sms"
    try:
        receipt_send(order=order, channel=channel)
    except DomainError as error:
        for line in error_lines(error):
            messages.error(request, line)
    else:
        messages.success(
            request,
            _("The receipt is on its way by SMS.")
            if channel == "sms"
            else _("The receipt is on its way by e-mail."),
        )
    return redirect("web:receipt", order_id=order.pk)
