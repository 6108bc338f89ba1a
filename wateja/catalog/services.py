"""Catalogue use cases: save products and categories, find a product the way a till does (a
scanned barcode, or a SKU in any case), search by name, and give offers the catalogue's own
spelling of the SKUs and categories they name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from wateja.catalog.models import Category, Product, Unit
from wateja.core.errors import Conflict, ValidationFailed
from wateja.tenants.models import Business

MAX_PRICE_MINOR = 10**13
LANGUAGES = ("en", "sw", "hy", "ru")


def text_key(text: object) -> str:
    """How SKUs and category names are compared: trimmed, case-folded."""
    return str(text or "").strip().casefold()


def category_for(business: Business, name: str) -> Category | None:
    """The category of this name (any case), created on first use; None for no name."""
    name = " ".join(str(name or "").split())[:64]
    if not name:
        return None
    key = text_key(name)
    found = Category.objects.for_business(business).filter(key=key).first()
    if found is not None:
        return found  # type: ignore[no-any-return]
    try:
        with transaction.atomic():
            return Category.objects.create(business=business, name=name, key=key)
    except IntegrityError:  # created meanwhile
        return Category.objects.for_business(business).get(key=key)  # type: ignore[no-any-return]


def categories(business: Business) -> QuerySet[Category]:
    return Category.objects.for_business(business)


def _clean(values: dict[str, Any], *, creating: bool) -> tuple[dict[str, Any], dict[str, object]]:
    """Validated product fields (only those given) and the field errors."""
    errors: dict[str, object] = {}
    out: dict[str, Any] = {}
    if "sku" in values or creating:
        sku = str(values.get("sku") or "").strip()
        if not sku:
            errors["sku"] = _("Enter the item code (SKU).")
        elif len(sku) > 64:
            errors["sku"] = _("At most %(count)s characters.") % {"count": 64}
        out["sku"], out["sku_key"] = sku, text_key(sku)
    if "name" in values or creating:
        name = " ".join(str(values.get("name") or "").split())
        if not name:
            errors["name"] = _("Enter the product's name.")
        elif len(name) > 200:
            errors["name"] = _("At most %(count)s characters.") % {"count": 200}
        out["name"] = name
    if "price_minor" in values or creating:
        price = values.get("price_minor")
        if isinstance(price, bool) or not isinstance(price, int):
            errors["price_minor"] = _("Enter the price.")
        elif price < 0:
            errors["price_minor"] = _("The price cannot be negative.")
        elif price > MAX_PRICE_MINOR:
            errors["price_minor"] = _("The price is too large.")
        out["price_minor"] = price
    if "barcode" in values:
        barcode = str(values.get("barcode") or "").strip()
        if len(barcode) > 64:
            errors["barcode"] = _("At most %(count)s characters.") % {"count": 64}
        out["barcode"] = barcode
    if "names" in values:
        names = values.get("names") or {}
        if not isinstance(names, dict) or any(k not in LANGUAGES for k in names):
            errors["names"] = _("Names by language: en, sw, hy or ru.")
        else:
            out["names"] = {k: " ".join(str(v).split())[:200] for k, v in names.items() if v}
    if "unit" in values or creating:
        unit = values.get("unit") or Unit.PIECE
        if unit not in Unit.values:
            errors["unit"] = _("Unknown unit.")
        out["unit"] = unit
    if "weight_grams" in values:
        grams = values.get("weight_grams") or 0
        if isinstance(grams, bool) or not isinstance(grams, int) or not 0 <= grams <= 10**7:
            errors["weight_grams"] = _("Enter the weight in grams, 0 or more.")
        out["weight_grams"] = grams
    for flag in ("by_weight", "favourite", "active"):
        if values.get(flag) is not None:
            out[flag] = bool(values[flag])
    if creating and "by_weight" not in out:
        out["by_weight"] = out.get("unit") in (Unit.KG, Unit.G)
    return out, errors


def product_save(*, business: Business, product: Product | None = None, **values: Any) -> Product:
    """Create a product (sku, name and price required) or change the fields given of an
    existing one. `category` is a category name (created on first use) or "" for none."""
    creating = product is None
    fields, errors = _clean(values, creating=creating)
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    if "category" in values:
        fields["category"] = category_for(business, values["category"] or "")
    target = product or Product(business=business)
    for name, value in fields.items():
        setattr(target, name, value)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        taken = Product.objects.for_business(business).exclude(pk=target.pk)
        if taken.filter(sku_key=target.sku_key).exists():
            raise Conflict(
                _("Another product has the code %(sku)s.") % {"sku": target.sku},
                code="sku_taken",
                details={"fields": {"sku": [_("Already used by another product.")]}},
            ) from None
        raise Conflict(
            _("Another product has the barcode %(barcode)s.") % {"barcode": target.barcode},
            code="barcode_taken",
            details={"fields": {"barcode": [_("Already used by another product.")]}},
        ) from None
    return target


def product_find(business: Business, code: str) -> Product | None:
    """What a till finds for a scanned or typed code: the barcode, else the SKU (any case)."""
    code = str(code or "").strip()
    if not code:
        return None
    found: Product | None = (
        Product.objects.for_business(business)
        .filter(Q(barcode=code) | Q(sku_key=text_key(code)))
        .select_related("category")
        .order_by("-barcode")  # a barcode match before a SKU match
        .first()
    )
    return found


def product_search(
    business: Business, query: str = "", *, active_only: bool = True, limit: int = 50
) -> QuerySet[Product]:
    """Products whose name (in any language), SKU or barcode contains the query."""
    products = Product.objects.for_business(business).select_related("category")
    if active_only:
        products = products.filter(active=True)
    query = " ".join(str(query or "").split())
    if query:
        products = products.filter(
            Q(name__icontains=query)
            | Q(names__icontains=query)
            | Q(sku_key__contains=text_key(query))
            | Q(barcode__startswith=query)
        )
    found: QuerySet[Product] = products.order_by("-favourite", "name", "id")[:limit]
    return found


def favourites(business: Business) -> QuerySet[Product]:
    found: QuerySet[Product] = (
        Product.objects.for_business(business)
        .filter(active=True, favourite=True)
        .select_related("category")
        .order_by("category__position", "name")
    )
    return found


def canonical_skus(business: Business, skus: Iterable[str]) -> list[str]:
    """The catalogue's spelling of each SKU (matched in any case); unknown ones as given."""
    wanted = [str(s).strip() for s in skus if str(s).strip()]
    known = dict(
        Product.objects.for_business(business)
        .filter(sku_key__in=[text_key(s) for s in wanted])
        .values_list("sku_key", "sku")
    )
    return [known.get(text_key(s), s) for s in wanted]


def canonical_categories(business: Business, names: Iterable[str]) -> list[str]:
    """The catalogue's spelling of each category name (any case); unknown ones as given."""
    wanted = [" ".join(str(n).split()) for n in names if str(n).strip()]
    known = dict(
        Category.objects.for_business(business)
        .filter(key__in=[text_key(n) for n in wanted])
        .values_list("key", "name")
    )
    return [known.get(text_key(n), n) for n in wanted]
