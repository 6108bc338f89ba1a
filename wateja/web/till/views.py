"""The cashier screen (POS): find the customer, ring up items or just a total, enter codes,
tick conditions, see every discount with its reason and the points to earn, pay with points,
complete, and print the receipt. Keyboard first; the same services as the API."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from wateja.catalog.models import Product
from wateja.catalog.services import favourites, product_find, product_search
from wateja.challenges.surprises import surprise_after_sale, surprise_for_order, surprise_text
from wateja.core.errors import DomainError
from wateja.core.money import MoneyError, parse_money
from wateja.customers.access import contact_masked
from wateja.customers.models import Customer
from wateja.customers.selectors import customer_identify, customer_search
from wateja.customers.services import DuplicateCustomer, customer_create
from wateja.messaging.receipts import receipt_send
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_evaluate, checkout_reserve
from wateja.orders.models import Order
from wateja.promotions.messages import flag_label
from wateja.promotions.recipes import base_programme
from wateja.promotions.selectors import cashier_flags
from wateja.promotions.services import (
    ReferralRefused,
    referral_refusal_record,
    referrer_attach,
)
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.wallet.services import balances
from wateja.web.errors import error_lines
from wateja.web.permissions import staff_required
from wateja.web.till import order_views, selectors

ALL_POINTS = 10**12


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _money(text: str, business: Business) -> int:
    return parse_money(text, business.currency, translation.get_language() or "en").amount_minor


@dataclass
class Till:
    """What the cashier has rung up so far, read from the till form."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    customer: Customer | None = None
    total_text: str = ""
    codes: str = ""
    flags: tuple[str, ...] = ()
    points: int = 0
    problems: list[str] = field(default_factory=list)
    found_products: list[Product] = field(default_factory=list)
    found_customers: list[Customer] = field(default_factory=list)
    searched: str = ""


def _int(text: object, default: int = 0) -> int:
    try:
        return int(str(text).strip() or default)
    except ValueError:
        return default


def _read_till(request: HttpRequest) -> Till:
    """The till form: its lines, customer and payment, with the cashier's last action applied
    (an item scanned or picked, a quantity changed, a customer found or enrolled)."""
    business = _business(request)
    post = request.POST
    till = Till(
        total_text=post.get("total", "").strip(),
        codes=post.get("codes", "").strip(),
        flags=tuple(post.getlist("flags")),
        points=max(0, _int(post.get("points"))),
    )
    for sku, qty, grams, price in zip(
        post.getlist("line_sku"),
        post.getlist("line_qty"),
        post.getlist("line_grams"),
        post.getlist("line_price"),
        strict=False,
    ):
        till.lines.append(
            {
                "sku": sku,
                "quantity": max(1, _int(qty, 1)),
                "grams": max(0, _int(grams)),
                "price": price.strip(),
            }
        )
    _apply_line_action(post, till)
    if post.get("add"):
        _add(business, till, post["add"])
    scan = post.get("scan", "").strip()
    if scan:
        _scan(business, till, scan)
    if post.get("customer_id"):
        till.customer = (
            Customer.objects.for_business(business)
            .filter(pk=_int(post["customer_id"]), merged_into__isnull=True, erased_at__isnull=True)
            .first()
        )
    if post.get("pick_customer"):
        till.customer = (
            Customer.objects.for_business(business).filter(pk=_int(post["pick_customer"])).first()
        )
    who = post.get("customer_q", "").strip()
    if who and not post.get("pick_customer"):
        found = customer_search(business, who, limit=8)
        if len(found) == 1:
            till.customer = found[0]
        else:  # a choice of names, the numbers masked: the till is no way to read the base
            for customer in found:
                customer.contact_masked = contact_masked(customer)  # type: ignore[attr-defined]
            till.found_customers = found
            if not found:
                till.problems.append(_("No customer matches %(who)s.") % {"who": who})
    if post.get("forget_customer"):
        till.customer = None
    if post.get("enrol"):
        _enrol(request, till)
    return till


def _apply_line_action(post: Any, till: Till) -> None:
    for action in ("inc", "dec", "remove"):
        index = _int(post.get(action), -1)
        if 0 <= index < len(till.lines):
            line = till.lines[index]
            if action == "inc":
                line["quantity"] += 1
            elif action == "dec" and line["quantity"] > 1:
                line["quantity"] -= 1
            else:
                del till.lines[index]


