"""Reading customer spreadsheets the way businesses keep them today, and writing them safely.

Pure Python (standard library and openpyxl; no Django, no Wateja app), so every rule here is
tested without a database:

* `detect_format` / `EncodingSniffer` / `detect_encoding` / `sniff_delimiter` - what a file is:
  CSV or XLSX by content (not by its name), its text encoding (BOM, UTF-8, UTF-16, cp1251 or
  cp1252) and its delimiter (``,`` ``;`` tab ``|``, or Excel's ``sep=`` line).
* `SheetReader` - streams the non-empty rows of a CSV or of one XLSX sheet (the one asked
  for by name or position, else the active one; read-only, cached formula values), finds the
  header row, never loads the file.
* `workbook_sheets` / `likely_sheet` - the sheets of a workbook with their row counts and
  titles, and the one that looks like the list wanted (most rows with a phone-like column),
  since the active sheet is often something else (products, a summary).
* `normalize_header` / `guess_mapping` - which column holds which customer field, from header
  synonyms in English, Swahili, Armenian and Russian, and from the values when a header is
  empty (merged header cells arrive empty in read-only mode).
* `extract_row` - one row's cells as customer fields: birthdays, yes/no consents, gender,
  language, tags, card numbers; problems come back as stable codes, never as exceptions.
* `safe_cell` / `restore_cell` - CSV/formula injection: a text cell starting with ``=`` ``+``
  ``-`` ``@`` tab or CR is written with a leading apostrophe (OWASP), and read back without it.

Errors are `SpreadsheetError` (a ValueError) with a stable ``code``; the Django layer turns the
codes into messages in the user's language.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

__all__ = [
    "FIELDS",
    "CellProblem",
    "EncodingSniffer",
    "RowData",
    "SheetInfo",
    "SheetReader",
    "SpreadsheetError",
    "Table",
    "cell_text",
    "column_letter",
    "detect_encoding",
    "detect_format",
    "extract_row",
    "guess_mapping",
    "likely_sheet",
    "normalize_header",
    "parse_birthday",
    "parse_gender",
    "parse_language",
    "parse_tags",
    "parse_yes_no",
    "restore_cell",
    "safe_cell",
    "sniff_delimiter",
    "workbook_sheets",
    "yes_no_word",
]


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read; ``code`` is stable, ``row`` is 1-based when known."""

    code: str = "spreadsheet_error"

    def __init__(self, code: str, detail: str = "", *, row: int | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.row = row


# --------------------------------------------------------------------------------------------
# Fields and header synonyms

FIELDS: Final[tuple[str, ...]] = (
    "name",
    "last_name",
    "phone",
    "email",
    "city",
    "birthday",
    "gender",
    "language",
    "notes",
    "tags",
    "card_number",
    "consent_sms",
    "consent_email",
    "partner_name",
    "partner_consent_id",
    "partner_consent_at",
    "partner_consent_text",
)

# Normalised forms (see normalize_header). A synonym matches a header exactly, or appears in it
# as whole leading word parts ("телефон" in "номер телефона"); the longest match wins.
SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "name": (
        "name", "full name", "names", "customer", "customer name", "client", "client name",
        "first name", "given name", "contact name", "jina", "majina", "jina kamili",
        "jina la mteja", "mteja", "jina la kwanza", "անուն", "անուն ազգանուն", "հաճախորդ",
        "հաճախորդի անուն", "անվանում", "имя", "фио", "ф и о", "клиент", "имя клиента",
        "покупатель", "имя фамилия", "фамилия имя", "фамилия имя отчество",
    ),
    "last_name": (
        "last name", "surname", "family name", "second name", "jina la ukoo",
        "jina la familia", "jina la mwisho", "ազգանուն", "фамилия",
    ),
    "phone": (
        "phone", "phone number", "telephone", "tel", "mobile", "mobile number", "mobile phone",
        "cell", "cell phone", "cellphone", "msisdn", "whatsapp", "simu", "namba ya simu",
        "nambari ya simu", "namba", "nambari", "simu ya mkononi", "rununu", "հեռախոս",
        "հեռախոսահամար", "հեռախոսի համար", "հեռ", "բջջային", "телефон", "тел", "номер",
        "номер телефона", "мобильный", "моб", "сотовый", "мобильный телефон",
    ),
    "email": (
        "email", "e mail", "email address", "e mail address", "mail", "barua pepe",
        "anwani ya barua pepe", "imeli", "էլ փոստ", "էլփոստ", "էլեկտրոնային փոստ", "էլ հասցե",
        "почта", "эл почта", "электронная почта", "емейл", "имейл", "емайл", "e mail адрес",
    ),
    "city": ("city", "town", "mji", "jiji", "քաղաք", "город", "населенный пункт"),
    "birthday": (
        "birthday", "birth date", "date of birth", "dob", "born", "birth day", "birthdate",
        "tarehe ya kuzaliwa", "siku ya kuzaliwa", "ծննդյան օր", "ծննդյան ամսաթիվ", "ծնունդ",
        "ծննդյան տարեթիվ", "день рождения", "дата рождения", "др", "д р",
    ),
    "gender": ("gender", "sex", "jinsia", "սեռ", "пол"),
    "language": ("language", "preferred language", "lang", "lugha", "լեզու", "язык"),
    "notes": (
        "notes", "note", "comments", "comment", "remarks", "maelezo", "maoni", "kumbukumbu",
        "նշումներ", "նշում", "մեկնաբանություն", "заметки", "примечание", "примечания",
        "комментарий", "комментарии",
    ),
    "tags": (
        "tags", "tag", "labels", "groups", "group", "category", "lebo", "makundi", "kundi",
        "պիտակներ", "պիտակ", "խումբ", "теги", "тег", "метки", "группа", "категория",
    ),
    "card_number": (
        "card", "card number", "card no", "loyalty card", "card id", "kadi", "namba ya kadi",
        "nambari ya kadi", "քարտ", "քարտի համար", "карта", "карты", "номер карты",
        "карта лояльности", "дисконтная карта",
    ),
    "consent_sms": (
        "sms", "sms consent", "consent sms", "sms opt in", "sms ok", "ridhaa ya sms",
        "idhini ya sms", "sms համաձայնություն", "համաձայնություն sms", "согласие на sms",
        "согласие sms", "смс", "согласие на смс", "sms рассылка",
    ),
    "consent_email": (
        "email consent", "consent email", "e mail consent", "email opt in", "newsletter",
        "ridhaa ya barua pepe", "idhini ya barua pepe", "էլ փոստի համաձայնություն",
        "согласие на email", "согласие на e mail", "согласие на почту", "email рассылка",
    ),
    "partner_name": ("shared by", "partner", "imeshirikiwa na", "մշակող գործընկեր"),
    "partner_consent_id": ("consent reference", "consent id", "consent ref"),
    "partner_consent_at": ("consent recorded at", "consent date", "consent given at"),
    "partner_consent_text": ("consent text", "consent wording"),
}  # fmt: skip

