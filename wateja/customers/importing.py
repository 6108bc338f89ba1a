"""Importing a customer base from a spreadsheet: upload → mapping → dry run → import.

1. `import_upload` streams the file to ``MEDIA_ROOT/imports/<business id>/`` while hashing it
   (SHA-256) and checking its encoding; the same file again returns the same ImportJob
   (unique business + hash), so a double upload never imports twice. The format is read from
   the content (CSV or XLSX), the header row is found and the columns are guessed.
2. `import_preview` is a dry run over the whole file with the guessed or confirmed mapping:
   counts, the first problems, and a full problem report (row, column, value, code, message)
   written beside the file and downloadable as CSV or XLSX (`import_errors_file`).
3. `import_run` imports in batches: each batch is one transaction (validated rows are
   created with their card, tags and consents; a bad row is skipped and reported, never half
   written), and `job.next_row` moves with the batch, so a crash loses at most the batch it
   was in and a re-run resumes there. The rows are not checked twice: the run reads the
   preview's verdicts back (`_CheckedWriter`) while the file, the columns and the rules they
   depend on are unchanged; duplicates in the base are always checked again. `import_start`
   runs small files at once and hands big ones to the worker.

Rules of a row (the codes are stable; messages follow the active language):
  invalid_phone, invalid_email, missing_name, name_too_long, missing_contact,
  invalid_birthday, invalid_gender, invalid_language, invalid_consent, invalid_card_number,
  too_many_tags, value_too_long, formula_without_value, formula_error,
  duplicate_in_file (an earlier row has the same phone, e-mail or card number: the first
  wins), duplicate_in_base (the phone or e-mail is already a customer's: the row is skipped
  and the existing customer is left as it is — an import never overwrites what staff typed;
  merging is a deliberate act on the duplicates screen), card_in_use.

Profile values go through `services.clean_customer_fields`, the same rules as every other way
in. Rows are written in bulk: on PostgreSQL with COPY (ids taken from the sequences first), on
SQLite with bulk_create.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from wateja.core.cards import new_card_numbers
from wateja.core.chunks import chunked
from wateja.core.contacts import name_key
from wateja.core.errors import Conflict, DomainError, ValidationFailed
from wateja.core.files import open_private, private_folder
from wateja.core.money import InvalidAmount, parse_money
from wateja.core.spreadsheet import (
    FIELDS,
    SYNONYMS,
    CellProblem,
    EncodingSniffer,
    SheetReader,
    SpreadsheetError,
    cell_text,
    column_letter,
    detect_format,
    extract_row,
    likely_sheet,
    restore_cell,
    safe_cell,
    workbook_sheets,
)
from wateja.customers import hooks
from wateja.customers.duplicates import duplicates_refresh_many
from wateja.customers.exporting import ExportFile, check_format, header_synonyms, table_file
from wateja.customers.models import (
    Card,
    CardStatus,
    Channel,
    Consent,
    ConsentSource,
    Customer,
    CustomerTag,
    FileRemoval,
    ImportJob,
    ImportStatus,
    Interaction,
    InteractionKind,
    Source,
    Tag,
)
from wateja.customers.privacy import Reach, anonymous_profile
from wateja.customers.services import MAX_TAGS, PROFILE_FIELDS, clean_customer_fields
from wateja.tenants.models import Business
from wateja.tenants.services import audit_record

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SYNC_MAX_ROWS = 5000  # bigger files go to the worker
ERROR_SAMPLE = 50  # problems kept in the job report; the file has them all
CHECK_CHUNK = 1000  # rows per duplicate-in-base query during the preview
STALE_AFTER = dt.timedelta(minutes=10)  # a "running" import without progress may be resumed
READ_CHUNK = 1 << 20
# rows counted per sheet when a workbook's sheets are listed (beyond: "100000+"), so the
# upload of a big workbook stays quick; the check counts every row of the chosen sheet
SHEET_COUNT_LIMIT = 100_000

FIELD_LABELS: dict[str, Any] = {
    "name": gettext_lazy("Name"),
    "last_name": gettext_lazy("Last name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "city": gettext_lazy("City"),
    "birthday": gettext_lazy("Birthday"),
    "gender": gettext_lazy("Gender"),
    "language": gettext_lazy("Language"),
    "notes": gettext_lazy("Notes"),
    "tags": gettext_lazy("Tags"),
    "card_number": gettext_lazy("Card number"),
    "consent_sms": gettext_lazy("SMS consent (yes/no)"),
    "consent_email": gettext_lazy("E-mail consent (yes/no)"),
    "partner_name": gettext_lazy("Shared by (partner)"),
    "partner_consent_id": gettext_lazy("Partner consent reference"),
    "partner_consent_at": gettext_lazy("Partner consent recorded at"),
    "partner_consent_text": gettext_lazy("Partner consent text"),
    "opening_points": gettext_lazy("Points balance (opening)"),
    "opening_stamps": gettext_lazy("Stamps collected (opening)"),
    "opening_store_credit": gettext_lazy("Store credit balance (opening)"),
    "opening_cashback": gettext_lazy("Cashback balance (opening)"),
}
# balances carried over from the system used before: posted by the wallet (a hook) as one
# "opening balance (import)" operation per customer, in the same transaction as the customer
OPENING_FIELDS = ("opening_points", "opening_stamps", "opening_store_credit", "opening_cashback")
OPENING_MONEY = ("opening_store_credit", "opening_cashback")
OPENING_BALANCE_FIELDS = ("opening_points", *OPENING_MONEY)  # posted by the wallet
OPENING_BATCH = 100  # rows per transaction when balances are posted with them
IMPORT_FIELDS = (*FIELDS, *OPENING_FIELDS)
OPENING_SYNONYMS: dict[str, tuple[str, ...]] = {
    "opening_points": (
        "points", "points balance", "loyalty points", "bonus points", "balance points",
        "pointi", "alama", "alama za uaminifu", "միավորներ", "բալեր", "բոնուսներ", "баллы",
        "бонусы", "бонусные баллы", "баланс баллов",
    ),
    "opening_stamps": (
        "stamps", "stamp", "stamp count", "stamps collected", "mihuri", "muhuri", "կնիքներ",
        "կնիք", "штампы", "штамп", "марки", "отметки",
    ),
    "opening_store_credit": (
        "store credit", "credit balance", "deposit", "prepaid", "prepaid balance", "amana",
        "salio la amana", "կանխավճար", "դեպոզիտ", "депозит", "предоплата", "аванс",
    ),
    "opening_cashback": ("cashback", "cash back", "кэшбэк", "кешбэк", "քեշբեք"),
}  # fmt: skip
CUSTOMER_SYNONYMS: dict[str, tuple[str, ...]] = {**SYNONYMS, **OPENING_SYNONYMS}
MAX_OPENING_POINTS = 10**9
MAX_OPENING_STAMPS = 10_000
# fields a row can go without: a bad value is left out and the row imported with a warning
OPTIONAL_FIELDS = frozenset(
    {"email", "city", "birthday", "gender", "language", "notes", "consent_sms", "consent_email"}
)
MAX_LENGTHS = {"city": 100}
# every customer row written in bulk has every profile column (COPY needs the same columns)
BLANK_PROFILE: dict[str, Any] = {
    name: None if name.startswith("birth_") else "" for name in PROFILE_FIELDS
}

# --------------------------------------------------------------------------------------------
# Errors


class ImportFileError(DomainError):
    """The file as a whole cannot be imported."""

    code = "import_file_invalid"
    status = 422


class FileTooLarge(ImportFileError):
    code = "file_too_large"
    status = 413


class FileEmpty(ImportFileError):
    code = "file_empty"


class UnsupportedFormat(ImportFileError):
    code = "unsupported_format"


class FileUnreadable(ImportFileError):
    code = "file_unreadable"


class MappingInvalid(ValidationFailed):
    code = "invalid_mapping"


class MappingIncomplete(ImportFileError):
    code = "mapping_incomplete"


class ImportStateError(Conflict):
    code = "import_state"


class SheetNotFound(ImportFileError):
    code = "sheet_not_found"


class ImportHasActivity(Conflict):
    code = "import_has_activity"


class FileErased(ImportFileError):
    code = "file_erased"
    status = 409


class FileRemoved(ImportStateError):
    code = "file_removed"


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def file_too_large() -> FileTooLarge:
    limit = max_bytes()
    return FileTooLarge(
        _("The file is larger than %(size)s MB. Split it into smaller files.")
        % {"size": round(limit / (1024 * 1024), 1)},
        details={"limit_bytes": limit},
    )


def _file_error(error: SpreadsheetError) -> ImportFileError:
    """The user's words for what is wrong with the file as a whole."""
    details: dict[str, Any] = {"reason": error.code}
    if error.row is not None:
        details["row"] = error.row
    if error.code == "file_empty":
        return FileEmpty(_("The file is empty: there are no rows to import."), details=details)
    if error.code == "sheet_not_found":
        details["sheet"] = error.detail
        return SheetNotFound(
            _("The workbook has no sheet “%(sheet)s”.") % {"sheet": error.detail}, details=details
        )
    if error.code == "unsupported_format":
        details["detected"] = error.detail
        if error.detail == "xls":
            message = _(
                "This is an old Excel (.xls) file or a password-protected workbook. "
                "Save it as Excel Workbook (.xlsx) or CSV and upload it again."
            )
        elif error.detail == "ods":
            message = _("OpenDocument spreadsheets are not supported: save it as .xlsx or CSV.")
        else:
            message = _("This is not a spreadsheet. Upload a CSV or an Excel (.xlsx) file.")
        return UnsupportedFormat(message, details=details)
    if error.code == "bad_encoding":
        return FileUnreadable(
            _(
                "The text of the file cannot be read from row %(row)s on (mixed encodings). "
                'Save it as "CSV UTF-8" and upload it again.'
            )
            % {"row": error.row},
            code="bad_encoding",
            details=details,
        )
    if error.code == "bad_csv":
        return FileUnreadable(
            _("The CSV file is broken at row %(row)s: check the quotes in that row.")
            % {"row": error.row},
            code="bad_csv",
            details=details,
        )
    return FileUnreadable(
        _("The file cannot be read; it may be damaged. Save it again as .xlsx or CSV."),
        details=details,
    )


