"""The catalogue screens: everyone finds a product; managers add and change them, and bring in
a product list from a spreadsheet after a preview that shows exactly what will happen."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from wateja.catalog.importing import products_import
from wateja.catalog.models import Product
from wateja.catalog.services import categories, product_save, product_search
from wateja.core.errors import DomainError
from wateja.core.files import open_private, private_folder
from wateja.core.money import Money, MoneyError, format_money, parse_money
from wateja.tenants.models import Business
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.scoping import get_owned
from wateja.web.catalog.forms import ImportForm, ProductForm
from wateja.web.errors import apply_to_form, error_lines
from wateja.web.permissions import staff_required

LANGUAGE_FIELDS = {"sw": "name_sw", "hy": "name_hy", "ru": "name_ru"}
TOKEN = re.compile(r"[0-9a-f]{32}")  # the name of an upload waiting for its confirmation


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _language(request: HttpRequest) -> str:
    return translation.get_language() or _business(request).default_language


@staff_required(Role.CASHIER)
def product_list(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    query = request.GET.get("q", "").strip()
    products = product_search(business, query, active_only=False, limit=500)
    return render(
        request,
        "web/catalog/list.html",
        {
            "products": products,
            "q": query,
            "can_manage": role_at_least(request.staff.role, Role.MANAGER),  # type: ignore[attr-defined]
        },
    )


def _initial(product: Product, language: str) -> dict[str, Any]:
    names = product.names or {}
    return {
        "sku": product.sku,
        "name": product.name,
        **{field: names.get(code, "") for code, field in LANGUAGE_FIELDS.items()},
        "category": product.category.name if product.category else "",
        "price": format_money(
            Money(product.price_minor, product.business.currency), language, with_currency=False
        ),
        "unit": product.unit,
        "weight_grams": product.weight_grams or None,
        "barcode": product.barcode,
        "favourite": product.favourite,
        "active": product.active,
    }


def _edit(request: HttpRequest, product: Product | None) -> HttpResponse:
    business = _business(request)
    language = _language(request)
    initial = _initial(product, language) if product else {"active": True}
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            price = parse_money(data["price"], business.currency, language).amount_minor
        except MoneyError:
            form.add_error("price", _("The price is not a valid amount."))
        else:
            try:
                saved = product_save(
                    business=business,
                    product=product,
                    sku=data["sku"],
                    name=data["name"],
                    names={code: data[field] for code, field in LANGUAGE_FIELDS.items()},
                    category=data["category"],
                    price_minor=price,
                    unit=data["unit"],
                    by_weight=data["unit"] != "piece",
                    weight_grams=data["weight_grams"] or 0,
                    barcode=data["barcode"],
                    favourite=data["favourite"],
                    active=data["active"],
                )
            except DomainError as error:
                apply_to_form(form, error)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": saved.name})
                return redirect("web:products")
    return render(
        request,
        "web/catalog/edit.html",
        {"form": form, "product": product, "categories": categories(business)},
    )


@staff_required(Role.MANAGER)
def product_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@staff_required(Role.MANAGER)
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        product = get_owned(Product, _business(request), pk=product_id)
    except DomainError:
        raise Http404 from None
    return _edit(request, product)


def _upload_dir() -> Path:
    return private_folder(Path(settings.DATA_DIR) / "media" / "product-imports")


@staff_required(Role.MANAGER)
def product_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (nothing written) → confirm: the same file imported for real."""
    business = _business(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        path = _upload_dir() / f"{business.pk}-{token}.upload"
        if not TOKEN.fullmatch(token) or not path.exists():
            messages.error(request, _("The file is no longer here; upload it again."))
            return redirect("web:product_import")
        try:
            with path.open("rb") as stored:
                report = products_import(business=business, fileobj=stored, dry_run=False)
        except DomainError as error:
            messages.error(request, "; ".join(error_lines(error)))
            return redirect("web:product_import")
        finally:
            path.unlink(missing_ok=True)
        messages.success(
            request,
            _("%(created)s products added, %(updated)s changed.")
            % {"created": report["created"], "updated": report["updated"]},
        )
        return render(request, "web/catalog/import.html", {"form": ImportForm(), "done": report})
    if request.method == "POST" and form.is_valid():
        token = uuid.uuid4().hex
        path = _upload_dir() / f"{business.pk}-{token}.upload"
        with open_private(path, "wb") as stored:
            for chunk in form.cleaned_data["file"].chunks():
                stored.write(chunk)
        try:
            with path.open("rb") as stored:
                report = products_import(business=business, fileobj=stored, dry_run=True)
        except DomainError as error:
            path.unlink(missing_ok=True)
            form.add_error("file", "; ".join(error_lines(error)))
            report = None
    return render(
        request,
        "web/catalog/import.html",
        {"form": form, "report": report, "token": token if report else ""},
    )
