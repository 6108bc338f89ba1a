"""Handing over the business's contacts and thanking customers on paper: the "Hand over our
contacts" screen (a big vCard QR to scan at the counter, the printable business card, the
.vcf file), a thank-you card for one customer or for a saved segment (PDF, with a tracked
one-time code) and the "customer of the month" picture (PNG, only with the customer's consent
to be named in public). Thin views over customers.handover and promotions.thank_you."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from wateja.core.errors import DomainError, NotFound
from wateja.customers import handover
from wateja.customers.codes import qr_svg
from wateja.customers.links import public_url
from wateja.customers.models import Customer, Segment
from wateja.customers.segments import segment_customers
from wateja.promotions.models import Promotion
from wateja.promotions.thank_you import (
    MAX_CARDS,
    NOTE_MAX_LENGTH,
    thank_you_batch_figures,
    thank_you_cards_print,
    thank_you_offers,
)
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.tenants.services import audit_record
from wateja.web.errors import apply_to_form
from wateja.web.permissions import staff_required


def _file(content: bytes, content_type: str, filename: str, *, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(download, filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response


def _problem(request: HttpRequest, reason: object, status: int) -> HttpResponse:
    return render(request, "web/shell/forbidden.html", {"reason": reason}, status=status)


def _vcard(business: Business) -> str:
    url = public_url(reverse("web:join", kwargs={"slug": business.slug}))  # never the Host
    return handover.vcard(business, url=url)


# --------------------------------------------------------------------------------------------
# Contacts


@require_GET
@staff_required()
def contacts(request: HttpRequest) -> HttpResponse:
    """The vCard QR, big enough to scan across the counter, with the print buttons."""
    business = request.business  # type: ignore[attr-defined]
    customer = None
    if request.GET.get("customer", "").isdigit():
        try:
            customer = get_owned(Customer, business, pk=int(request.GET["customer"]))
        except NotFound:
            customer = None
    card = _vcard(business)
    return render(
        request,
        "web/customers/handover/contacts.html",
        {
            "qr": qr_svg(card, size_mm=70, label=_("Our contacts: scan to save them")),
            "has_contacts": bool(business.support_phone or business.support_email),
            "customer": customer,
        },
    )


@require_GET
@staff_required()
def contacts_vcf(request: HttpRequest) -> HttpResponse:
    business = request.business  # type: ignore[attr-defined]
    content = _vcard(business).encode("utf-8")
    return _file(content, "text/vcard; charset=utf-8", f"{business.slug}.vcf", download=True)


@require_GET
@staff_required()
def business_card(request: HttpRequest) -> HttpResponse:
    """The business card (?sheet=1: an A4 sheet of ten to cut)."""
    business = request.business  # type: ignore[attr-defined]
    sheet = request.GET.get("sheet") in ("1", "true", "yes")
    content = handover.business_card_pdf(business, _vcard(business), sheet=sheet)
    name = f"business-cards-{business.slug}.pdf" if sheet else f"business-card-{business.slug}.pdf"
    return _file(content, "application/pdf", name, download=False)


# --------------------------------------------------------------------------------------------
# Thank-you cards


class ThankYouForm(forms.Form):
    offer = forms.ModelChoiceField(
        label=gettext_lazy("Gift code from the offer"),
        queryset=Promotion.objects.none(),
        required=False,
        empty_label=gettext_lazy("No gift code"),
        help_text=gettext_lazy(
            "Each card gets its own one-time code of this offer, so you see which cards "
            "came back. Only active offers that take promo codes are listed."
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("Your words (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Left empty, the card says a warm thank you in the customer's language."
        ),
    )

    def __init__(self, *args: Any, business: Business, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = thank_you_offers(business)  # type: ignore[attr-defined]


def _thank_you(
    request: HttpRequest, customers: list[Customer], context: dict[str, Any], filename: str
) -> HttpResponse:
    business = request.business  # type: ignore[attr-defined]
    form = ThankYouForm(business=business)
    status = 200
    if request.method == "POST":
        form = ThankYouForm(request.POST, business=business)
        if form.is_valid():
            try:
                printed = thank_you_cards_print(
                    business=business,
                    customers=customers,
                    promotion=form.cleaned_data["offer"],
                    note=form.cleaned_data["note"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as error:
                apply_to_form(form, error)
            else:
                return _file(printed.pdf, "application/pdf", filename, download=True)
        status = 400
    return render(
        request,
        "web/customers/handover/thank_you.html",
        {
            "form": form,
            "count": len(customers),
            "max_cards": MAX_CARDS,
            "batches": thank_you_batch_figures(business)[:5],
            **context,
        },
        status=status,
    )


@staff_required(Role.MANAGER)
def customer_thank_you(request: HttpRequest, customer_id: int) -> HttpResponse:
    """One customer's thank-you card (GET: the form; POST: the PDF), and the customer of the
    month picture, offered only when the customer agreed to be named in public."""
    business = request.business  # type: ignore[attr-defined]
    try:
        customer = get_owned(Customer, business, pk=customer_id)
    except NotFound as error:
        return _problem(request, error.message, 404)
    if not customer.is_active:
        return _problem(request, _("This customer's data was erased or merged."), 404)
    return _thank_you(
        request,
        [customer],
        {"customer": customer, "may_show": handover.may_show_in_public(customer)},
        f"thank-you-{customer.pk}.pdf",
    )


@staff_required(Role.MANAGER)
def segment_thank_you(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Thank-you cards for every customer of a saved segment, by name (at most MAX_CARDS)."""
    business = request.business  # type: ignore[attr-defined]
    try:
        segment = get_owned(Segment, business, pk=segment_id)
        customers = list(
            segment_customers(business, segment.filters).order_by("name", "pk")[: MAX_CARDS + 1]
        )
    except NotFound as error:
        return _problem(request, error.message, 404)
    except DomainError as error:
        return _problem(request, error.message, 400)
    return _thank_you(request, customers, {"segment": segment}, f"thank-you-{segment.pk}.pdf")


# --------------------------------------------------------------------------------------------
# Customer of the month


@require_GET
@staff_required(Role.MANAGER)
def customer_of_month(request: HttpRequest, customer_id: int) -> HttpResponse:
    business = request.business  # type: ignore[attr-defined]
    try:
        customer = get_owned(Customer, business, pk=customer_id)
        content = handover.customer_of_month_png(business=business, customer=customer)
    except NotFound as error:
        return _problem(request, error.message, 404)
    except handover.NoPublicConsent as error:
        return _problem(request, error.message, 409)
    audit_record(business=business, action="print.customer_of_month", object_type="customer",
                 object_id=customer.pk, actor=request.user)  # type: ignore[arg-type]  # fmt: skip
    return _file(content, "image/png", f"customer-of-the-month-{customer.pk}.png", download=True)