def _add(business: Business, till: Till, code: str) -> bool:
    product = product_find(business, code)
    if product is None or not product.active:
        return False
    for line in till.lines:  # the same item again: one more of it (a weighed one: a new line)
        if line["sku"] == product.sku and not product.by_weight and not line["price"]:
            line["quantity"] += 1
            return True
    till.lines.append({"sku": product.sku, "quantity": 1, "grams": 0, "price": ""})
    return True


def _scan(business: Business, till: Till, scan: str) -> None:
    """A scanned or typed code: an item, else a loyalty card, else a search by name."""
    if _add(business, till, scan):
        return
    try:
        till.customer = customer_identify(business, card=scan)
        return
    except DomainError:
        pass
    till.searched = scan
    till.found_products = list(product_search(business, scan, limit=12))
    if not till.found_products:
        till.problems.append(_("Nothing in the catalogue matches %(what)s.") % {"what": scan})


def _enrol(request: HttpRequest, till: Till) -> None:
    business = _business(request)
    post = request.POST
    try:
        with transaction.atomic():
            customer = customer_create(
                business=business,
                name=post.get("new_name", ""),
                phone=post.get("new_phone", ""),
                created_by=request.user,  # type: ignore[arg-type]
                location=getattr(request.staff, "location", None),  # type: ignore[attr-defined]
            )
            referrer = post.get("new_referrer", "").strip()
            if referrer:
                try:
                    with transaction.atomic():
                        referrer_attach(friend=customer, referrer=referrer)
                except ReferralRefused as refused:  # the member joins; the refusal is kept
                    referral_refusal_record(friend=customer, error=refused, typed=referrer)
                    till.problems += error_lines(refused)
    except DuplicateCustomer as duplicate:
        till.customer = duplicate.existing
        till.problems.append(_("Already a member: their card is on this sale."))
    except DomainError as error:
        till.problems += error_lines(error)
    else:
        till.customer = customer


def _sale(request: HttpRequest, till: Till) -> SaleInput | None:
    """The till as a SaleInput for the checkout; None while there is nothing to sell."""
    business = _business(request)
    lines = []
    for n, line in enumerate(till.lines):
        item: dict[str, Any] = {"sku": line["sku"], "quantity": line["quantity"]}
        if line["grams"]:
            item["weight_grams"] = line["grams"]
        if line["price"]:
            try:
                item["unit_price_minor"] = _money(line["price"], business)
            except MoneyError:
                till.problems.append(_("Line %(n)s: check the price.") % {"n": n + 1})
        lines.append(item)
    total_minor = None
    if not lines and till.total_text:
        try:
            total_minor = _money(till.total_text, business)
        except MoneyError:
            till.problems.append(_("The total is not a valid amount."))
    if not lines and total_minor is None:
        return None
    return SaleInput(
        currency=business.currency,
        lines=tuple(lines),
        total_minor=total_minor,
        codes=tuple(c for c in till.codes.replace(",", " ").split() if c),
        flags=till.flags,
        channel="store",
        location_id=getattr(request.staff, "location_id", None),  # type: ignore[attr-defined]
        points_to_spend=till.points if till.customer else 0,
    )


def _till_context(request: HttpRequest, till: Till) -> dict[str, Any]:
    """The till form and what the checkout says of it, to render `_till.html`."""
    business = _business(request)
    result = None
    use_all = bool(request.POST.get("use_all")) and till.customer is not None
    if use_all:  # as many as the balance and the bill allow: the checkout caps them
        till.points = ALL_POINTS
    sale = _sale(request, till)
    if sale is not None and not till.problems:
        try:
            result = checkout_evaluate(business=business, sale=sale, customer=till.customer)
        except DomainError as error:
            till.problems += error_lines(error)
    if use_all:
        till.points = result["payment"]["points"] if result else 0
    products = {
        p.sku: p
        for p in Product.objects.for_business(business).filter(
            sku__in=[line["sku"] for line in till.lines]
        )
    }
    rows = []
    for n, line in enumerate(till.lines):
        priced = result["lines"][n] if result and n < len(result["lines"]) else None
        product = products.get(line["sku"])
        rows.append(
            {
                "n": n,
                **line,
                "product": product,
                "priced": priced,
                "by_weight": bool(product and product.by_weight),
            }
        )
    language = translation.get_language() or business.default_language
    return {
        "till": till,
        "rows": rows,
        "result": result,
        "hints": (result or {}).get("rejected", [])[:3],
        "more_hints": (result or {}).get("rejected", [])[3:],
        "wallet": balances(till.customer) if till.customer else {},
        "favourites": [(p, p.name_in(language)) for p in favourites(business)[:24]],
        "flag_choices": [(flag, flag_label(flag)) for flag in cashier_flags(business)],
        "checkout_key": request.POST.get("checkout_key") or uuid.uuid4().hex,
        "language": language,
        "no_programme": till.customer is not None and base_programme(business) is None,
    }