def _row_message(code: str, **params: Any) -> str:
    messages = {
        "missing_name": _("Enter a name."),
        "missing_contact": _("Give a phone number or an e-mail address."),
        "invalid_birthday": _("Not a date: write it as DD.MM.YYYY or DD.MM."),
        "invalid_gender": _("Unknown gender: write female, male or other."),
        "invalid_language": _("Unknown language: write en, sw, hy or ru."),
        "invalid_consent": _("Write yes or no."),
        "invalid_card_number": _("A card number has 4 to 20 digits."),
        "too_many_tags": _("At most %(count)s tags.") % {"count": MAX_TAGS},
        "value_too_long": _("Too long: at most %(max)s characters.") % {"max": params.get("max")},
        "formula_without_value": _(
            "This cell holds a formula that was never calculated. Open the file in Excel and "
            "save it, or paste the values."
        ),
        "formula_error": _("This cell holds a formula error (%(value)s).")
        % {"value": params.get("value", "")},
        "duplicate_in_file": _("The same %(field)s is already in row %(row)s of this file.")
        % {"field": params.get("field", ""), "row": params.get("row")},
        "duplicate_in_base": _(
            "A customer with this %(field)s is already in the base (#%(id)s); skipped."
        )
        % {"field": params.get("field", ""), "id": params.get("id")},
        "card_in_use": _("This card number belongs to another customer (#%(id)s).")
        % {"id": params.get("id")},
        "invalid_points": _("Not a number of points: write a whole number such as 1250."),
        "invalid_stamps": _("Not a number of stamps: write a whole number such as 3."),
        "invalid_amount": _("Not an amount of money: write it as 1,250.50 or 1250."),
        "negative_balance": _("A balance carried over cannot be below zero."),
        "balance_too_large": _("Too large for a balance carried over."),
    }
    return str(messages.get(code, code))


def _field_word(field_name: str) -> str:
    words = {
        "phone": _("phone"),
        "email": _("e-mail"),
        "card_number": _("card number"),
        "city": _("city"),
        "birthday": _("birthday"),
        "gender": _("gender"),
        "language": _("language"),
        "notes": _("notes"),
        "consent_sms": _("SMS consent"),
        "consent_email": _("e-mail consent"),
    }
    return str(words.get(field_name, field_name))


def _without_message(field_name: str, problem: str) -> str:
    """A warning: the row is imported, without this field's value."""
    return _("Imported without the %(field)s: %(problem)s") % {
        "field": _field_word(field_name),
        "problem": problem,
    }


# --------------------------------------------------------------------------------------------
# Storage


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _job_path(job: ImportJob) -> Path:
    return _media_root() / job.file_path


def _side_file(job: ImportJob, kind: str) -> Path:
    return _job_path(job).with_name(f"{job.file_sha256}-{kind}-errors.csv")


def _checked_file(job: ImportJob) -> Path:
    """The preview's verdict on every row (see CheckedRows), beside the upload."""
    return _job_path(job).with_name(f"{job.file_sha256}-checked-rows.jsonl")


def _job_sheet(job: ImportJob) -> str | None:
    """The sheet of the workbook being imported (None: a CSV file, or the active sheet)."""
    if job.file_format != "xlsx":
        return None
    return job.report.get("table", {}).get("sheet") or None


@contextlib.contextmanager
def _reader(
    job: ImportJob, *, header_row: int | None = None, sheet: str | int | None = None
) -> Iterator[SheetReader]:
    path = _job_path(job)
    if job.file_removed_at is not None:
        raise file_removed_error(job)
    if not path.exists():
        raise FileUnreadable(
            _("The uploaded file is no longer stored. Upload it again."), code="file_missing"
        )
    try:
        with SheetReader(
            path,
            job.file_format,
            encoding=job.encoding or "utf-8",
            delimiter=job.report.get("table", {}).get("delimiter", ""),
            extra_synonyms=header_synonyms(),
            header_row=header_row,
            fields=CUSTOMER_SYNONYMS,
            sheet=sheet if sheet is not None else _job_sheet(job),
        ) as reader:
            yield reader
    except SpreadsheetError as error:
        raise _file_error(error) from None


def _table_report(sheet: SheetReader) -> dict[str, Any]:
    table = sheet.table
    return {
        "header_row": table.header_row,
        "headers": table.headers,
        "width": table.width,
        "skipped_above": table.skipped_above,
        "unnamed_columns": [column_letter(i) for i in table.unnamed_columns],
        "delimiter": table.delimiter,
        "sheet": table.sheet,
    }


def import_upload(
    *,
    business: Business,
    file_name: str,
    fileobj: IO[bytes],
    created_by: User | None = None,
    source: str = Source.IMPORT,
    sheet: str | int | None = None,
) -> tuple[ImportJob, bool]:
    """Store an uploaded spreadsheet and read its header: (job, created). The same file
    (same SHA-256) uploaded again returns the existing job and created=False (an import that
    was undone starts over). A workbook's sheets are listed in ``report["sheets"]``; `sheet`
    (title or 0-based position) chooses one, else the one that looks like customers."""
    if source not in (Source.IMPORT, Source.PARTNER):
        raise ValidationFailed.fields(_("Some fields are not valid."), {"source": _("Unknown.")})
    directory = _media_root() / "imports" / str(business.pk)
    private_folder(directory)
    handle, temp_name = tempfile.mkstemp(dir=directory, prefix=".upload-")  # 0600
    temp = Path(temp_name)
    try:
        digest, sniffer = _store(fileobj, handle)
        sha = digest.hexdigest()
        existing = ImportJob.objects.for_business(business).filter(file_sha256=sha).first()
        if existing is not None:
            if existing.report.get("erasure"):
                raise FileErased(
                    _(
                        "This file holds a customer whose data was erased, so it cannot be "
                        "imported again. Remove that customer's row, save the file and upload "
                        "it again."
                    )
                )
            if existing.status != ImportStatus.DONE and not _job_path(existing).exists():
                # the stored copy was deleted (after the retention period): the import still
                # needs it, so this upload brings it back, and its time starts again
                os.replace(temp, _job_path(existing))
                _job_path(existing).chmod(0o600)
                existing.file_stored_at = timezone.now()
                existing.file_removed_at = None
                existing.file_removed_reason = ""
                existing.save(
                    update_fields=["file_stored_at", "file_removed_at", "file_removed_reason"]
                )
            if existing.status == ImportStatus.UNDONE:
                _start_over(existing)
            if sheet not in (None, "") and existing.next_row == 0:
                wanted = _sheet_name(existing, sheet)
                if wanted != _job_sheet(existing):
                    existing = import_sheet_choose(job=existing, sheet=wanted)
            return existing, False
        try:
            file_format = detect_format(temp)
        except SpreadsheetError as error:
            raise _file_error(error) from None
        encoding = sniffer.encoding() if file_format == "csv" else ""
        final = directory / f"{sha}.{file_format}"
        os.replace(temp, final)
        final.chmod(0o600)
        job = ImportJob(
            business=business,
            file_name=Path(file_name or "upload").name[:255],
            file_path=str(final.relative_to(_media_root())),
            file_sha256=sha,
            file_format=file_format,
            encoding=encoding,
            source=source,
            created_by=created_by if created_by and created_by.is_authenticated else None,
            file_stored_at=timezone.now(),
        )
        try:
            sheets = _list_sheets(final, file_format)
            job.report = {"sheets": sheets} if sheets else {}
            if sheets:
                chosen: str | None = (
                    _sheet_name(job, sheet)
                    if sheet not in (None, "")
                    else sheets[_likely(sheets)]["name"]
                )
            else:
                chosen = None
            _read_table(job, chosen)
        except ImportFileError:
            final.unlink(missing_ok=True)
            raise
        try:
            with transaction.atomic():
                job.save()
        except IntegrityError:  # the same file uploaded twice at the same moment
            return ImportJob.objects.for_business(business).get(file_sha256=sha), False
        return job, True
    finally:
        temp.unlink(missing_ok=True)


def _list_sheets(path: Path, file_format: str) -> list[dict[str, Any]]:
    try:
        found = workbook_sheets(
            path,
            file_format,
            extra_synonyms=header_synonyms(),
            fields=CUSTOMER_SYNONYMS,
            count_limit=SHEET_COUNT_LIMIT,
        )
    except SpreadsheetError as error:
        raise _file_error(error) from None
    if not found:
        return []
    likely = likely_sheet(found)
    return [{**info.as_dict(), "likely": info.index == likely} for info in found]


def _likely(sheets: Sequence[Mapping[str, Any]]) -> int:
    return next((i for i, s in enumerate(sheets) if s.get("likely")), 0)


def _sheet_name(job: ImportJob, sheet: str | int) -> str:
    """The title of the sheet asked for by title (any case) or 0-based position."""
    sheets = job.report.get("sheets") or []
    names = [str(s["name"]) for s in sheets]
    text = str(sheet).strip()
    if text in names:
        return text
    for name in names:
        if name.casefold() == text.casefold():
            return name
    if text.isdecimal() and int(text) < len(names):
        return names[int(text)]
    if not names and text in ("0", str(job.report.get("table", {}).get("sheet", ""))):
        return str(job.report.get("table", {}).get("sheet", ""))
    raise SheetNotFound(
        _("The workbook has no sheet “%(sheet)s”. Its sheets: %(names)s.")
        % {"sheet": text, "names": ", ".join(names) or "—"},
        details={"sheet": text, "sheets": names},
    )


