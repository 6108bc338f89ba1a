"""Spreadsheet screens through the Django test client: upload → columns → check → import →
result and problem download; exports with filters and the partner file; roles and other
businesses' imports."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wateja.customers.importing import import_upload
from wateja.customers.models import Customer, ImportJob
from wateja.customers.partners import partner_consent_purpose
from wateja.customers.services import consent_record, customer_create
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def xlsx_upload(rows, name="wateja.xlsx", merge=()):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    for cells in merge:
        workbook.active.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def body(response):
    return b"".join(response.streaming_content)


def test_upload_choose_columns_check_and_import(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    assert client.get("/imports/", headers=EN).status_code == 200
    upload = xlsx_upload(
        [
            ["Orodha", None, None],
            ["Jina", "Simu", None],
            ["Amina", "0712 345 678", "Nairobi"],
            ["Baraka", "123", "Kisumu"],
        ],
        merge=["A1:C1"],
    )
    response = client.post("/imports/", {"file": upload, "source": "import"}, headers=EN)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/columns/"

    page = client.get(response["Location"], headers=EN).content.decode()
    assert 'name="col_0"' in page and 'name="col_2"' in page
    assert '<option value="name" selected>' in page
    assert 'data-testid="unnamed-columns"' in page  # column C has no title
    assert "Nairobi" in page  # sample values help to choose

    missing = client.post(f"/imports/{job.pk}/columns/", {"col_0": "name"}, headers=EN)
    assert missing.status_code == 302  # accepted, the check says what is missing
    detail = client.get(f"/imports/{job.pk}/", headers=EN).content.decode()
    assert "phone number or the e-mail" in detail

    bad = client.post(f"/imports/{job.pk}/columns/", {"col_0": "name", "col_1": "name"}, headers=EN)
    assert bad.status_code == 422 and 'data-testid="mapping-error"' in bad.content.decode()

    checked = client.post(
        f"/imports/{job.pk}/columns/",
        {"col_0": "name", "col_1": "phone", "col_2": "city"},
        headers=EN,
    )
    assert checked.status_code == 302
    detail = client.get(f"/imports/{job.pk}/", headers=EN).content.decode()
    assert 'data-testid="preview-errors"' in detail and "invalid_phone" in detail
    problems = client.get(f"/imports/{job.pk}/problems.csv", headers=EN)
    assert "invalid_phone" in body(problems).decode("utf-8-sig")
    xlsx = client.get(f"/imports/{job.pk}/problems.xlsx", headers=EN)
    assert openpyxl.load_workbook(io.BytesIO(body(xlsx))).active["D2"].value == "invalid_phone"

    done = client.post(f"/imports/{job.pk}/run/", headers=EN, follow=True)
    assert done.status_code == 200
    assert 'data-testid="import-result"' in done.content.decode()
    assert list(Customer.objects.values_list("name", "city")) == [("Amina", "Nairobi")]
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 1, 1)
    assert job.created_by.username.startswith("manager")

    # the same file again leads to the same import, and nothing is added
    upload.seek(0)
    again = client.post("/imports/", {"file": upload, "source": "import"}, headers=EN)
    assert again["Location"] == f"/imports/{job.pk}/"
    assert Customer.objects.count() == 1


def test_a_bad_file_is_a_form_error_not_a_crash(business, staff_client):
    client = staff_client(business, Role.OWNER)
    response = client.post(
        "/imports/",
        {"file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)},
        headers=EN,
    )
    assert response.status_code == 400
    assert ".xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_cashiers_and_viewers_cannot_import_or_export(business, staff_client):
    for role in (Role.CASHIER, Role.VIEWER):
        client = staff_client(business, role)
        assert client.get("/imports/", headers=EN).status_code == 403
        assert client.get("/exports/customers/?format=csv", headers=EN).status_code == 403
        assert client.get("/exports/partner/?partner=x&format=csv", headers=EN).status_code == 403


def test_another_business_import_is_404(business, other_business, staff_client):
    job, _created = import_upload(
        business=other_business,
        file_name="theirs.csv",
        fileobj=io.BytesIO(b"Name,Phone\nAni,+37491234567\n"),
    )
    client = staff_client(business, Role.OWNER)
    for path in (
        f"/imports/{job.pk}/",
        f"/imports/{job.pk}/columns/",
        f"/imports/{job.pk}/problems.csv",
    ):
        assert client.get(path, headers=EN).status_code == 404
    assert client.post(f"/imports/{job.pk}/run/", headers=EN).status_code == 404
    assert not Customer.objects.exists()


def test_export_with_filters_and_the_partner_file(business, staff_client):
    amina = customer_create(business=business, name="Amina", phone="0712 345 678", city="Nairobi")
    customer_create(business=business, name="@Baraka", phone="0722 000 111", city="Kisumu")
    consent_record(
        customer=amina,
        channel="partner",
        purpose=partner_consent_purpose("Maua"),
        granted=True,
        text="Share with Maua",
    )
    client = staff_client(business, Role.MANAGER)
    form = client.get("/exports/customers/", headers=EN)
    assert form.status_code == 200 and 'data-testid="export-form"' in form.content.decode()
    response = client.get("/exports/customers/?format=csv&city=Kisumu", headers=EN)
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["'@Baraka"]
    xlsx = client.get("/exports/customers/?format=xlsx", headers=EN)
    assert openpyxl.load_workbook(io.BytesIO(body(xlsx))).active.max_row == 3
    assert AuditEvent.objects.filter(action="customers.export").count() == 2

    partner = client.get("/exports/partner/?partner=Maua&format=csv", headers=EN)
    rows = list(csv.reader(io.StringIO(body(partner).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Amina"]
    unknown = client.get("/exports/partner/?partner=Nobody&format=csv", headers=EN)
    assert unknown.status_code == 422 and "No customer has agreed" in unknown.content.decode()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(business, staff_client, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    client = staff_client(business, Role.MANAGER)
    big = SimpleUploadedFile("big.csv", b"Jina,Simu\n" + b"Amina,0712345678\n" * 130_000)
    response = client.post("/imports/", {"file": big}, headers=EN)
    assert response.status_code == 413
    assert "MB" in response.content.decode()
    assert not ImportJob.objects.exists()