# too vague to match inside a longer header ("namba ya kadi" is a card, not a phone)
EXACT_ONLY: Final[frozenset[str]] = frozenset(
    {"namba", "nambari", "номер", "card", "name", "names", "sms", "partner", "mail", "group"}
)

_NON_WORD = re.compile(r"[^\w]+|_+", re.UNICODE)


def normalize_header(text: object) -> str:
    """Case-, space- and punctuation-insensitive form of a header: "E-mail " → "e mail",
    "Էլ. փոստ" → "էլ փոստ", "Ё" → "е"."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).casefold().replace("ё", "е")
    return " ".join(_NON_WORD.sub(" ", value).split())


def _match_score(header: str, synonym: str) -> int:
    if not header:
        return 0
    if header == synonym or header.replace(" ", "") == synonym.replace(" ", ""):
        return 1000  # every exact match is as good as another: the leftmost column wins
    if synonym in EXACT_ONLY:
        return 0
    words, parts = header.split(), synonym.split()
    for start in range(len(words) - len(parts) + 1):
        if all(
            word == part or (len(part) >= 4 and word.startswith(part))
            for word, part in zip(words[start : start + len(parts)], parts, strict=True)
        ):
            return len(synonym)
    return 0


_EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]{7,20}$")


def _looks_like(values: Sequence[str], pattern: re.Pattern[str], min_digits: int = 0) -> bool:
    filled = [v for v in values if v]
    if len(filled) < 2:
        return False
    hits = sum(
        1 for v in filled if pattern.match(v) and sum(ch.isdigit() for ch in v) >= min_digits
    )
    return hits >= 0.8 * len(filled)


def guess_mapping(
    headers: Sequence[object],
    samples: Sequence[Sequence[object]] = (),
    extra_synonyms: Mapping[str, Iterable[str]] | None = None,
    fields: Mapping[str, Iterable[str]] | None = None,
) -> dict[int, str]:
    """{column index: field} for the columns we recognise; each field is used at most once.

    Headers are compared through `normalize_header` against `SYNONYMS` (or ``fields``, the
    synonyms of another kind of sheet, e.g. a product catalogue; plus ``extra_synonyms``,
    e.g. our own export's translated headers). Columns whose header says nothing are guessed
    from ``samples`` (the first data rows): e-mail or phone values."""
    base = SYNONYMS if fields is None else fields
    synonyms: dict[str, set[str]] = {name: set(words) for name, words in base.items()}
    for name, words in (extra_synonyms or {}).items():
        if name in synonyms:
            synonyms[name].update(w for w in (normalize_header(x) for x in words) if w)
    candidates: list[tuple[int, int, str]] = []
    for index, header in enumerate(headers):
        key = normalize_header(header)
        best = max(
            ((max(_match_score(key, s) for s in words), name) for name, words in synonyms.items()),
            default=(0, ""),
        )
        if best[0] > 0:
            candidates.append((best[0], index, best[1]))
    mapping: dict[int, str] = {}
    for _score, index, name in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if name not in mapping.values() and index not in mapping:
            mapping[index] = name
    if samples:
        width = max([len(headers), *(len(row) for row in samples)])
        for index in range(width):
            if index in mapping or normalize_header(headers[index] if index < len(headers) else ""):
                continue
            column = [cell_text(row[index]) if index < len(row) else "" for row in samples]
            for name, pattern, digits in (("email", _EMAIL_LIKE, 0), ("phone", _PHONE_LIKE, 7)):
                if name not in synonyms:
                    continue
                if name not in mapping.values() and _looks_like(column, pattern, digits):
                    mapping[index] = name
                    break
    return dict(sorted(mapping.items()))


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA" (as spreadsheets name columns)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --------------------------------------------------------------------------------------------
# Cell values


class CellProblem:
    """A cell that has no usable value: a formula never calculated, or an error like #N/A."""

    __slots__ = ("code", "text")

    def __init__(self, code: str, text: str) -> None:
        self.code = code
        self.text = text

    def __repr__(self) -> str:
        return f"CellProblem({self.code!r}, {self.text!r})"


_ERROR_VALUES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)