def _read_table(job: ImportJob, sheet: str | None) -> None:
    """Read the header of the job's file (of `sheet` in a workbook): titles, guessed columns."""
    with _reader(job, sheet=sheet or None) as reader:
        if not reader.has_data:
            if sheet:
                raise FileEmpty(
                    _("The sheet “%(sheet)s” has no rows to import: choose another sheet.")
                    % {"sheet": sheet},
                    details={"header_row": reader.table.header_row, "sheet": sheet},
                )
            raise FileEmpty(
                _("The file has titles but no rows to import."),
                details={"header_row": reader.table.header_row},
            )
        table = _table_report(reader)
        guessed = _stored_mapping(reader.guessed)
    job.report = {
        **{k: v for k, v in job.report.items() if k in ("sheets", "undone")},
        "table": table,
        "guessed_mapping": dict(guessed),
    }
    job.mapping = guessed


def import_sheet_choose(*, job: ImportJob, sheet: str | int) -> ImportJob:
    """Import another sheet of the workbook: its titles are read and its columns guessed
    again; the earlier check is forgotten. Only before the import has started."""
    job.refresh_from_db()
    _check_state(job)
    name = _sheet_name(job, sheet)
    _read_table(job, name)
    job.status = ImportStatus.UPLOADED
    job.total_rows = 0
    job.save(update_fields=["report", "mapping", "status", "total_rows"])
    return job


def _start_over(job: ImportJob) -> None:
    """An undone import uploaded again: it starts over from the column choice."""
    undone = job.report.get("undo")
    job.report = {
        **{k: v for k, v in job.report.items() if k in ("sheets", "table", "guessed_mapping")},
        "undone": [*job.report.get("undone", []), *([undone] if undone else [])],
    }
    job.status = ImportStatus.UPLOADED
    job.next_row = job.total_rows = 0
    job.created_count = job.updated_count = job.skipped_count = job.error_count = 0
    job.finished_at = None
    job.save()


def _store(fileobj: IO[bytes], handle: int) -> tuple[Any, EncodingSniffer]:
    limit = max_bytes()
    digest = hashlib.sha256()
    sniffer = EncodingSniffer()
    size = 0
    with os.fdopen(handle, "wb") as out:
        while chunk := fileobj.read(READ_CHUNK):
            size += len(chunk)
            if size > limit:
                raise file_too_large()
            digest.update(chunk)
            sniffer.feed(chunk)
            out.write(chunk)
    if size == 0:
        raise FileEmpty(_("The file is empty: there are no rows to import."))
    return digest, sniffer


# --------------------------------------------------------------------------------------------
# Mapping


def _stored_mapping(mapping: Mapping[int, str]) -> dict[str, str]:
    return {str(index): name for index, name in sorted(mapping.items())}


def job_mapping(job: ImportJob) -> dict[int, str]:
    return {int(index): name for index, name in (job.mapping or {}).items()}


def clean_mapping(job: ImportJob, raw: Mapping[Any, Any]) -> dict[int, str]:
    """A mapping confirmed by the user: {column index: field}; empty values ignore a column."""
    width = int(job.report.get("table", {}).get("width", 0))
    errors: dict[str, Any] = {}
    mapping: dict[int, str] = {}
    for key, value in raw.items():
        try:
            index = int(key)
            if not 0 <= index < width:
                raise ValueError(index)
        except (TypeError, ValueError):
            errors[str(key)] = _("No such column.")
            continue
        if value in (None, "", "ignore"):
            continue
        if value not in IMPORT_FIELDS:
            errors[str(key)] = _("Unknown field.")
        elif value in mapping.values():
            errors[str(key)] = _("%(field)s is chosen for two columns.") % {
                "field": FIELD_LABELS[value]
            }
        else:
            mapping[index] = value
    if errors:
        raise MappingInvalid.fields(_("The column choice is not valid."), errors)
    return dict(sorted(mapping.items()))


def missing_fields(mapping: Mapping[int, str]) -> list[str]:
    """What the mapping still needs: "name", and "phone" (meaning a phone or an e-mail)."""
    chosen = set(mapping.values())
    missing = []
    if not chosen & {"name", "last_name"}:
        missing.append("name")
    if not chosen & {"phone", "email"}:
        missing.append("phone")
    return missing


def _missing_message(missing: Sequence[str]) -> str:
    parts = []
    if "name" in missing:
        parts.append(_("Choose the column with the name."))
    if "phone" in missing:
        parts.append(_("Choose the column with the phone number or the e-mail."))
    return " ".join(parts)


# --------------------------------------------------------------------------------------------
# Checking rows


@dataclass
class Issue:
    row: int
    column: str
    value: str
    code: str
    message: str
    warning: bool = False  # the row is imported without this value

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message,
            "level": "warning" if self.warning else "error",
        }


@dataclass
class Candidate:
    """A row that passed every check of its own and will be created (unless in the base)."""

    row: int
    values: dict[str, Any]
    tags: list[str]
    consents: dict[str, bool]
    card_number: str
    partner: dict[str, str]
    warnings: list[Issue] = field(default_factory=list)
    opening: dict[str, int] = field(default_factory=dict)  # opening_* field → amount
    name_key: str = ""  # contacts.name_key of the name, once computed


@dataclass
class _Tally:
    total: int = 0
    valid: int = 0
    errors: int = 0
    duplicates: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    sample: list[dict[str, Any]] = field(default_factory=list)
    warning_rows: int = 0
    warning_codes: Counter[str] = field(default_factory=Counter)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    opening: Counter[str] = field(default_factory=Counter)

    def add_valid(self, candidate: Candidate) -> None:
        self.valid += 1
        self.opening.update(candidate.opening)
        if candidate.warnings:
            self.warning_rows += 1
        for issue in candidate.warnings:
            self.warning_codes[issue.code] += 1
            if len(self.warnings) < ERROR_SAMPLE:
                self.warnings.append(issue.as_dict())

    def add(self, issues: Sequence[Issue]) -> None:
        if any(i.code in ("duplicate_in_file", "duplicate_in_base") for i in issues):
            self.duplicates += 1
        else:
            self.errors += 1
        for issue in issues:
            self.codes[issue.code] += 1
            if len(self.sample) < ERROR_SAMPLE:
                self.sample.append(issue.as_dict())


def _tag_names(tags: Iterable[str]) -> list[str]:
    # the same rule as services.tags_set: trimmed, lower case, at most 50 characters
    return sorted({t.strip().lower()[:50] for t in tags if t and t.strip()})


