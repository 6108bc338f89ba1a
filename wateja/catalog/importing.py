"""A product list from a spreadsheet (CSV or XLSX, in the business's languages), read with the
customer import's machinery: the file's format and encoding found by content, the header row
and the columns guessed from their titles, one row's problems reported by row and column.

`products_import(dry_run=True)` is the preview: the same work in a transaction that is rolled
back, so what it reports is exactly what the import will do. Rows are matched to the
catalogue by SKU (any case): a known SKU is updated with the columns the sheet has, a new one
is created; a bad row is skipped and reported, the others go in."""

from __future__ import annotations

import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from wateja.catalog.models import Product, Unit
from wateja.catalog.services import product_save, text_key
from wateja.core.errors import DomainError, ValidationFailed
from wateja.core.money import MoneyError, parse_money
from wateja.core.spreadsheet import (
    CellProblem,
    SheetReader,
    SpreadsheetError,
    cell_text,
    column_letter,
    detect_encoding,
    detect_format,
    parse_yes_no,
)
from wateja.tenants.models import Business

# header synonyms (normalised: see core.spreadsheet.normalize_header), en / sw / hy / ru
PRODUCT_FIELDS: dict[str, tuple[str, ...]] = {
    "sku": (
        "sku",
        "code",
        "item code",
        "product code",
        "article",
        "art",
        "plu",
        "kodi",
        "nambari ya bidhaa",
        "msimbo",
        "ապրանքի կոդ",
        "կոդ",
        "артикул",
        "код",
        "код товара",
    ),
    "barcode": (
        "barcode",
        "bar code",
        "ean",
        "ean13",
        "upc",
        "gtin",
        "msimbopau",
        "msimbo pau",
        "շտրիխ կոդ",
        "շտրիխկոդ",
        "штрихкод",
        "штрих код",
    ),
    "name": (
        "name",
        "product",
        "product name",
        "item",
        "item name",
        "description",
        "jina",
        "bidhaa",
        "jina la bidhaa",
        "անվանում",
        "ապրանք",
        "ապրանքի անվանում",
        "наименование",
        "название",
        "товар",
        "название товара",
    ),
    "name_en": ("name en", "english", "english name", "kiingereza", "անգլերեն", "английский"),
    "name_sw": ("name sw", "swahili", "kiswahili", "jina kwa kiswahili", "суахили"),
    "name_hy": ("name hy", "armenian", "հայերեն", "հայերեն անվանում", "армянский"),
    "name_ru": ("name ru", "russian", "kirusi", "ռուսերեն", "русский", "название на русском"),
    "category": (
        "category",
        "group",
        "department",
        "aina",
        "kundi",
        "idara",
        "կատեգորիա",
        "խումբ",
        "բաժին",
        "категория",
        "группа",
        "отдел",
    ),
    "price": (
        "price",
        "unit price",
        "sale price",
        "retail price",
        "selling price",
        "bei",
        "bei ya kuuza",
        "bei ya rejareja",
        "գին",
        "վաճառքի գին",
        "цена",
        "стоимость",
        "цена продажи",
        "розничная цена",
    ),
    "unit": (
        "unit",
        "uom",
        "unit of measure",
        "kipimo",
        "միավոր",
        "չափման միավոր",
        "единица",
        "ед изм",
        "единица измерения",
    ),
    "weight": (
        "weight",
        "weight g",
        "weight grams",
        "grams",
        "net weight",
        "uzito",
        "uzito g",
        "քաշ",
        "քաշ գ",
        "вес",
        "вес г",
        "вес нетто",
    ),
    "active": ("active", "on sale", "hai", "inauzwa", "ակտիվ", "վաճառքում", "активен", "в продаже"),
    "favourite": ("favourite", "favorite", "grid", "pendwa", "ընտրյալ", "избранное"),
}

_UNITS = {
    Unit.PIECE: ("piece", "pieces", "pc", "pcs", "pce", "each", "ea", "kipande", "vipande",
                 "հատ", "шт", "штука", "штук"),
    Unit.KG: ("kg", "kgs", "kilo", "kilogram", "kilogramu", "կգ", "кг", "килограмм"),
    Unit.G: ("g", "gr", "gram", "grams", "gramu", "գ", "г", "гр", "грамм"),
}  # fmt: skip


def _unit(value: object) -> str | None:
    text = cell_text(value).strip().casefold().rstrip(".")
    if not text:
        return Unit.PIECE
    return next((unit for unit, words in _UNITS.items() if text in words), None)


def _price(value: object, business: Business) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            minor = Decimal(str(value)) * 100
        except InvalidOperation:
            return None
        return int(minor) if minor == minor.to_integral_value() and minor >= 0 else None
    try:
        money = parse_money(cell_text(value), business.currency, business.default_language)
    except MoneyError:
        return None
    return money.amount_minor if money.amount_minor >= 0 else None