def cell_text(value: object) -> str:
    """The text of a cell as a person would read it: 712345678.0 → "712345678"."""
    if value is None or isinstance(value, CellProblem):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _CONTROL.sub("", str(value)).strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d ]*(?:[.,]\d+)?")


def safe_cell(value: object) -> object:
    """A text value that no spreadsheet will run as a formula (OWASP CSV injection): text
    starting with = + - @ tab or CR (or their full-width forms, or after leading spaces) gets
    a leading apostrophe. Plain numbers such as "+254 712 345678" or "-5" stay as they are:
    they cannot call a function. Non-text values are returned unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_TRIGGERS) or value.lstrip(" ").startswith(_TRIGGERS):
        if _PLAIN_NUMBER.fullmatch(value.strip()):
            return value
        return "'" + value
    return value


def restore_cell(text: str) -> str:
    """The reverse of `safe_cell` for a value read back from one of our files."""
    if len(text) > 1 and text[0] == "'" and text[1:].lstrip(" ").startswith(_TRIGGERS):
        return text[1:]
    return text


_YES: Final = frozenset(
    {"yes", "y", "true", "1", "x", "✓", "✔", "+", "ok", "agreed", "granted", "ndiyo", "ndio",
     "ndyo", "ehe", "այո", "հա", "да", "д", "согласен", "согласна", "oui", "ja", "si"}
)  # fmt: skip
_NO: Final = frozenset(
    {"no", "n", "false", "0", "-", "declined", "withdrawn", "hapana", "la", "ոչ", "չէ", "нет",
     "н", "не согласен", "не согласна", "non", "nein"}
)  # fmt: skip
_YES_WORDS: Final = {"en": "yes", "sw": "ndiyo", "hy": "այո", "ru": "да"}
_NO_WORDS: Final = {"en": "no", "sw": "hapana", "hy": "ոչ", "ru": "нет"}


def parse_yes_no(value: object) -> bool | None:
    """True/False for yes/no words in our four languages (and 1/0, x, ✓), None when empty;
    ValueError for anything else."""
    if isinstance(value, bool):
        return value
    text = cell_text(value).casefold().strip(" .!")
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


def yes_no_word(flag: bool, language: str) -> str:
    """The word our exports write for yes/no in `language`; `parse_yes_no` reads it back."""
    words = _YES_WORDS if flag else _NO_WORDS
    return words.get(language, words["en"])


_GENDERS: Final[dict[str, str]] = {
    **dict.fromkeys(
        ("f", "female", "woman", "w", "ж", "жен", "женский", "женщина", "mwanamke", "ke",
         "kike", "իգական", "կին", "ի"),
        "female",
    ),
    **dict.fromkeys(
        ("m", "male", "man", "м", "муж", "мужской", "мужчина", "mwanaume", "me", "kiume",
         "արական", "տղամարդ", "ա"),
        "male",
    ),
    **dict.fromkeys(("other", "x", "другое", "другой", "nyingine", "այլ"), "other"),
}  # fmt: skip

_LANGUAGES: Final[dict[str, str]] = {
    **dict.fromkeys(("en", "eng", "english", "kiingereza", "английский", "англ", "անգլերեն"), "en"),
    **dict.fromkeys(("sw", "swa", "swahili", "kiswahili", "суахили", "սուահիլի"), "sw"),
    **dict.fromkeys(
        ("hy", "hye", "arm", "armenian", "kiarmenia", "армянский", "арм", "հայերեն"), "hy"
    ),
    **dict.fromkeys(("ru", "rus", "russian", "kirusi", "русский", "рус", "ռուսերեն"), "ru"),
}


def parse_gender(value: object) -> str:
    """Return "female", "male", "other" or "" (empty); ValueError when not recognised."""
    text = normalize_header(cell_text(value))
    if not text and not cell_text(value):
        return ""
    if text in _GENDERS:
        return _GENDERS[text]
    raise ValueError(f"unknown gender: {text!r}")


def parse_language(value: object) -> str:
    """A language code we speak (en, sw, hy, ru) from a code or a name in any of them."""
    text = normalize_header(cell_text(value))
    if not text and not cell_text(value):
        return ""
    code = _LANGUAGES.get(text) or _LANGUAGES.get(text.split(" ")[0])
    if code is None:
        raise ValueError(f"unknown language: {text!r}")
    return code


_TAG_SPLIT = re.compile(r"[,;|\n]+")


def parse_tags(value: object) -> list[str]:
    """Tags written in one cell, separated by commas, semicolons, bars or line breaks."""
    return [t.strip() for t in _TAG_SPLIT.split(cell_text(value)) if t.strip()]


_YMD = re.compile(r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[ T].*)?")
_DMY = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4}|\d{2})")
_DM = re.compile(r"(\d{1,2})[-./](\d{1,2})\.?")
_ISO_NO_YEAR = re.compile(r"--(\d{1,2})-(\d{1,2})")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _day_month(first: int, second: int) -> tuple[int, int]:
    """Day-first as written in Kenya, Armenia and Russia; month-first only when it must be."""
    if second > 12 >= first:
        return second, first
    return first, second


def _checked(day: int, month: int, year: int | None) -> tuple[int, int, int | None]:
    try:
        # a leap year stands in when the year is unknown, so 29 February is allowed
        dt.date(year or 2000, month, day)
    except ValueError:
        raise ValueError(f"not a date: {day}.{month}.{year}") from None
    return day, month, year


def parse_birthday(
    value: object, today: dt.date | None = None
) -> tuple[int, int, int | None] | None:
    """(day, month, year or None) from a birthday cell, None when empty; ValueError otherwise.

    Reads DD.MM.YYYY, DD/MM/YYYY, DD-MM-YY, YYYY-MM-DD, DD.MM, --MM-DD, Excel date cells and
    Excel serial numbers. Two-digit years go to the most recent past century."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.day, value.month, value.year
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 3653 <= value < 2958466:  # 1910-01-01 ..; 1990 alone is a year, not a date
            raise ValueError(f"not an Excel date: {value!r}")
        serial = _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return serial.day, serial.month, serial.year
    text = cell_text(value).strip()
    if match := _YMD.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
        return _checked(day, month, year)
    if match := _DMY.fullmatch(text):
        first, second, year_text = match.groups()
        year = int(year_text)
        if len(year_text) == 2:
            this_year = (today or dt.date.today()).year
            year += 2000 if 2000 + year <= this_year else 1900
        day, month = _day_month(int(first), int(second))
        return _checked(day, month, year)
    if match := (_DM.fullmatch(text) or _ISO_NO_YEAR.fullmatch(text)):
        a, b = (int(g) for g in match.groups())
        day, month = _day_month(a, b) if match.re is _DM else (b, a)
        return _checked(day, month, None)
    raise ValueError(f"not a date: {text!r}")