def _int_key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class _RowChecker:
    """Checks rows one by one and remembers the phones, e-mails and card numbers seen, so a
    repeated one is reported as duplicate_in_file (8-byte keys: ~100 MB for a million rows)."""

    def __init__(self, job: ImportJob, mapping: Mapping[int, str], headers: Sequence[str]):
        self.business = job.business
        self.mapping = dict(mapping)
        self.columns = {name: index for index, name in mapping.items()}
        self.labels = {
            index: (
                f"{column_letter(index)} ({headers[index]})"
                if index < len(headers) and headers[index]
                else column_letter(index)
            )
            for index in mapping
        }
        self.seen: dict[str, dict[int, int]] = {"phone": {}, "email": {}, "card_number": {}}

    def label(self, field_name: str) -> str:
        if field_name in ("birth_day", "birth_month", "birth_year"):
            field_name = "birthday"
        if field_name == "name" and "name" not in self.columns:
            field_name = "last_name"
        index = self.columns.get(field_name)
        if index is None and field_name == "phone":
            index = self.columns.get("email")
        return self.labels.get(index, "") if index is not None else ""

    def _cell(self, cells: Sequence[object], field_name: str) -> str:
        index = self.columns.get(field_name)
        if index is None or index >= len(cells):
            return ""
        return cell_text(cells[index])[:200]

    def check(self, number: int, cells: Sequence[object]) -> Candidate | list[Issue]:
        data = extract_row(cells, self.mapping)
        issues: list[Issue] = []
        warnings: list[Issue] = []
        for name, code, text in data.issues:
            message = _row_message(code, value=text)
            if name in OPTIONAL_FIELDS:
                warnings.append(
                    Issue(
                        number,
                        self.label(name),
                        text[:200],
                        code,
                        _without_message(name, message),
                        warning=True,
                    )
                )
            else:
                issues.append(Issue(number, self.label(name), text[:200], code, message))
        failed = {name for name, _code, _text in data.issues}
        profile = dict(data.profile)
        left_out: dict[str, Issue] = {}  # optional fields dropped from the profile
        values: dict[str, Any] = {}
        for _attempt in range(len(OPTIONAL_FIELDS) + 1):
            try:
                values = clean_customer_fields(self.business, profile)
                break
            except ValidationFailed as error:
                values = {}
                retry = False
                for name, problems in error.details.get("fields", {}).items():
                    if name in failed or (name.startswith("birth_") and "birthday" in failed):
                        continue
                    code = {
                        "phone": "invalid_phone",
                        "email": "invalid_email",
                        "language": "invalid_language",
                        "gender": "invalid_gender",
                    }.get(
                        name, "invalid_birthday" if name.startswith("birth_") else "invalid_value"
                    )
                    if name == "name":
                        code = "missing_name" if not profile.get("name") else "name_too_long"
                    source = "birthday" if name.startswith("birth_") else name
                    message = str(problems[0]) if problems else code
                    issue = Issue(
                        number, self.label(name), self._cell(cells, source), code, message
                    )
                    if source in OPTIONAL_FIELDS and source not in left_out:
                        left_out[source] = issue
                        dropped = (
                            ("birth_day", "birth_month", "birth_year")
                            if source == "birthday"
                            else (name,)
                        )
                        for key in dropped:
                            profile.pop(key, None)
                        retry = True
                    elif source not in left_out:
                        issues.append(issue)
                if not retry or issues:
                    break
        for source, issue in left_out.items():
            warnings.append(
                Issue(
                    issue.row,
                    issue.column,
                    issue.value,
                    issue.code,
                    _without_message(source, issue.message),
                    warning=True,
                )
            )
        if not issues and not values.get("phone") and not values.get("email"):
            # without a phone, the e-mail is what the row needs: a bad one rejects it
            bad_email = left_out.get("email") or next(
                (w for w in warnings if w.code == "invalid_email"), None
            )
            if bad_email is not None:
                issues.append(
                    Issue(
                        number,
                        bad_email.column,
                        bad_email.value,
                        bad_email.code,
                        str(_("Enter a valid e-mail address.")),
                    )
                )
        if not issues:
            for name, limit in MAX_LENGTHS.items():
                if len(values.get(name) or "") > limit:
                    warnings.append(
                        Issue(
                            number,
                            self.label(name),
                            values[name][:200],
                            "value_too_long",
                            _without_message(name, _row_message("value_too_long", max=limit)),
                            warning=True,
                        )
                    )
                    values[name] = ""
            if not values.get("phone") and not values.get("email") and "phone" not in failed:
                issues.append(
                    Issue(
                        number,
                        self.label("phone"),
                        "",
                        "missing_contact",
                        _row_message("missing_contact"),
                    )
                )
            tags = _tag_names(data.tags)
            if len(tags) > MAX_TAGS:
                issues.append(
                    Issue(
                        number,
                        self.label("tags"),
                        ", ".join(data.tags)[:200],
                        "too_many_tags",
                        _row_message("too_many_tags"),
                    )
                )
        opening = self._opening(number, cells, issues)
        if issues:
            return issues
        keys = self._keys(values, data.card_number)
        for name, key in keys:
            first = self.seen[name].get(key)
            if first is not None:
                value = data.card_number if name == "card_number" else values[name]
                return [
                    Issue(
                        number,
                        self.label(name),
                        value,
                        "duplicate_in_file",
                        _row_message("duplicate_in_file", field=_field_word(name), row=first),
                    )
                ]
        for name, key in keys:
            self.seen[name][key] = number
        return Candidate(
            number,
            values,
            tags,
            data.consents,
            data.card_number,
            data.partner,
            warnings=sorted(warnings, key=lambda w: w.column),
            opening=opening,
        )

    def _opening(self, number: int, cells: Sequence[object], issues: list[Issue]) -> dict[str, int]:
        """The balances carried over in this row ({opening field: amount}, zeros left out);
        a value that is not a number is the row's error (the customer is not written
        without the balance the owner expects them to have)."""
        found: dict[str, int] = {}
        for name in OPENING_FIELDS:
            index = self.columns.get(name)
            if index is None or index >= len(cells):
                continue
            raw = cells[index]
            text = restore_cell(cell_text(raw))
            if isinstance(raw, CellProblem):
                issues.append(
                    Issue(
                        number, self.label(name), raw.text[:200], raw.code, _row_message(raw.code)
                    )
                )
                continue
            if not text:
                continue
            try:
                amount = self._amount(name, raw, text)
            except ValueError as error:
                code = str(error)
                issues.append(Issue(number, self.label(name), text[:200], code, _row_message(code)))
                continue
            if amount:
                found[name] = amount
        return found

    def _amount(self, name: str, raw: object, text: str) -> int:
        """The amount of one opening cell: whole points or stamps, or money in minor units of
        the business's currency ("1,250.50", "1 250,50", "KES 1,250"). ValueError(code)."""
        if name in OPENING_MONEY:
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                text = f"{raw:.10f}".rstrip("0").rstrip(".")
            try:
                money = parse_money(text, self.business.currency, self.business.default_language)
            except (InvalidAmount, ValueError):
                raise ValueError("invalid_amount") from None
            amount = money.amount_minor
            limit = 10**12
        else:
            code = "invalid_points" if name == "opening_points" else "invalid_stamps"
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError(code)
            digits = "".join(ch for ch in text if ch not in " \u00a0\u202f,'")
            if digits.endswith(".0"):
                digits = digits[:-2]
            try:
                amount = int(digits)
            except ValueError:
                raise ValueError(code) from None
            limit = MAX_OPENING_POINTS if name == "opening_points" else MAX_OPENING_STAMPS
        if amount < 0:
            raise ValueError("negative_balance")
        if amount > limit:
            raise ValueError("balance_too_large")
        return amount

    @staticmethod
    def _keys(values: Mapping[str, Any], card_number: str) -> list[tuple[str, int]]:
        keys = []
        if values.get("phone"):
            keys.append(("phone", int(values["phone"].lstrip("+"))))
        if values.get("email"):
            keys.append(("email", _int_key(values["email"])))
        if card_number:
            keys.append(("card_number", int("1" + card_number)))
        return keys


def _existing(
    model: type[models.Model], business: Business, column: str, values: list[str], result: str
) -> dict[str, int]:
    """{value: `result` column} of the business's rows whose `column` is one of `values`.
    The query repeats the partial unique indexes' condition (column <> ''), so PostgreSQL uses
    them for any number of values; there the values go as one array (no IN list to build)."""
    if not values:
        return {}
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        col, table = quote(column), quote(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {col}, {quote(result)} FROM {table} "  # noqa: S608 - names quoted
                f"WHERE business_id = %s AND {col} = ANY(%s) AND {col} <> ''",
                [business.pk, values],
            )
            return dict(cursor.fetchall())
    rows = (
        model._default_manager.filter(business_id=business.pk, **{f"{column}__in": values})
        .exclude(**{column: ""})
        .values_list(column, result)
    )
    return dict(rows)


def _in_base(business: Business, candidates: Sequence[Candidate]) -> dict[int, Issue]:
    """The candidates whose phone or e-mail is already a customer's, or whose card number is
    already a card's: {row: issue}. Every row of the table counts, as the unique keys do."""
    phones = [c.values["phone"] for c in candidates if c.values.get("phone")]
    emails = [c.values["email"] for c in candidates if c.values.get("email")]
    cards = [c.card_number for c in candidates if c.card_number]
    by_phone = _existing(Customer, business, "phone", phones, "id")
    by_email = _existing(Customer, business, "email", emails, "id")
    by_card = _existing(Card, business, "number", cards, "customer_id")
    found: dict[int, Issue] = {}
    for c in candidates:
        for name, table in (("phone", by_phone), ("email", by_email)):
            value = c.values.get(name)
            if value and value in table:
                found[c.row] = Issue(
                    c.row,
                    "",
                    value,
                    "duplicate_in_base",
                    _row_message("duplicate_in_base", field=_field_word(name), id=table[value]),
                )
                break
        else:
            if c.card_number and c.card_number in by_card:
                found[c.row] = Issue(
                    c.row,
                    "",
                    c.card_number,
                    "card_in_use",
                    _row_message("card_in_use", id=by_card[c.card_number]),
                )
    return found


class _ErrorsFile:
    """The problem report beside the upload: row, column, value, code, message."""

    def __init__(self, path: Path, *, append: bool = False) -> None:
        fresh = not append or not path.exists()
        # rows of customers' data: readable by this user only
        self.handle = open_private(path, "w" if fresh else "a", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle)
        if fresh:
            self.handle.write("\ufeff")
            self.writer.writerow(
                [_("Row"), _("Column"), _("Value"), _("Problem code"), _("Problem"), _("Outcome")]
            )

    def write(self, issues: Iterable[Issue]) -> None:
        imported, left_out = _("imported without this value"), _("row not imported")
        for i in issues:
            self.writer.writerow(
                [
                    i.row,
                    i.column,
                    safe_cell(i.value),
                    i.code,
                    i.message,
                    imported if i.warning else left_out,
                ]
            )

    def close(self) -> None:
        self.handle.close()


def _fill_columns(checker: _RowChecker, issue: Issue, candidate: Candidate) -> Issue:
    if not issue.column:
        field_name = (
            "card_number"
            if issue.code == "card_in_use"
            else ("phone" if issue.value == candidate.values.get("phone") else "email")
        )
        issue.column = checker.label(field_name)
    return issue


# --------------------------------------------------------------------------------------------
# The preview's verdicts, kept for the run

CHECKED_VERSION = 1  # change when a row's checks or the stored form of a verdict change
CHECKED_CHUNK = 1000  # rows per line of the file


def _checked_key(job: ImportJob, mapping: Mapping[int, str]) -> dict[str, Any]:
    """What the verdicts on the rows depend on, besides the rules of this version: the file
    (its SHA-256) and how it is read, the columns chosen, the business's country (phones),
    currency and language (amounts), the language of the messages and the year (birthdays)."""
    table = job.report.get("table", {})
    business = job.business
    return {
        "version": CHECKED_VERSION,
        "sha256": job.file_sha256,
        "mapping": _stored_mapping(mapping),
        "header_row": table.get("header_row"),
        "sheet": table.get("sheet"),
        "delimiter": table.get("delimiter", ""),
        "encoding": job.encoding,
        "country": business.country,
        "currency": business.currency,
        "default_language": business.default_language,
        "language": get_language(),
        "year": timezone.now().year,
    }


_Verdicts = Generator[Candidate | list[Issue], None, None]


def _issue_fields(issue: Issue) -> list[Any]:
    return [issue.row, issue.column, issue.value, issue.code, issue.message, issue.warning]


class _CheckedWriter:
    """The preview's verdict on every row, in order, in a private file beside the upload, so
    the run does not check the rows again: JSON lines, the key (`_checked_key`) first, then
    chunks of rows, each a candidate ["c", row, values, tags, consents, card number, partner,
    warnings, opening balances, name key] or a refused row ["i", issues]. The file appears
    (atomically) only once the preview has read the whole file; it goes with the upload."""

    def __init__(self, job: ImportJob, key: Mapping[str, Any]) -> None:
        self.path = _checked_file(job)
        self.path.unlink(missing_ok=True)
        handle, self.temp = tempfile.mkstemp(dir=self.path.parent, prefix=".checked-")  # 0600
        self.handle = os.fdopen(handle, "w", encoding="utf-8")
        self.handle.write(json.dumps(key) + "\n")
        self.chunk: list[list[Any]] = []

    def add(self, checked: Candidate | list[Issue]) -> None:
        if isinstance(checked, Candidate):
            c = checked
            c.name_key = c.name_key or name_key(c.values["name"])
            warnings = [_issue_fields(w) for w in c.warnings]
            self.chunk.append(
                [
                    *("c", c.row, c.values, c.tags, c.consents, c.card_number, c.partner),
                    *(warnings, c.opening, c.name_key),
                ]
            )
        else:
            self.chunk.append(["i", [_issue_fields(i) for i in checked]])
        if len(self.chunk) >= CHECKED_CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.chunk:
            self.handle.write(json.dumps(self.chunk, separators=(",", ":")) + "\n")
            self.chunk = []

    def finish(self) -> None:
        self._flush()
        self.handle.close()
        os.replace(self.temp, self.path)

    def abandon(self) -> None:
        self.handle.close()
        Path(self.temp).unlink(missing_ok=True)


