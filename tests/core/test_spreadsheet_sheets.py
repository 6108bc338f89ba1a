"""Choosing the sheet of a workbook (pure: no database): every sheet with its rows and titles,
the customer-like one preferred over the active one, a sheet read by title or position."""

from __future__ import annotations

import openpyxl
import pytest

from wateja.core.spreadsheet import SheetReader, SpreadsheetError, likely_sheet, workbook_sheets


def save(tmp_path, sheets, active=0):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.active = active
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path


SUMMARY = ("Summary", [["Total sales", 125000], ["Month", "June"]])
PRODUCTS = ("Products", [["Product", "Price"], *([f"Item {n}", 100] for n in range(30))])
CLIENTS = ("Clients", [["Имя", "Телефон"], ["Анна", "+37491000001"], ["Арам", "+37491000002"]])


def test_sheets_listed_and_the_customer_list_preferred_over_a_bigger_active_sheet(tmp_path):
    path = save(tmp_path, [SUMMARY, PRODUCTS, CLIENTS, ("Empty", [])], active=1)
    sheets = workbook_sheets(path, "xlsx")
    assert [(s.name, s.rows, s.active) for s in sheets] == [
        ("Summary", 1, False),
        ("Products", 30, True),
        ("Clients", 2, False),
        ("Empty", 0, False),
    ]
    assert sheets[2].headers == ["Имя", "Телефон"]
    assert set(sheets[2].guessed.values()) == {"name", "phone"}
    assert likely_sheet(sheets) == 2
    assert sheets[2].as_dict()["fields"] == ["name", "phone"]


def test_without_a_customer_like_sheet_the_active_one_stays(tmp_path):
    path = save(tmp_path, [SUMMARY, PRODUCTS], active=1)
    assert likely_sheet(workbook_sheets(path, "xlsx")) == 1
    assert likely_sheet([]) == 0


def test_counting_stops_at_the_limit(tmp_path):
    path = save(tmp_path, [PRODUCTS, CLIENTS])
    products = workbook_sheets(path, "xlsx", count_limit=10)[0]
    assert (products.rows, products.more_rows) == (10, True)


def test_a_sheet_read_by_title_any_case_or_position(tmp_path):
    path = save(tmp_path, [PRODUCTS, CLIENTS])
    for wanted in ("Clients", "clients", 1):
        with SheetReader(path, "xlsx", sheet=wanted) as reader:
            assert reader.table.sheet == "Clients"
            assert [cells[0] for _n, cells in reader.rows()] == ["Анна", "Арам"]
    with SheetReader(path, "xlsx") as reader:
        assert reader.table.sheet == "Products"  # the active one
    for wrong in ("Orders", 5, -1):
        with pytest.raises(SpreadsheetError) as missing, SheetReader(path, "xlsx", sheet=wrong):
            pass
        assert missing.value.code == "sheet_not_found"


def test_a_csv_file_has_no_sheets(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Name,Phone\nAmina,0712345678\n")
    assert workbook_sheets(path, "csv") == []
