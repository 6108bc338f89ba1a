"""Rewards screens for managers: the offers with their use and cost, a form to create one,
its simulation over past orders (the cost estimate shown before activation), codes, tiers."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.catalog.models import Product
from wateja.catalog.services import categories
from wateja.core.errors import DomainError
from wateja.core.money import MoneyError, parse_money
from wateja.promotions.models import CodeKind, Promotion, Tier
from wateja.promotions.reports import code_usage_report
from wateja.promotions.services import (
    PROMOTION_TYPES,
    codes_issue,
    offer_from_form,
    promotion_save,
    promotion_set_status,
)
from wateja.tenants.models import Business, Location
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.web.confirm import confirm_first
from wateja.web.permissions import staff_required
from wateja.web.rewards.forms import OfferForm
from wateja.web.rewards.simulation_views import estimate_context


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


@staff_required()
def rewards(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    return render(
        request,
        "web/rewards/list.html",
        {
            "promotions": Promotion.objects.for_business(business).order_by(
                "status", "-priority", "id"
            ),
            "types": PROMOTION_TYPES,
            "tiers": Tier.objects.for_business(business),
        },
    )


def _money_field(form: OfferForm, field: str, business: Business) -> int | None:
    text = (form.cleaned_data.get(field) or "").strip()
    if not text:
        return None
    try:
        return parse_money(text, business.currency, translation.get_language() or "en").amount_minor
    except MoneyError:
        form.add_error(field, _("The amount is not valid."))
        return None


@staff_required(Role.MANAGER)
def offer_new(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = OfferForm(
        request.POST or None,
        initial={"stackable": True},
        locations=Location.objects.for_business(business),
        products=Product.objects.for_business(business).filter(active=True).order_by("name"),
        categories=categories(business),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values: dict[str, Any] = {
            **data,
            "amount_minor": _money_field(form, "amount", business),
            "min_subtotal_minor": _money_field(form, "min_subtotal", business),
        }
        budget = _money_field(form, "budget", business)
        cap = _money_field(form, "cap", business)
        if not form.errors:
            tz = zoneinfo.ZoneInfo(business.timezone)
            try:
                promotion = promotion_save(
                    business=business,
                    created_by=request.user,  # type: ignore[arg-type]
                    name=data["name"],
                    audience="tier"
                    if data["tier"]
                    else ("members" if data["members_only"] else "everyone"),
                    audience_values=[data["tier"]] if data["tier"] else [],
                    priority=data["priority"] or 0,
                    exclusive_group=data["exclusive_group"],
                    max_discount_minor=cap,
                    stackable=data["stackable"],
                    starts_at=dt.datetime.combine(data["starts"], dt.time.min, tz)
                    if data["starts"]
                    else None,
                    ends_at=dt.datetime.combine(data["ends"], dt.time.max, tz)
                    if data["ends"]
                    else None,
                    budget_minor=budget,
                    max_uses=data["max_uses"],
                    max_uses_per_customer=data["max_uses_per_customer"],
                    budget_period=data["budget_period"] or "total",
                    weekdays=[int(d) for d in data["weekdays"]],
                    channels=list(data["channels"]),
                    locations=[int(v) for v in data["locations"]],
                    requires_code=bool(data["code"]),
                    **offer_from_form(values),
                )
                if data["code"]:
                    codes_issue(promotion=promotion, code=data["code"], kind=CodeKind.REUSABLE)
            except DomainError as error:
                for field, problems in error.details.get("fields", {}).items():
                    for problem in problems:
                        form.add_error(None, f"{field}: {problem}")
                if not error.details.get("fields"):
                    form.add_error(None, str(error.message))
            else:
                messages.success(
                    request, _("Offer saved as a draft. Check its cost, then activate it.")
                )
                return redirect("web:offer_detail", promotion_id=promotion.pk)
    return render(request, "web/rewards/new.html", {"form": form})


def _promotion(request: HttpRequest, promotion_id: int) -> Promotion:
    try:
        return get_owned(Promotion, _business(request), pk=promotion_id)
    except DomainError:
        raise Http404 from None


@staff_required()
def offer_detail(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _promotion(request, promotion_id)
    return render(
        request,
        "web/rewards/detail.html",
        {
            # the stored cost estimate (computed in the background), never computed here
            **estimate_context(request, promotion),
            "type_label": PROMOTION_TYPES.get(promotion.type, promotion.type),
            "report": code_usage_report(promotion),
            "codes": promotion.promo_codes.order_by("-id")[:50],
        },
    )


@require_POST
@staff_required(Role.MANAGER)
def offer_status(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _promotion(request, promotion_id)
    status = request.POST.get("status", "")
    asks = {
        "active": (
            _("Activate “%(name)s”?"),
            _("From now on it applies at every till and online, to every sale it fits."),
            _("Yes, activate"),
            False,
        ),
        "ended": (
            _("End “%(name)s”?"),
            _("It stops applying at once and cannot be activated again; its results stay."),
            _("Yes, end it"),
            True,
        ),
    }
    if status in asks:
        question, consequence, yes, danger = asks[status]
        asking = confirm_first(
            request,
            question=question % {"name": promotion.name},
            consequence=consequence,
            yes=yes,
            cancel_url=reverse("web:offer_detail", args=[promotion.pk]),
            danger=danger,
        )
        if asking is not None:
            return asking
    try:
        promotion_set_status(promotion=promotion, status=request.POST.get("status", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("web:offer_detail", promotion_id=promotion.pk)


@require_POST
@staff_required(Role.MANAGER)
def offer_codes(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _promotion(request, promotion_id)
    try:
        count = int(request.POST.get("count", "0"))
        created = codes_issue(promotion=promotion, count=count, kind=CodeKind.SINGLE_USE)
    except (ValueError, DomainError) as error:
        messages.error(request, str(getattr(error, "message", _("Enter a number of codes."))))
    else:
        messages.success(request, _("%(count)s codes issued.") % {"count": len(created)})
    return redirect("web:offer_detail", promotion_id=promotion.pk)
