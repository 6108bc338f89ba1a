"""Printed customer base: cards, sheets, the customer list, the poster, the data export PDF,
and the inline SVG codes. PDFs are read back with poppler's pdftotext / pdfinfo / pdffonts."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from wateja.core.cards import format_card_number
from wateja.customers import printing
from wateja.customers.codes import code128_svg, qr_svg
from wateja.customers.models import Card, Customer
from wateja.customers.privacy import customer_data_export
from wateja.customers.services import consent_record, customer_create, interaction_add
from wateja.orders.services import order_record

SVG = "{http://www.w3.org/2000/svg}"


def _poppler(tool: str, pdf: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(
            [f"/usr/bin/{tool}", *args, str(path), *(["-"] if tool == "pdftotext" else [])],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    return result.stdout


def pdf_text(pdf: bytes) -> str:
    return _poppler("pdftotext", pdf)


def pdf_pages(pdf: bytes) -> int:
    match = re.search(r"^Pages:\s+(\d+)", _poppler("pdfinfo", pdf), re.MULTILINE)
    assert match, "pdfinfo gave no page count"
    return int(match.group(1))


def flat(text: str) -> str:
    """Wrapped lines joined: compare paragraphs regardless of where they broke."""
    return " ".join(text.split())


def _customer(business, name="Wanjiku Kamau", phone="+254712345678", **fields) -> Customer:
    return customer_create(business=business, name=name, phone=phone, **fields)


# --------------------------------------------------------------------------------------------
# Cards


def test_card_pdf_shows_business_customer_and_grouped_number(business):
    card = _customer(business).cards.first()
    pdf = printing.card_pdf(card)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert format_card_number(card.number) in text
    assert "Wanjiku Kamau" in text
    assert "Kahawa Test" in text


def test_card_pdf_is_id1_sized_and_uses_dejavu_not_helvetica(business):
    card = _customer(business, name="Անահիտ Սարգսյան").cards.first()
    pdf = printing.card_pdf(card)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", _poppler("pdfinfo", pdf))
    assert size
    width_mm, height_mm = (float(v) / 72 * 25.4 for v in size.groups())
    assert width_mm == pytest.approx(85.6, abs=0.1)
    assert height_mm == pytest.approx(54, abs=0.1)
    fonts = _poppler("pdffonts", pdf)
    assert "DejaVuSans" in fonts
    assert "Helvetica" not in fonts
    assert "Անահիտ Սարգսյան" in pdf_text(pdf)


def test_long_names_wrap_on_the_card(business):
    name = "Baraka Mwangi Otieno wa Nyokabi the Third of Nairobi County and Beyond"
    card = _customer(business, name=name).cards.first()
    text = flat(pdf_text(printing.card_pdf(card)))
    assert "Baraka Mwangi Otieno" in text
    assert "…" in text  # cut on the second line, never drawn over the codes


def test_sheet_of_23_cards_has_3_pages(business):
    for i in range(23):
        _customer(business, name=f"Customer {i}", phone=f"+2547120000{i:02d}")
    cards = Card.objects.for_business(business).select_related("customer").order_by("id")
    pdf = printing.cards_sheet_pdf(business, cards)
    assert pdf_pages(pdf) == 3
    pages = pdf_text(pdf).split("\f")
    assert sum("Customer" in page for page in pages) == 3
    assert all(format_card_number(card.number) in pdf_text(pdf) for card in cards)


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (10, 1), (11, 2), (20, 2)])
def test_sheet_holds_ten_cards_a_page(business, count, pages):
    for i in range(count):
        _customer(business, name=f"Customer {i}", phone=f"+2547130000{i:02d}")
    cards = Card.objects.for_business(business).select_related("customer")
    pdf = printing.cards_sheet_pdf(business, cards)
    assert pdf_pages(pdf) == pages
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", _poppler("pdfinfo", pdf))
    assert size and size.groups() == ("595.276", "841.89")  # A4


def test_empty_sheet_says_so(business):
    assert "No cards to print" in pdf_text(printing.cards_sheet_pdf(business, []))


# --------------------------------------------------------------------------------------------
# Customer list


def test_customer_list_renders_armenian_and_russian_names(business):
    armenian = _customer(business, name="Անահիտ Սարգսյան", phone="+254712000001", city="Երևան")
    _customer(business, name="Ольга Иванова", phone="+254712000002", city="Москва")
    Customer.objects.filter(pk=armenian.pk).update(total_spent_minor=123450)
    pdf = printing.customer_list_pdf(
        business, Customer.objects.for_business(business).order_by("name")
    )
    text = pdf_text(pdf)
    assert "Անահիտ Սարգսյան" in text
    assert "Ольга Иванова" in text
    assert "Երևան" in text and "Москва" in text
    assert "+254 712 000001" in text
    assert "KES1,234.50" in text
    card = armenian.cards.first()
    assert format_card_number(card.number) in text
    assert "Page 1 of 1" in text
    assert "Helvetica" not in _poppler("pdffonts", pdf)


def test_customer_list_shows_the_last_purchase_in_the_business_time_zone(business):
    customer = _customer(business)
    # 22:30 UTC on 31 Jan is already 1 Feb in Nairobi (UTC+3)
    order_record(
        business=business,
        number="A-1",
        total_minor=50000,
        customer=customer,
        placed_at=dt.datetime(2025, 1, 31, 22, 30, tzinfo=dt.UTC),
    )
    with translation.override("en"):
        text = pdf_text(printing.customer_list_pdf(business, [Customer.objects.get()]))
    assert "1 Feb 2025" in text
    assert "KES500.00" in text


def test_customer_list_repeats_the_header_and_numbers_pages(business):
    customers = Customer.objects.bulk_create(
        [
            Customer(business=business, name=f"Mteja {i:03d}", phone=f"+2547140{i:05d}")
            for i in range(130)
        ]
    )
    Card.objects.bulk_create(
        [Card(business=business, customer=c, number=f"81{i:09d}0") for i, c in enumerate(customers)]
    )
    pdf = printing.customer_list_pdf(
        business, Customer.objects.for_business(business).order_by("name"), filters={"city": "X"}
    )
    pages = [page for page in pdf_text(pdf).split("\f") if page.strip()]
    assert len(pages) == pdf_pages(pdf) >= 3
    for number, page in enumerate(pages, start=1):
        assert "Card" in page and "Total spent" in page  # the header row on every page
        assert f"Page {number} of {len(pages)}" in page
    text = pdf_text(pdf)
    assert all(f"Mteja {i:03d}" in text for i in range(130))
    assert "130 customers" in text and "City: X" in text


def test_amounts_fall_back_to_the_code_when_the_font_lacks_the_symbol(other_business):
    customer = _customer(other_business, name="Արամ", phone="+37491123456")
    Customer.objects.filter(pk=customer.pk).update(total_spent_minor=1250050)
    with translation.override("hy"):
        text = pdf_text(printing.customer_list_pdf(other_business, [Customer.objects.get()]))
    assert "֏" not in text  # DejaVu Sans has no dram sign; it would print as a box
    assert "12 500,50 AMD" in text.replace("\xa0", " ")


def test_empty_customer_list(business):
    assert "No customers match" in pdf_text(printing.customer_list_pdf(business, []))


# --------------------------------------------------------------------------------------------
# Poster and data export


def test_poster_contains_the_join_url_and_a_call_to_action(business):
    business.support_phone = "+254700000002"
    business.address = "Moi Avenue 12, Nairobi"
    business.save()
    url = "https://wateja.example.com/join/kahawa-test/"
    pdf = printing.enrol_poster_pdf(business, url)
    text = pdf_text(pdf)
    assert url in text
    assert "Join our loyalty club" in text
    assert "Kahawa Test" in text
    assert "+254 700 000002" in text and "Moi Avenue 12, Nairobi" in text
    assert pdf_pages(pdf) == 1


def test_data_export_pdf_is_readable_and_complete(business):
    customer = _customer(business, name="Ольга Иванова", email="olga@example.com", city="Nairobi")
    consent_text = (
        "Send me offers, rewards and news from Kahawa Test by SMS. "
        "I can stop at any time by replying STOP, free of charge."
    )
    consent_record(customer=customer, channel="sms", granted=True, text=consent_text, source="web")
    consent_record(customer=customer, channel="sms", granted=False, source="unsubscribe")
    interaction_add(customer=customer, kind="complaint", summary="Coffee was cold")
    order_record(business=business, number="ORD-77", total_minor=123400, customer=customer)
    export = customer_data_export(customer=customer)
    with translation.override("en"):
        pdf = printing.data_export_pdf(business, export)
    text = flat(pdf_text(pdf))
    assert consent_text in text
    assert "Agreed: SMS" in text and "Withdrew: SMS" in text
    assert "Enrolment page" in text and "Unsubscribe / STOP" in text
    assert "Ольга Иванова" in text and "olga@example.com" in text
    assert format_card_number(customer.cards.first().number) in text
    assert "Coffee was cold" in text and "Complaint" in text
    assert "ORD-77" in text and "KES1,234.00" in text and "Orders" in text
    assert "Africa/Nairobi" in text
    assert re.search(r"Page 1 of \d", text)


def test_data_export_pdf_shows_sections_other_apps_add(business):
    customer = _customer(business)
    export = customer_data_export(customer=customer)
    export["gift_vouchers"] = [
        {"code": "GV-1", "amount": 500, "at": "2025-03-01T09:00:00+00:00", "note": "Birthday"}
    ]
    export["wallet"] = {
        "balances": {"points": {"balance": 120, "available": 100, "pending_in": 20}},
        "history": [{"at": "2025-03-02T09:00:00+00:00", "kind": "points", "amount": 120}],
        "tier": "gold",
    }
    with translation.override("en"):
        text = flat(pdf_text(printing.data_export_pdf(business, export)))
    assert "Gift vouchers" in text and "GV-1" in text and "Birthday" in text
    assert "1 Mar 2025" in text
    assert "Points and balances Tier gold Balances" in text  # facts first, then the parts
    assert "Balance Available Pending" in text and "120 100 20" in text
    assert "2 Mar 2025" in text
    assert "{" not in text  # never a raw Python dict


# --------------------------------------------------------------------------------------------
# Fonts


def test_missing_fonts_name_the_debian_package(tmp_path):
    with pytest.raises(printing.FontMissing, match="fonts-dejavu-core"):
        printing.register_fonts(font_dir=str(tmp_path))


# --------------------------------------------------------------------------------------------
# SVG codes for web pages


def test_qr_svg_is_a_bare_svg_with_a_path():
    markup = qr_svg("881234567897")
    assert markup.startswith("<svg") and "<?xml" not in markup
    root = ET.fromstring(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-label") == "881234567897"
    paths = root.findall(f".//{SVG}path")
    assert paths and len(paths[0].get("d", "")) > 100
    assert root.get("viewBox")


def test_qr_svg_escapes_its_label():
    root = ET.fromstring(qr_svg('https://x.test/join/a"b<c/'))
    assert root.get("aria-label") == 'https://x.test/join/a"b<c/'


def test_code128_svg_has_bars_and_the_digits():
    markup = code128_svg("881234567897")
    root = ET.fromstring(markup)
    assert root.tag == f"{SVG}svg"
    assert len(root.findall(f".//{SVG}rect")) > 20
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "881234567897" in texts
    assert ' id="' not in markup  # several codes may share a page


def test_codes_need_no_inline_styles():
    # presentation attributes survive a Content-Security-Policy without 'unsafe-inline'
    for markup in (qr_svg("881234567897"), code128_svg("881234567897")):
        assert "style=" not in markup
        assert 'fill="white"' in markup  # a quiet zone on any page background


def test_code128_svg_refuses_anything_but_digits():
    with pytest.raises(ValueError):
        code128_svg("12AB")


def test_card_codes_include_renders_both_codes(business):
    card = _customer(business).cards.first()
    html = render_to_string("web/customers/_card_codes.html", {"card": card})
    assert html.count("<svg") == 2
    assert 'class="qr-code"' in html and 'class="barcode"' in html
    assert card.number in html
    assert render_to_string("web/customers/_card_codes.html", {"card": None}).strip() == ""
