"""A sale after the fact, for staff: the order page with its lines and what is left to refund,
refunds (the whole order or some lines, with a reason; above the business's limit a manager's
PIN), a void within the business's minutes by the cashier who made the sale or a manager
(after a confirmation), and what each of them gave back as recorded. Also the receipt
message's live status and the till's refund settings. Thin: read the form, call
orders.refunds, render."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.core.money import Money, MoneyError, format_money, parse_money
from wateja.messaging.models import SendChannel
from wateja.orders.models import Order, OrderRefund, OrderStatus
from wateja.orders.refunds import (
    ApprovalNeeded,
    order_refund,
    order_void,
    till_settings,
    till_settings_update,
)
from wateja.tenants.models import Business
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.scoping import get_owned
from wateja.web.errors import apply_to_form, error_lines
from wateja.web.permissions import staff_required
from wateja.web.till.selectors import (
    line_rows,
    message_changing,
    receipt_messages,
    refund_rows,
)

KEY = re.compile(r"[0-9a-f]{32}")
PAPERS = ("80", "58")


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _role(request: HttpRequest) -> str:
    staff = request.staff  # type: ignore[attr-defined]
    return str(staff.role) if staff is not None else Role.VIEWER


def staff_at_least(request: HttpRequest, minimum: str) -> bool:
    return role_at_least(_role(request), minimum)


def _order(request: HttpRequest, order_id: int) -> Order | None:
    try:
        return get_owned(Order, _business(request), pk=order_id)
    except DomainError:
        return None


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/shell/forbidden.html", {"reason": _("Not found.")}, status=404)


def paper_of(request: HttpRequest) -> str:
    """The receipt paper width asked for in the query string (80 mm unless 58)."""
    paper = request.GET.get("paper", "")
    return paper if paper in PAPERS else PAPERS[0]


def paper_links(request: HttpRequest) -> list[tuple[str, str]]:
    """(width, link) for each paper width: this page with its query string, that width."""
    links = []
    for width in PAPERS:
        query = request.GET.copy()
        query["paper"] = width
        links.append((width, f"?{query.urlencode()}"))
    return links


# ---------------------------------------------------------------- the receipt message


def message_status_context(order: Order, channel: str) -> dict[str, Any]:
    message = receipt_messages(order).get(channel)
    return {
        "order": order,
        "channel": channel,
        "message": message,
        "changing": message is not None and message_changing(message),
    }


@staff_required()
def receipt_message_status(request: HttpRequest, order_id: int, channel: str) -> HttpResponse:
    """The status of the receipt sent by SMS or e-mail, polled by the receipt page while it
    may still change."""
    order = _order(request, order_id)
    if order is None or channel not in SendChannel.values:
        return _not_found(request)
    return render(request, "web/till/_message_status.html", message_status_context(order, channel))


# ---------------------------------------------------------------- the order page


def _void_window(order: Order, business: Business, now: dt.datetime) -> dt.datetime | None:
    """Until when the sale can be voided; None when it cannot be (any more)."""
    if order.status != OrderStatus.COMPLETED or order.refunded_minor:
        return None
    until = order.placed_at + dt.timedelta(minutes=till_settings(business).void_minutes)
    return until if now <= until else None


def _order_context(request: HttpRequest, order: Order, **form: Any) -> dict[str, Any]:
    business = _business(request)
    role = _role(request)
    rows = line_rows(order)
    refunds = refund_rows(order)
    is_cashier = role_at_least(role, Role.CASHIER)
    own = order.cashier_id is not None and order.cashier_id == request.user.pk
    void_until = _void_window(order, business, timezone.now())
    done = None
    if request.GET.get("done", "").isdigit():
        done = next((r for r in refunds if r.refund.pk == int(request.GET["done"])), None)
    refund_form: dict[str, Any] = {
        "key": uuid.uuid4().hex,
        "mode": "lines" if any(row.left for row in rows) else "order",
        "quantities": {},
        "reason": "",
        "need_pin": False,
        "problems": [],
    }
    refund_form.update(form.get("refund", {}))
    void_form: dict[str, Any] = {"key": uuid.uuid4().hex, "reason": "", "confirm": False}
    void_form.update(form.get("void", {}))
    for row in rows:
        row.wanted = refund_form["quantities"].get(row.line.pk, 0)
    settings = till_settings(business)
    return {
        "order": order,
        "rows": rows,
        "refunds": refunds,
        "done": done,
        "left_minor": order.total_minor - order.refunded_minor,
        "can_refund": is_cashier
        and order.status not in (OrderStatus.VOIDED, OrderStatus.REFUNDED)
        and order.total_minor > order.refunded_minor,
        "can_void": is_cashier
        and void_until is not None
        and (own or role_at_least(role, Role.MANAGER)),
        "void_until": void_until,
        "approval_above_minor": settings.approval_above_minor,
        "refund_form": refund_form,
        "void_form": void_form,
        "is_manager": role_at_least(role, Role.MANAGER),
    }


@staff_required()
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    if order is None:
        return _not_found(request)
    return render(request, "web/till/order.html", _order_context(request, order))


def _whole_order_lines(order: Order) -> list[dict[str, int]] | None:
    """Every line's quantity still to refund, when the order's refunds so far were all by
    line (so the lines keep telling what is left); None: refund the amount left instead."""
    rows = [row for row in line_rows(order) if row.left]
    if not rows or any(not refund.lines for refund in order.refunds.all()):
        return None
    return [{"line_id": row.line.pk, "quantity": row.left} for row in rows]


@require_POST
@staff_required(Role.CASHIER)
def order_refund_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    if order is None:
        return _not_found(request)
    post = request.POST
    key = post.get("key", "")
    mode = "order" if post.get("mode") == "order" else "lines"
    reason = post.get("reason", "").strip()
    pin = post.get("approver_pin", "").strip()
    quantities: dict[int, int] = {}
    problems: list[str] = []
    for row in line_rows(order):
        text = post.get(f"qty_{row.line.pk}", "").strip()
        if not text:
            continue
        if not text.isdigit():
            problems.append(
                _("%(item)s: enter a whole number.") % {"item": row.line.name or row.line.sku}
            )
            continue
        if int(text):
            quantities[row.line.pk] = int(text)
    if not KEY.fullmatch(key):
        key = uuid.uuid4().hex
        problems.append(_("The form was out of date; check it and refund again."))
    if not reason:
        problems.append(_("Say why the sale is refunded."))
    if mode == "lines" and not quantities and not problems:
        problems.append(_("Enter how many of each item come back."))
    form = {
        "key": key,
        "mode": mode,
        "quantities": quantities,
        "reason": reason,
        "need_pin": bool(pin),
        "problems": problems,
    }
    if not problems:
        refund_id = f"web-refund:{key}"
        lines = (
            _whole_order_lines(order)
            if mode == "order"
            else [{"line_id": pk, "quantity": q} for pk, q in quantities.items()]
        )
        try:
            order_refund(
                order=order,
                refund_id=refund_id,
                lines=lines,
                amount_minor=None
                if lines is not None
                else order.total_minor - order.refunded_minor,
                reason=reason,
                actor=request.user,  # type: ignore[arg-type]
                approver_pin=pin,
                till=request.session.session_key or f"web:{request.user.pk}",
            )
        except ApprovalNeeded as error:
            form["need_pin"] = True
            form["problems"] = [str(error.message)]
        except DomainError as error:
            form["problems"] = error_lines(error)
        else:
            done = OrderRefund.objects.get(business_id=order.business_id, key=refund_id)
            return redirect(f"{reverse('web:order', args=[order.pk])}?done={done.pk}#done")
    order.refresh_from_db()
    return render(request, "web/till/order.html", _order_context(request, order, refund=form))


@require_POST
@staff_required(Role.CASHIER)
def order_void_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """First a confirmation (the sale, its amount, what goes back), then the void."""
    order = _order(request, order_id)
    if order is None:
        return _not_found(request)
    key = request.POST.get("key", "")
    reason = request.POST.get("reason", "").strip()
    problems: list[str] = []
    if not KEY.fullmatch(key):
        key = uuid.uuid4().hex
        problems.append(_("The form was out of date; check it and void again."))
    if not reason:
        problems.append(_("Say why the sale is voided."))
    form: dict[str, Any] = {"key": key, "reason": reason, "problems": problems}
    if not problems and request.POST.get("confirmed") != "1":
        form["confirm"] = True
    elif not problems:
        void_key = f"web-void:{key}"
        try:
            order_void(
                order=order,
                key=void_key,
                reason=reason,
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            form["problems"] = error_lines(error)
        else:
            done = OrderRefund.objects.get(business_id=order.business_id, key=void_key)
            return redirect(f"{reverse('web:order', args=[order.pk])}?done={done.pk}#done")
    return render(request, "web/till/order.html", _order_context(request, order, void=form))


# ---------------------------------------------------------------- the till's settings


class TillSettingsForm(forms.Form):
    approval_above_minor = forms.CharField(
        label=gettext_lazy("A refund above this amount needs a manager's PIN"),
        required=False,
        help_text=gettext_lazy("Leave empty: no refund needs one."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    void_minutes = forms.IntegerField(
        label=gettext_lazy("A cashier may void their own sale within (minutes)"),
        min_value=0,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.business = business

    def clean_approval_above_minor(self) -> int | None:
        text = self.cleaned_data["approval_above_minor"].strip()
        if not text:
            return None
        try:
            money = parse_money(text, self.business.currency, translation.get_language() or "en")
        except MoneyError:
            raise forms.ValidationError(_("Enter an amount, such as 5,000.")) from None
        return money.amount_minor


@staff_required(Role.MANAGER)
def till_settings_view(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    row = till_settings(business)
    language = translation.get_language() or "en"
    initial = {
        "approval_above_minor": ""
        if row.approval_above_minor is None
        else format_money(
            Money(row.approval_above_minor, business.currency), language, with_currency=False
        ),
        "void_minutes": row.void_minutes,
    }
    form = TillSettingsForm(request.POST or None, initial=initial, business=business)
    if request.method == "POST" and form.is_valid():
        try:
            till_settings_update(
                business=business,
                approval_above_minor=form.cleaned_data["approval_above_minor"],
                void_minutes=form.cleaned_data["void_minutes"],
            )
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("The till settings are saved."))
            return redirect("web:till_settings")
    return render(request, "web/till/till_settings.html", {"form": form, "settings": row})
