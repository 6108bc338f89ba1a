"""The import screens for a business switching systems, through the Django test client: the
sheet picked on the column screen (the active sheet is the products), opening balances and
rows imported without a bad e-mail shown in the check and the result, the link to the
imported customers, and "Undo the import" after a confirmation, refused when one customer
bought since."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wateja.customers.models import Customer, ImportJob
from wateja.orders.services import order_record
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role
from wateja.wallet.services import balances, ledger_check

EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def two_sheets(name="switch.xlsx", extra=""):
    book = openpyxl.Workbook()
    book.active.title = "Products"
    for row in [["Product", "Price", "Stock"], *([f"Item {n}", 100, n] for n in range(20))]:
        book.active.append(row)
    sheet = book.create_sheet("Clients")
    for row in [
        ["Name", "Phone", "Email", "Points"],
        ["Amina" + extra, "0712 345 678", "amina@example.com", "1,250"],
        ["Baraka" + extra, "0733 000 222", "not an e-mail", "300"],
    ]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_pick_the_sheet_check_import_see_them_and_undo(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    response = client.post("/imports/", {"file": two_sheets()}, headers=EN)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    columns = client.get(response["Location"], headers=EN).content.decode()
    assert 'data-testid="import-sheets"' in columns
    assert 'value="Clients" id="sheet_1" checked' in columns  # the customer-like sheet
    assert "looks like customers" in columns and "Product · Price · Stock" in columns
    assert '<option value="opening_points" selected>' in columns

    # the owner looks at the other sheet, then comes back
    moved = client.post(f"/imports/{job.pk}/columns/", {"sheet": "Products"}, headers=EN)
    assert moved.status_code == 302
    page = client.get(f"/imports/{job.pk}/columns/", headers=EN).content.decode()
    assert 'value="Products" id="sheet_0" checked' in page
    wrong = client.post(f"/imports/{job.pk}/columns/", {"sheet": "Nope"}, headers=EN)
    assert wrong.status_code == 422 and "has no sheet" in wrong.content.decode()
    client.post(f"/imports/{job.pk}/columns/", {"sheet": "Clients"}, headers=EN)

    checked = client.post(
        f"/imports/{job.pk}/columns/",
        {"col_0": "name", "col_1": "phone", "col_2": "email", "col_3": "opening_points"},
        headers=EN,
    )
    assert checked.status_code == 302
    detail = client.get(f"/imports/{job.pk}/", headers=EN).content.decode()
    assert 'data-testid="import-sheet"' in detail and "Clients" in detail
    assert 'data-testid="preview-warnings"' in detail
    assert "Imported without the e-mail" in detail
    assert "Points balance (opening): 1,550" in detail

    done = client.post(f"/imports/{job.pk}/run/", headers=EN, follow=True)
    result = done.content.decode()
    assert 'data-testid="run-warnings"' in result
    assert "2 customers created —" in result
    assert f'href="/customers/?import={job.pk}"' in result
    listed = client.get(f"/customers/?import={job.pk}", headers=EN).content.decode()
    assert "Amina" in listed and "Baraka" in listed
    amina = Customer.objects.get(phone="+254712345678")
    assert balances(amina)["points"]["balance"] == 1250
    assert 'data-testid="import-undo"' in result

    # undo asks first; Cancel leaves everything as it is
    asked = client.post(f"/imports/{job.pk}/", {"action": "undo"}, headers=EN)
    assert asked.status_code == 200
    assert 'data-testid="confirm"' in asked.content.decode()
    assert "Undo the import of switch.xlsx?" in asked.content.decode()
    assert Customer.objects.filter(erased_at__isnull=True).count() == 2

    undone = client.post(
        f"/imports/{job.pk}/", {"action": "undo", "confirmed": "1"}, headers=EN, follow=True
    )
    page = undone.content.decode()
    assert 'data-testid="import-undone"' in page
    assert "Import undone: 2 customers removed." in page
    assert not Customer.objects.filter(erased_at__isnull=True).exists()
    assert ledger_check(business) == []
    assert AuditEvent.objects.filter(action="customers.import_undo").count() == 1
    assert 'data-testid="import-undo"' not in page


def test_undo_refused_lists_who_bought(business, staff_client):
    client = staff_client(business, Role.OWNER)
    client.post("/imports/", {"file": two_sheets(name="b.xlsx", extra=" B")}, headers=EN)
    job = ImportJob.objects.get()
    client.post(f"/imports/{job.pk}/run/", headers=EN)
    baraka = Customer.objects.get(phone="+254733000222")
    order_record(business=business, number="S-1", total_minor=10_000, customer=baraka)

    refused = client.post(f"/imports/{job.pk}/", {"action": "undo", "confirmed": "1"}, headers=EN)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert 'data-testid="undo-refused"' in page
    assert "Baraka B" in page and "purchases" in page
    assert f'href="/customers/{baraka.pk}/"' in page
    assert Customer.objects.filter(erased_at__isnull=True).count() == 2


def test_undo_needs_a_manager(business, staff_client):
    owner = staff_client(business, Role.OWNER)
    owner.post("/imports/", {"file": two_sheets(name="c.xlsx", extra=" C")}, headers=EN)
    job = ImportJob.objects.get()
    owner.post(f"/imports/{job.pk}/run/", headers=EN)
    cashier = staff_client(business, Role.CASHIER)
    response = cashier.post(f"/imports/{job.pk}/", {"action": "undo", "confirmed": "1"})
    assert response.status_code in (302, 403)
    assert Customer.objects.filter(erased_at__isnull=True).count() == 2
