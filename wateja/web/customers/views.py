"""Staff screens for the customer base: search, enrol, customer page with timeline, tasks,
segments, duplicates and merge."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.analytics.value import customer_value
from wateja.core.errors import DomainError, ValidationFailed
from wateja.core.money import MoneyError, parse_money
from wateja.customers.access import (
    LIMITED_PAGE_SIZE,
    contact_masked,
    customer_find,
    customers_listed_record,
    full_view,
)
from wateja.customers.links import card_page_url
from wateja.customers.models import Channel, ConsentSource, Customer, Interaction, Segment, Source
from wateja.customers.privacy import customer_data_export, customer_erase
from wateja.customers.segments import segment_customers, segment_save, segment_size
from wateja.customers.selectors import (
    active_customers,
    consent_state,
    count_capped,
    count_estimate,
    customer_search,
    open_tasks,
    timeline,
)
from wateja.customers.services import (
    DuplicateCustomer,
    card_issue,
    consent_record,
    consent_text,
    customer_enrol,
    customer_tags,
    customer_update,
    interaction_add,
    tags_set,
    task_update,
)
from wateja.messaging.automations import welcome_now
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.web.confirm import confirm_first
from wateja.web.customers.forms import (
    CustomerForm,
    EnrolForm,
    InteractionForm,
    SegmentForm,
    enrol_consents,
)
from wateja.web.customers.wallet_views import wallet_context
from wateja.web.errors import apply_to_form
from wateja.web.permissions import staff_required

PAGE_SIZE = 50


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _customer_or_404(request: HttpRequest, customer_id: int) -> Customer:
    try:
        return get_owned(Customer, _business(request), pk=customer_id)
    except DomainError:
        raise Http404 from None


@staff_required()
def customer_list(request: HttpRequest) -> HttpResponse:
    """The customer base, newest first, PAGE_SIZE a page, or what the search box finds.

    A cashier or viewer works search first (see wateja.customers.access): without a search
    they see only the LIMITED_PAGE_SIZE newest customers and no further pages, a search finds
    a whole card number, phone number or e-mail address or part of a name, and contacts are
    masked. Their every list, and anyone's page beyond the first, goes to the audit log."""
    business = _business(request)
    full = full_view(request.staff.role)  # type: ignore[attr-defined]
    page_size = PAGE_SIZE if full else LIMITED_PAGE_SIZE
    query = request.GET.get("q", "").strip()
    # ?import=<id>: the customers one import created (its result page links here)
    imported = request.GET.get("import", "") if full else ""
    scope = active_customers(business)
    if imported.isdecimal() and len(imported) < 16:
        scope = scope.filter(import_job_id=int(imported))
    before = 0
    if query:
        search = customer_search if full else customer_find
        customers: Any = search(business, query, limit=page_size)
    else:
        try:
            before = int(request.GET.get("before", "0")) if full else 0
        except ValueError:
            before = 0
        queryset = scope.order_by("-pk")
        if before:
            queryset = queryset.filter(pk__lt=before)
        customers = list(queryset.prefetch_related("cards")[: page_size + 1])
    more = full and not query and len(customers) > page_size
    customers = customers[:page_size]
    if not full:
        for customer in customers:
            customer.contact_masked = contact_masked(customer)
    if not full or before:
        used = {"q": query, "import": imported, "page": "next" if before else ""}
        customers_listed_record(
            business=business, channel="web", count=len(customers), filters=used,
            actor=request.user,
        )  # fmt: skip
    context = {
        "customers": customers,
        "query": query,
        "next_before": customers[-1].pk if more else None,
        **_total(scope),
        "task_count": open_tasks(business).count(),
        "masked": not full,
        "newest_only": not full and not query,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/customers/_results.html", context)
    return render(request, "web/customers/list.html", context)


def _total(scope: Any) -> dict[str, Any]:
    """The size of the list without counting a big base on each view: exact up to COUNT_CAP,
    then PostgreSQL's estimate ("about N") or "more than COUNT_CAP"."""
    total, more = count_capped(scope)
    estimate = count_estimate(scope) if more else None
    return {
        "total": total,
        "total_more": more,
        "total_estimate": estimate if estimate is not None and estimate > total else None,
    }


@staff_required(Role.CASHIER)
def customer_new(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = EnrolForm(request.POST or None)
    existing = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        consents = enrol_consents(data)
        staff = request.staff  # type: ignore[attr-defined]
        try:
            customer, created = customer_enrol(
                business=business,
                consents=consents,
                consent_source=ConsentSource.STAFF,
                created_by=request.user,  # type: ignore[arg-type]
                location=staff.location,
                source=Source.WALK_IN,
                **data,
            )
        except ValidationFailed as error:
            apply_to_form(form, error)
        else:
            if created:
                welcome_now(business=business)
                messages.success(
                    request,
                    _("Customer enrolled. Card number: %(number)s")
                    % {"number": customer.cards.get().number},
                )
                return redirect("web:customer_detail", customer_id=customer.pk)
            existing = customer
    return render(
        request,
        "web/customers/new.html",
        {
            "form": form,
            "existing": existing,
            "sms_text": consent_text(Channel.SMS, business),
            "email_text": consent_text(Channel.EMAIL, business),
        },
    )


@staff_required()
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    state = consent_state(customer)
    card = customer.cards.filter(status="active").first()
    return render(
        request,
        "web/customers/detail.html",
        {
            "customer": customer,
            "card": card,
            "cards": customer.cards.order_by("-id"),
            "tags": customer_tags(customer),
            "consents": [
                (channel, state.get((channel.value, "marketing")))
                for channel in (Channel.SMS, Channel.EMAIL, Channel.PUBLIC)
            ],
            "timeline": timeline(customer),
            "interaction_form": InteractionForm(),
            "can_manage": _can(request, Role.MANAGER),
            "can_edit": _can(request, Role.CASHIER),
            "card_page_url": card_page_url(card) if card else "",
            "customer_value": customer_value(customer),
            **wallet_context(customer),
        },
    )


def _can(request: HttpRequest, role: str) -> bool:
    from wateja.tenants.roles import role_at_least

    staff = request.staff  # type: ignore[attr-defined]
    return staff is not None and role_at_least(staff.role, role)


@staff_required(Role.CASHIER)
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    initial = {f: getattr(customer, f) for f in CustomerForm.base_fields if f != "tags"}
    initial["tags"] = ", ".join(customer_tags(customer))
    form = CustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer_update(customer=customer, actor=request.user, **form.profile())  # type: ignore[arg-type]
            tags_set(customer=customer, tags=form.tag_list())
        except (ValidationFailed, DuplicateCustomer) as error:
            apply_to_form(form, error)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("web:customer_detail", customer_id=customer.pk)
    return render(request, "web/customers/edit.html", {"form": form, "customer": customer})


@require_POST
@staff_required(Role.CASHIER)
def interaction_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    form = InteractionForm(request.POST)
    if form.is_valid():
        due = form.cleaned_data["due_at"]
        due_at = (
            dt.datetime.combine(
                due, dt.time(18), tzinfo=zoneinfo.ZoneInfo(customer.business.timezone)
            )
            if due
            else None
        )
        try:
            interaction_add(
                customer=customer,
                kind=form.cleaned_data["kind"],
                summary=form.cleaned_data["summary"],
                body=form.cleaned_data["body"],
                due_at=due_at,
                owner=request.user if form.cleaned_data["kind"] != "note" else None,  # type: ignore[arg-type]
                created_by=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            messages.error(request, str(error.message))
    else:
        messages.error(request, _("Enter a summary."))
    return redirect("web:customer_detail", customer_id=customer.pk)


@require_POST
@staff_required(Role.CASHIER)
def task_status(request: HttpRequest, interaction_id: int) -> HttpResponse:
    try:
        task = get_owned(Interaction, _business(request), pk=interaction_id)
        task_update(task=task, status=request.POST.get("status", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(request.POST.get("next") or "web:tasks")
    next_url = request.POST.get("next", "")
    if next_url == "customer":
        return redirect("web:customer_detail", customer_id=task.customer_id)
    return redirect("web:tasks")


@require_POST
@staff_required(Role.CASHIER)
def consent_change(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    channel = request.POST.get("channel", "")
    granted = request.POST.get("granted") == "1"
    if not granted:
        asking = confirm_first(
            request,
            question=_("Withdraw %(name)s's consent?") % {"name": customer.name},
            consequence=_("No more offers reach them on this channel until they agree again."),
            yes=_("Yes, withdraw"),
            cancel_url=reverse("web:customer_detail", args=[customer.pk]),
        )
        if asking is not None:
            return asking
    try:
        consent_record(
            customer=customer,
            channel=channel,
            granted=granted,
            text=consent_text(channel, customer.business) if granted else "",
            source=ConsentSource.STAFF,
            actor=request.user,  # type: ignore[arg-type]
            role=request.staff.role,  # type: ignore[attr-defined]
        )
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("web:customer_detail", customer_id=customer.pk)


@require_POST
@staff_required(Role.CASHIER)
def card_reissue(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    asking = confirm_first(
        request,
        question=_("Issue a new card to %(name)s?") % {"name": customer.name},
        consequence=_("The old card stops working at once; the points stay with the customer."),
        yes=_("Yes, issue a new card"),
        cancel_url=reverse("web:customer_detail", args=[customer.pk]),
    )
    if asking is not None:
        return asking
    card = card_issue(customer=customer, replace=True)
    messages.success(request, _("New card issued: %(number)s") % {"number": card.number})
    return redirect("web:customer_detail", customer_id=customer.pk)


@staff_required(Role.MANAGER)
def customer_export_json(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    data = customer_data_export(customer=customer, actor=request.user)  # type: ignore[arg-type]
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@require_POST
@staff_required(Role.MANAGER)
def customer_erase_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    if request.POST.get("confirm") != "ERASE":
        messages.error(request, _("Type ERASE to confirm."))
        return redirect("web:customer_detail", customer_id=customer.pk)
    customer_erase(customer=customer, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The customer's personal data was erased."))
    return redirect("web:customer_detail", customer_id=customer.pk)


@staff_required()
def tasks(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    items = open_tasks(_business(request), owner_id=request.user.pk if mine else None)
    return render(request, "web/customers/tasks.html", {"tasks": items[:500], "mine": mine})


def _segment_filters(form: SegmentForm, business: Business) -> dict[str, Any]:
    data = form.cleaned_data
    filters: dict[str, Any] = {}
    for key in ("city", "tag", "birthday_month", "no_purchase_days", "interests"):
        if data.get(key):
            filters[key] = data[key]
    for key in ("last_purchase_after", "last_purchase_before"):
        if data.get(key):
            filters[key] = data[key].isoformat()
    for key in ("consent_sms", "consent_email"):
        if data.get(key) is not None:
            filters[key] = data[key]
    language = translation.get_language() or "en"
    for key in ("spent_min", "spent_max"):
        if data.get(key):
            try:
                filters[key] = parse_money(data[key], business.currency, language).amount_minor
            except MoneyError:
                form.add_error(key, _("The amount is not valid."))
    return filters


@staff_required()
def segments(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = SegmentForm(request.POST or None)
    if request.method == "POST":
        if not _can(request, Role.MANAGER):
            return render(
                request,
                "web/shell/forbidden.html",
                {"reason": _("This needs the manager role.")},
                status=403,
            )
        if form.is_valid():
            filters = _segment_filters(form, business)
            if form.is_valid():
                try:
                    segment = segment_save(
                        business=business,
                        name=form.cleaned_data["name"],
                        filters=filters,
                        created_by=request.user,
                    )
                except DomainError as error:
                    apply_to_form(form, error)
                else:
                    messages.success(request, _("Segment saved."))
                    return redirect("web:segment_detail", segment_id=segment.pk)
    # the counts kept on the segments (refreshed by the worker and on save): never one COUNT
    # per segment on each view
    saved = list(Segment.objects.for_business(business))
    return render(request, "web/customers/segments.html", {"form": form, "segments": saved})


@staff_required()
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    try:
        segment = get_owned(Segment, _business(request), pk=segment_id)
    except DomainError:
        raise Http404 from None
    customers = segment_customers(_business(request), segment.filters)
    if full_view(request.staff.role):  # type: ignore[attr-defined]
        shown = list(customers[:200])
    else:  # a cashier or viewer sees a few, masked, and the read is audited
        shown = list(customers.order_by("name", "pk")[:LIMITED_PAGE_SIZE])
        for customer in shown:
            customer.contact_masked = contact_masked(customer)  # type: ignore[attr-defined]
        customers_listed_record(
            business=_business(request), channel="web", count=len(shown),
            filters={"segment": segment.pk}, actor=request.user,
        )  # fmt: skip
    return render(
        request,
        "web/customers/segment.html",
        {
            "segment": segment,
            "customers": shown,
            "count": segment_size(segment),
            "masked": not full_view(request.staff.role),  # type: ignore[attr-defined]
        },
    )
