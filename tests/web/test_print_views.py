"""Printable PDFs through the Django test client: roles, tenant isolation, filters, caps."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from wateja.core.cards import format_card_number
from wateja.customers.models import Customer
from wateja.customers.privacy import customer_erase
from wateja.customers.services import consent_record, customer_create, tags_set
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role
from wateja.web.customers import print_views as views_print

EN = {"Accept-Language": "en"}


def pdf_text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(
            ["/usr/bin/pdftotext", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    return result.stdout


def _customer(business, name="Wanjiku Kamau", phone="+254712345678", **fields) -> Customer:
    return customer_create(business=business, name=name, phone=phone, **fields)


def _is_pdf(response) -> bool:
    return response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_urls_are_named_under_web():
    assert reverse("web:print_card", args=[5]) == "/customers/5/card.pdf"
    assert reverse("web:print_cards_sheet") == "/customers/cards.pdf"
    assert reverse("web:print_customer_list") == "/customers/list.pdf"
    assert reverse("web:print_join_poster") == "/join-poster.pdf"
    assert reverse("web:print_data_export", args=[5]) == "/customers/5/data-export.pdf"


def test_anonymous_is_sent_to_login(business):
    customer = _customer(business)
    for url in (f"/customers/{customer.pk}/card.pdf", "/customers/list.pdf", "/join-poster.pdf"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# --------------------------------------------------------------------------------------------
# Single card


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CASHIER, Role.MANAGER, Role.OWNER])
def test_every_staff_role_prints_a_card(business, staff_client, role):
    customer = _customer(business)
    response = staff_client(business, role).get(f"/customers/{customer.pk}/card.pdf")
    assert _is_pdf(response)
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("inline;")
    text = pdf_text(response.content)
    assert format_card_number(customer.cards.get().number) in text
    assert "Wanjiku Kamau" in text


def test_another_business_card_is_404_not_500(business, other_business, staff_client):
    foreign = _customer(other_business, phone="+37491123456")
    client = staff_client(business, Role.OWNER)
    response = client.get(f"/customers/{foreign.pk}/card.pdf", headers=EN)
    assert response.status_code == 404
    assert "not found" in response.content.decode()
    assert client.get("/customers/999999/card.pdf").status_code == 404


def test_erased_customer_has_no_card_to_print(business, staff_client):
    customer = _customer(business)
    customer_erase(customer=customer)
    response = staff_client(business).get(f"/customers/{customer.pk}/card.pdf", headers=EN)
    assert response.status_code == 404
    assert "no active card" in response.content.decode()


# --------------------------------------------------------------------------------------------
# Sheets of cards


def test_manager_prints_a_sheet_by_ids_in_that_order(business, staff_client):
    first = _customer(business, name="Zawadi", phone="+254712000001")
    second = _customer(business, name="Amina", phone="+254712000002")
    _customer(business, name="Not Asked", phone="+254712000003")
    response = staff_client(business, Role.MANAGER).get(
        f"/customers/cards.pdf?ids={first.pk},{second.pk}"
    )
    assert _is_pdf(response)
    text = pdf_text(response.content)
    assert text.index("Zawadi") < text.index("Amina")
    assert "Not Asked" not in text


def test_sheet_of_all_customers(business, staff_client):
    for i in range(23):
        _customer(business, name=f"Mteja {i}", phone=f"+2547120000{i:02d}")
    response = staff_client(business, Role.OWNER).get("/customers/cards.pdf?all=1")
    assert _is_pdf(response)
    assert pdf_text(response.content).count("\f") == 3  # three pages


def test_sheet_needs_a_choice_and_refuses_bad_ids(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    response = client.get("/customers/cards.pdf", headers=EN)
    assert response.status_code == 400
    assert "?ids=1,2,3" in response.content.decode()
    assert client.get("/customers/cards.pdf?ids=1,x").status_code == 400


def test_sheet_is_capped(business, staff_client, monkeypatch):
    client = staff_client(business, Role.MANAGER)
    ids = ",".join(str(i) for i in range(1, views_print.MAX_SHEET_CARDS + 2))
    response = client.get(f"/customers/cards.pdf?ids={ids}", headers=EN)
    assert response.status_code == 400
    assert "At most 1000 cards" in response.content.decode()

    monkeypatch.setattr(views_print, "MAX_SHEET_CARDS", 2)
    for i in range(3):
        _customer(business, name=f"Mteja {i}", phone=f"+2547120000{i:02d}")
    response = client.get("/customers/cards.pdf?all=1", headers=EN)
    assert response.status_code == 400
    assert "At most 2 cards" in response.content.decode()


def test_sheet_with_a_foreign_id_is_404(business, other_business, staff_client):
    mine = _customer(business)
    foreign = _customer(other_business, phone="+37491123456")
    response = staff_client(business, Role.OWNER).get(
        f"/customers/cards.pdf?ids={mine.pk},{foreign.pk}"
    )
    assert response.status_code == 404


def test_cashier_cannot_print_sheets(business, staff_client):
    customer = _customer(business)
    response = staff_client(business, Role.CASHIER).get(f"/customers/cards.pdf?ids={customer.pk}")
    assert response.status_code == 403


# --------------------------------------------------------------------------------------------
# Customer list, poster, data export


def _printed_list(client: Client, **filters: str):
    """Start the printed list (a background job, run at once in the tests) and open its
    result from the job's page."""
    started = client.post("/customers/list.pdf", filters, headers=EN)
    assert started.status_code == 302 and started["Location"].startswith("/jobs/")
    page = client.get(started["Location"], headers=EN).content.decode()
    assert 'data-testid="job-open"' in page
    response = client.get(f"{started['Location']}result/")
    content = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return content


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CASHIER])
def test_list_needs_a_manager(business, staff_client, role):
    client = staff_client(business, role)
    assert client.get("/customers/list.pdf").status_code == 403
    assert client.post("/customers/list.pdf").status_code == 403