def _stored_verdicts(job: ImportJob, mapping: Mapping[int, str]) -> _Verdicts | None:
    """The preview's verdicts, in row order, when it checked this very file with these
    columns under the same rules; None otherwise (the rows are then checked again)."""
    if job.file_removed_at is not None:
        return None
    try:
        handle = _checked_file(job).open(encoding="utf-8")
    except OSError:
        return None
    try:
        stored = json.loads(handle.readline())
    except ValueError:
        stored = None
    if stored != _checked_key(job, mapping):
        handle.close()
        return None
    return _read_verdicts(handle)


def _read_verdicts(handle: IO[str]) -> _Verdicts:
    with handle:
        for line in handle:
            for record in json.loads(line):
                if record[0] == "c":
                    _c, row, values, tags, consents, card, partner, warned, opening, key = record
                    yield Candidate(
                        row,
                        values,
                        tags,
                        consents,
                        card,
                        partner,
                        warnings=[Issue(*w) for w in warned],
                        opening=opening,
                        name_key=key,
                    )
                else:
                    yield [Issue(*i) for i in record[1]]


# --------------------------------------------------------------------------------------------
# Preview


def _check_state(job: ImportJob) -> None:
    if job.status == ImportStatus.DONE or job.next_row > 0:
        raise ImportStateError(
            _("This import has already started; its columns can no longer change."),
            code="import_started",
        )
    if job.status == ImportStatus.RUNNING:
        raise ImportStateError(_("This import is running."), code="import_running")


def import_preview(*, job: ImportJob, mapping: Mapping[Any, Any] | None = None) -> dict[str, Any]:
    """Dry run over the whole file: what would be created, and every problem, by row.

    With `mapping` ({column index: field}) the user's choice replaces the guess. When the
    mapping lacks the name or any contact column, nothing is read and ``ready`` is False."""
    job.refresh_from_db()
    _check_state(job)
    chosen = clean_mapping(job, mapping) if mapping is not None else job_mapping(job)
    table = job.report.get("table", {})
    missing = missing_fields(chosen)
    result: dict[str, Any] = {
        "ready": False,
        "mapping": _stored_mapping(chosen),
        "missing_fields": missing,
        "missing_message": _missing_message(missing),
        "total_rows": 0,
        "valid_rows": 0,
        "error_rows": 0,
        "duplicate_rows": 0,
        "errors_by_code": {},
        "errors": [],
        "header_row": table.get("header_row"),
        "skipped_above_header": table.get("skipped_above", 0),
        "unnamed_columns": table.get("unnamed_columns", []),
        "errors_file": False,
        "warning_rows": 0,
        "warnings_by_code": {},
        "warnings": [],
        "opening": {},
    }
    if not missing:
        result.update(_dry_run(job, chosen))
        result["ready"] = True
    job.mapping = result["mapping"]
    job.report = {**job.report, "preview": result, "previewed_at": timezone.now().isoformat()}
    job.total_rows = result["total_rows"]
    job.status = ImportStatus.PREVIEWED if result["ready"] else ImportStatus.UPLOADED
    job.save(update_fields=["mapping", "report", "total_rows", "status"])
    return result


def _dry_run(job: ImportJob, mapping: Mapping[int, str]) -> dict[str, Any]:
    tally = _Tally()
    table = job.report.get("table", {})
    errors = _ErrorsFile(_side_file(job, "preview"))
    verdicts = _CheckedWriter(job, _checked_key(job, mapping))
    try:
        with _reader(job, header_row=table.get("header_row")) as sheet:
            checker = _RowChecker(job, mapping, sheet.table.headers)
            pending: list[Candidate] = []

            def flush() -> None:
                found = _in_base(job.business, pending)
                for candidate in pending:
                    issue = found.get(candidate.row)
                    if issue is None:
                        tally.add_valid(candidate)
                        errors.write(candidate.warnings)
                    else:
                        _fill_columns(checker, issue, candidate)
                        tally.add([issue])
                        errors.write([issue])
                pending.clear()

            for number, cells in sheet.rows():
                tally.total += 1
                checked = checker.check(number, cells)
                verdicts.add(checked)
                if isinstance(checked, Candidate):
                    pending.append(checked)
                    if len(pending) >= CHECK_CHUNK:
                        flush()
                else:
                    tally.add(checked)
                    errors.write(checked)
            flush()
        verdicts.finish()
    except BaseException:
        verdicts.abandon()
        raise
    finally:
        errors.close()
    tally.sample.sort(key=lambda issue: issue["row"])
    return {
        "total_rows": tally.total,
        "valid_rows": tally.valid,
        "error_rows": tally.errors,
        "duplicate_rows": tally.duplicates,
        "errors_by_code": dict(tally.codes),
        "errors": tally.sample,
        "errors_file": tally.errors + tally.duplicates + tally.warning_rows > 0,
        "warning_rows": tally.warning_rows,
        "warnings_by_code": dict(tally.warning_codes),
        "warnings": tally.warnings,
        "opening": dict(tally.opening),
    }


# --------------------------------------------------------------------------------------------
# Writing rows


def _bulk_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows (dicts by attribute name) and return their ids, in order."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy_insert(model, rows)
    created = model._default_manager.bulk_create([model(**row) for row in rows], batch_size=500)
    return [obj.pk for obj in created]


def _copy_insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """PostgreSQL COPY: ids come from the table's sequence first, so related rows can point
    at them; defaults and auto timestamps are filled in as the ORM would. Every row has the
    same keys (attribute names); columns left out are nullable with a None default."""
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    keys = list(rows[0])
    now = timezone.now()
    tail: dict[str, Any] = {}
    for f in meta.concrete_fields:
        if f.primary_key or f.attname in keys:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            tail[str(f.column)] = now
        else:
            default = f.get_default()
            if isinstance(default, (dict, list)):  # a JSON column: COPY takes its text
                default = json.dumps(default)
            if default is not None or not f.null:
                tail[str(f.column)] = default
    columns_of = {f.attname: str(f.column) for f in meta.concrete_fields}
    columns = [pk.column, *(columns_of[k] for k in keys), *tail]
    constant = tuple(tail.values())
    values = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        names = ", ".join(quote(str(c)) for c in columns)
        with cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
            for new_id, row in zip(ids, rows, strict=True):
                copy.write_row((new_id, *values(row), *constant))
    return ids


def _free_card_numbers(business: Business, wanted: int, taken: set[str]) -> list[str]:
    """`wanted` new card numbers, unique in the batch and in the business."""
    numbers: list[str] = []
    while len(numbers) < wanted:
        fresh = set(new_card_numbers(wanted - len(numbers))) - taken
        fresh -= set(_existing(Card, business, "number", sorted(fresh), "number"))
        taken |= fresh
        numbers.extend(fresh)
    return numbers[:wanted]


