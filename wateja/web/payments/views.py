"""Payment screens. The queue (managers): payments that named no customer, matched by hand
after a confirmation (matching rings up a sale, so it earns) or set aside as not a sale. The
M-Pesa settings (owner): till number, Daraja keys, the callback addresses with their secret,
registering them with M-Pesa, new addresses after a leak."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.customers.links import public_url
from wateja.payments.daraja import register_urls
from wateja.payments.incoming import signing_secret_rotate
from wateja.payments.models import Payment, PaymentStatus, Payout, PayoutStatus
from wateja.payments.mpesa import callback_addresses
from wateja.payments.payouts import payout_approve, payout_reject, payout_request
from wateja.payments.services import (
    customer_for_account,
    payment_hook_rotate,
    payment_match,
    payment_set_aside,
    payment_settings,
    payment_settings_update,
    unmatched_payments,
)
from wateja.tenants.models import Business
from wateja.tenants.roles import Role, role_at_least
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form
from wateja.web.payments.forms import MatchForm, PaymentSettingsForm, PayoutForm
from wateja.web.permissions import owned_or_404, staff_required
from wateja.web.templatetags.wateja_tags import money

QUEUE_SHOWN = 100
RECENT_SHOWN = 20


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _payment(request: HttpRequest, payment_id: int) -> Payment:
    return owned_or_404(Payment, request, pk=payment_id)


@staff_required(Role.MANAGER)
def queue(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    waiting = list(unmatched_payments(business)[:QUEUE_SHOWN])
    recent = (
        Payment.objects.for_business(business)
        .exclude(status=PaymentStatus.UNMATCHED)
        .select_related("customer", "order", "matched_by")
        .order_by("-paid_at", "-id")[:RECENT_SHOWN]
    )
    return render(
        request,
        "web/payments/queue.html",
        {
            "waiting": [(payment, MatchForm(prefix=str(payment.pk))) for payment in waiting],
            "recent": recent,
            "configured": bool(payment_settings(business).mpesa_shortcode),
        },
    )


@require_POST
@staff_required(Role.MANAGER)
def match(request: HttpRequest, payment_id: int) -> HttpResponse:
    business = _business(request)
    payment = _payment(request, payment_id)
    form = MatchForm(request.POST, prefix=str(payment.pk))
    customer = customer_for_account(business, form.data.get(f"{payment.pk}-account", ""))
    if not form.is_valid() or customer is None:
        messages.error(request, _("No customer has this card number or phone."))
        return redirect("web:payments")
    asking = confirm_first(
        request,
        question=_("Ring up %(amount)s for %(name)s?")
        % {"amount": money(payment.amount_minor, payment.currency), "name": customer.name},
        consequence=_(
            "The payment becomes this customer's sale: they earn on it as at the till and get "
            "a receipt. A refund of the order takes it back."
        ),
        yes=_("Yes, it is their payment"),
        cancel_url=reverse("web:payments"),
        danger=False,
    )
    if asking is not None:
        return asking
    try:
        payment_match(payment=payment, customer=customer, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("Matched: the sale is on %(name)s's card.") % {"name": customer.name}
        )
    return redirect("web:payments")


@require_POST
@staff_required(Role.MANAGER)
def set_aside(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = _payment(request, payment_id)
    asking = confirm_first(
        request,
        question=_("Set %(amount)s aside as not a sale?")
        % {"amount": money(payment.amount_minor, payment.currency)},
        consequence=_("Nobody earns on it; it leaves the list of payments to match."),
        yes=_("Yes, not a sale"),
        cancel_url=reverse("web:payments"),
    )
    if asking is not None:
        return asking
    try:
        payment_set_aside(payment=payment, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Set aside."))
    return redirect("web:payments")


@staff_required(Role.OWNER)
def settings_page(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    row = payment_settings(business)
    form = PaymentSettingsForm(initial=PaymentSettingsForm.initial_for(row))
    if request.method == "POST":
        form = PaymentSettingsForm(request.POST)
        if form.is_valid():
            try:
                payment_settings_update(
                    business=business,
                    actor=request.user,  # type: ignore[arg-type]
                    **form.cleaned_data,
                )
            except DomainError as error:
                apply_to_form(form, error)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("web:payment_settings")
    return render(
        request,
        "web/payments/settings.html",
        {
            "form": form,
            "row": row,
            "addresses": callback_addresses(row),
            "incoming_url": public_url(
                reverse("api:payment_incoming", kwargs={"token": row.hook_token})
            ),
            "keys_saved": bool(row.mpesa_consumer_key and row.mpesa_consumer_secret),
        },
    )


@require_POST
@staff_required(Role.OWNER)
def register(request: HttpRequest) -> HttpResponse:
    try:
        register_urls(payment_settings(_business(request)))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("M-Pesa now sends this till's payments to Wateja."))
    return redirect("web:payment_settings")


@require_POST
@staff_required(Role.OWNER)
def rotate(request: HttpRequest) -> HttpResponse:
    asking = confirm_first(
        request,
        question=_("Make new M-Pesa callback addresses?"),
        consequence=_(
            "The old addresses stop working at once: register the new ones with M-Pesa straight "
            "away, or payments wait at Safaricom until you do."
        ),
        yes=_("Yes, new addresses"),
        cancel_url=reverse("web:payment_settings"),
    )
    if asking is not None:
        return asking
    payment_hook_rotate(payment_settings(_business(request)), actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("New addresses made: register them with M-Pesa now."))
    return redirect("web:payment_settings")


@require_POST
@staff_required(Role.OWNER)
def signing_rotate(request: HttpRequest) -> HttpResponse:
    asking = confirm_first(
        request,
        question=_("Make a new signing secret?"),
        consequence=_(
            "Systems that send payments must sign with the new secret; the old one keeps working "
            "for 24 hours so they can switch."
        ),
        yes=_("Yes, a new secret"),
        cancel_url=reverse("web:payment_settings"),
    )
    if asking is not None:
        return asking
    signing_secret_rotate(payment_settings(_business(request)), actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request, _("New signing secret made: give it to the systems that send payments.")
    )
    return redirect("web:payment_settings")


@staff_required(Role.CASHIER)
def payouts(request: HttpRequest) -> HttpResponse:
    """Cashback payouts: asked for here at the customer's request, approved by a manager."""
    business = _business(request)
    form = PayoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer = customer_for_account(business, form.cleaned_data["account"])
        if customer is None:
            form.add_error("account", _("No customer has this card number or phone."))
        else:
            try:
                payout_request(
                    customer=customer,
                    amount_minor=form.cleaned_data["amount"] * 100,
                    phone=form.cleaned_data["phone"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as error:
                apply_to_form(form, error)
            else:
                messages.success(request, _("Asked: a manager approves it before it is paid."))
                return redirect("web:payouts")
    row = payment_settings(business)
    return render(
        request,
        "web/payments/payouts.html",
        {
            "form": form,
            "enabled": row.b2c_enabled,
            "payouts": Payout.objects.for_business(business).select_related(
                "customer", "requested_by", "decided_by"
            )[:50],
            "may_decide": role_at_least(request.staff.role, Role.MANAGER),  # type: ignore[attr-defined]
        },
    )


def _payout(request: HttpRequest, payout_id: int) -> Payout:
    return owned_or_404(Payout, request, pk=payout_id)


@require_POST
@staff_required(Role.MANAGER)
def payout_approve_view(request: HttpRequest, payout_id: int) -> HttpResponse:
    payout = _payout(request, payout_id)
    asking = confirm_first(
        request,
        question=_("Pay %(amount)s to %(name)s's M-Pesa?")
        % {"amount": money(payout.amount_minor, payout.currency), "name": payout.customer.name},
        consequence=_(
            "The amount leaves their cashback now and M-Pesa sends it to %(phone)s. If M-Pesa "
            "fails, the cashback is theirs again."
        )
        % {"phone": payout.phone},
        yes=_("Yes, pay it out"),
        cancel_url=reverse("web:payouts"),
    )
    if asking is not None:
        return asking
    try:
        done = payout_approve(payout=payout, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        if done.status == PayoutStatus.FAILED:
            messages.error(request, _("M-Pesa refused it: %(said)s") % {"said": done.result})
        else:
            messages.success(request, _("Sent to M-Pesa: the result arrives in a minute."))
    return redirect("web:payouts")


@require_POST
@staff_required(Role.MANAGER)
def payout_reject_view(request: HttpRequest, payout_id: int) -> HttpResponse:
    try:
        payout_reject(payout=_payout(request, payout_id), actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Refused."))
    return redirect("web:payouts")
