"""The import API for a business switching systems: `sheet` on upload, preview and run (a
workbook whose active sheet is the products), opening balances, warnings for bad optional
values, POST /imports/{id}/undo with and without activity; typed errors, never a 500."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wateja.customers.models import Customer
from wateja.tenants.roles import Role
from wateja.wallet.services import balance_spend, balances, ledger_check


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook_file(name="switch.xlsx", customers_title="Customers"):
    book = openpyxl.Workbook()
    products = book.active
    products.title = "Products"
    for row in [["Product", "Price"], *([f"Item {n}", 100] for n in range(8))]:
        products.append(row)
    customers = book.create_sheet(customers_title)
    for row in [
        ["Name", "Phone", "E-mail", "Points balance", "Cashback"],
        ["Amina", "0712 345 678", "amina@example.com", 1250, "1 250,50"],
        ["Baraka", "0733 000 222", "baraka(at)example", "", ""],
        ["Chausiku", "0744 000 333", "", "12.5", ""],
    ]:
        customers.append(row)
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def post_file(client, upload, **fields):
    return client.client.post("/api/v1/imports", {"file": upload, **fields}, headers=client.headers)


def test_sheets_opening_balances_warnings_and_undo(api, business):
    created = post_file(api, workbook_file())
    assert created.status_code == 201, created.content
    job = created.json()
    assert job["sheet"] == "Customers"
    assert [(s["name"], s["rows"], s["active"], s["likely"]) for s in job["sheets"]] == [
        ("Products", 8, True, False),
        ("Customers", 3, False, True),
    ]
    assert job["mapping"] == {
        "0": "name",
        "1": "phone",
        "2": "email",
        "3": "opening_points",
        "4": "opening_cashback",
    }

    # the owner looks at the products sheet, then goes back to the customers by position
    products = api.post(f"/imports/{job['id']}/preview", {"sheet": "Products"})
    assert products.status_code == 200 and products.json()["ready"] is False
    assert api.get(f"/imports/{job['id']}").json()["sheet"] == "Products"
    missing = api.post(f"/imports/{job['id']}/preview", {"sheet": "Orders"})
    assert missing.status_code == 422 and missing.json()["code"] == "sheet_not_found"
    assert "Products" in missing.json()["message"]

    preview = api.post(f"/imports/{job['id']}/preview", {"sheet": "1"})
    assert preview.status_code == 200, preview.content
    result = preview.json()
    assert (result["valid_rows"], result["error_rows"], result["warning_rows"]) == (2, 1, 1)
    assert result["errors"][0]["code"] == "invalid_points"  # 12.5 points: the row waits
    (warning,) = result["warnings"]
    assert (warning["row"], warning["code"]) == (3, "invalid_email")
    assert warning["message"].startswith("Imported without the e-mail")
    assert result["opening"] == {"opening_points": 1250, "opening_cashback": 125_050}

    run = api.post(f"/imports/{job['id']}/run", {"sheet": "Customers"})
    assert run.status_code == 200, run.content
    assert run.json()["created_count"] == 2 and run.json()["run"]["warning_rows"] == 1
    amina = Customer.objects.get(phone="+254712345678")
    assert balances(amina)["points"]["balance"] == 1250
    assert balances(amina)["cashback"]["balance"] == 125_050
    assert Customer.objects.get(phone="+254733000222").email == ""
    late = api.post(f"/imports/{job['id']}/run", {"sheet": "Products"})
    assert late.status_code == 409 and late.json()["code"] == "import_started"

    # a redemption since the import: the undo is refused and names who did what
    balance_spend(customer=amina, amount=50, idempotency_key="till-1")
    refused = api.post(f"/imports/{job['id']}/undo")
    assert refused.status_code == 409, refused.content
    problem = refused.json()
    assert problem["code"] == "import_has_activity"
    assert problem["details"]["customers"][0]["id"] == amina.pk
    assert problem["details"]["customers"][0]["activity"] == ["Spent"]
    assert Customer.objects.filter(import_job_id=job["id"], erased_at__isnull=True).count() == 2


def test_undo_of_an_untouched_import(api, business):
    job = post_file(api, workbook_file(name="second.xlsx")).json()
    assert api.post(f"/imports/{job['id']}/run").status_code == 200
    undone = api.post(f"/imports/{job['id']}/undo")
    assert undone.status_code == 200, undone.content
    assert undone.json()["removed"] + undone.json()["closed"] == 2
    assert not Customer.objects.filter(business=business, erased_at__isnull=True).exists()
    assert ledger_check(business) == []
    state = api.get(f"/imports/{job['id']}").json()
    assert state["status"] == "undone" and state["undo"]["closed"] == 1
    again = api.post(f"/imports/{job['id']}/undo")
    assert again.status_code == 409 and again.json()["code"] == "import_undone"


def test_undo_needs_a_manager_and_the_own_business(api_for, business, other_business):
    manager = api_for(business, Role.MANAGER)
    job = post_file(manager, workbook_file(name="third.xlsx")).json()
    assert api_for(business, Role.CASHIER).post(f"/imports/{job['id']}/undo").status_code == 403
    assert api_for(other_business).post(f"/imports/{job['id']}/undo").status_code == 404
    early = manager.post(f"/imports/{job['id']}/undo")
    assert early.status_code == 409 and early.json()["code"] == "import_not_run"
    assert manager.post("/imports/99999999/undo").status_code == 404
    upload_sheet = post_file(manager, workbook_file(name="fourth.xlsx"), sheet="Nope")
    assert upload_sheet.status_code == 422 and upload_sheet.json()["code"] == "sheet_not_found"