class _Writer:
    """Creates the customers of one batch, with cards, tags, consents and notes."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.business = job.business
        self.source = job.source if job.source in Source.values else Source.IMPORT

    def write(self, candidates: Sequence[Candidate]) -> int:
        if not candidates:
            return 0
        now = timezone.now()
        job = self.job
        # plain values, looked up once: this runs for every row of a big file
        business_id, job_id, actor = self.business.pk, job.pk, job.created_by_id
        own_source, partner_source = str(self.source), str(Source.PARTNER.value)
        customers = [
            {
                **BLANK_PROFILE,
                **c.values,
                "business_id": business_id,
                # a row carrying a partner's consent reference came from that partner
                "source": partner_source if c.partner else own_source,
                "created_by_id": actor,
                "name_key": c.name_key or name_key(c.values["name"]),
                "created_at": now,
                "updated_at": now,
                "import_job_id": job_id,
                "import_row": c.row,
                "stamps_carried": c.opening.get("opening_stamps", 0),
            }
            for c in candidates
        ]
        ids = _bulk_insert(Customer, customers)
        own = {c.card_number for c in candidates if c.card_number}
        generated = iter(
            _free_card_numbers(self.business, sum(1 for c in candidates if not c.card_number), own)
        )
        active = str(CardStatus.ACTIVE.value)
        _bulk_insert(
            Card,
            [
                {
                    "business_id": business_id,
                    "customer_id": pk,
                    "number": c.card_number or next(generated),
                    "status": active,
                    "issued_at": now,
                }
                for pk, c in zip(ids, candidates, strict=True)
            ],
        )
        self._tags(ids, candidates)
        self._consents(ids, candidates, now)
        balances = [
            (pk, {k: v for k, v in c.opening.items() if k != "opening_stamps"})
            for pk, c in zip(ids, candidates, strict=True)
            if any(k != "opening_stamps" for k in c.opening)
        ]
        if balances:
            for step in hooks.import_steps:  # the wallet posts the opening balances
                step.written(job, balances)
        return len(ids)

    def _tags(self, ids: Sequence[int], candidates: Sequence[Candidate]) -> None:
        names = sorted({name for c in candidates for name in c.tags})
        if not names:
            return
        tags = dict(
            Tag.objects.for_business(self.business).filter(name__in=names).values_list("name", "id")
        )
        for name in names:
            if name not in tags:
                tags[name] = Tag.objects.get_or_create(business=self.business, name=name)[0].pk
        links = [
            {"business_id": self.business.pk, "customer_id": pk, "tag_id": tags[name]}
            for pk, c in zip(ids, candidates, strict=True)
            for name in c.tags
        ]
        _bulk_insert(CustomerTag, links)

    def _consents(self, ids: Sequence[int], candidates: Sequence[Candidate], now: Any) -> None:
        consents: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        business_id = self.business.pk
        actor = self.job.created_by_id
        for pk, c in zip(ids, candidates, strict=True):
            for channel, granted in sorted(c.consents.items()):
                if not granted:
                    continue  # nothing to prove for a "no": no consent is the default
                text = _("Marked as agreed in the imported file %(file)s, row %(row)s.") % {
                    "file": self.job.file_name,
                    "row": c.row,
                }
                consents.append(
                    {
                        "business_id": business_id,
                        "customer_id": pk,
                        "channel": channel,
                        "purpose": "marketing",
                        "granted": True,
                        "text": text,
                        "source": ConsentSource.IMPORT,
                        "recorded_at": now,
                        "recorded_by_id": actor,
                    }
                )
                notes.append(
                    {
                        "business_id": business_id,
                        "customer_id": pk,
                        "kind": InteractionKind.CONSENT,
                        "summary": _("Agreed to %(channel)s") % {"channel": Channel(channel).label},
                        "body": text,
                        "occurred_at": now,
                        "created_by_id": actor,
                        "reference": "",
                    }
                )
            if c.partner:
                reference = c.partner.get("consent_id", "")
                notes.append(
                    {
                        "business_id": business_id,
                        "customer_id": pk,
                        "kind": InteractionKind.CONSENT,
                        "summary": (
                            _("Shared by %(partner)s with the customer's consent (%(reference)s)")
                            % {
                                "partner": c.partner.get("name") or _("a partner"),
                                "reference": reference or "—",
                            }
                        )[:300],
                        "body": "\n".join(
                            part
                            for part in (
                                c.partner.get("consent_at", ""),
                                c.partner.get("consent_text", ""),
                            )
                            if part
                        ),
                        "occurred_at": now,
                        "created_by_id": actor,
                        "reference": f"partner-consent:{reference}"[:100] if reference else "",
                    }
                )
        _bulk_insert(Consent, consents)
        _bulk_insert(Interaction, notes)


# --------------------------------------------------------------------------------------------
# Running


class _Busy(Exception):
    """Another runner moved the import on; this one stops without touching the job."""


def _now_iso() -> str:
    return timezone.now().isoformat()


def import_run(*, job: ImportJob, batch_size: int = 1000, actor: User | None = None) -> ImportJob:
    """Import the job's rows in batches of `batch_size`, each in one transaction, resuming
    after the last batch written. A finished import is returned as it is."""
    job.refresh_from_db()
    if job.status == ImportStatus.DONE:
        return job
    if job.status == ImportStatus.UPLOADED or "preview" not in job.report:
        preview = import_preview(job=job)
        if not preview["ready"]:
            raise MappingIncomplete(_missing_message(preview["missing_fields"]))
        job.refresh_from_db()
    if not job.report.get("preview", {}).get("ready"):
        raise MappingIncomplete(_missing_message(missing_fields(job_mapping(job))))
    run = {**job.report.get("run", {}), "started_at": _now_iso(), "heartbeat": _now_iso()}
    run.setdefault("errors", [])
    run.setdefault("errors_by_code", {})
    run.pop("failure", None)
    job.report = {**job.report, "run": run}
    job.status = ImportStatus.RUNNING
    job.save(update_fields=["status", "report"])
    try:
        _run_batches(job, max(1, batch_size))
    except _Busy:
        job.refresh_from_db()
        return job
    except Exception as error:
        job.refresh_from_db()
        if isinstance(error, DomainError):
            failure = str(error.message)
        else:
            failure = _(
                "The import stopped unexpectedly after row %(row)s. Run it again to continue."
            ) % {"row": job.next_row}
        job.status = ImportStatus.FAILED
        job.report = {**job.report, "run": {**job.report.get("run", {}), "failure": failure}}
        job.save(update_fields=["status", "report"])
        raise
    job.refresh_from_db()
    # the customers written with COPY get their duplicate keys and pairs in one sweep
    duplicates_refresh_many(
        job.business_id,
        Customer.objects.filter(business_id=job.business_id, import_job=job)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(),
    )
    job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    _checked_file(job).unlink(missing_ok=True)  # served its purpose: no copy of the rows left
    audit_record(
        business=job.business,
        action="customers.import",
        object_type="import",
        object_id=job.pk,
        actor=actor or job.created_by,
        details={
            "file": job.file_name,
            "created": job.created_count,
            "skipped": job.skipped_count,
            "errors": job.error_count,
        },
    )
    return job


class _Statistics:
    """A big import changes the size of the tables it checks by orders of magnitude; with the
    statistics of the empty tables PostgreSQL would check each batch by scanning the whole
    business. So the written tables are analysed as they grow (at 1k, 2k, 4k… rows written:
    about 20 times for a million rows, each well under a second)."""

    TABLES = (Customer, Card)
    FIRST = 1000

    def __init__(self) -> None:
        self.next_at = self.FIRST

    def maybe_refresh(self, written: int) -> None:
        if written < self.next_at or connection.vendor != "postgresql":
            return
        self.next_at = written * 2
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in self.TABLES:
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def _run_batches(job: ImportJob, batch_size: int) -> None:
    mapping = job_mapping(job)
    if set(mapping.values()) & set(OPENING_BALANCE_FIELDS):
        # each balance is a ledger operation of its own: smaller batches keep every
        # transaction (and the write lock SQLite holds for it) short for the tills
        batch_size = min(batch_size, OPENING_BATCH)
    start = job.next_row
    errors = _ErrorsFile(_side_file(job, "run"), append=start > 0)
    writer = _Writer(job)
    stats = _Statistics()
    try:
        with contextlib.ExitStack() as stack:
            checker, verdicts = _verdicts(job, mapping, stack)
            position = 0
            batch: list[Candidate] = []
            issues: list[list[Issue]] = []
            for checked in verdicts:  # also before `start`: they know the file duplicates
                position += 1
                if position <= start:
                    continue
                if isinstance(checked, Candidate):
                    batch.append(checked)
                else:
                    issues.append(checked)
                if len(batch) + len(issues) >= batch_size:
                    _commit(job, writer, checker, errors, batch, issues, position)
                    batch, issues = [], []
                    stats.maybe_refresh(job.next_row - start)
            if batch or issues:
                _commit(job, writer, checker, errors, batch, issues, position)
            if position != job.total_rows:
                ImportJob.objects.filter(pk=job.pk).update(total_rows=position)
    finally:
        errors.close()


def _verdicts(
    job: ImportJob, mapping: Mapping[int, str], stack: contextlib.ExitStack
) -> tuple[_RowChecker, Iterator[Candidate | list[Issue]]]:
    """Each row's verdict in file order: the preview's, read back, when it still holds (see
    `_stored_verdicts`), else each row checked again as the preview did."""
    table = job.report.get("table", {})
    stored = _stored_verdicts(job, mapping)
    if stored is not None:
        stack.callback(stored.close)
        return _RowChecker(job, mapping, table.get("headers") or []), stored
    sheet = stack.enter_context(_reader(job, header_row=table.get("header_row")))
    checker = _RowChecker(job, mapping, sheet.table.headers)
    return checker, (checker.check(number, cells) for number, cells in sheet.rows())


def _commit(
    job: ImportJob,
    writer: _Writer,
    checker: _RowChecker,
    errors: _ErrorsFile,
    batch: list[Candidate],
    issues: list[list[Issue]],
    end: int,
) -> None:
    """Write one batch and move the job on, all in one transaction (retried when a
    concurrent write took a phone, e-mail or card number in the meantime)."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                locked = ImportJob.objects.select_for_update().get(pk=job.pk)
                if locked.next_row != job.next_row:
                    raise _Busy
                found = _in_base(job.business, batch)
                fresh = [c for c in batch if c.row not in found]
                created = writer.write(fresh)
                warned = [w for c in fresh for w in c.warnings]
                in_base = [
                    [_fill_columns(checker, found[c.row], c)] for c in batch if c.row in found
                ]
                problems = issues + in_base
                tally = _Tally()
                for row_issues in problems:
                    tally.add(row_issues)
                run = dict(locked.report.get("run", {}))
                sample = list(run.get("errors", []))
                for row_issues in sorted(problems, key=lambda p: p[0].row):
                    for issue in row_issues:
                        if len(sample) < ERROR_SAMPLE:
                            sample.append(issue.as_dict())
                codes: Counter[str] = Counter(run.get("errors_by_code", {}))
                codes.update(tally.codes)
                run.update(errors=sample, errors_by_code=dict(codes), heartbeat=_now_iso())
                warnings = list(run.get("warnings", []))
                warnings += [w.as_dict() for w in warned][: max(0, ERROR_SAMPLE - len(warnings))]
                warning_codes: Counter[str] = Counter(run.get("warnings_by_code", {}))
                warning_codes.update(w.code for w in warned)
                opening: Counter[str] = Counter(run.get("opening", {}))
                for c in fresh:
                    opening.update(c.opening)
                run.update(
                    warnings=warnings,
                    warnings_by_code=dict(warning_codes),
                    warning_rows=int(run.get("warning_rows", 0))
                    + sum(1 for c in fresh if c.warnings),
                    opening=dict(opening),
                )
                ImportJob.objects.filter(pk=job.pk).update(
                    next_row=end,
                    created_count=F("created_count") + created,
                    skipped_count=F("skipped_count") + tally.duplicates,
                    error_count=F("error_count") + tally.errors,
                    report={**locked.report, "run": run},
                )
            break
        except IntegrityError:
            if attempt == 2:
                raise
    job.next_row = end
    everything = [*problems, *([w] for w in warned)]
    errors.write(
        issue for row_issues in sorted(everything, key=lambda p: p[0].row) for issue in row_issues
    )
    errors.handle.flush()


