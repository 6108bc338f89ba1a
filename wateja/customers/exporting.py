"""Exporting the customer base to CSV or XLSX, streamed, every text cell made formula-safe.

`customers_export` writes the base (optionally filtered with the segment filters of
`customers.segments`) with the columns below; `table_file` is the one writer every spreadsheet
download uses (customer export, partner share, import error reports). Files we write can be
imported back: `header_synonyms` gives the importer our translated headers in every language.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import tempfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wateja.core.errors import ValidationFailed
from wateja.core.localtime import local_today
from wateja.core.money import currency_exponent
from wateja.core.spreadsheet import cell_text, safe_cell, yes_no_word
from wateja.customers.models import Card, CardStatus, Channel, Customer, CustomerTag, Source
from wateja.customers.segments import _consent_subquery, segment_customers
from wateja.customers.selectors import active_customers
from wateja.tenants.models import ApiKey, Business
from wateja.tenants.services import audit_record

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_ROWS = 500

# (key, header); keys that are also import fields are read back by the importer
CUSTOMER_COLUMNS = (
    ("card_number", gettext_lazy("Card number")),
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone")),
    ("email", gettext_lazy("E-mail")),
    ("city", gettext_lazy("City")),
    ("language", gettext_lazy("Language")),
    ("birthday", gettext_lazy("Birthday")),
    ("tags", gettext_lazy("Tags")),
    ("total_spent", gettext_lazy("Total spent")),
    ("currency", gettext_lazy("Currency")),
    ("purchases", gettext_lazy("Purchases")),
    ("last_purchase", gettext_lazy("Last purchase")),
    ("source", gettext_lazy("Source")),
    ("consent_sms", gettext_lazy("SMS consent")),
    ("consent_email", gettext_lazy("E-mail consent")),
)
PARTNER_COLUMNS = (
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone")),
    ("email", gettext_lazy("E-mail")),
    ("partner_consent_id", gettext_lazy("Consent reference")),
    ("partner_consent_at", gettext_lazy("Consent recorded at")),
    ("partner_consent_text", gettext_lazy("Consent text")),
    ("partner_name", gettext_lazy("Shared by")),
)
IMPORTABLE = {
    "card_number",
    "name",
    "phone",
    "email",
    "city",
    "language",
    "birthday",
    "tags",
    "consent_sms",
    "consent_email",
    "partner_consent_id",
    "partner_consent_at",
    "partner_consent_text",
    "partner_name",
}


@dataclass
class ExportFile:
    """A download: its file name, content type and the bytes, produced while they are sent."""

    filename: str
    content_type: str
    chunks: Iterable[bytes]
    rows: int | None = None  # how many rows it holds, when counted before


class UnknownFormat(ValidationFailed):
    code = "unknown_format"


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UnknownFormat.fields(
            _("Choose CSV or XLSX."),
            {"format": _("Choose one of: %(choices)s.") % {"choices": "csv, xlsx"}},
        )
    return fmt


@lru_cache(maxsize=1)
def header_synonyms() -> dict[str, tuple[str, ...]]:
    """Our export headers in every language, by import field, so our files import back."""
    found: dict[str, set[str]] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for key, label in (*CUSTOMER_COLUMNS, *PARTNER_COLUMNS):
                if key in IMPORTABLE:
                    found.setdefault(key, set()).add(str(label))
    return {key: tuple(sorted(labels)) for key, labels in found.items()}


# --------------------------------------------------------------------------------------------
# Writing tables


def _text(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    return safe_cell(cell_text(value))  # control characters dropped, then formula-safe


def _csv_chunks(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel opens UTF-8 CSV right only with a BOM
    writer.writerow([_text(h) for h in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(v) for v in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_value(value: object) -> object:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = _text(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def sheet_write(
    workbook: Any, title: str, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> None:
    """A sheet of `workbook` (write-only) with the header and rows, cells made safe. The
    title loses what Excel refuses in a sheet name ([]:*?/\\, beyond 31 characters)."""
    title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31].strip() or "Sheet"
    sheet = workbook.create_sheet(title=title)
    sheet.append([xlsx_value(h) for h in header])
    for row in rows:
        sheet.append([xlsx_value(v) for v in row])


def workbook_chunks(workbook: Any) -> Iterator[bytes]:
    """The saved workbook's bytes: a write-only workbook is saved through a temporary file,
    which is read back in chunks and removed."""
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(name)
        with open(name, "rb") as saved:
            while chunk := saved.read(1 << 16):
                yield chunk
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _xlsx_chunks(
    header: Sequence[object], rows: Iterable[Sequence[object]], title: str
) -> Iterator[bytes]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet_write(workbook, title[:31] or "Sheet", header, rows)
    yield from workbook_chunks(workbook)


def table_file(
    fmt: str,
    stem: str,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    title: str = "",
) -> ExportFile:
    """A CSV (UTF-8 with BOM) or XLSX (write-only, streamed through a temporary file) of
    `rows`; every text cell passes through `safe_cell`."""
    check_format(fmt)
    chunks = (
        _csv_chunks(header, rows) if fmt == "csv" else _xlsx_chunks(header, rows, title or stem)
    )
    return ExportFile(f"{stem}.{fmt}", CONTENT_TYPES[fmt], chunks)


# --------------------------------------------------------------------------------------------
# The customer base


def birthday_text(customer: Customer) -> str:
    if not customer.birth_day or not customer.birth_month:
        return ""
    text = f"{customer.birth_day:02d}.{customer.birth_month:02d}"
    return f"{text}.{customer.birth_year}" if customer.birth_year else text


def major_units(amount_minor: int, currency: str) -> Decimal:
    """1200.50 for 120050 KES: exact (no float), with the currency's ISO 4217 decimals."""
    return Decimal(amount_minor).scaleb(-currency_exponent(currency))