# --------------------------------------------------------------------------------------------
# One row


@dataclass
class RowData:
    """A row's values by customer field. `profile` holds the model's profile fields;
    `issues` lists (field, code, raw text) for values that could not be read."""

    profile: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    consents: dict[str, bool] = field(default_factory=dict)
    card_number: str = ""
    partner: dict[str, str] = field(default_factory=dict)
    issues: list[tuple[str, str, str]] = field(default_factory=list)


_TEXT_FIELDS: Final = ("phone", "email", "city", "notes")


def extract_row(cells: Sequence[object], mapping: Mapping[int, str]) -> RowData:
    """The customer fields of one row (cells of a data row, mapping from `guess_mapping` or
    confirmed by the user). Nothing here raises for bad values: they become `issues`."""
    row = RowData()
    first_name = last_name = ""
    for index, name in mapping.items():
        raw = cells[index] if index < len(cells) else None
        if isinstance(raw, CellProblem):
            row.issues.append((name, raw.code, raw.text))
            continue
        if isinstance(raw, str) and raw.strip() in _ERROR_VALUES:
            row.issues.append((name, "formula_error", raw.strip()))
            continue
        text = restore_cell(cell_text(raw))
        if name == "name":
            first_name = text
        elif name == "last_name":
            last_name = text
        elif name in _TEXT_FIELDS:
            row.profile[name] = text
        elif name == "birthday":
            try:
                parsed = parse_birthday(raw if not isinstance(raw, str) else text)
            except ValueError:
                row.issues.append((name, "invalid_birthday", text))
                continue
            if parsed is not None:
                row.profile["birth_day"], row.profile["birth_month"] = parsed[0], parsed[1]
                row.profile["birth_year"] = parsed[2]
        elif name in ("gender", "language"):
            try:
                row.profile[name] = parse_gender(text) if name == "gender" else parse_language(text)
            except ValueError:
                row.issues.append((name, f"invalid_{name}", text))
        elif name == "tags":
            row.tags = parse_tags(text)
        elif name == "card_number":
            row.card_number = "".join(ch for ch in text if ch.isdigit())
            if text and not 4 <= len(row.card_number) <= 20:
                row.issues.append((name, "invalid_card_number", text))
        elif name in ("consent_sms", "consent_email"):
            try:
                flag = parse_yes_no(raw if isinstance(raw, bool) else text)
            except ValueError:
                row.issues.append((name, "invalid_consent", text))
                continue
            if flag is not None:
                row.consents[name.removeprefix("consent_")] = flag
        elif name.startswith("partner_") and text:
            row.partner[name.removeprefix("partner_")] = text
    if "name" in mapping.values() or "last_name" in mapping.values():
        row.profile["name"] = " ".join(part for part in (first_name, last_name) if part)
    return row


