"""The product catalogue: products and categories (listed by everyone, changed by managers),
a till's lookup by barcode or SKU, and a spreadsheet import with a preview.

No `from __future__ import annotations` here: Ninja reads the annotations at import.
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import AmountMinor, RequestSchema, StrictSchema, omittable
from wateja.catalog.importing import products_import
from wateja.catalog.models import Product, Unit
from wateja.catalog.services import (
    categories,
    category_for,
    product_find,
    product_save,
    product_search,
)
from wateja.core.errors import NotFound
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned

router = Router(tags=["catalogue"])


class ProductOut(Schema):
    id: int
    sku: str
    barcode: str
    name: str
    names: dict[str, str]
    category: str
    price_minor: int
    unit: str
    by_weight: bool
    weight_grams: int
    favourite: bool
    active: bool

    @staticmethod
    def resolve_category(obj: Product) -> str:
        return obj.category.name if obj.category else ""


class ProductIn(StrictSchema):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    price_minor: AmountMinor
    names: dict[str, str] = Field(default_factory=dict, description="by language: en, sw, hy, ru")
    category: str = Field("", max_length=64, description="a category name, created on first use")
    barcode: str = Field("", max_length=64)
    unit: Unit = Unit.PIECE
    by_weight: bool | None = Field(None, description="default: true for kg and g")
    weight_grams: int = Field(0, ge=0, le=10_000_000, description="one piece's weight")
    favourite: bool = False
    active: bool = True


class ProductPatch(StrictSchema):
    sku: str = omittable(min_length=1, max_length=64)
    name: str = omittable(min_length=1, max_length=200)
    price_minor: AmountMinor = omittable()
    names: dict[str, str] = omittable()
    category: str = omittable(max_length=64)
    barcode: str = omittable(max_length=64)
    unit: Unit = omittable()
    by_weight: bool = omittable()
    weight_grams: int = omittable(ge=0, le=10_000_000)
    favourite: bool = omittable()
    active: bool = omittable()


class ProductQuery(RequestSchema):
    q: str = Field("", max_length=100)
    active_only: bool = True


class CategoryOut(Schema):
    id: int
    name: str


class CategoryIn(StrictSchema):
    name: str = Field(min_length=1, max_length=64)


class ImportReport(Schema):
    dry_run: bool
    headers: list[str]
    header_row: int
    mapping: dict[str, str]
    rows: int
    created: int
    updated: int
    errors: list[dict[str, Any]]
    error_count: int


@router.get("/products", response=list[ProductOut])
@paginate(CursorPagination)
def product_list(request: HttpRequest, filters: Query[ProductQuery]) -> Any:
    business = current_business(request)
    if filters.q:
        ids = [p.pk for p in product_search(business, filters.q, active_only=filters.active_only)]
        return Product.objects.for_business(business).filter(pk__in=ids).select_related("category")
    products = Product.objects.for_business(business).select_related("category")
    return products.filter(active=True) if filters.active_only else products


@router.get("/products/lookup/{code}", response=ProductOut)
def product_lookup(request: HttpRequest, code: str) -> Product:
    """What a till finds for a scanned barcode or a typed SKU (any case)."""
    found = product_find(current_business(request), code)
    if found is None:
        raise NotFound(_("No product with this code."), details={"object": "product"})
    return found


@router.post("/products/imports", response=ImportReport)
def product_import(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = True,
) -> dict[str, Any]:
    """A CSV or XLSX product list: with dry_run (the default) only the report of what would
    happen; then again with dry_run=false to create and update the products."""
    require_role(request, Role.MANAGER)
    return products_import(business=current_business(request), fileobj=file, dry_run=dry_run)


@router.get("/products/{product_id}", response=ProductOut)
def product_get(request: HttpRequest, product_id: int) -> Product:
    return get_owned(Product, current_business(request), pk=product_id)


@router.post("/products", response={201: ProductOut})
def product_create(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    require_role(request, Role.MANAGER)
    values = payload.dict()
    if values["by_weight"] is None:
        del values["by_weight"]
    return Status(201, product_save(business=current_business(request), **values))


@router.patch("/products/{product_id}", response=ProductOut)
def product_update(request: HttpRequest, product_id: int, payload: ProductPatch) -> Product:
    require_role(request, Role.MANAGER)
    business = current_business(request)
    product = get_owned(Product, business, pk=product_id)
    return product_save(business=business, product=product, **payload.dict(exclude_unset=True))


@router.get("/categories", response=list[CategoryOut])
def category_list(request: HttpRequest) -> Any:
    return list(categories(current_business(request)))


@router.post("/categories", response={201: CategoryOut})
def category_create(request: HttpRequest, payload: CategoryIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    return Status(201, category_for(current_business(request), payload.name))
