"""Importing from the system a business used before: opening balances (points, stamps, store
credit, cashback) posted once as their own operation; rows with a bad optional value imported
without it; the sheet of a workbook chosen (the active one is not always the customers); a
whole import undone while its customers did nothing, refused when one did."""

from __future__ import annotations

import io

import openpyxl
import pytest

from wateja.core.errors import DomainError
from wateja.customers.importing import (
    ImportHasActivity,
    SheetNotFound,
    import_activity,
    import_customers,
    import_preview,
    import_run,
    import_sheet_choose,
    import_undo,
    import_upload,
)
from wateja.customers.models import Card, Consent, Customer, ImportStatus, Interaction
from wateja.customers.services import customer_update
from wateja.orders.checkout import customer_facts
from wateja.orders.services import order_record
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role
from wateja.tenants.services import staff_add
from wateja.wallet.models import Operation, Transfer
from wateja.wallet.selectors import wallet_history
from wateja.wallet.services import balance_spend, balances, ledger_check


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(business):
    return staff_add(
        business=business, username="owner1", role=Role.OWNER, password="pw-test-123"
    ).user


def workbook(*sheets, active=0):
    """An XLSX file with these (title, rows) sheets; `active` is the sheet Excel opens on."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.active = active
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


PRODUCTS = (
    "Products",
    [["Product", "Price", "Stock"]] + [[f"Item {n}", 100 + n, n] for n in range(12)],
)
CUSTOMERS = (
    "Wateja",
    [
        ["Jina", "Simu", "Email", "Points", "Stamps", "Store credit", "Birthday"],
        ["Amina", "0712 345 678", "amina@example.com", "1,250", 3, "KES 1,250.50", "15.03.1990"],
        ["Baraka", "0733 000 222", "not-an-address", 0, "", "", "31.02.1990"],
        ["Chausiku", "0744 000 333", "", "40", "7", "500", ""],
        ["Dalali", "0755 000 444", "", "lots", "", "", ""],
        ["Eshe", "0766 000 555", "", "-5", "", "", ""],
    ],
)


def upload(business, data, name="old-system.xlsx", **kwargs):
    job, _created = import_upload(
        business=business, file_name=name, fileobj=io.BytesIO(data), **kwargs
    )
    return job


def test_the_customer_sheet_is_chosen_not_the_active_products_sheet(business):
    job = upload(business, workbook(PRODUCTS, CUSTOMERS, active=0))
    sheets = job.report["sheets"]
    assert [(s["name"], s["rows"], s["active"], s["likely"]) for s in sheets] == [
        ("Products", 12, True, False),
        ("Wateja", 5, False, True),
    ]
    assert sheets[1]["headers"][:2] == ["Jina", "Simu"]
    assert job.report["table"]["sheet"] == "Wateja"
    assert job.mapping == {
        "0": "name",
        "1": "phone",
        "2": "email",
        "3": "opening_points",
        "4": "opening_stamps",
        "5": "opening_store_credit",
        "6": "birthday",
    }

    # the owner can still pick the other sheet by name or position, and back
    job = import_sheet_choose(job=job, sheet="products")
    assert job.report["table"]["sheet"] == "Products"
    assert job.report["table"]["headers"] == ["Product", "Price", "Stock"]
    assert import_preview(job=job)["ready"] is False  # no name or phone column there
    job = import_sheet_choose(job=job, sheet=1)
    assert job.report["table"]["sheet"] == "Wateja"
    with pytest.raises(SheetNotFound) as missing:
        import_sheet_choose(job=job, sheet="Orders")
    assert missing.value.code == "sheet_not_found" and missing.value.status == 422
    assert missing.value.details["sheets"] == ["Products", "Wateja"]


def test_a_sheet_chosen_at_upload_and_an_empty_sheet_refused(business):
    data = workbook(PRODUCTS, CUSTOMERS, ("Empty", []), active=2)
    with pytest.raises(DomainError) as empty:
        upload(business, data, sheet="Empty")
    assert empty.value.code == "file_empty"
    job = upload(business, data, sheet="0")
    assert job.report["table"]["sheet"] == "Products"
    # the same file again with another sheet switches the import that has not started
    job = upload(business, data, sheet="Wateja")
    assert job.report["table"]["sheet"] == "Wateja"
    assert [s["rows"] for s in job.report["sheets"]] == [12, 5, 0]


def test_opening_balances_are_posted_once_as_their_own_operation(business):
    job = upload(business, workbook(PRODUCTS, CUSTOMERS))
    preview = import_preview(job=job)
    assert (preview["valid_rows"], preview["error_rows"]) == (3, 2)
    assert {e["row"]: e["code"] for e in preview["errors"]} == {
        5: "invalid_points",
        6: "negative_balance",
    }
    assert preview["opening"] == {
        "opening_points": 1290,
        "opening_stamps": 10,
        "opening_store_credit": 125_050 + 50_000,
    }
    # a bad e-mail and a bad birthday: Baraka is imported without them, and it is said so
    assert sorted((w["row"], w["code"]) for w in preview["warnings"]) == [
        (3, "invalid_birthday"),
        (3, "invalid_email"),
    ]

    job = import_run(job=job, batch_size=2)
    assert (job.status, job.created_count, job.error_count) == (ImportStatus.DONE, 3, 2)
    assert job.report["run"]["opening"]["opening_points"] == 1290
    amina = Customer.objects.get(phone="+254712345678")
    assert amina.import_job_id == job.pk and amina.stamps_carried == 3
    assert balances(amina)["points"]["balance"] == 1250
    assert balances(amina)["store_credit"]["balance"] == 125_050
    baraka = Customer.objects.get(phone="+254733000222")
    assert (baraka.email, baraka.birth_day, baraka.stamps_carried) == ("", None, 0)
    assert not baraka.accounts.exists()  # a zero balance posts nothing
    assert not Customer.objects.filter(phone__in=["+254755000444", "+254766000555"]).exists()

    history = wallet_history(amina)
    assert {row["label"] for row in history} == {"Opening balance (import)"}
    operation = Operation.objects.get(key=f"import:{job.pk}:opening:{amina.pk}")
    assert operation.reference == f"import:{job.pk}" and "old-system.xlsx" in operation.reason
    assert Operation.objects.filter(business=business, action="opening").count() == 2
    # the other side is the business's own "opening" account, not this month's issuance
    openings = Transfer.objects.filter(business=business, code="opening")
    assert {t.debit_account.system for t in openings} == {"opening"}
    assert AuditEvent.objects.filter(action="wallet.opening_balance").count() == 2
    assert ledger_check(business) == []

    # a re-run (a retried worker, a second click) posts nothing twice
    assert import_run(job=job).created_count == 3
    assert Transfer.objects.filter(business=business, code="opening").count() == 4
    assert ledger_check(business) == []

    # three stamps carried over: the stamp card sees three visits already
    assert customer_facts(amina).purchase_count == 3


def test_undo_removes_the_customers_and_takes_the_balances_back(business, owner):
    data = workbook(PRODUCTS, CUSTOMERS)
    job = upload(business, data)
    job = import_run(job=job)
    amina = Customer.objects.get(phone="+254712345678")
    assert import_activity(job) == {}

    undo = import_undo(job=job, actor=owner)
    assert (undo["removed"], undo["closed"]) == (1, 2)
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDONE
    assert not import_customers(job).filter(erased_at__isnull=True).exists()
    assert not Customer.objects.filter(phone__startswith="+2547").exists()
    assert not Card.objects.filter(business=business).exists()
    assert not Consent.objects.filter(business=business).exists()
    assert not Interaction.objects.filter(business=business).exists()
    # the ledger keeps its history: each opening balance reversed by a balancing transfer
    amina.refresh_from_db()
    assert amina.erased_at is not None and amina.phone == "" and amina.name != "Amina"
    assert balances(amina)["points"]["balance"] == 0
    reversals = Transfer.objects.filter(business=business, code="opening_reverse")
    assert reversals.count() == 4 and all(t.reverses_id for t in reversals)
    assert ledger_check(business) == []
    assert AuditEvent.objects.filter(action="customers.import_undo", actor=owner).count() == 1
    with pytest.raises(DomainError) as twice:
        import_undo(job=job, actor=owner)
    assert twice.value.code == "import_undone"

    # the same file again starts over, and imports the same people anew
    again = upload(business, data)
    assert again.pk == job.pk and again.status == ImportStatus.UPLOADED
    again = import_run(job=again)
    assert again.created_count == 3
    fresh = Customer.objects.get(phone="+254712345678")
    assert balances(fresh)["points"]["balance"] == 1250
    assert ledger_check(business) == []


@pytest.mark.parametrize("activity", ["purchase", "redemption", "edit"])
def test_undo_is_refused_when_a_customer_did_something(business, owner, activity):
    job = import_run(job=upload(business, workbook(PRODUCTS, CUSTOMERS)))
    amina = Customer.objects.get(phone="+254712345678")
    expected = {
        "purchase": "purchases",
        "redemption": "Spent",
        "edit": "details changed by staff",
    }[activity]
    if activity == "purchase":
        order_record(business=business, number="A-1", total_minor=50_000, customer=amina)
    elif activity == "redemption":
        balance_spend(customer=amina, amount=100, idempotency_key="spend-1")
    else:
        import time

        time.sleep(1.1)  # a change by staff comes after the import finished
        customer_update(customer=amina, actor=owner, city="Mombasa")

    with pytest.raises(ImportHasActivity) as refused:
        import_undo(job=job, actor=owner)
    error = refused.value
    assert error.code == "import_has_activity" and error.status == 409
    assert error.details["count"] == 1
    (named,) = error.details["customers"]
    assert named["id"] == amina.pk and named["name"] == "Amina"
    assert expected in named["activity"]
    assert "Amina" in str(error.message)
    # nothing changed
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert import_customers(job).filter(erased_at__isnull=True).count() == 3
    assert not Transfer.objects.filter(code="opening_reverse").exists()
    assert ledger_check(business) == []


def test_undo_before_the_import_ran_is_refused(business, owner):
    job = upload(business, workbook(PRODUCTS, CUSTOMERS))
    with pytest.raises(DomainError) as early:
        import_undo(job=job, actor=owner)
    assert early.value.code == "import_not_run"


def test_a_message_sent_blocks_the_undo_a_message_never_sent_does_not(business, owner):
    from wateja.messaging.models import Message

    job = import_run(job=upload(business, workbook(PRODUCTS, CUSTOMERS)))
    chausiku = Customer.objects.get(phone="+254744000333")
    never = {"channel": "sms", "purpose": "marketing", "to_address": chausiku.phone}
    Message.objects.create(business=business, customer=chausiku, status="skipped", **never)
    assert import_activity(job) == {}
    Message.objects.create(business=business, customer=chausiku, status="sent", **never)
    assert import_activity(job) == {chausiku.pk: ["messages"]}
    with pytest.raises(ImportHasActivity):
        import_undo(job=job, actor=owner)