# --------------------------------------------------------------------------------------------
# Formats and encodings

SAMPLE_BYTES: Final = 64 * 1024
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_format(path: Path) -> str:
    """The format, "csv" or "xlsx", from the file's content. SpreadsheetError
    ("unsupported_format") for anything else: old .xls and encrypted workbooks, OpenDocument,
    PDF, images, binaries."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise SpreadsheetError("file_empty")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError) as error:
            raise SpreadsheetError("file_unreadable", str(error)) from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise SpreadsheetError("unsupported_format", "ods" if "mimetype" in names else "zip")
    if head.startswith(_XLS_MAGIC):
        raise SpreadsheetError("unsupported_format", "xls")
    for magic, kind in ((b"%PDF", "pdf"), (b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg")):
        if head.startswith(magic):
            raise SpreadsheetError("unsupported_format", kind)
    if _looks_binary(head):
        raise SpreadsheetError("unsupported_format", "binary")
    return "csv"


def _utf16_guess(sample: bytes) -> str | None:
    even, odd = sample[0::2], sample[1::2]
    if len(sample) < 4:
        return None
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / max(len(odd), 1)
    if zero_odd > 0.3 and zero_even < 0.05:
        return "utf-16-le"
    if zero_even > 0.3 and zero_odd < 0.05:
        return "utf-16-be"
    return None


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_guess(head):
        return False
    sample = head[:4096]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 12))
    return b"\x00" in sample or controls > len(sample) * 0.05


def _is_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # a sample may end inside a multi-byte character
        return error.reason == "unexpected end of data" and error.start >= len(sample) - 3
    return True


def detect_encoding(sample: bytes, *, utf8_valid: bool | None = None, more: bytes = b"") -> str:
    """The encoding of CSV bytes: a BOM (UTF-8, UTF-16, UTF-32) wins; then UTF-16 without a
    BOM (NUL byte pattern); then UTF-8 when the bytes are valid UTF-8 (``utf8_valid`` tells it
    for the whole file when known); then cp1251 when the non-ASCII bytes come in runs (Cyrillic
    words), else cp1252 (Western accents). `more` is text from further in the file, for
    files whose first kilobytes are plain ASCII."""
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if sample.startswith(bom):
            return name
    guess = _utf16_guess(sample)
    if guess:
        return guess
    if utf8_valid if utf8_valid is not None else _is_utf8(sample):
        return "utf-8"
    legacy = sample + b"\n" + more
    high = [i for i, b in enumerate(legacy) if b >= 0x80]
    in_runs = sum(
        1
        for i in high
        if (i > 0 and legacy[i - 1] >= 0x80) or (i + 1 < len(legacy) and legacy[i + 1] >= 0x80)
    )
    if high and in_runs >= 0.5 * len(high):
        return "cp1251"
    try:
        legacy.decode("cp1252")
    except UnicodeDecodeError:
        return "cp1251"
    return "cp1252"


_NON_ASCII = re.compile(rb"[\x80-\xff]")


class EncodingSniffer:
    """Fed every chunk of an upload (while it is hashed), tells the encoding of the whole
    file: UTF-8 is checked over all of it, not just the first kilobytes."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._utf8 = True
        self._more = bytearray()  # non-ASCII text found after the head

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < SAMPLE_BYTES:
            self._head += chunk[: SAMPLE_BYTES - len(self._head)]
        elif len(self._more) < SAMPLE_BYTES and not chunk.isascii():
            start = _NON_ASCII.search(chunk)
            if start is not None:
                begin = max(0, start.start() - 256)
                self._more += chunk[begin : begin + SAMPLE_BYTES - len(self._more)]
        if self._utf8:
            try:
                self._decoder.decode(chunk)
            except UnicodeDecodeError:
                self._utf8 = False

    def encoding(self) -> str:
        if self._utf8:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._utf8 = False
        return detect_encoding(self.head, utf8_valid=self._utf8, more=bytes(self._more))


