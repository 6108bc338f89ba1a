"""Spreadsheet import and export of the customer base, and the partner share file.

Flow: POST /imports (multipart file, optional `sheet`) → GET /imports/{id} (the workbook's
sheets, headers, guessed columns) → POST /imports/{id}/preview (optional `sheet`, `mapping`) →
GET /imports/{id}/errors.xlsx → POST /imports/{id}/run (200 when done at once, 202 when queued
for the worker) → POST /imports/{id}/undo while none of its customers has done anything.

No `from __future__ import annotations` here: Ninja reads the annotations at import.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import RequestSchema, StrictSchema
from wateja.customers.exporting import ExportFile, customers_export
from wateja.customers.importing import (
    ImportStateError,
    import_errors_file,
    import_jobs,
    import_preview,
    import_sheet_choose,
    import_start,
    import_undo,
    import_upload,
)
from wateja.customers.models import ImportJob
from wateja.customers.partners import partner_share_export
from wateja.dbrouting import reporting_chunks, reporting_reads
from wateja.tenants.models import ApiKey
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned

router = Router(tags=["imports"])


class SheetOut(Schema):
    index: int
    name: str
    rows: int
    more_rows: bool
    headers: list[str]
    active: bool
    likely: bool
    fields: list[str]


class ImportOut(Schema):
    id: int
    file_name: str
    file_format: str
    encoding: str
    status: str
    source: str
    total_rows: int
    next_row: int
    created_count: int
    updated_count: int
    skipped_count: int
    error_count: int
    mapping: dict[str, str]
    guessed_mapping: dict[str, str]
    headers: list[str]
    header_row: int | None
    unnamed_columns: list[str]
    sheet: str | None
    sheets: list[SheetOut]
    preview: dict[str, Any] | None
    run: dict[str, Any] | None
    undo: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None
    file_removed_at: datetime | None = Field(
        None, description="when the uploaded file was deleted (null: it is still stored)"
    )
    file_removed_reason: str = Field(
        "", description='why: "retention" (after WATEJA_IMPORT_RETENTION_DAYS) or "erasure"'
    )

    @staticmethod
    def resolve_sheet(obj: ImportJob) -> str | None:
        return obj.report.get("table", {}).get("sheet") or None

    @staticmethod
    def resolve_sheets(obj: ImportJob) -> list[dict[str, Any]]:
        return [
            {"likely": False, "more_rows": False, "fields": [], **sheet}
            for sheet in obj.report.get("sheets", [])
        ]

    @staticmethod
    def resolve_undo(obj: ImportJob) -> dict[str, Any] | None:
        return obj.report.get("undo")  # type: ignore[no-any-return]

    @staticmethod
    def resolve_guessed_mapping(obj: ImportJob) -> dict[str, str]:
        return dict(obj.report.get("guessed_mapping", {}))

    @staticmethod
    def resolve_headers(obj: ImportJob) -> list[str]:
        return list(obj.report.get("table", {}).get("headers", []))

    @staticmethod
    def resolve_header_row(obj: ImportJob) -> int | None:
        return obj.report.get("table", {}).get("header_row")  # type: ignore[no-any-return]

    @staticmethod
    def resolve_unnamed_columns(obj: ImportJob) -> list[str]:
        return list(obj.report.get("table", {}).get("unnamed_columns", []))

    @staticmethod
    def resolve_preview(obj: ImportJob) -> dict[str, Any] | None:
        return obj.report.get("preview")  # type: ignore[no-any-return]

    @staticmethod
    def resolve_run(obj: ImportJob) -> dict[str, Any] | None:
        return obj.report.get("run")  # type: ignore[no-any-return]


SHEET_DESCRIPTION = (
    "the workbook's sheet to import: its name or its 0-based position; "
    "absent: the one chosen before (at upload: the sheet that looks like customers)"
)


class PreviewIn(StrictSchema):
    sheet: str | None = Field(None, max_length=100, description=SHEET_DESCRIPTION)
    mapping: dict[str, str | None] | None = Field(
        None,
        description="column index → field; a null or empty field leaves the column out; "
        "null or absent: the stored mapping (after a change of sheet: the guessed one)",
    )


class RunIn(StrictSchema):
    sheet: str | None = Field(None, max_length=100, description=SHEET_DESCRIPTION)


class Problem(Schema):
    row: int
    column: str
    value: str
    code: str
    message: str


class PreviewOut(Schema):
    ready: bool
    mapping: dict[str, str]
    missing_fields: list[str]
    missing_message: str
    total_rows: int
    valid_rows: int
    error_rows: int
    duplicate_rows: int
    errors_by_code: dict[str, int]
    errors: list[Problem]
    header_row: int | None
    skipped_above_header: int
    unnamed_columns: list[str]
    errors_file: bool
    warning_rows: int = 0
    warnings_by_code: dict[str, int] = {}
    warnings: list[Problem] = []
    opening: dict[str, int] = {}


class UndoOut(Schema):
    at: str
    by: str
    removed: int
    closed: int


class ExportFilters(RequestSchema):
    """Segment filters (see customers.segments); all optional, combined with AND."""

    city: str | None = None
    tag: str | None = None
    language: str | None = None
    source: str | None = None
    spent_min: str | None = None
    spent_max: str | None = None
    purchases_min: str | None = None
    last_purchase_before: str | None = None
    last_purchase_after: str | None = None
    no_purchase_since: str | None = None
    no_purchase_days: str | None = None
    birthday_month: str | None = None
    consent_sms: str | None = None
    consent_email: str | None = None
    created_after: str | None = None
    created_before: str | None = None


def _download(export: ExportFile) -> StreamingHttpResponse:
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition_header(True, export.filename)
    response["Cache-Control"] = "no-store"
    return response


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    require_role(request, Role.MANAGER)
    return get_owned(ImportJob, current_business(request), pk=job_id)


@router.get("/imports", response=list[ImportOut])
@paginate(CursorPagination)
def import_list(request: HttpRequest) -> object:
    require_role(request, Role.MANAGER)
    return import_jobs(current_business(request))


@router.post("/imports", response={200: ImportOut, 201: ImportOut})
def import_post(
    request: HttpRequest,
    file: File[UploadedFile],
    source: Form[str] = "import",
    sheet: Form[str | None] = None,
) -> Status[Any]:
    """Upload a CSV or XLSX file (at most WATEJA_IMPORT_MAX_BYTES). The same file again
    answers 200 with the import it already made. A workbook's sheets are listed in `sheets`
    (rows, titles); `sheet` (name or 0-based position) chooses one, else the sheet that looks
    like customers is chosen (the active sheet is not always the customers)."""
    require_role(request, Role.MANAGER)
    job, created = import_upload(
        business=current_business(request),
        file_name=file.name or "upload",
        fileobj=file,
        source=source,
        sheet=_sheet(sheet),
    )
    return Status(201 if created else 200, job)


def _sheet(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:100] or None


def _choose_sheet(job: ImportJob, sheet: str | None) -> ImportJob:
    """Switch the import to another sheet when asked (only before it started)."""
    wanted = _sheet(sheet)
    if wanted is None:
        return job
    current = job.report.get("table", {}).get("sheet") or ""
    sheets = [str(s["name"]) for s in job.report.get("sheets", [])]
    if wanted == current or (wanted.isdecimal() and sheets[int(wanted) :][:1] == [current]):
        return job
    if job.next_row > 0:
        raise ImportStateError(
            _("This import has already started; its sheet can no longer change."),
            code="import_started",
        )
    return import_sheet_choose(job=job, sheet=wanted)


@router.get("/imports/{job_id}", response=ImportOut)
def import_get(request: HttpRequest, job_id: int) -> ImportJob:
    return _job(request, job_id)


@router.post("/imports/{job_id}/preview", response=PreviewOut)
def import_preview_post(
    request: HttpRequest, job_id: int, payload: PreviewIn | None = None
) -> dict[str, Any]:
    """Dry run over the whole file. `sheet` switches to another sheet of the workbook first.
    `mapping` is {column index: field}; a null or empty field leaves the column out. Without
    it the stored (guessed or confirmed) mapping is used. A row with a bad optional value
    (e-mail, birthday, gender, city…) is counted as valid and listed in `warnings`: it is
    imported without that value."""
    job = _choose_sheet(_job(request, job_id), payload.sheet if payload else None)
    return import_preview(job=job, mapping=payload.mapping if payload else None)


@router.get("/imports/{job_id}/errors.csv")
def import_errors_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    return _download(import_errors_file(job=_job(request, job_id), fmt="csv"))


@router.get("/imports/{job_id}/errors.xlsx")
def import_errors_xlsx(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    return _download(import_errors_file(job=_job(request, job_id), fmt="xlsx"))


@router.post("/imports/{job_id}/run", response={200: ImportOut, 202: ImportOut})
def import_run_post(request: HttpRequest, job_id: int, payload: RunIn | None = None) -> Status[Any]:
    """Import: at once for small files (200), through the worker for big ones (202). With
    `sheet`, that sheet of the workbook (checked with its guessed columns first)."""
    job = _choose_sheet(_job(request, job_id), payload.sheet if payload else None)
    job, queued = import_start(job=job)
    return Status(202 if queued else 200, job)


@router.post("/imports/{job_id}/undo", response=UndoOut)
def import_undo_post(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """Undo a finished import while none of its customers has done anything since (no
    purchase, redemption, message received or change by staff): its customers are removed and
    their opening balances taken back. Otherwise 409 `import_has_activity`, with the customers
    and what each did in `details.customers`, and nothing changes."""
    job = _job(request, job_id)
    return import_undo(job=job, api_key=request.auth)  # type: ignore[attr-defined]


def _export(request: HttpRequest, fmt: str, filters: ExportFilters) -> StreamingHttpResponse:
    require_role(request, Role.MANAGER)
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    with reporting_reads():  # the rows come from the read replica when there is one
        export = customers_export(
            business=current_business(request),
            fmt=fmt,
            filters=filters.dict(exclude_none=True),
            api_key=key,
        )
    export.chunks = reporting_chunks(export.chunks)
    return _download(export)


@router.get("/exports/customers.csv")
def export_customers_csv(
    request: HttpRequest, filters: Query[ExportFilters]
) -> StreamingHttpResponse:
    return _export(request, "csv", filters)


@router.get("/exports/customers.xlsx")
def export_customers_xlsx(
    request: HttpRequest, filters: Query[ExportFilters]
) -> StreamingHttpResponse:
    return _export(request, "xlsx", filters)


def _partner(request: HttpRequest, name: str, fmt: str) -> StreamingHttpResponse:
    require_role(request, Role.MANAGER)
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return _download(
        partner_share_export(
            business=current_business(request), partner_name=name, fmt=fmt, api_key=key
        )
    )


@router.get("/partners/{name}/export.csv")
def partner_export_csv(request: HttpRequest, name: str) -> StreamingHttpResponse:
    """Customers who agreed to share with this partner, with each consent's reference."""
    return _partner(request, name, "csv")


@router.get("/partners/{name}/export.xlsx")
def partner_export_xlsx(request: HttpRequest, name: str) -> StreamingHttpResponse:
    return _partner(request, name, "xlsx")
