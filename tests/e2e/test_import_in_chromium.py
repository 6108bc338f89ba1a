"""Chromium: the owner switching from another system uploads a two-sheet workbook whose active
sheet is the products, keeps the customer sheet the screen picked, checks the columns (an
opening points column among them), imports, opens the imported customers and sees a balance
carried over; then undoes a second import after confirming it."""

from __future__ import annotations

import io
import random

import openpyxl
import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e


def workbook(path, customers, *, products=True):
    book = openpyxl.Workbook()
    first = book.active
    if products:
        first.title = "Products"
        for row in [["Product", "Price"], *([f"Item {n}", 150] for n in range(15))]:
            first.append(row)
        sheet = book.create_sheet("Customers")
    else:
        sheet = first
        sheet.title = "Customers"
    sheet.append(["Name", "Phone", "E-mail", "Points"])
    for row in customers:
        sheet.append(row)
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_switching_owner_imports_sees_a_balance_and_undoes_another_import(
    demo_server, browser, screenshot_dir, tmp_path
):
    url = demo_server["url"]
    tail = random.randrange(100_000, 999_999)
    first = workbook(
        tmp_path / "old-system.xlsx",
        [
            [f"Wanjiru Import {tail}", f"0791 {tail}", "wanjiru@example.com", "1,250"],
            [f"Otieno Import {tail}", f"0792 {tail}", "not-an-address", "80"],
        ],
    )
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = demo_page(context, url, "/imports/")
    page.get_by_test_id("import-upload").locator("input[type=file]").set_input_files(str(first))
    page.get_by_test_id("import-upload").locator("button[type=submit]").click()

    # the column screen: the customer sheet is already picked, not the active products sheet
    sheets = page.get_by_test_id("import-sheets")
    sheets.wait_for()
    assert page.locator("input[name=sheet][value=Customers]").is_checked()
    assert "looks like customers" in sheets.inner_text()
    assert page.locator("#col_3").input_value() == "opening_points"
    page.screenshot(path=str(screenshot_dir / "import-sheet-and-columns.png"), full_page=True)
    page.get_by_test_id("import-mapping").locator("button[type=submit]").click()

    preview = page.get_by_test_id("import-preview")
    preview.wait_for()
    assert page.get_by_test_id("valid-rows").inner_text() == "2"
    assert "Imported without the e-mail" in page.get_by_test_id("preview-warnings").inner_text()
    assert "1,330" in page.get_by_test_id("preview-opening").inner_text()
    page.get_by_test_id("import-run").click()

    page.get_by_test_id("imported-customers").wait_for()
    assert "2 customers created" in page.get_by_test_id("imported-customers").inner_text()
    page.screenshot(path=str(screenshot_dir / "import-result.png"), full_page=True)
    page.get_by_test_id("see-imported").click()
    results = page.get_by_test_id("customer-results")
    results.get_by_text(f"Wanjiru Import {tail}").wait_for()
    assert f"Otieno Import {tail}" in results.inner_text()
    page.get_by_text(f"Wanjiru Import {tail}").click()
    balances = page.get_by_test_id("wallet-balances")
    balances.wait_for()
    assert "1,250" in balances.inner_text()
    page.locator("summary", has_text="History").click()  # the wallet's history is folded
    assert "Opening balance (import)" in page.get_by_test_id("wallet-history").inner_text()
    page.screenshot(path=str(screenshot_dir / "imported-customer-balance.png"), full_page=True)

    # a second import, undone after the confirmation page
    second = workbook(
        tmp_path / "second-list.xlsx",
        [[f"Kamau Undo {tail}", f"0793 {tail}", "", "10"]],
        products=False,
    )
    page.goto(f"{url}/imports/")
    page.get_by_test_id("import-upload").locator("input[type=file]").set_input_files(str(second))
    page.get_by_test_id("import-upload").locator("button[type=submit]").click()
    page.get_by_test_id("import-mapping").wait_for()
    assert page.get_by_test_id("import-sheets").count() == 0  # one sheet: nothing to pick
    page.get_by_test_id("import-mapping").locator("button[type=submit]").click()
    page.get_by_test_id("import-run").click()
    page.get_by_test_id("import-undo-button").click()
    page.get_by_test_id("confirm").wait_for()
    assert "Undo the import of second-list.xlsx?" in page.get_by_test_id("confirm").inner_text()
    page.get_by_test_id("confirm-yes").click()
    page.get_by_test_id("import-undone").wait_for()
    assert (
        "1 customer this import added was removed"
        in page.get_by_test_id("import-undone").inner_text()
    )
    page.screenshot(path=str(screenshot_dir / "import-undone.png"), full_page=True)
    page.goto(f"{url}/customers/?q=Kamau+Undo+{tail}")
    assert f"Kamau Undo {tail}" not in page.locator("main").inner_text()
    context.close()
