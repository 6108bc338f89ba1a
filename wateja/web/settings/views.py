"""The business settings screen: the business's details, its locations, the loyalty (wallet)
rules and the API keys. Managers see it and add locations; the owner changes the rest."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.core.money import Money, MoneyError, format_money, parse_money
from wateja.tenants.models import ApiKey, Business, Location, Staff
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.scoping import get_owned
from wateja.tenants.services import (
    apikey_create,
    apikey_revoke,
    business_update,
    location_create,
)
from wateja.wallet.services import wallet_settings, wallet_settings_update
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form, error_lines
from wateja.web.permissions import staff_required
from wateja.web.settings.enrolment_views import enrolment_context
from wateja.web.settings.forms import (
    ApiKeyForm,
    BusinessSettingsForm,
    LocationForm,
    TwoFactorPolicyForm,
    WalletSettingsForm,
)


@staff_required(Role.MANAGER)
def settings_page(request: HttpRequest) -> HttpResponse:
    business = request.business  # type: ignore[attr-defined]
    is_owner = role_at_least(request.staff.role, Role.OWNER)  # type: ignore[attr-defined]
    form = BusinessSettingsForm(instance=business)
    if request.method == "POST":
        if not is_owner:
            return render(
                request,
                "web/shell/forbidden.html",
                {"reason": _("Only the owner can change business settings.")},
                status=403,
            )
        form = BusinessSettingsForm(request.POST, instance=business)
        if form.is_valid():
            try:
                business_update(business=business, **form.cleaned_data)
            except DomainError as error:
                apply_to_form(form, error)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("web:settings")
    return render(
        request,
        "web/settings/page.html",
        {
            "form": form,
            "is_owner": is_owner,
            "location_form": LocationForm(),
            "locations": Location.objects.for_business(business),
            "staff": Staff.objects.for_business(business).select_related("user"),
            "apikey_form": ApiKeyForm(),
            "wallet_form": _wallet_form(business),
            "two_factor_form": TwoFactorPolicyForm(
                initial={"two_factor_required": business.two_factor_required}
            ),
            "apikeys": ApiKey.objects.for_business(business) if is_owner else [],
            **enrolment_context(business),
        },
    )


def _stored_currency(business: Business) -> str:
    return str(Business.objects.values_list("currency", flat=True).get(pk=business.pk))


def _wallet_form(business: Business, data: object = None) -> WalletSettingsForm:
    row = wallet_settings(business)
    initial = {
        "expiry_rule": row.expiry_rule,
        "expiry_n": row.expiry_n,
        "expiry_date": row.expiry_date,
        "pending_days": row.pending_days,
        "allow_gifting": row.allow_gifting,
        "clawback": row.clawback,
        "topup_bonus": Decimal(row.topup_bonus_bp) / 100,
        "point_value": row.point_value_minor,
        "manager_daily_points": row.manager_daily_points,
        "manager_daily_money": format_money(
            # the stored currency: a settings form being corrected may hold a bad one
            Money(row.manager_daily_money_minor, _stored_currency(business)),
            translation.get_language() or "en",
            with_currency=False,
        ),
    }
    return WalletSettingsForm(data, initial=initial)  # type: ignore[arg-type]


@require_POST
@staff_required(Role.OWNER)
def wallet_rules(request: HttpRequest) -> HttpResponse:
    business = request.business  # type: ignore[attr-defined]
    form = _wallet_form(business, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            daily_money = parse_money(
                data["manager_daily_money"],
                _stored_currency(business),
                translation.get_language() or "en",
            ).amount_minor
        except MoneyError:
            messages.error(request, _("The amount is not valid."))
            return redirect("web:settings")
        try:
            wallet_settings_update(
                business=business,
                manager_daily_points=data["manager_daily_points"],
                manager_daily_money_minor=daily_money,
                expiry_rule=data["expiry_rule"],
                expiry_n=data["expiry_n"] or 0,
                expiry_date=data["expiry_date"],
                pending_days=data["pending_days"],
                allow_gifting=data["allow_gifting"],
                clawback=data["clawback"],
                topup_bonus_bp=int(data["topup_bonus"] * 100),
                point_value_minor=data["point_value"],
            )
        except DomainError as error:
            messages.error(request, "; ".join(error_lines(error)))
        else:
            messages.success(request, _("Loyalty rules saved."))
    else:
        messages.error(request, _("Some fields are not valid."))
    return redirect("web:settings")


@require_POST
@staff_required(Role.MANAGER)
def location_add(request: HttpRequest) -> HttpResponse:
    form = LocationForm(request.POST)
    if form.is_valid():
        try:
            location_create(business=request.business, **form.cleaned_data)  # type: ignore[attr-defined]
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Location added."))
    return redirect("web:settings")


@require_POST
@staff_required(Role.OWNER)
def apikey_add(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Enter a name and a role."))
    key, token = apikey_create(
        business=request.business,  # type: ignore[attr-defined]
        name=form.cleaned_data["name"],
        role=form.cleaned_data["role"],
        created_by=request.user,  # type: ignore[arg-type]
    )
    return render(request, "web/settings/apikey_created.html", {"key": key, "token": token})


@require_POST
@staff_required(Role.OWNER)
def apikey_remove(request: HttpRequest, key_id: int) -> HttpResponse:
    try:
        key = get_owned(ApiKey, request.business, pk=key_id)  # type: ignore[attr-defined]
    except DomainError:
        return render(request, "web/shell/forbidden.html", {"reason": _("Not found.")}, status=404)
    asking = confirm_first(
        request,
        question=_("Revoke the API key “%(name)s”?") % {"name": key.name},
        consequence=_("Every till or shop using it stops working with Wateja at once."),
        yes=_("Yes, revoke it"),
        cancel_url=reverse("web:settings"),
    )
    if asking is not None:
        return asking
    apikey_revoke(key=key)
    messages.success(request, _("API key revoked."))
    return redirect("web:settings")