# --------------------------------------------------------------------------------------------
# Undoing an import

UNDO_CHUNK = 500  # customers per query (SQLite allows at most 999 parameters a statement)
ACTIVITY_SAMPLE = 50  # customers with activity named in the refusal


def import_customers(job: ImportJob) -> models.QuerySet[Customer]:
    """The customers this import created (and still has)."""
    return Customer.objects.for_business(job.business).filter(import_job=job)


def import_activity(job: ImportJob, ids: Sequence[int] | None = None) -> dict[int, list[str]]:
    """What the import's customers did since it ran ({customer id: [what]}): purchases,
    messages received, referrals, wallet use (from the wallet's hook), changes by staff, cards,
    consents and notes beyond what the import itself wrote, an erasure or a merge."""
    if ids is None:
        ids = list(import_customers(job).order_by("pk").values_list("pk", flat=True))
    since = job.finished_at or timezone.now()
    margin = since + dt.timedelta(seconds=1)
    found: dict[int, list[str]] = {}

    def note(pk: int, what: Any) -> None:
        text = str(what)
        if text not in found.setdefault(pk, []):
            found[pk].append(text)

    relations: list[tuple[str, Any, dict[str, Any]]] = []
    for name, label, not_counted in (
        ("orders", gettext_lazy("purchases"), {}),
        # a message never sent (no consent, a hold-out group) reached nobody
        ("messages", gettext_lazy("messages"), {"status__in": ("skipped", "holdout")}),
        ("referrals_made", gettext_lazy("referred a friend"), {}),
    ):
        # apps above customers reached through their relation's name, never imported here
        with contextlib.suppress(Exception):
            Customer._meta.get_field(name)
            relations.append((name, label, not_counted))
    for chunk in chunked(ids, UNDO_CHUNK):
        customers = Customer.objects.filter(pk__in=chunk)
        for pk, count, last, updated, erased, merged in customers.values_list(
            "pk", "purchase_count", "last_purchase_at", "updated_at", "erased_at", "merged_into"
        ):
            if count or last:
                note(pk, _("purchases"))
            if erased or merged:
                note(pk, _("erased or merged"))
            elif updated > margin:
                note(pk, _("details changed by staff"))
        for name, label, not_counted in relations:
            relation: Any = Customer._meta.get_field(name)
            link = relation.field  # the other model's foreign key to the customer
            rows = link.model._default_manager.filter(**{f"{link.name}__in": chunk})
            if not_counted:
                rows = rows.exclude(**not_counted)
            for pk in rows.values_list(link.attname, flat=True).distinct():
                note(pk, label)
        for pk, kind in (
            Interaction.objects.filter(customer_id__in=chunk)
            .filter(models.Q(occurred_at__gt=margin) | ~models.Q(kind=InteractionKind.CONSENT))
            .values_list("customer_id", "kind")
            .distinct()
        ):
            note(pk, _("timeline: %(kind)s") % {"kind": InteractionKind(kind).label})
        for pk in (
            Consent.objects.filter(customer_id__in=chunk, recorded_at__gt=margin)
            .values_list("customer_id", flat=True)
            .distinct()
        ):
            note(pk, _("consent changed"))
        for pk, cards in (
            Card.objects.filter(customer_id__in=chunk)
            .values("customer_id")
            .annotate(cards=models.Count("id"))
            .values_list("customer_id", "cards")
        ):
            if cards != 1:
                note(pk, _("card changed"))
        for pk in (
            Card.objects.filter(customer_id__in=chunk)
            .exclude(status=CardStatus.ACTIVE)
            .values_list("customer_id", flat=True)
        ):
            note(pk, _("card changed"))
        for step in hooks.import_steps:
            for pk, labels in step.activity(job, chunk).items():
                for what in labels:
                    note(pk, what)
    return found


def import_undo(
    *, job: ImportJob, actor: User | None = None, api_key: Any = None
) -> dict[str, Any]:
    """Undo a finished import while none of its customers has done anything since: their
    opening balances are taken back by balancing transfers (the wallet's hook), and the
    customers are deleted with their cards, tags, consents and notes. A customer whose wallet
    has a history (the opening balance and its reversal) keeps a closed, anonymous record,
    because the ledger's entries point at its accounts. An import never changes customers
    that were already in the base, so there is nothing of theirs to restore.

    Refused with ``import_has_activity`` (naming the customers and what they did) when any
    customer has activity: nothing is undone then, not even the others."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status == ImportStatus.UNDONE:
            raise ImportStateError(_("This import was already undone."), code="import_undone")
        if locked.status == ImportStatus.RUNNING:
            raise ImportStateError(_("This import is running."), code="import_running")
        if locked.status not in (ImportStatus.DONE, ImportStatus.FAILED) or locked.next_row == 0:
            raise ImportStateError(
                _("Nothing was imported yet, so there is nothing to undo."),
                code="import_not_run",
            )
        ids = list(import_customers(locked).order_by("pk").values_list("pk", flat=True))
        activity = import_activity(locked, ids)
        if activity:
            names = dict(
                Customer.objects.filter(pk__in=sorted(activity)[:ACTIVITY_SAMPLE]).values_list(
                    "pk", "name"
                )
            )
            raise ImportHasActivity(
                ngettext(
                    "%(count)s customer of this import has done something since, so it can "
                    "no longer be undone: %(names)s.",
                    "%(count)s customers of this import have done something since, so it can "
                    "no longer be undone: %(names)s.",
                    len(activity),
                )
                % {
                    "count": len(activity),
                    "names": ", ".join(
                        f"{names.get(pk, pk)} ({', '.join(activity[pk])})"
                        for pk in sorted(activity)[:5]
                    ),
                },
                details={
                    "count": len(activity),
                    "customers": [
                        {"id": pk, "name": names.get(pk, ""), "activity": activity[pk]}
                        for pk in sorted(activity)[:ACTIVITY_SAMPLE]
                    ],
                },
            )
        kept: set[int] = set()
        for step in hooks.import_steps:
            kept |= set(step.undo(locked, ids, actor) or ())
        removed = [pk for pk in ids if pk not in kept]
        for chunk in chunked(removed, UNDO_CHUNK):
            Customer.objects.filter(pk__in=chunk).delete()
        closed = sorted(kept)
        for chunk in chunked(closed, UNDO_CHUNK):
            _close(chunk)
        undo = {
            "at": _now_iso(),
            "by": actor.get_username() if actor is not None and actor.is_authenticated else "",
            "removed": len(removed),
            "closed": len(closed),
        }
        locked.status = ImportStatus.UNDONE
        locked.report = {**locked.report, "undo": undo}
        locked.save(update_fields=["status", "report"])
        audit_record(
            business=locked.business,
            action="customers.import_undo",
            object_type="import",
            object_id=locked.pk,
            actor=actor,
            api_key=api_key,
            details={"file": locked.file_name, **undo},
        )
    job.refresh_from_db()
    return undo


def _close(ids: list[int]) -> None:
    """Customers an undone import created whose wallet history must stay: no personal data,
    no card, tag, consent or note; out of every list (like an erased record)."""
    Customer.objects.filter(pk__in=ids).update(
        **anonymous_profile(_("Removed: import undone")), stamps_carried=0
    )
    for model in (Card, CustomerTag, Consent, Interaction):
        model.objects.filter(customer_id__in=ids).delete()
    if ids:
        business_id = Customer.objects.values_list("business_id", flat=True).get(pk=ids[0])
        duplicates_refresh_many(business_id, ids)  # out of the duplicates list


# --------------------------------------------------------------------------------------------
# Starting and reporting

_background_runner: Callable[[int], object] | None = None


def register_background_runner(runner: Callable[[int], object]) -> None:
    """The worker's entry (wateja.jobs.import_tasks registers its Huey task here), so this
    app hands big imports to the queue without importing the jobs layer."""
    global _background_runner  # one process-wide registration, like customers.hooks
    _background_runner = runner


def import_start(*, job: ImportJob, actor: User | None = None) -> tuple[ImportJob, bool]:
    """Run the import now when it is small (or no worker is registered), otherwise queue it.
    Returns (job, queued)."""
    job.refresh_from_db()
    if job.status == ImportStatus.DONE:
        return job, False
    if job.status == ImportStatus.RUNNING:
        beat = job.report.get("run", {}).get("heartbeat") or job.report.get("run", {}).get(
            "queued_at"
        )
        if beat and timezone.now() - dt.datetime.fromisoformat(beat) < STALE_AFTER:
            raise ImportStateError(_("This import is running."), code="import_running")
    if "preview" not in job.report or not job.report["preview"].get("ready"):
        preview = import_preview(job=job)
        if not preview["ready"]:
            raise MappingIncomplete(_missing_message(preview["missing_fields"]))
        job.refresh_from_db()
    if _background_runner is None or job.total_rows - job.next_row <= SYNC_MAX_ROWS:
        return import_run(job=job, actor=actor), False
    job.status = ImportStatus.RUNNING
    job.report = {**job.report, "run": {**job.report.get("run", {}), "queued_at": _now_iso()}}
    job.save(update_fields=["status", "report"])
    _background_runner(job.pk)
    job.refresh_from_db()
    return job, True


def import_errors_file(*, job: ImportJob, fmt: str) -> ExportFile:
    """The problem report of the import (once a batch is written) or of its preview, as CSV
    or XLSX."""
    check_format(fmt)
    if job.file_removed_reason == FileRemoval.RETENTION:
        raise file_removed_error(job)
    for kind in ("run", "preview") if job.next_row > 0 else ("preview",):
        path = _side_file(job, kind)
        if path.exists():
            break
    else:
        raise ImportStateError(
            _("There is no problem report yet: check the file first."), code="preview_required"
        )
    stem = f"{Path(job.file_name).stem or 'import'}-problems"
    if fmt == "csv":
        return ExportFile(f"{stem}.csv", "text/csv; charset=utf-8", _file_chunks(path))
    rows = _csv_rows(path)
    header = next(rows, [])
    return table_file(fmt, stem, header, rows, title=_("Problems"))


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            yield chunk


def _csv_rows(path: Path) -> Iterator[list[object]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle)):
            if number == 0:
                yield list(row)
                continue
            # values were made formula-safe when written; table_file does it again
            yield [
                int(row[0]) if row[0].isdigit() else row[0],
                row[1],
                restore_cell(row[2]),
                *row[3:],
            ]


def import_jobs(business: Business) -> models.QuerySet[ImportJob]:
    return ImportJob.objects.for_business(business).select_related("created_by")


def import_sample_rows(job: ImportJob, limit: int = 3) -> list[list[str]]:
    """The first data rows as text, to show beside the column choice."""
    table = job.report.get("table", {})
    rows: list[list[str]] = []
    with _reader(job, header_row=table.get("header_row")) as sheet:
        for _number, cells in sheet.rows():
            rows.append([cell_text(c)[:60] for c in cells])
            if len(rows) >= limit:
                break
    return rows


# --------------------------------------------------------------------------------------------
# Privacy: the uploaded file is kept only for a while, and an erased customer's rows go
#
# The uploaded spreadsheet and its problem reports hold many customers' data. They are
# deleted IMPORT_RETENTION_DAYS after the file was stored (`import_files_expire`, daily):
# the problem lists in the report go with them, the counts stay, and an import that is done
# can still be undone (the undo needs the customers it created, not the file). An unfinished
# import says so and takes the same file uploaded again.
#
# When a customer is erased (`imports_forget`), their rows (the one that created them, and
# every problem row naming one of their phones, e-mails or cards) are taken out of the
# problem lists and the problem files, which are rewritten; the spreadsheet itself cannot be
# rewritten safely (formats, formulas, other sheets), so it is deleted at once and the import
# says it was removed for privacy; the same file cannot be imported again.

_SAMPLES = (("preview", "errors"), ("preview", "warnings"), ("run", "errors"), ("run", "warnings"))
_SIDE_KINDS = ("preview", "run")


def file_removed_error(job: ImportJob) -> FileRemoved:
    """Why the import's file can no longer be read, in the reader's words."""
    if job.file_removed_reason == FileRemoval.ERASURE:
        return FileRemoved(
            _(
                "The uploaded file was deleted because a customer in it asked for their data "
                "to be erased."
            )
        )
    days = int(job.report.get("file_removed_days") or settings.IMPORT_RETENTION_DAYS)
    return FileRemoved(
        ngettext(
            "The uploaded file and its problem report were deleted %(days)s day after the "
            "upload, as customer files are kept no longer. Upload the file again to continue.",
            "The uploaded file and its problem report were deleted %(days)s days after the "
            "upload, as customer files are kept no longer. Upload the file again to continue.",
            days,
        )
        % {"days": days},
        details={"days": days},
    )


def _stored_since(job: ImportJob) -> dt.datetime:
    return job.file_stored_at or job.created_at


def _busy(job: ImportJob, now: dt.datetime) -> bool:
    """An import running right now (its last heartbeat is recent) keeps its file today."""
    if job.status != ImportStatus.RUNNING:
        return False
    run = job.report.get("run", {})
    beat = run.get("heartbeat") or run.get("queued_at")
    return bool(beat) and now - dt.datetime.fromisoformat(beat) < STALE_AFTER


def import_files_expire(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the uploaded files and problem reports stored more than `days` days ago (default
    IMPORT_RETENTION_DAYS), with the problem lists kept in their reports; each import is
    marked, so its screens say the file was deleted. Returns how many imports lost files."""
    now = now or timezone.now()
    days = int(settings.IMPORT_RETENTION_DAYS if days is None else days)
    cutoff = now - dt.timedelta(days=days)
    due = (
        ImportJob.objects.exclude(file_removed_reason=FileRemoval.RETENTION)
        .filter(
            models.Q(file_stored_at__lt=cutoff)
            | models.Q(file_stored_at__isnull=True, created_at__lt=cutoff)
        )
        .order_by("pk")
    )
    done = 0
    for job in due.iterator():
        if _busy(job, now):
            continue
        with transaction.atomic():
            locked = (
                ImportJob.objects.select_for_update()
                .filter(pk=job.pk)
                .exclude(file_removed_reason=FileRemoval.RETENTION)
                .first()
            )
            if locked is None or _stored_since(locked) >= cutoff:
                continue  # uploaded again meanwhile
            report = {**locked.report, "file_removed_days": days}
            for part, key in _SAMPLES:
                if isinstance(report.get(part), dict) and key in report[part]:
                    report[part] = {**report[part], key: []}
            locked.report = report
            locked.file_removed_at = locked.file_removed_at or now
            locked.file_removed_reason = FileRemoval.RETENTION
            locked.save(update_fields=["report", "file_removed_at", "file_removed_reason"])
            _delete_files(locked)
        done += 1
    return done