def _stored(fileobj: IO[bytes]) -> Path:
    limit = int(getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024))
    handle = tempfile.NamedTemporaryFile(prefix="wateja-products-", delete=False)  # noqa: SIM115
    size = 0
    with handle:
        while chunk := fileobj.read(1 << 20):
            size += len(chunk)
            if size > limit:
                Path(handle.name).unlink(missing_ok=True)
                raise ValidationFailed(
                    _("The file is larger than %(limit)s MB.") % {"limit": limit // 2**20},
                    code="file_too_large",
                    status=413,
                )
            handle.write(chunk)
    return Path(handle.name)


def products_import(
    *,
    business: Business,
    fileobj: IO[bytes],
    mapping: dict[int, str] | None = None,
    dry_run: bool = True,
) -> dict[str, Any]:
    """Read a product list and create or update the products (or, with `dry_run`, only say
    what would happen). `mapping` ({column index: field}) overrides the guessed columns."""
    stored = _stored(fileobj)
    file_format = detect_format(stored)
    path = stored.rename(stored.with_suffix(f".{file_format}"))  # openpyxl reads by suffix
    try:
        with path.open("rb") as raw:
            encoding = detect_encoding(raw.read(256 * 1024)) if file_format == "csv" else ""
        with SheetReader(
            path, file_format, encoding=encoding or "utf-8", fields=PRODUCT_FIELDS
        ) as sheet:
            columns = _columns(mapping if mapping is not None else sheet.guessed, sheet)
            with transaction.atomic():
                report = _rows(business, sheet, columns)
                if dry_run:
                    transaction.set_rollback(True)
    except SpreadsheetError as error:
        raise DomainError(
            _("The file cannot be read as a spreadsheet (CSV or XLSX)."),
            code="file_unreadable",
            status=400,
            details={"problem": error.code, "row": getattr(error, "row", None)},
        ) from None
    finally:
        path.unlink(missing_ok=True)
    return {
        "dry_run": dry_run,
        "headers": sheet.table.headers,
        "header_row": sheet.table.header_row,
        "mapping": {str(i): f for i, f in sorted(columns.items())},
        **report,
    }


def _columns(mapping: dict[int, str], sheet: SheetReader) -> dict[int, str]:
    columns = {int(i): f for i, f in mapping.items() if f}
    unknown = sorted({f for f in columns.values() if f not in PRODUCT_FIELDS})
    if unknown:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"mapping": _("Unknown field.") + " " + unknown[0]}
        )
    if "sku" not in columns.values():
        raise ValidationFailed(
            _("Say which column holds the item code (SKU)."),
            code="mapping_incomplete",
            details={"headers": sheet.table.headers},
        )
    return columns


def _rows(business: Business, sheet: SheetReader, columns: dict[int, str]) -> dict[str, Any]:
    created = updated = 0
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    where = {field: index for index, field in columns.items()}
    for number, cells in sheet.rows():
        problems: dict[str, str] = {}
        values: dict[str, Any] = {}
        for index, field in columns.items():
            cell = cells[index] if index < len(cells) else None
            if isinstance(cell, CellProblem):
                problems[field] = _("The cell holds a formula without a value.")
                continue
            if field == "price":
                if cell_text(cell).strip():
                    price = _price(cell, business)
                    if price is None:
                        problems[field] = _("The price is not a valid amount.")
                    else:
                        values["price_minor"] = price
            elif field == "unit":
                unit = _unit(cell)
                if unit is None:
                    problems[field] = _("Unknown unit: use piece, kg or g.")
                else:
                    values["unit"] = unit
            elif field == "weight":
                text = cell_text(cell).strip().replace(" ", "")
                if text:
                    try:
                        values["weight_grams"] = int(Decimal(text.replace(",", ".")))
                    except InvalidOperation:
                        problems[field] = _("Enter the weight in grams, 0 or more.")
            elif field in ("active", "favourite"):
                flag = parse_yes_no(cell)
                if flag is not None:
                    values[field] = flag
            elif field.startswith("name_"):
                if cell_text(cell).strip():
                    values.setdefault("names", {})[field[5:]] = cell_text(cell)
            else:
                values[field] = cell_text(cell)
        key = text_key(values.get("sku"))
        if key and key in seen:
            problems["sku"] = _("This code is already on an earlier row.")
        seen.add(key)
        existing = (
            Product.objects.for_business(business).filter(sku_key=key).first() if key else None
        )
        if not problems:
            try:
                with transaction.atomic():
                    product_save(business=business, product=existing, **values)
            except (ValidationFailed, DomainError) as error:
                fields = (error.details or {}).get("fields") or {"": error.message}
                for field, message in fields.items():
                    text = message[0] if isinstance(message, list) else message
                    problems[_field_of(field)] = str(text)
            else:
                if existing is None:
                    created += 1
                else:
                    updated += 1
        for field, message in problems.items():
            column = where.get(field)
            errors.append(
                {
                    "row": number,
                    "column": column_letter(column) if column is not None else "",
                    "field": field,
                    "message": message,
                }
            )
    return {
        "rows": sheet.row_count,
        "created": created,
        "updated": updated,
        "errors": errors[:1000],
        "error_count": len(errors),
    }


def _field_of(service_field: str) -> str:
    """The sheet's field for a service field (price_minor is the price column)."""
    return {"price_minor": "price", "names": "name_en", "weight_grams": "weight"}.get(
        service_field, service_field
    )
