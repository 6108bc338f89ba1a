"""Printable PDFs of the customer base: a card, sheets of cards, the customer list (made by a
background job), the enrolment poster and a customer's data export. Thin views over
customers.printing.

Everything but one customer's own card prints many customers (or one customer's whole data)
and is a manager's, written to the audit log like the spreadsheet exports."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wateja.core.errors import DomainError, NotFound
from wateja.customers import printing
from wateja.customers.links import public_url
from wateja.customers.models import Card, CardStatus, Customer
from wateja.customers.privacy import customer_data_export
from wateja.customers.segments import segment_customers
from wateja.customers.selectors import active_customers
from wateja.operations.background import job_start
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.tenants.services import audit_record
from wateja.web.permissions import staff_required

MAX_SHEET_CARDS = 1000
LIST_FILTER_KEYS = ("city", "tag")


def _pdf(content: bytes, filename: str, *, download: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(download, filename) or ""
    response["Cache-Control"] = "private, no-store"  # names and phone numbers
    return response


def _problem(request: HttpRequest, reason: object, status: int) -> HttpResponse:
    return render(request, "web/shell/forbidden.html", {"reason": reason}, status=status)


def _active_card(customer: Customer) -> Card | None:
    return (
        customer.cards.filter(status=CardStatus.ACTIVE)
        .select_related("customer", "business")
        .order_by("-issued_at", "-id")
        .first()
    )


@require_GET
@staff_required()
def card(request: HttpRequest, customer_id: int) -> HttpResponse:
    """One card, card-sized page (viewer and up: printing a card is everyday work)."""
    business = request.business  # type: ignore[attr-defined]
    try:
        customer = get_owned(Customer, business, pk=customer_id)
    except NotFound as error:
        return _problem(request, error.message, 404)
    active = _active_card(customer) if customer.is_active else None
    if active is None:
        return _problem(request, _("This customer has no active card."), 404)
    return _pdf(printing.card_pdf(active), f"card-{active.number}.pdf")


def _parse_ids(text: str) -> list[int] | None:
    ids: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit() or len(part) > 18:
            return None
        if int(part) not in ids:
            ids.append(int(part))
    return ids


@require_GET
@staff_required(Role.MANAGER)
def cards_sheet(request: HttpRequest) -> HttpResponse:
    """A4 sheets of ten cards: ?ids=1,2,3 (customer ids, printed in that order) or ?all=1
    (every active customer, by name). Customers without an active card are left out."""
    business = request.business  # type: ignore[attr-defined]
    too_many = _("At most %(max)s cards fit in one print file. Choose fewer customers.") % {
        "max": MAX_SHEET_CARDS
    }
    cards = Card.objects.for_business(business).filter(
        status=CardStatus.ACTIVE, customer__in=active_customers(business)
    )
    if request.GET.get("all") in ("1", "true", "yes"):
        cards = cards.order_by("customer__name", "customer_id", "-issued_at", "-id")
        ids = None
    else:
        ids = _parse_ids(request.GET.get("ids", ""))
        if not ids:
            return _problem(request, _("Choose the customers to print: ?ids=1,2,3 or ?all=1."), 400)
        if len(ids) > MAX_SHEET_CARDS:
            return _problem(request, too_many, 400)
        found = set(
            Customer.objects.for_business(business).filter(pk__in=ids).values_list("pk", flat=True)
        )
        if len(found) != len(ids):  # another business's id looks like a missing one
            return _problem(request, _("Customer not found."), 404)
        cards = cards.filter(customer_id__in=ids).order_by("-issued_at", "-id")
    newest: dict[int, Card] = {}
    for item in cards.select_related("customer").iterator(chunk_size=500):
        newest.setdefault(item.customer_id, item)
        if len(newest) > MAX_SHEET_CARDS:
            return _problem(request, too_many, 400)
    chosen = [newest[i] for i in ids if i in newest] if ids is not None else list(newest.values())
    if not chosen:
        return _problem(request, _("None of these customers has an active card."), 404)
    content = printing.cards_sheet_pdf(business, chosen)
    audit_record(business=business, action="print.cards", object_type="business",
                 object_id=business.pk, actor=request.user,  # type: ignore[arg-type]
                 details={"all": ids is None, "cards": len(chosen)})  # fmt: skip
    return _pdf(content, "loyalty-cards.pdf")


@staff_required(Role.MANAGER)
def customer_list(request: HttpRequest) -> HttpResponse:
    """The customer base as a printed list, by name; optional city and tag filters. The PDF
    is made in the background (a list of any length): GET shows the form, POST starts the
    job and opens its page, which shows the progress and then the file."""
    business = request.business  # type: ignore[attr-defined]
    source = request.POST if request.method == "POST" else request.GET
    filters: dict[str, Any] = {
        key: source[key].strip() for key in LIST_FILTER_KEYS if source.get(key, "").strip()
    }
    if request.method == "POST":
        try:
            segment_customers(business, filters)  # a bad filter is said here, not in the job
        except DomainError as error:
            return _problem(request, error.message, 400)
        job = job_start(
            business=business,
            kind="customers.print_list",
            actor=request.user,  # type: ignore[arg-type]
            params={"filters": filters},
            subject=", ".join(filters.values()),
        )
        return redirect("web:job_detail", job_id=job.pk)
    return render(request, "web/jobs/print_list.html", {"filters": filters})


@require_GET
@staff_required(Role.MANAGER)
def join_poster(request: HttpRequest) -> HttpResponse:
    """An A4 poster for the counter with a QR code of the public enrolment page."""
    business = request.business  # type: ignore[attr-defined]
    join_url = public_url(reverse("web:join", kwargs={"slug": business.slug}))  # never the Host
    content = printing.enrol_poster_pdf(business, join_url)
    audit_record(business=business, action="print.join_poster", object_type="business",
                 object_id=business.pk, actor=request.user)  # type: ignore[arg-type]  # fmt: skip
    return _pdf(content, f"join-{business.slug}.pdf")


@require_GET
@staff_required(Role.MANAGER)
def data_export(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A customer's data export (privacy request) as a readable PDF; the export is audited."""
    business = request.business  # type: ignore[attr-defined]
    try:
        customer = get_owned(Customer, business, pk=customer_id)
    except NotFound as error:
        return _problem(request, error.message, 404)
    export = customer_data_export(customer=customer, actor=request.user)  # type: ignore[arg-type]
    return _pdf(
        printing.data_export_pdf(business, export),
        f"data-export-{customer.pk}.pdf",
        download=True,
    )