def _delete_files(job: ImportJob, *, source_only: bool = False) -> None:
    _job_path(job).unlink(missing_ok=True)
    _checked_file(job).unlink(missing_ok=True)  # the file's rows, cleaned: goes with it
    if not source_only:
        for kind in _SIDE_KINDS:
            _side_file(job, kind).unlink(missing_ok=True)


def _side_rows(job: ImportJob, kind: str) -> Iterator[list[str]]:
    """The rows of a problem file as written (header first); nothing when there is none."""
    path = _side_file(job, kind)
    if not path.exists():
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.reader(handle)


def _row_number(row: Sequence[str]) -> int | None:
    return int(row[0]) if row and row[0].isdigit() else None


def _mentioned_rows(job: ImportJob, reach: Reach) -> set[int]:
    """The rows of the job's problem lists and files whose value is one of the person's
    phones, e-mails or card numbers."""
    rows: set[int] = set()
    for part, key in _SAMPLES:
        for issue in (job.report.get(part) or {}).get(key) or []:
            if reach.mentions(issue.get("value")):
                rows.add(int(issue.get("row") or 0))
    for kind in _SIDE_KINDS:
        for number, row in enumerate(_side_rows(job, kind)):
            if number and len(row) > 2 and reach.mentions(restore_cell(row[2])):
                found = _row_number(row)
                if found is not None:
                    rows.add(found)
    rows.discard(0)
    return rows


def _rewrite_side_file(job: ImportJob, kind: str, rows: set[int]) -> None:
    path = _side_file(job, kind)
    if not path.exists():
        return
    kept = [row for row in _side_rows(job, kind) if _row_number(row) not in rows]
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".rewrite-")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        out.write("\ufeff")
        csv.writer(out).writerows(kept)
    os.replace(temp_name, path)


def imports_forget(*, business: Business, reach: Reach, rows: Mapping[int, set[int]]) -> None:
    """Take an erased person out of the business's imports (inside the erasure's
    transaction). `rows`: {import id: rows of its file that created one of their records}.
    Every import that created them or names them in a problem row loses those rows from its
    problem lists and files, and its uploaded file (deleted once the erasure commits)."""
    now = timezone.now()
    jobs = ImportJob.objects.select_for_update().for_business(business).order_by("pk")
    for job in jobs:
        theirs = set(rows.get(job.pk, set())) | _mentioned_rows(job, reach)
        if job.pk not in rows and not theirs:
            continue
        report = dict(job.report)
        for part, key in _SAMPLES:
            if isinstance(report.get(part), dict) and report[part].get(key):
                report[part] = {
                    **report[part],
                    key: [i for i in report[part][key] if int(i.get("row") or 0) not in theirs],
                }
        report["erasure"] = [*report.get("erasure", []), {"at": now.isoformat()}]
        job.report = report
        fields = ["report"]
        if job.file_removed_at is None:
            job.file_removed_at = now
            job.file_removed_reason = FileRemoval.ERASURE
            fields += ["file_removed_at", "file_removed_reason"]
        job.save(update_fields=fields)
        for kind in _SIDE_KINDS:
            _rewrite_side_file(job, kind, theirs)
        _delete_files(job, source_only=True)


def imports_mentioning(*, business: Business, reach: Reach) -> list[dict[str, Any]]:
    """For the person's data export: each import row that created one of their records or
    names them in a problem (file, when uploaded, row, column, value, problem)."""
    created: dict[int, set[int]] = {}
    for job_id, row in Customer.objects.filter(
        pk__in=reach.ids, import_job__isnull=False
    ).values_list("import_job_id", "import_row"):
        created.setdefault(job_id, set())
        if row is not None:
            created[job_id].add(row)
    found: list[dict[str, Any]] = []
    for job in ImportJob.objects.for_business(business).order_by("pk"):
        theirs = created.get(job.pk, set()) | _mentioned_rows(job, reach)
        if job.pk not in created and not theirs:
            continue
        base = {"file": job.file_name, "uploaded_at": job.created_at.isoformat()}
        issues: dict[tuple[Any, ...], dict[str, Any]] = {}
        for kind in _SIDE_KINDS:
            for number, row in enumerate(_side_rows(job, kind)):
                if number and _row_number(row) in theirs and len(row) > 4:
                    issue = (_row_number(row), row[1], restore_cell(row[2]), row[4])
                    issues.setdefault(issue, {})
        for part, key in _SAMPLES:
            for i in (job.report.get(part) or {}).get(key) or []:
                if int(i.get("row") or 0) in theirs:
                    issue = (
                        int(i["row"]),
                        i.get("column", ""),
                        i.get("value", ""),
                        i.get("message"),
                    )
                    issues.setdefault(issue, {})
        listed = {issue[0] for issue in issues}
        for row_number in sorted(theirs - listed):
            issues[(row_number, "", "", "")] = {}
        for row_number, column, value, problem in sorted(issues, key=lambda i: (i[0], i[1])):
            found.append(
                {**base, "row": row_number, "column": column, "value": value, "problem": problem}
            )
        if not theirs:
            found.append({**base, "row": None, "column": "", "value": "", "problem": ""})
    return found
