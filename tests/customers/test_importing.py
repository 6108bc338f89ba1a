"""Importing a customer base: upload, mapping, dry run with per-row problems, batches that are
atomic, resumable and idempotent, and every kind of bad file answered with a typed error."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from wateja.core.errors import DomainError, ValidationFailed
from wateja.customers import importing
from wateja.customers.importing import (
    FileEmpty,
    FileTooLarge,
    FileUnreadable,
    MappingIncomplete,
    MappingInvalid,
    UnsupportedFormat,
    import_errors_file,
    import_preview,
    import_run,
    import_start,
    import_upload,
)
from wateja.customers.models import (
    Card,
    Consent,
    ConsentSource,
    Customer,
    ImportJob,
    ImportStatus,
    Interaction,
    Source,
)
from wateja.customers.services import clean_customer_fields, customer_create, customer_tags
from wateja.tenants.models import AuditEvent


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def csv_bytes(rows, delimiter=",", encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, merge=()):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for cells in merge:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(business, data, name="wateja.csv", **kwargs):
    job, _created = import_upload(
        business=business, file_name=name, fileobj=io.BytesIO(data), **kwargs
    )
    return job


def read_csv(export):
    text = b"".join(export.chunks).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_swahili_headers_are_mapped_and_the_import_creates_customers(business):
    data = csv_bytes(
        [
            ["Jina", "Simu", "Mji", "Barua pepe"],
            ["Amina Wanjiru", "0712 345 678", "Nairobi", "amina@example.com"],
            ["Baraka Otieno", "+254 722 000 111", "Kisumu", ""],
        ]
    )
    job = upload(business, data)
    assert job.file_format == "csv"
    assert job.mapping == {"0": "name", "1": "phone", "2": "city", "3": "email"}
    preview = import_preview(job=job)
    assert preview["ready"] is True
    assert (preview["total_rows"], preview["valid_rows"], preview["error_rows"]) == (2, 2, 0)
    assert Customer.objects.count() == 0  # a dry run writes nothing

    job = import_run(job=job)
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.error_count, job.skipped_count, job.next_row) == (2, 0, 0, 2)
    amina = Customer.objects.get(phone="+254712345678")
    assert (amina.name, amina.city, amina.email, amina.source) == (
        "Amina Wanjiru",
        "Nairobi",
        "amina@example.com",
        Source.IMPORT,
    )
    assert amina.name_key == "amina wanjiru"
    assert amina.business_id == business.pk
    assert Card.objects.filter(customer=amina, status="active").count() == 1
    assert Card.objects.for_business(business).values("number").distinct().count() == 2
    assert AuditEvent.objects.filter(business=business, action="customers.import").exists()


def test_armenian_headers_in_xlsx(other_business):
    data = xlsx_bytes(
        [
            ["Անուն", "Հեռախոս", "Էլ. փոստ", "Քաղաք", "Ծննդյան օր"],
            ["Անի Պետրոսյան", "091 234 567", "ani@example.am", "Երևան", dt.datetime(1991, 5, 2)],
        ]
    )
    job = import_run(job=upload(other_business, data, "hay.xlsx"))
    ani = Customer.objects.get(business=other_business)
    assert (ani.name, ani.phone, ani.city) == ("Անի Պետրոսյան", "+37491234567", "Երևան")
    assert (ani.birth_day, ani.birth_month, ani.birth_year) == (2, 5, 1991)
    assert job.created_count == 1


def test_russian_cp1251_semicolon_csv(make_business):
    shop = make_business(country="RU", currency="RUB", timezone_name="Europe/Moscow")
    data = csv_bytes(
        [
            ["ФИО", "Телефон", "Город", "Дата рождения", "Пол"],
            ["Иван Петров", "8 916 123-45-67", "Москва", "15.03.1990", "м"],
            ["Ольга Смирнова", "+7 916 765 43 21", "Казань", "01.12", "Ж"],
        ],
        delimiter=";",
        encoding="cp1251",
    )
    job = upload(shop, data)
    assert job.encoding == "cp1251"
    import_run(job=job)
    ivan = Customer.objects.get(business=shop, phone="+79161234567")
    assert (ivan.name, ivan.city, ivan.gender, ivan.birth_year) == (
        "Иван Петров",
        "Москва",
        "male",
        1990,
    )
    olga = Customer.objects.get(business=shop, phone="+79167654321")
    assert (olga.birth_day, olga.birth_month, olga.birth_year, olga.gender) == (
        1,
        12,
        None,
        "female",
    )


def test_utf16_csv_with_bom_and_tabs(business):
    data = "Name\tPhone\tEmail\nZawadi\t0711 111 111\tzawadi@example.com\n".encode("utf-16")
    job = upload(business, data, "export.txt")
    assert job.encoding == "utf-16"
    import_run(job=job)
    assert Customer.objects.get(phone="+254711111111").name == "Zawadi"


def test_xlsx_with_title_merged_header_formulas_and_empty_rows(business):
    data = xlsx_bytes(
        [
            ["Wateja wetu"],
            ["Jina", "Simu", None, "Tarehe ya kuzaliwa"],
            ["Amina", 712345678, "0722000111", "15.03.1990"],
            [None, None, None, None],
            ['=CONCAT("Ba","raka")', "0733 000 222", None, None],
            ["Chausiku", "0744 000 333", None, "=DATE(1990,1,1)"],
        ],
        merge=["A1:D1", "B2:C2"],
    )
    job = upload(business, data, "wateja.xlsx")
    assert job.report["table"]["header_row"] == 2
    assert job.report["table"]["skipped_above"] == 1
    assert job.report["table"]["unnamed_columns"] == ["C"]
    preview = import_preview(job=job)
    assert preview["total_rows"] == 3  # the empty row is not a row
    # a name never calculated rejects the row; a birthday never calculated is left out
    assert preview["valid_rows"] == 2
    assert preview["errors_by_code"] == {"formula_without_value": 1}
    assert {(e["row"], e["column"]) for e in preview["errors"]} == {(5, "A (Jina)")}
    assert [(w["row"], w["column"], w["level"]) for w in preview["warnings"]] == [
        (6, "D (Tarehe ya kuzaliwa)", "warning")
    ]
    job = import_run(job=job)
    assert list(Customer.objects.order_by("pk").values_list("name", "phone", "birth_day")) == [
        ("Amina", "+254712345678", 15),
        ("Chausiku", "+254744000333", None),
    ]
    assert (job.created_count, job.error_count) == (2, 1)


def test_preview_reports_every_kind_of_row_problem_and_writes_the_report(business):
    customer_create(business=business, name="Already here", phone="0700 000 001")
    data = csv_bytes(
        [
            ["Name", "Phone", "Email", "Birthday", "SMS consent"],
            ["Good One", "0711 000 001", "good@example.com", "01.02.1990", "yes"],
            ["Bad Phone", "12345", "", "", ""],
            ["Bad Mail", "0711 000 002", "not-an-address", "", ""],
            ["Twin", "0711 000 001", "", "", ""],
            ["In Base", "+254700000001", "", "", ""],
            ["", "0711 000 003", "", "", ""],
            ["No Contact", "", "", "", ""],
            ["Bad Day", "0711 000 004", "", "31.02.1990", ""],
            ["Maybe", "0711 000 005", "", "", "maybe"],
            ['=HYPERLINK("http://evil.example","x")', "0711 000 006", "", "", ""],
        ]
    )
    job = upload(business, data)
    preview = import_preview(job=job)
    assert preview["total_rows"] == 10
    # the good one, the formula-looking name, and three imported without a bad optional value
    assert preview["valid_rows"] == 5
    assert preview["duplicate_rows"] == 2
    assert preview["error_rows"] == 3
    codes = {e["row"]: e["code"] for e in preview["errors"]}
    assert codes == {
        3: "invalid_phone",
        5: "duplicate_in_file",
        6: "duplicate_in_base",
        7: "missing_name",
        8: "missing_contact",
    }
    warnings = {w["row"]: w["code"] for w in preview["warnings"]}
    assert warnings == {4: "invalid_email", 9: "invalid_birthday", 10: "invalid_consent"}
    assert preview["warning_rows"] == 3
    bad_mail = next(w for w in preview["warnings"] if w["row"] == 4)
    assert bad_mail["message"].startswith("Imported without the e-mail:")
    assert bad_mail["column"] == "C (Email)" and bad_mail["value"] == "not-an-address"
    twin = next(e for e in preview["errors"] if e["row"] == 5)
    assert twin["column"] == "B (Phone)" and "2" in twin["message"]
    in_base = next(e for e in preview["errors"] if e["row"] == 6)
    assert in_base["column"] == "B (Phone)" and in_base["value"] == "+254700000001"

    report = read_csv(import_errors_file(job=job, fmt="csv"))
    assert report[0] == ["Row", "Column", "Value", "Problem code", "Problem", "Outcome"]
    assert sorted(int(r[0]) for r in report[1:]) == [3, 4, 5, 6, 7, 8, 9, 10]
    outcome = {int(r[0]): r[5] for r in report[1:]}
    assert outcome[4] == "imported without this value" and outcome[3] == "row not imported"
    workbook = openpyxl.load_workbook(
        io.BytesIO(b"".join(import_errors_file(job=job, fmt="xlsx").chunks)), read_only=True
    )
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("Row", "Column", "Value", "Problem code", "Problem", "Outcome")
    assert {r[3] for r in rows[1:]} == set(codes.values()) | set(warnings.values())

    job = import_run(job=job)
    assert (job.created_count, job.skipped_count, job.error_count) == (5, 2, 3)
    assert job.report["run"]["warning_rows"] == 3
    bad_mail = Customer.objects.get(phone="+254711000002")
    assert (bad_mail.name, bad_mail.email) == ("Bad Mail", "")
    assert Customer.objects.get(phone="+254711000004").birth_day is None
    assert not Consent.objects.filter(customer__phone="+254711000005").exists()
    good = Customer.objects.get(phone="+254711000001")
    consent = Consent.objects.get(customer=good)
    assert (consent.channel, consent.granted, consent.source) == ("sms", True, ConsentSource.IMPORT)
    assert "wateja.csv" in consent.text
    assert Interaction.objects.filter(customer=good, kind="consent").count() == 1
    # stored as typed; neutralised whenever it is written to a spreadsheet
    assert Customer.objects.filter(name__startswith="=HYPERLINK").count() == 1
    run_report = read_csv(import_errors_file(job=job, fmt="csv"))
    assert len(run_report) == 1 + 8  # 5 rows left out, 3 imported with a warning


def test_problem_messages_follow_the_language(business):
    data = csv_bytes([["Jina", "Simu"], ["Amina", "12"]])
    job = upload(business, data)
    with translation.override("sw"):
        preview = import_preview(job=job)
        with pytest.raises(ValidationFailed) as expected:
            clean_customer_fields(business, {"phone": "12"})
    assert preview["errors"][0]["code"] == "invalid_phone"
    assert preview["errors"][0]["message"] == expected.value.details["fields"]["phone"][0]


def test_the_same_file_twice_is_the_same_import_and_imports_once(business, media):
    data = csv_bytes([["Name", "Phone"], ["Amina", "0712 345 678"], ["Baraka", "0722 000 111"]])
    first, created = import_upload(business=business, file_name="a.csv", fileobj=io.BytesIO(data))
    assert created is True
    import_run(job=first)
    second, created_again = import_upload(
        business=business, file_name="copy.csv", fileobj=io.BytesIO(data)
    )
    assert (second.pk, created_again) == (first.pk, False)
    assert import_run(job=second).status == ImportStatus.DONE
    assert Customer.objects.count() == 2
    assert ImportJob.objects.count() == 1
    files = sorted(p.name for p in (Path(media) / "imports" / str(business.pk)).iterdir())
    assert [f for f in files if not f.endswith("-errors.csv")] == [f"{first.file_sha256}.csv"]
    # another file with the same people: every row is already in the base
    moved = csv_bytes([["Phone", "Name"], ["+254722000111", "Baraka"], ["0712345678", "Amina"]])
    again = import_run(job=upload(business, moved, "b.csv"))
    assert (again.created_count, again.skipped_count) == (0, 2)
    assert Customer.objects.count() == 2


def test_a_crash_mid_import_rolls_back_its_batch_and_a_rerun_resumes(business, monkeypatch):
    rows = [["Name", "Phone", "Tags"]] + [
        [f"Customer {n}", f"07{n:08d}", "vip" if n % 2 else ""] for n in range(1, 26)
    ]
    rows[12][1] = "not a phone"  # spreadsheet row 13: a problem in batch 2
    job = upload(business, csv_bytes(rows))
    import_preview(job=job)
    original = importing._Writer._tags
    calls = {"n": 0}

    def crash_in_second_batch(self, ids, candidates):
        calls["n"] += 1
        original(self, ids, candidates)
        if calls["n"] == 2:  # customers and cards of batch 2 are written: then it fails
            raise RuntimeError("power cut")

    monkeypatch.setattr(importing._Writer, "_tags", crash_in_second_batch)
    with pytest.raises(RuntimeError):
        import_run(job=job, batch_size=10)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.next_row == 10
    assert Customer.objects.count() == 10  # batch 1 only: batch 2 was rolled back whole
    assert Card.objects.count() == 10
    assert "10" in job.report["run"]["failure"]

    monkeypatch.setattr(importing._Writer, "_tags", original)
    job = import_run(job=job, batch_size=10)
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.error_count, job.next_row) == (24, 1, 25)
    phones = list(Customer.objects.values_list("phone", flat=True))
    assert len(phones) == len(set(phones)) == 24
    assert Card.objects.count() == 24
    vip = Customer.objects.get(phone="+254700000003")
    assert customer_tags(vip) == ["vip"]
    problems = read_csv(import_errors_file(job=job, fmt="csv"))
    assert [(r[0], r[3]) for r in problems[1:]] == [("13", "invalid_phone")]


def test_statistics_are_refreshed_as_a_big_import_grows(business, monkeypatch):
    monkeypatch.setattr(importing._Statistics, "FIRST", 4)
    rows = [["Name", "Phone"]] + [[f"C{n}", f"07110000{n:02d}"] for n in range(30)]
    job = import_run(job=upload(business, csv_bytes(rows)), batch_size=4)
    assert job.created_count == 30  # on PostgreSQL, ANALYZE ran after 4, 8 and 16 rows


def test_resumed_import_still_knows_the_duplicates_of_earlier_batches(business, monkeypatch):
    rows = [
        ["Name", "Phone"],
        ["A", "0711 000 001"],
        ["B", "0711 000 002"],
        ["C", "0711 000 003"],
        ["A again", "0711000001"],
    ]
    job = upload(business, csv_bytes(rows))
    import_preview(job=job)
    original = importing._Writer.write

    def crash_later(self, candidates):
        if any(c.row == 4 for c in candidates):
            raise RuntimeError("crash")
        return original(self, candidates)

    monkeypatch.setattr(importing._Writer, "write", crash_later)
    with pytest.raises(RuntimeError):
        import_run(job=job, batch_size=2)
    monkeypatch.setattr(importing._Writer, "write", original)
    job = import_run(job=job, batch_size=2)
    assert job.report["run"]["errors_by_code"] == {"duplicate_in_file": 1}
    assert Customer.objects.count() == 3


def test_a_bigger_file_than_allowed_is_refused_without_a_trace(business, media, settings):
    settings.IMPORT_MAX_BYTES = 50 * 1024 * 1024

    class Endless(io.RawIOBase):
        """51 MB of CSV rows, produced on the fly."""

        def __init__(self):
            self.left = 51 * 1024 * 1024

        def readable(self):
            return True

        def readinto(self, buffer):
            size = min(len(buffer), self.left)
            line = b"Amina,0712345678\n"
            chunk = (line * (size // len(line) + 1))[:size]
            buffer[:size] = chunk
            self.left -= size
            return size

    with pytest.raises(FileTooLarge) as error:
        import_upload(business=business, file_name="big.csv", fileobj=io.BufferedReader(Endless()))
    assert (error.value.status, error.value.code) == (413, "file_too_large")
    assert error.value.details["limit_bytes"] == 50 * 1024 * 1024
    assert not ImportJob.objects.exists()
    assert list((Path(media) / "imports" / str(business.pk)).iterdir()) == []


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (b"", FileEmpty, "file_empty"),
        (b"\r\n\r\n ;; \r\n", FileEmpty, "file_empty"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            UnsupportedFormat,
            "unsupported_format",
        ),
        (b"%PDF-1.4\n%...", UnsupportedFormat, "unsupported_format"),
        (bytes(range(256)) * 20, UnsupportedFormat, "unsupported_format"),
        (b"PK\x03\x04 this is not really a zip", FileUnreadable, "file_unreadable"),
        (b"Name,Phone\n", FileEmpty, "file_empty"),
        (b'Name,Phone\n"Amina,0712345678\n' + b"x" * 200_000, FileUnreadable, "bad_csv"),
    ],
)
def test_bad_files_are_typed_errors(business, media, data, error, code):
    with pytest.raises(error) as raised:
        upload(business, data)
    assert raised.value.code == code
    assert raised.value.status in (413, 422)
    assert str(raised.value.message)
    assert not ImportJob.objects.exists()
    assert list((Path(media) / "imports" / str(business.pk)).iterdir()) == []


def test_mapping_confirmed_by_the_user(business):
    data = csv_bytes([["Kolumn 1", "Kolumn 2", "Mahali"], ["Amina", "0712 345 678", "Nairobi"]])
    job = upload(business, data)
    assert job.mapping == {}  # nothing recognised, and the values are too few to guess
    preview = import_preview(job=job)
    assert preview["ready"] is False
    assert preview["missing_fields"] == ["name", "phone"]
    with pytest.raises(MappingIncomplete):
        import_run(job=job)
    with pytest.raises(MappingInvalid) as invalid:
        import_preview(job=job, mapping={"0": "name", "1": "name", "7": "phone", "2": "colour"})
    assert set(invalid.value.details["fields"]) == {"1", "7", "2"}
    preview = import_preview(job=job, mapping={"0": "name", "1": "phone", "2": None})
    assert preview["ready"] is True and preview["valid_rows"] == 1
    import_run(job=job)
    assert Customer.objects.get().city == ""  # the city column was left out
    with pytest.raises(importing.ImportStateError):
        import_preview(job=job, mapping={"0": "name", "1": "phone", "2": "city"})


def test_tags_cards_consents_and_other_columns(business):
    customer_create(business=business, name="Old", phone="0700 000 009")
    taken = Card.objects.get().number
    data = csv_bytes(
        [
            ["Name", "Phone", "Tags", "Card number", "E-mail consent", "Email", "Language"],
            ["Amina", "0711 000 001", "VIP, coffee", "1234 5678 9012", "ndiyo", "a@x.com", "sw"],
            ["Baraka", "0711 000 002", "", taken, "", "", "English"],
            ["Chausiku", "0711 000 003", "coffee", "", "hapana", "c@x.com", ""],
        ]
    )
    job = import_run(job=upload(business, data))
    assert job.error_count == 1  # Baraka: the card number is someone else's
    assert job.report["run"]["errors_by_code"] == {"card_in_use": 1}
    amina = Customer.objects.get(phone="+254711000001")
    assert customer_tags(amina) == ["coffee", "vip"]
    assert amina.cards.get().number == "123456789012"
    assert amina.language == "sw"
    assert Consent.objects.get(customer=amina).channel == "email"
    chausiku = Customer.objects.get(phone="+254711000003")
    assert not Consent.objects.filter(customer=chausiku).exists()
    assert len(chausiku.cards.get().number) == 12


def test_big_imports_go_to_the_worker(business, monkeypatch):
    import wateja.jobs.import_tasks  # noqa: F401 - registers the Huey task (immediate in tests)

    monkeypatch.setattr(importing, "SYNC_MAX_ROWS", 2)
    rows = [["Name", "Phone"]] + [[f"C{n}", f"07110000{n:02d}"] for n in range(10)]
    job = upload(business, csv_bytes(rows))
    job, queued = import_start(job=job)
    assert queued is True
    assert job.status == ImportStatus.DONE
    assert Customer.objects.count() == 10


def test_a_running_import_is_not_started_twice(business):
    job = upload(business, csv_bytes([["Name", "Phone"], ["A", "0711000001"]]))
    import_preview(job=job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        report={**job.report, "run": {"heartbeat": dt.datetime.now(dt.UTC).isoformat()}},
    )
    with pytest.raises(importing.ImportStateError) as error:
        import_start(job=job)
    assert error.value.code == "import_running"


def test_partner_file_columns_mark_the_source_and_keep_the_reference(business):
    data = csv_bytes(
        [
            [
                "Name",
                "Phone",
                "Email",
                "Consent reference",
                "Consent recorded at",
                "Consent text",
                "Shared by",
            ],
            ["Amina", "0711 000 001", "", "42", "2025-01-02T10:00:00Z", "Share my name", "Maua"],
        ]
    )
    job = upload(business, data, source=Source.PARTNER)
    import_run(job=job)
    amina = Customer.objects.get()
    assert amina.source == Source.PARTNER
    note = Interaction.objects.get(customer=amina)
    assert note.kind == "consent" and "Maua" in note.summary and "42" in note.summary
    assert note.reference == "partner-consent:42"
    assert "Share my name" in note.body
    assert not Consent.objects.exists()  # no marketing consent comes with a partner file


PIECES = [
    *("Jina", "Simu", "Name", "Phone", "Email", "Имя", "Телефон", "Անուն", "=1+1", "#N/A"),
    *("", " ", "0712 345 678", "+254712345678", "a@b.co", "@x", "31.02.1990", "15.03"),
    *("yes", "ndiyo", "\ufeff", '"', "'", ";", ",", "\t", "\n", "\r", "é", "💥", "x" * 300),
]


def test_random_files_only_ever_raise_typed_errors(business):
    """Never a 500: whatever the bytes, the outcome is an import or a DomainError."""
    rng = random.Random(3)
    outcomes: Counter[str] = Counter()
    for _ in range(120):
        kind = rng.random()
        if kind < 0.6:
            rows = [
                [rng.choice([*PIECES, "\x00"]) for _ in range(rng.randint(1, 6))]
                for _ in range(rng.randint(1, 8))
            ]
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=rng.choice(",;\t")).writerows(rows)
            encoding = rng.choice(["utf-8", "utf-16", "cp1251", "utf-8-sig"])
            data = buffer.getvalue().encode(encoding, errors="replace")
        elif kind < 0.8:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        else:
            rows = [
                [rng.choice([*PIECES, 1.5, 712345678, None]) for _ in range(rng.randint(1, 5))]
                for _ in range(rng.randint(1, 6))
            ]
            data = xlsx_bytes(rows)
            if rng.random() < 0.3:
                data = data[: rng.randint(10, len(data))]
        try:
            job = upload(business, data)
            if import_preview(job=job)["ready"]:
                import_run(job=job, batch_size=3)
                b"".join(import_errors_file(job=job, fmt="xlsx").chunks)
            outcomes["imported"] += 1
        except DomainError as error:
            outcomes[f"{error.status} {error.code}"] += 1
    assert outcomes["imported"] > 20 and outcomes["422 unsupported_format"] > 10
    assert {key.split()[0] for key in outcomes} <= {"imported", "413", "422"}