def test_list_prints_everyone_in_utf8(business, staff_client):
    _customer(business, name="Անահիտ Սարգսյան", phone="+254712000001")
    _customer(business, name="Ольга Иванова", phone="+254712000002")
    text = pdf_text(_printed_list(staff_client(business, Role.MANAGER)))
    assert "Անահիտ Սարգսյան" in text and "Ольга Иванова" in text
    assert "2 customers" in text


def test_list_filters_by_city_and_tag(business, staff_client):
    nairobi = _customer(business, name="Baraka", phone="+254712000001", city="Nairobi")
    _customer(business, name="Zawadi", phone="+254712000002", city="Mombasa")
    tags_set(customer=nairobi, tags=["vip"])
    _customer(business, name="Halima", phone="+254712000003", city="Nairobi")
    client = staff_client(business, Role.MANAGER)
    text = pdf_text(_printed_list(client, city="nairobi"))
    assert "Baraka" in text and "Halima" in text and "Zawadi" not in text
    text = pdf_text(_printed_list(client, tag="VIP"))
    assert "Baraka" in text and "Halima" not in text


def test_list_never_shows_another_business(business, other_business, staff_client):
    _customer(other_business, name="Մաուա Հաճախորդ", phone="+37491123456")
    text = pdf_text(_printed_list(staff_client(business, Role.OWNER)))
    assert "Մաուա" not in text


def test_join_poster_points_to_the_enrolment_page(business, staff_client, settings):
    settings.PUBLIC_URL = "https://duka.example"
    response = staff_client(business, Role.MANAGER).get("/join-poster.pdf", headers=EN)
    assert _is_pdf(response)
    text = pdf_text(response.content)
    assert f"https://duka.example/join/{business.slug}/" in text  # the public address
    assert "Join our loyalty club" in text
    assert Client().get(f"/join/{business.slug}/").status_code == 200  # the page exists
    assert staff_client(business, Role.CASHIER).get("/join-poster.pdf").status_code == 403


def test_data_export_pdf_is_audited_and_downloaded(business, staff_client):
    customer = _customer(business)
    text = (
        "Send me offers, rewards and news from Kahawa Test by SMS. "
        "I can stop at any time by replying STOP, free of charge."
    )
    consent_record(customer=customer, channel="sms", granted=True, text=text, source="staff")
    response = staff_client(business, Role.MANAGER).get(
        f"/customers/{customer.pk}/data-export.pdf", headers=EN
    )
    assert _is_pdf(response)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    assert text in " ".join(pdf_text(response.content).split())
    assert AuditEvent.objects.filter(
        business=business, action="customer.export", object_id=str(customer.pk)
    ).exists()


def test_data_export_roles_and_isolation(business, other_business, staff_client):
    customer = _customer(business)
    foreign = _customer(other_business, phone="+37491123456")
    cashier = staff_client(business, Role.CASHIER)
    assert cashier.get(f"/customers/{customer.pk}/data-export.pdf").status_code == 403
    owner = staff_client(business, Role.OWNER)
    assert owner.get(f"/customers/{foreign.pk}/data-export.pdf").status_code == 404
    assert not AuditEvent.objects.filter(action="customer.export").exists()