_DELIMITERS: Final = (",", ";", "\t", "|")


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's lines into the same number (> 1) of fields most
    consistently; "," when nothing does. An Excel "sep=;" first line decides by itself."""
    first_line = sample.split("\n", 1)[0].strip().lstrip("\ufeff")
    if first_line.lower().startswith("sep=") and len(first_line) == 5:
        return first_line[4]
    cut = sample.rfind("\n")
    text = sample[:cut] if cut > 0 else sample
    best, best_score = ",", 0.0
    for delimiter in _DELIMITERS:
        try:
            counts = [
                len(row)
                for row, _ in zip(
                    csv.reader(io.StringIO(text), delimiter=delimiter), range(50), strict=False
                )
                if any(cell.strip() for cell in row)
            ]
        except csv.Error:
            continue
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = hits / len(counts) + min(width, 20) / 1000
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --------------------------------------------------------------------------------------------
# Streaming the rows of a file

Row = tuple[int, list[object]]  # (1-based row number as the spreadsheet shows it, cells)
MAX_COLUMNS: Final = 200
HEADER_SCAN_ROWS: Final = 10


@dataclass
class Table:
    """Where the data is: the header row, its titles, and what was set aside."""

    header_row: int
    headers: list[str]
    width: int
    skipped_above: int = 0
    unnamed_columns: list[int] = field(default_factory=list)
    delimiter: str = ""
    sheet: str = ""


def _is_empty(cells: Sequence[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


class SheetReader:
    """Streams the non-empty rows of a stored CSV or XLSX file, after its header row.

        with SheetReader(path, "csv", encoding="cp1251") as sheet:
            sheet.table.headers, sheet.guessed
            for row_number, cells in sheet.rows(): ...

    Memory stays flat whatever the file size (csv module; openpyxl read-only mode, which
    keeps only the shared-string table). XLSX formulas give their cached values; a formula
    that was never calculated, or an error value, becomes a `CellProblem` in its cell.
    """

    def __init__(
        self,
        path: Path,
        file_format: str,
        *,
        encoding: str = "utf-8",
        delimiter: str = "",
        extra_synonyms: Mapping[str, Iterable[str]] | None = None,
        header_row: int | None = None,
        fields: Mapping[str, Iterable[str]] | None = None,
        sheet: str | int | None = None,
    ) -> None:
        self.path = path
        # which sheet of a workbook: its title, or its 0-based position; None: the active one
        self.sheet = sheet
        self.fields = fields  # the header synonyms of the sheet's kind (None: customers)
        self.file_format = file_format
        self.encoding = encoding
        self.delimiter = delimiter
        self.extra_synonyms = extra_synonyms
        self._forced_header = header_row
        self._handles: list[Any] = []
        self._source: Iterator[Row] | None = None
        self._buffer: list[Row] = []
        self.table = Table(header_row=0, headers=[], width=0)
        self.guessed: dict[int, str] = {}
        self.has_data = False
        self.sheet_title = ""
        self.row_count = 0

    # context management ----------------------------------------------------------------
    def __enter__(self) -> SheetReader:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for handle in reversed(self._handles):
            with contextlib.suppress(Exception):  # closing is best effort
                handle.close()
        self._handles.clear()

    # reading ---------------------------------------------------------------------------
    def _open(self) -> None:
        if self.file_format == "csv":
            self._source = self._csv_rows()
        elif self.file_format == "xlsx":
            self._source = self._xlsx_rows()
        else:
            raise SpreadsheetError("unsupported_format", self.file_format)
        self._find_header()

    def _non_empty(self, rows: Iterable[Row]) -> Iterator[Row]:
        for number, cells in rows:
            if len(cells) > MAX_COLUMNS:
                cells = cells[:MAX_COLUMNS]
            if not _is_empty(cells):
                yield number, cells

    def _csv_rows(self) -> Iterator[Row]:
        handle: IO[str] = self.path.open(encoding=self.encoding, newline="", errors="strict")
        self._handles.append(handle)
        try:
            sample = handle.read(SAMPLE_BYTES)
        except UnicodeDecodeError as error:
            raise SpreadsheetError("bad_encoding", str(error), row=1) from None
        handle.seek(0)
        if not self.delimiter:
            self.delimiter = sniff_delimiter(sample)
        skip_sep_line = sample.lstrip("\ufeff").lower().startswith(f"sep={self.delimiter}")
        reader = csv.reader(handle, delimiter=self.delimiter)
        return self._non_empty(self._numbered_csv(reader, skip_sep_line))

    def _numbered_csv(self, reader: Iterator[list[str]], skip_first: bool) -> Iterator[Row]:
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                raise SpreadsheetError("bad_encoding", str(error), row=number + 1) from None
            except csv.Error as error:
                raise SpreadsheetError("bad_csv", str(error), row=number + 1) from None
            number += 1
            if number == 1:
                if skip_first:
                    continue
                if cells:
                    cells[0] = cells[0].lstrip("\ufeff")
            yield number, [cell.strip() for cell in cells]

    def _xlsx_rows(self) -> Iterator[Row]:
        import openpyxl  # imported here: CSV-only callers never pay for it

        try:
            values = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            self._handles.append(values)
            sheet = _chosen_sheet(values, self.sheet)
            sheet.reset_dimensions()  # don't trust the stored size: it may claim XFD1048576
            self.sheet_title = str(sheet.title)
            if not _has_formulas(self.path):
                return self._non_empty(self._xlsx_plain(sheet.iter_rows(values_only=True)))
            formulas = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
            self._handles.append(formulas)
            formula_sheet = formulas[sheet.title]
            formula_sheet.reset_dimensions()
        except SpreadsheetError:
            raise
        except Exception as error:  # openpyxl raises many kinds for a broken workbook
            raise SpreadsheetError("file_unreadable", str(error)) from None
        return self._non_empty(
            self._xlsx_checked(
                sheet.iter_rows(values_only=True), formula_sheet.iter_rows(values_only=True)
            )
        )

    def _xlsx_plain(self, rows: Iterator[tuple[object, ...]]) -> Iterator[Row]:
        number = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as error:
                raise SpreadsheetError("file_unreadable", str(error), row=number + 1) from None
            number += 1
            yield number, list(cells)

    def _xlsx_checked(
        self, rows: Iterator[tuple[object, ...]], formula_rows: Iterator[tuple[object, ...]]
    ) -> Iterator[Row]:
        for (number, cells), formula_cells in zip(
            self._xlsx_plain(rows), formula_rows, strict=False
        ):
            merged = list(cells)
            for index, formula in enumerate(formula_cells):
                if formula is not None and (index >= len(merged) or merged[index] is None):
                    text = formula if isinstance(formula, str) else "="
                    while index >= len(merged):
                        merged.append(None)
                    merged[index] = CellProblem("formula_without_value", str(text))
            yield number, merged

    def _find_header(self) -> None:
        assert self._source is not None
        head: list[Row] = []
        for row in self._source:
            head.append(row)
            if len(head) >= HEADER_SCAN_ROWS + 5:
                break
        if not head:
            raise SpreadsheetError("file_empty")
        if self._forced_header is not None:
            position = next(
                (i for i, (number, _c) in enumerate(head) if number == self._forced_header), 0
            )
        else:
            scores = [
                len(
                    guess_mapping(
                        [cell_text(c) for c in cells], (), self.extra_synonyms, self.fields
                    )
                )
                for _n, cells in head[:HEADER_SCAN_ROWS]
            ]
            position = scores.index(max(scores)) if max(scores) > 0 else 0
        number, cells = head[position]
        headers = [cell_text(c) for c in cells]
        data = head[position + 1 :]
        width = max([len(headers), *(len(c) for _n, c in data)])
        headers += [""] * (width - len(headers))
        while (
            width > 1
            and not headers[width - 1]
            and all(len(c) < width or c[width - 1] in (None, "") for _n, c in data)
        ):
            width -= 1
        headers = headers[:width]
        samples = [cells for _n, cells in data[:20]]
        self.table = Table(
            header_row=number,
            headers=headers,
            width=width,
            skipped_above=position,
            unnamed_columns=[i for i, h in enumerate(headers) if not h.strip()],
            delimiter=self.delimiter,
            sheet=self.sheet_title,
        )
        self.guessed = guess_mapping(headers, samples, self.extra_synonyms, self.fields)
        self._buffer = data
        self.has_data = bool(data)

    def rows(self) -> Iterator[Row]:
        """The data rows after the header, empty rows left out, each padded to the width."""
        assert self._source is not None
        width = self.table.width
        for source in (self._buffer, self._source):
            for number, cells in source:
                if len(cells) < width:
                    cells = [*cells, *([None] * (width - len(cells)))]
                self.row_count += 1
                yield number, cells
        self._buffer = []


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _chosen_sheet(workbook: Any, wanted: str | int | None) -> Any:
    """The worksheet asked for by title (exact, then case-insensitive) or 0-based position;
    the active one when nothing is asked. SpreadsheetError("sheet_not_found") otherwise."""
    sheets = list(workbook.worksheets)
    if wanted is None or wanted == "":
        return workbook.active or sheets[0]
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        if 0 <= wanted < len(sheets):
            return sheets[wanted]
        raise SpreadsheetError("sheet_not_found", str(wanted))
    text = str(wanted)
    for sheet in sheets:
        if sheet.title == text:
            return sheet
    folded = text.strip().casefold()
    for sheet in sheets:
        if str(sheet.title).strip().casefold() == folded:
            return sheet
    raise SpreadsheetError("sheet_not_found", text)


@dataclass
class SheetInfo:
    """One sheet of a workbook as `workbook_sheets` saw it."""

    index: int
    name: str
    rows: int  # data rows under the header (at most the count limit)
    headers: list[str]
    guessed: dict[int, str]
    active: bool = False
    more_rows: bool = False  # the count stopped at the limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "rows": self.rows,
            "more_rows": self.more_rows,
            "headers": self.headers,
            "active": self.active,
            "fields": sorted(set(self.guessed.values())),
        }


def workbook_sheets(
    path: Path,
    file_format: str,
    *,
    extra_synonyms: Mapping[str, Iterable[str]] | None = None,
    fields: Mapping[str, Iterable[str]] | None = None,
    count_limit: int = 1_000_000,
) -> list[SheetInfo]:
    """Every sheet of an XLSX workbook: its title, its data rows (counted while streamed, up
    to `count_limit`), its header titles and the fields guessed from them. An empty sheet has
    no rows and no titles. A CSV file is one sheet without a name: []."""
    if file_format != "xlsx":
        return []
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            names = [str(ws.title) for ws in workbook.worksheets]
            active = workbook.active
            active_name = str(active.title) if active is not None else ""
        finally:
            workbook.close()
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise SpreadsheetError("file_unreadable", str(error)) from None
    found: list[SheetInfo] = []
    for index, name in enumerate(names):
        info = SheetInfo(index, name, 0, [], {}, active=name == active_name)
        try:
            with SheetReader(
                path,
                file_format,
                extra_synonyms=extra_synonyms,
                fields=fields,
                sheet=index,
            ) as reader:
                info.headers = list(reader.table.headers)
                info.guessed = dict(reader.guessed)
                for _row in reader.rows():
                    info.rows += 1
                    if info.rows >= count_limit:
                        info.more_rows = True
                        break
        except SpreadsheetError as error:
            if error.code != "file_empty":
                raise
        found.append(info)
    return found


def likely_sheet(
    sheets: Sequence[SheetInfo], key_fields: Iterable[str] = ("phone", "email")
) -> int:
    """The position of the sheet that looks like the list wanted: a column of `key_fields`
    recognised (a phone-like column first), then the most rows, then the active sheet."""
    if not sheets:
        return 0
    keys = tuple(key_fields)

    def score(info: SheetInfo) -> tuple[int, int, int, int]:
        chosen = set(info.guessed.values())
        rank = next((len(keys) - i for i, key in enumerate(keys) if key in chosen), 0)
        return (1 if rank and info.rows else 0, info.rows if rank else 0, rank, info.active)

    return max(sheets, key=score).index


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (a quick scan of its XML, so
    workbooks without formulas are read once, not twice)."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.startswith("xl/worksheets/") or not name.endswith(".xml"):
                continue
            with archive.open(name) as member:
                tail = b""
                while chunk := member.read(1 << 20):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-8:]
    return False
