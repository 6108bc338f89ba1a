"""Rewards by recipe: the gallery, each recipe's short form with its live sentence, editing and
deleting drafts, the first-run choice of the base programme, tiers, printable code sheets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.core.money import Money, format_money
from wateja.promotions.models import CodeKind, Promotion, PromotionStatus, Tier
from wateja.promotions.recipes import (
    GROUPS,
    RECIPES,
    base_programme,
    number_text,
    percent_text,
    recipe_save,
    recipe_sentence,
)
from wateja.promotions.services import tier_save
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form
from wateja.web.permissions import staff_required
from wateja.web.rewards.recipe_forms import FORMS, RecipeForm, TierForm

BASE_CHOICES = ("points", "cashback", "stamps")


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _recipe(key: str) -> tuple[Any, type[RecipeForm]]:
    if key not in RECIPES or key not in FORMS:
        raise Http404
    return RECIPES[key], FORMS[key]


def _promotion(request: HttpRequest, promotion_id: int) -> Promotion:
    try:
        return get_owned(Promotion, _business(request), pk=promotion_id)
    except DomainError:
        raise Http404 from None


@staff_required(Role.MANAGER)
def gallery(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    groups = [(label, [r for r in RECIPES.values() if r.group == key]) for key, label in GROUPS]
    return render(
        request,
        "web/rewards/gallery.html",
        {"groups": groups, "base": base_programme(business)},
    )


@staff_required(Role.MANAGER)
def programme_start(request: HttpRequest) -> HttpResponse:
    """First run: how do customers earn? Points, cashback or a stamp card, started at once."""
    business = _business(request)
    return render(
        request,
        "web/rewards/start.html",
        {
            "choices": [RECIPES[key] for key in BASE_CHOICES],
            "base": base_programme(business),
        },
    )


def _form_page(
    request: HttpRequest,
    key: str,
    *,
    promotion: Promotion | None = None,
) -> HttpResponse:
    business = _business(request)
    recipe, form_class = _recipe(key)
    starting = request.GET.get("start") == "1" and recipe.base
    if promotion is not None:
        initial = form_class.initial_from(dict(promotion.recipe_values), business)
        initial["name"] = promotion.name
    else:
        initial = {}
    form = form_class(
        request.POST if request.method == "POST" else None, initial=initial, business=business
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = recipe_save(
                business=business,
                key=key,
                values=form.values(),
                name=form.cleaned_data.get("name") or "",
                promotion=promotion,
                created_by=request.user,
                activate=starting,
            )
        except DomainError as error:
            apply_to_form(form, error)
        else:
            if starting:
                messages.success(request, _("Your programme is running: every sale earns by it."))
                return redirect("web:home")
            messages.success(
                request, _("Saved as a draft. Check its cost below, then activate it.")
            )
            return redirect("web:offer_detail", promotion_id=saved.pk)
    sentence = _sentence_of(business, key, form, initial)
    return render(
        request,
        "web/rewards/recipe.html",
        {
            "recipe": recipe,
            "form": form,
            "sentence": sentence,
            "promotion": promotion,
            "starting": starting,
        },
    )


def _sentence_of(business: Business, key: str, form: RecipeForm, initial: dict[str, Any]) -> str:
    if form.is_bound:
        return recipe_sentence(business, key, form.values()) if form.is_valid() else ""
    preview = FORMS[key](
        {k: v for k, v in {**_field_initials(form), **initial}.items() if v is not None},
        business=business,
    )
    return recipe_sentence(business, key, preview.values()) if preview.is_valid() else ""


def _field_initials(form: RecipeForm) -> dict[str, Any]:
    return {name: field.initial for name, field in form.fields.items() if field.initial is not None}


@staff_required(Role.MANAGER)
def recipe_new(request: HttpRequest, key: str) -> HttpResponse:
    return _form_page(request, key)


@require_POST
@staff_required(Role.MANAGER)
def recipe_sentence_view(request: HttpRequest, key: str) -> HttpResponse:
    """The live sentence under the form (htmx, as the owner types)."""
    business = _business(request)
    form_class = _recipe(key)[1]
    form = form_class(request.POST, business=business)
    sentence = recipe_sentence(business, key, form.values()) if form.is_valid() else ""
    return render(request, "web/rewards/_sentence.html", {"sentence": sentence})


@staff_required(Role.MANAGER)
def offer_edit(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _promotion(request, promotion_id)
    if promotion.status != PromotionStatus.DRAFT or promotion.recipe not in FORMS:
        messages.error(
            request,
            _("Only drafts made from a recipe can be changed; end this offer and make a new one.")
            if promotion.status != PromotionStatus.DRAFT
            else _("This draft was made through the API; change it there or delete it."),
        )
        return redirect("web:offer_detail", promotion_id=promotion.pk)
    return _form_page(request, promotion.recipe, promotion=promotion)


@require_POST
@staff_required(Role.MANAGER)
def offer_delete(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = _promotion(request, promotion_id)
    if promotion.status != PromotionStatus.DRAFT:
        messages.error(request, _("Only a draft can be deleted; end the offer instead."))
        return redirect("web:offer_detail", promotion_id=promotion.pk)
    asking = confirm_first(
        request,
        question=_("Delete the draft “%(name)s”?") % {"name": promotion.name},
        consequence=_("It never ran, so nothing else changes."),
        yes=_("Yes, delete it"),
        cancel_url=reverse("web:offer_detail", args=[promotion.pk]),
    )
    if asking is not None:
        return asking
    name = promotion.name
    promotion.delete()
    messages.success(request, _("Draft “%(name)s” deleted.") % {"name": name})
    return redirect("web:rewards")


@staff_required(Role.MANAGER)
def tiers(request: HttpRequest, tier_id: int | None = None) -> HttpResponse:
    business = _business(request)
    tier = None
    if tier_id is not None:
        try:
            tier = get_owned(Tier, business, pk=tier_id)
        except DomainError:
            raise Http404 from None
    initial: dict[str, Any] = {}
    if tier is not None:
        initial = {
            "name": tier.name,
            "min_spend": format_money(
                Money(tier.min_spend_minor, business.currency),
                translation.get_language() or "en",
                with_currency=False,
            ),
            "discount": tier.discount_bp / 100,
            "multiplier": tier.earn_multiplier_bp / 10_000,
            "basis": tier.basis,
            "grace_days": tier.grace_days,
        }
    form = TierForm(request.POST or None, initial=initial, business=business)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tier_save(
                business=business,
                tier=tier,
                name=data["name"],
                min_spend_minor=data["min_spend"],
                discount_bp=int((data["discount"] or 0) * 100),
                earn_multiplier_bp=int(data["multiplier"] * 10_000),
                basis=data["basis"],
                grace_days=data["grace_days"],
            )
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("Tier “%(name)s” saved.") % {"name": data["name"]})
            return redirect("web:tiers")
    return render(
        request,
        "web/rewards/tiers.html",
        {
            "tiers": [
                (
                    t,
                    percent_text(t.discount_bp) if t.discount_bp else "—",
                    number_text(Decimal(t.earn_multiplier_bp) / 10_000),
                )
                for t in Tier.objects.for_business(business)
            ],
            "form": form,
            "tier": tier,
        },
    )


@staff_required(Role.MANAGER)
def codes_print(request: HttpRequest, promotion_id: int) -> HttpResponse:
    """A sheet of the offer's unused one-time codes to print and cut into flyers."""
    promotion = _promotion(request, promotion_id)
    codes = promotion.promo_codes.filter(kind=CodeKind.SINGLE_USE, uses_count=0).order_by("id")
    return render(
        request,
        "web/rewards/codes_print.html",
        {"promotion": promotion, "codes": codes[:5000]},
    )
