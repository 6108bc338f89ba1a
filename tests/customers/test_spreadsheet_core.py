"""wateja.core.spreadsheet: headers in four languages, encodings, delimiters, birthdays, XLSX
formulas and merged headers, formula injection. Pure Python: no database."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from wateja.core.spreadsheet import (
    CellProblem,
    EncodingSniffer,
    SheetReader,
    SpreadsheetError,
    cell_text,
    column_letter,
    detect_encoding,
    detect_format,
    extract_row,
    guess_mapping,
    normalize_header,
    parse_birthday,
    parse_gender,
    parse_language,
    parse_yes_no,
    restore_cell,
    safe_cell,
    sniff_delimiter,
    yes_no_word,
)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Jina", "Simu", "Mji"], {0: "name", 1: "phone", 2: "city"}),
        (
            ["Barua pepe", "Namba ya simu", "Jina la mteja", "Tarehe ya kuzaliwa", "Namba ya kadi"],
            {0: "email", 1: "phone", 2: "name", 3: "birthday", 4: "card_number"},
        ),
        (
            ["Անուն", "Հեռախոս", "Էլ. փոստ", "Քաղաք", "Ծննդյան օր"],
            {0: "name", 1: "phone", 2: "email", 3: "city", 4: "birthday"},
        ),
        (
            ["ФИО", "Телефон", "E-mail", "Город", "Дата рождения", "Пол", "Заметки"],
            {0: "name", 1: "phone", 2: "email", 3: "city", 4: "birthday", 5: "gender", 6: "notes"},
        ),
        (
            ["Имя", "Фамилия", "Номер телефона", "Номер карты", "Согласие на SMS"],
            {0: "name", 1: "last_name", 2: "phone", 3: "card_number", 4: "consent_sms"},
        ),
        (
            [" NAME ", "Phone number", "Email", "Email consent", "Tags", "Language", "Card #"],
            {
                0: "name",
                1: "phone",
                2: "email",
                3: "consent_email",
                4: "tags",
                5: "language",
                6: "card_number",
            },
        ),
    ],
)
def test_headers_in_any_language_and_order_are_recognised(headers, expected):
    assert guess_mapping(headers) == expected


def test_each_field_goes_to_one_column_the_leftmost_exact_match():
    assert guess_mapping(["Телефон", "Номер телефона", "Phone 2"]) == {0: "phone"}
    # "namba" alone is a phone number, inside "namba ya kadi" it is not
    assert guess_mapping(["Namba", "Namba ya kadi"]) == {0: "phone", 1: "card_number"}


def test_unknown_headers_are_left_out_and_untitled_columns_guessed_from_values():
    headers = ["Jina", "", None, "Kiasi"]
    samples = [["Amina", "0712 345 678", "amina@example.com", "10"]] * 3
    assert guess_mapping(headers, samples) == {0: "name", 1: "phone", 2: "email"}


def test_extra_synonyms_come_from_our_own_translated_exports():
    assert guess_mapping(["Номер клубной карточки"]) == {}
    extra = {"card_number": ["Номер клубной карточки"]}
    assert guess_mapping(["Номер клубной карточки"], (), extra) == {0: "card_number"}


def test_normalize_header():
    assert normalize_header("  E-Mail ") == "e mail"
    assert normalize_header("Էլ. փոստ") == "էլ փոստ"
    assert normalize_header("Ёлка_2") == "елка 2"
    assert normalize_header(None) == ""


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("＝HYPERLINK()", "'＝HYPERLINK()"),
        ("+254 712 345678", "+254 712 345678"),
        ("-5", "-5"),
        ("Amina", "Amina"),
        ("", ""),
        (42, 42),
    ],
)
def test_safe_cell_neutralises_formulas_and_restore_cell_reads_them_back(value, safe):
    assert safe_cell(value) == safe
    if isinstance(value, str):
        assert restore_cell(str(safe_cell(value))) == value


def test_restore_cell_keeps_an_ordinary_apostrophe():
    assert restore_cell("'Tis") == "'Tis"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Имя;Телефон\nИван Петров;89161234567\n".encode("cp1251"), "cp1251"),
        ("Name,City\nJosé Müller,Zürich\n".encode("cp1252"), "cp1252"),
        ("Jina\tSimu\n".encode("utf-16"), "utf-16"),
        ("Jina,Simu\n".encode("utf-16-le"), "utf-16-le"),
        ("Jina,Simu\n".encode("utf-16-be"), "utf-16-be"),
        ("Անուն,Հեռախոս\n".encode("utf-8-sig"), "utf-8-sig"),
        ("Անուն,Հեռախոս\n".encode(), "utf-8"),
    ],
)
def test_encodings_are_detected(data, encoding):
    assert detect_encoding(data) == encoding
    assert (
        data.decode(detect_encoding(data))
        .lstrip("\ufeff")
        .startswith(data.decode(encoding).lstrip("\ufeff")[:3])
    )


def test_the_sniffer_checks_utf8_over_the_whole_file():
    sniffer = EncodingSniffer()
    sniffer.feed(("Jina,Simu\n" * 10000).encode())  # over 64 KiB of ASCII
    sniffer.feed("Иван;0712\n".encode("cp1251"))
    assert sniffer.encoding() == "cp1251"
    clean = EncodingSniffer()
    text = "Ани Петросян,Ереван\n".encode()
    clean.feed(text[:3])  # a chunk boundary inside a character is fine
    clean.feed(text[3:])
    assert clean.encoding() == "utf-8"


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("sep=;\na;b\n", ";"),
        ("just one column\nvalue\n", ","),
        ('"Kamau, John";0712\n"Otieno, Ann";0722\n', ";"),
    ],
)
def test_sniff_delimiter(sample, delimiter):
    assert sniff_delimiter(sample) == delimiter


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15.03.1990", (15, 3, 1990)),
        ("15/03/1990", (15, 3, 1990)),
        ("1990-03-15", (15, 3, 1990)),
        ("1990-03-15T00:00:00", (15, 3, 1990)),
        ("03/25/1990", (25, 3, 1990)),  # month first only when it must be
        ("15.03", (15, 3, None)),
        ("29.02", (29, 2, None)),
        ("--03-15", (15, 3, None)),
        ("01.02.85", (1, 2, 1985)),
        ("01.02.05", (1, 2, 2005)),
        (dt.datetime(1990, 3, 15), (15, 3, 1990)),
        (dt.date(1990, 3, 15), (15, 3, 1990)),
        (32947, (15, 3, 1990)),  # an Excel serial number
        ("", None),
        (None, None),
    ],
)
def test_birthdays_in_common_forms(value, expected):
    assert parse_birthday(value, today=dt.date(2025, 6, 1)) == expected


@pytest.mark.parametrize("value", ["31.02.1990", "tomorrow", "1990", 1990, "32.01", "15.13.1990"])
def test_bad_birthdays_raise(value):
    with pytest.raises(ValueError):
        parse_birthday(value)


def test_yes_no_gender_language_words():
    assert [parse_yes_no(v) for v in ("Yes", "ndiyo", "да", "այո", "x", 1, True, "")] == [
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        None,
    ]
    assert [parse_yes_no(v) for v in ("no", "Hapana", "Нет", "ոչ", "0", False)] == [False] * 6
    with pytest.raises(ValueError):
        parse_yes_no("maybe")
    for language in ("en", "sw", "hy", "ru"):
        assert parse_yes_no(yes_no_word(True, language)) is True
        assert parse_yes_no(yes_no_word(False, language)) is False
    assert [parse_gender(v) for v in ("F", "Ж", "mwanaume", "իգական", "")] == [
        "female",
        "female",
        "male",
        "female",
        "",
    ]
    assert [parse_language(v) for v in ("Kiswahili", "русский", "Հայերեն", "EN")] == [
        "sw",
        "ru",
        "hy",
        "en",
    ]
    with pytest.raises(ValueError):
        parse_language("Klingon")


def test_cell_text():
    assert cell_text(712345678.0) == "712345678"
    assert cell_text(1.5) == "1.5"
    assert cell_text(dt.datetime(1990, 3, 15)) == "1990-03-15"
    assert cell_text(None) == ""
    assert cell_text("  Amina\x00 ") == "Amina"
    assert column_letter(0) == "A" and column_letter(27) == "AB"


def test_extract_row_turns_bad_values_into_issues():
    mapping = {0: "name", 1: "last_name", 2: "birthday", 3: "gender", 4: "consent_sms", 5: "tags"}
    row = extract_row(["Ани", "Петросян", "31.02.1990", "?", "maybe", "vip; coffee"], mapping)
    assert row.profile["name"] == "Ани Петросян"
    assert row.tags == ["vip", "coffee"]
    assert [code for _f, code, _t in row.issues] == [
        "invalid_birthday",
        "invalid_gender",
        "invalid_consent",
    ]
    problem = extract_row([CellProblem("formula_without_value", "=A1")], {0: "name"})
    assert problem.issues == [("name", "formula_without_value", "=A1")]


# --------------------------------------------------------------------------------------------
# Files


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_detect_format_by_content_not_by_name(tmp_path):
    xlsx = tmp_path / "customers.csv"  # a workbook with the wrong extension
    workbook = openpyxl.Workbook()
    workbook.active.append(["Jina"])
    workbook.save(xlsx)
    assert detect_format(xlsx) == "xlsx"
    assert detect_format(_write(tmp_path, "list.xlsx", b"Jina,Simu\nA,1\n")) == "csv"
    cases = {
        "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        "doc.pdf": b"%PDF-1.7\n...",
        "photo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
        "blob.bin": bytes(range(256)) * 4,
    }
    for name, data in cases.items():
        with pytest.raises(SpreadsheetError) as error:
            detect_format(_write(tmp_path, name, data))
        assert error.value.code == "unsupported_format"
    with pytest.raises(SpreadsheetError) as empty:
        detect_format(_write(tmp_path, "empty.csv", b"\xef\xbb\xbf \r\n"))
    assert empty.value.code == "file_empty"
    ods = tmp_path / "sheet.ods"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(SpreadsheetError) as odf:
        detect_format(ods)
    assert odf.value.detail == "ods"


def test_csv_reader_skips_title_and_empty_rows(tmp_path):
    data = (
        "Orodha ya wateja;;\nJina;Simu;Mji\n;;\n"
        "Amina;0712 345 678;Nairobi\n\nBaraka;0722 000 111;Mombasa\n"
    )
    path = _write(tmp_path, "a.csv", data.encode("cp1251"))
    with SheetReader(path, "csv", encoding="cp1251") as sheet:
        assert sheet.table.header_row == 2
        assert sheet.table.skipped_above == 1
        assert sheet.table.delimiter == ";"
        assert sheet.guessed == {0: "name", 1: "phone", 2: "city"}
        assert list(sheet.rows()) == [
            (4, ["Amina", "0712 345 678", "Nairobi"]),
            (6, ["Baraka", "0722 000 111", "Mombasa"]),
        ]


def test_utf16_csv_with_bom_and_tabs(tmp_path):
    path = _write(tmp_path, "b.csv", "Имя\tТелефон\nИван\t89161234567\n".encode("utf-16"))
    with SheetReader(path, "csv", encoding=detect_encoding(path.read_bytes())) as sheet:
        assert sheet.table.headers == ["Имя", "Телефон"]
        assert list(sheet.rows()) == [(2, ["Иван", "89161234567"])]


def test_csv_with_the_wrong_encoding_is_a_file_error_with_the_row(tmp_path):
    path = _write(tmp_path, "c.csv", b"Jina,Simu\n" + "Иван,1\n".encode("cp1251"))
    with pytest.raises(SpreadsheetError) as error, SheetReader(path, "csv") as sheet:
        list(sheet.rows())
    assert error.value.code == "bad_encoding"


def test_xlsx_formulas_merged_header_and_empty_rows(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Wateja wetu 2025"])
    sheet.merge_cells("A1:D1")
    sheet.append(["Jina", "Simu", None, "Tarehe ya kuzaliwa"])
    sheet.merge_cells("B2:C2")  # one title over two phone columns
    sheet.append(["Amina", 712345678, "0722000111", dt.datetime(1990, 3, 15)])
    sheet.append([None, None, None, None])
    sheet.append(['=CONCAT("Ba","raka")', "0733 000 222", None, "15.04"])
    sheet.append(["#N/A", "0744 000 333", None, None])
    path = tmp_path / "d.xlsx"
    workbook.save(path)
    with SheetReader(path, "xlsx") as reader:
        assert reader.table.header_row == 2
        assert reader.table.sheet == "Sheet"
        assert reader.table.skipped_above == 1
        assert reader.table.unnamed_columns == [2]
        assert reader.guessed == {0: "name", 1: "phone", 3: "birthday"}
        rows = list(reader.rows())
    assert [number for number, _cells in rows] == [3, 5, 6]
    first = extract_row(rows[0][1], reader.guessed)
    assert first.profile == {
        "name": "Amina",
        "phone": "712345678",
        "birth_day": 15,
        "birth_month": 3,
        "birth_year": 1990,
    }
    assert isinstance(rows[1][1][0], CellProblem)  # never calculated: no cached value
    assert extract_row(rows[1][1], reader.guessed).issues[0][1] == "formula_without_value"
    assert extract_row(rows[2][1], reader.guessed).issues[0][1] == "formula_error"


def test_broken_workbook_is_a_file_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    with pytest.raises(SpreadsheetError) as error, SheetReader(path, "xlsx"):
        pass
    assert error.value.code == "file_unreadable"