def _local(moment: dt.datetime | None, business: Business) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zoneinfo.ZoneInfo(business.timezone)).strftime("%Y-%m-%d %H:%M")


def customers_for_export(business: Business, filters: dict[str, Any] | None) -> QuerySet[Customer]:
    """The customers to export (segment filters applied), with card, consents and tags."""
    customers = segment_customers(business, filters) if filters else active_customers(business)
    card = Card.objects.filter(customer=OuterRef("pk"), status=CardStatus.ACTIVE).order_by("-id")
    return (
        customers.annotate(
            export_card=Subquery(card.values("number")[:1]),
            export_sms=_consent_subquery(Channel.SMS),
            export_email=_consent_subquery(Channel.EMAIL),
        )
        .prefetch_related(Prefetch("tag_links", queryset=CustomerTag.objects.select_related("tag")))
        .order_by("pk")
    )


def _customer_rows(business: Business, customers: QuerySet[Customer]) -> Iterator[list[object]]:
    language = translation.get_language() or "en"
    sources = dict(Source.choices)
    for customer in customers.iterator(chunk_size=2000):
        tags = sorted(link.tag.name for link in customer.tag_links.all())
        yield [
            customer.export_card or "",  # type: ignore[attr-defined]
            customer.name,
            customer.phone,
            customer.email,
            customer.city,
            customer.language,
            birthday_text(customer),
            ", ".join(tags),
            major_units(customer.total_spent_minor, business.currency),
            business.currency,
            customer.purchase_count,
            _local(customer.last_purchase_at, business),
            str(sources.get(customer.source, customer.source)),
            yes_no_word(bool(customer.export_sms), language),  # type: ignore[attr-defined]
            yes_no_word(bool(customer.export_email), language),  # type: ignore[attr-defined]
        ]


def customers_export(
    *,
    business: Business,
    fmt: str,
    filters: dict[str, Any] | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    progress: Callable[[int], object] | None = None,
) -> ExportFile:
    """The customer base as a CSV or XLSX download; the export is written to the audit log
    (it holds personal data). Bad filters raise ValidationFailed before anything is sent.
    Rows are read in chunks while the file is written (memory stays bounded); `progress`
    (a background job's) is told every CHUNK_ROWS rows how many were written."""
    check_format(fmt)
    customers = customers_for_export(business, filters)
    count = customers.count()
    audit_record(
        business=business,
        action="customers.export",
        object_type="customer",
        object_id="",
        actor=actor,
        api_key=api_key,
        details={"format": fmt, "filters": filters or {}, "rows": count},
    )
    stamp = local_today(business.timezone).isoformat()
    language = translation.get_language() or "en"

    def rows() -> Iterator[list[object]]:
        # the language of the request, also while the response is streamed after the view
        with translation.override(language):
            for written, row in enumerate(_customer_rows(business, customers), start=1):
                yield row
                if progress is not None and written % CHUNK_ROWS == 0:
                    progress(written)

    export = table_file(
        fmt,
        f"customers-{business.slug}-{stamp}",
        [str(label) for _key, label in CUSTOMER_COLUMNS],
        rows(),
        title=_("Customers"),
    )
    export.rows = count
    return export