@staff_required(Role.CASHIER)
def pos(request: HttpRequest) -> HttpResponse:
    return render(request, "web/till/pos.html", _till_context(request, Till()))


@require_POST
@staff_required(Role.CASHIER)
def pos_evaluate(request: HttpRequest) -> HttpResponse:
    return render(request, "web/till/_till.html", _till_context(request, _read_till(request)))


@require_POST
@staff_required(Role.CASHIER)
def pos_complete(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    till = _read_till(request)
    sale = _sale(request, till)
    key = f"pos:{request.POST.get('checkout_key', '')}"
    if sale is None:
        till.problems.append(_("Add an item or enter the total first."))
    if not till.problems and sale is not None:
        try:
            staff = request.staff  # type: ignore[attr-defined]
            checkout_reserve(
                business=business,
                key=key,
                sale=sale,
                customer=till.customer,
                location=staff.location if staff else None,
                actor=request.user,  # type: ignore[arg-type]
            )
            order = checkout_commit(
                business=business,
                key=key,
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            till.problems += error_lines(error)
        else:
            # a surprise for a regular, shown on the receipt; the sale stands without it
            with contextlib.suppress(DomainError):
                surprise_after_sale(order=order, actor=request.user)  # type: ignore[arg-type]
            if request.htmx:  # type: ignore[attr-defined]
                return HttpResponseClientRedirect(reverse("web:receipt", args=[order.pk]))
            return redirect("web:receipt", order_id=order.pk)
    return render(request, "web/till/_till.html", _till_context(request, till))


def _surprise_line(order: Order) -> str:
    gift = surprise_for_order(order)
    return surprise_text(gift) if gift is not None else ""


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
            "rows": selectors.line_rows(order),
            # the balance as the wallet recorded it with this sale: a reprint never changes
            "points_after": selectors.points_after_sale(order),
            "surprise": _surprise_line(order),
            "paper": order_views.paper_of(request),
            "paper_links": order_views.paper_links(request),
            "sms": order_views.message_status_context(order, "sms"),
            "email": order_views.message_status_context(order, "email"),
            "is_cashier": order_views.staff_at_least(request, Role.CASHIER),
        },
    )


@require_POST
@staff_required(Role.CASHIER)
def receipt_send_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Send the receipt to the customer by SMS (or e-mail) from the receipt screen: a cashier's
    work, as in the API (a viewer reads receipts, sends nothing)."""
    try:
        order = get_owned(Order, _business(request), pk=order_id)
    except DomainError:
        return render(request, "web/shell/forbidden.html", {"reason": _("Not found.")}, status=404)
    channel = "email" if request.POST.get("channel") == "email" else "sms"
    try:
        receipt_send(order=order, channel=channel)
    except DomainError as error:
        if request.htmx:  # type: ignore[attr-defined]
            context = order_views.message_status_context(order, channel)
            return render(
                request,
                "web/till/_message_status.html",
                {**context, "problems": error_lines(error)},
            )
        for line in error_lines(error):
            messages.error(request, line)
    else:
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request,
                "web/till/_message_status.html",
                order_views.message_status_context(order, channel),
            )
        messages.success(
            request,
            _("The receipt is on its way by SMS.")
            if channel == "sms"
            else _("The receipt is on its way by e-mail."),
        )
    return redirect("web:receipt", order_id=order.pk)
