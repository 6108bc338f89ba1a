"""The staff screens of the contact handover: the vCard QR page reachable from the receipt
and the customer page, the business card PDF and .vcf, thank-you cards for one customer and
for a segment (PDF with tracked codes), and the customer of the month picture, refused without
the customer's consent. Another business's ids look missing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from tests.customers.test_printing import pdf_pages, pdf_text
from wateja.customers.models import Channel
from wateja.customers.segments import segment_save
from wateja.customers.services import consent_record, customer_create
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.promotions.models import PromoCode
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role
from wateja.tenants.services import business_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(business):
    return business_update(business=business, support_phone="+254712345678",
                           support_email="help@kahawa.example")  # fmt: skip


@pytest.fixture
def customer(shop):
    return customer_create(business=shop, name="Անի Պետրոսյան", phone="+254711000111",
                           language="hy", city="Nairobi")  # fmt: skip


def test_a_cashier_shows_the_contacts_qr_and_prints_the_card(shop, staff_client, customer):
    client = staff_client(shop, Role.CASHIER)
    page = client.get(f"/handover/?customer={customer.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<svg class="qr-code"' in html and "+254 712 345678" in html
    assert "help@kahawa.example" in html and customer.name in html
    assert "None" not in html and "{'" not in html

    vcf = client.get("/handover/contact.vcf")
    assert vcf["Content-Type"] == "text/vcard; charset=utf-8"
    body = vcf.content.decode()
    assert body.startswith("BEGIN:VCARD\r\n") and "TEL;TYPE=WORK,VOICE:+254712345678\r\n" in body
    assert f"/join/{shop.slug}/" in body

    card = client.get("/handover/business-card.pdf")
    assert card["Content-Type"] == "application/pdf"
    assert "help@kahawa.example" in pdf_text(card.content)
    sheet = client.get("/handover/business-card.pdf?sheet=1")
    assert pdf_text(sheet.content).count("help@kahawa.example") == 10


def test_the_handover_is_linked_from_the_customer_page(shop, staff_client, customer) -> None:
    manager = staff_client(shop, Role.MANAGER)
    html = manager.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/handover/?customer={customer.pk}" in html
    assert f"/customers/{customer.pk}/thank-you/" in html
    cashier = staff_client(shop, Role.CASHIER)
    html = cashier.get(f"/customers/{customer.pk}/").content.decode()
    assert "/handover/" in html and "/thank-you/" not in html


def test_without_support_contacts_the_page_says_what_is_missing(business, staff_client):
    html = staff_client(business, Role.CASHIER).get("/handover/").content.decode()
    assert 'data-testid="handover-no-contacts"' in html


@pytest.fixture
def gift(shop):
    promotion = promotion_save(business=shop, name="Gift 10%", type="percent_off_order",
                               params={"percent_bp": 1000}, requires_code=True)  # fmt: skip
    return promotion_set_status(promotion=promotion, status="active")


def test_a_manager_prints_one_customers_thank_you_card_with_a_code(
    shop, staff_client, customer, gift
) -> None:
    client = staff_client(shop, Role.MANAGER)
    page = client.get(f"/customers/{customer.pk}/thank-you/")
    assert page.status_code == 200 and "Gift 10%" in page.content.decode()

    pdf = client.post(f"/customers/{customer.pk}/thank-you/", {"offer": gift.pk, "note": ""})

    assert pdf["Content-Type"] == "application/pdf"
    code = PromoCode.objects.get(issued_to=customer)
    text = pdf_text(pdf.content)
    assert code.code in text and "Անի" in text
    assert AuditEvent.objects.filter(action="print.thank_you_cards").count() == 1
    again = client.get(f"/customers/{customer.pk}/thank-you/").content.decode()
    assert 'data-testid="thank-you-batches"' in again and "0 of 1 used" in again


def test_a_bad_thank_you_form_comes_back_with_its_problem(shop, staff_client, customer):
    client = staff_client(shop, Role.MANAGER)
    response = client.post(f"/customers/{customer.pk}/thank-you/", {"offer": "999999"})
    assert response.status_code == 400
    assert 'data-testid="error-offer"' in response.content.decode()
    assert not PromoCode.objects.exists()


def test_a_segment_gets_a_batch_of_cards_in_name_order(shop, staff_client, gift) -> None:
    for name, phone in [("Ольга Смирнова", "+254711000201"), ("Baraka Otieno", "+254711000202"),
                        ("Zawadi Njeri", "+254711000203")]:  # fmt: skip
        customer_create(business=shop, name=name, phone=phone, city="Mombasa")
    customer_create(business=shop, name="Elsewhere", phone="+254711000204", city="Kisumu")
    segment = segment_save(business=shop, name="Mombasa", filters={"city": "Mombasa"})
    client = staff_client(shop, Role.MANAGER)
    assert (
        f"/customers/segments/{segment.pk}/thank-you/"
        in client.get(f"/customers/segments/{segment.pk}/").content.decode()
    )
    page = client.get(f"/customers/segments/{segment.pk}/thank-you/").content.decode()
    assert 'data-testid="thank-you-count"' in page

    pdf = client.post(f"/customers/segments/{segment.pk}/thank-you/", {"offer": gift.pk})

    assert pdf_pages(pdf.content) == 3
    pages = pdf_text(pdf.content).split("\f")
    assert "Baraka" in pages[0] and "Zawadi" in pages[1] and "Ольга" in pages[2]
    assert PromoCode.objects.filter(batch__startswith="thank-you ").count() == 3


def test_the_customer_of_the_month_png_only_with_consent(shop, staff_client, customer):
    client = staff_client(shop, Role.MANAGER)
    page = client.get(f"/customers/{customer.pk}/thank-you/").content.decode()
    assert 'data-testid="customer-of-month-refused"' in page
    assert 'data-testid="customer-of-month-disabled"' in page
    refused = client.get(f"/customers/{customer.pk}/customer-of-the-month.png")
    assert refused.status_code == 409
    assert "has not agreed to be named in public" in refused.content.decode()

    client.post(f"/customers/{customer.pk}/consents/", {"channel": Channel.PUBLIC, "granted": "1"})
    page = client.get(f"/customers/{customer.pk}/thank-you/").content.decode()
    assert 'data-testid="customer-of-month-png"' in page
    png = client.get(f"/customers/{customer.pk}/customer-of-the-month.png")
    assert png["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (1080, 1080)
    assert AuditEvent.objects.filter(action="print.customer_of_month").count() == 1


def test_another_business_ids_look_missing(shop, other_business, staff_client) -> None:
    stranger = customer_create(business=other_business, name="Նարե", phone="+37491000111")
    consent_record(customer=stranger, channel=Channel.PUBLIC, granted=True, text="yes")
    segment = segment_save(business=other_business, name="All", filters={})
    client = staff_client(shop, Role.MANAGER)
    assert client.get(f"/customers/{stranger.pk}/thank-you/").status_code == 404
    assert client.get(f"/customers/{stranger.pk}/customer-of-the-month.png").status_code == 404
    assert client.get(f"/customers/segments/{segment.pk}/thank-you/").status_code == 404
    assert client.get(f"/handover/?customer={stranger.pk}").status_code == 200  # no name shown
    assert "Նարե" not in client.get(f"/handover/?customer={stranger.pk}").content.decode()


def test_a_cashier_cannot_print_thank_you_cards(shop, staff_client, customer) -> None:
    client = staff_client(shop, Role.CASHIER)
    response = client.post(f"/customers/{customer.pk}/thank-you/", {})
    assert response.status_code in (302, 403)
    assert not AuditEvent.objects.filter(action="print.thank_you_cards").exists()


def test_the_receipt_after_a_sale_links_to_the_handover(shop, staff_client, customer) -> None:
    client = staff_client(shop, Role.CASHIER, username="neema")
    cashier = get_user_model().objects.get(username="neema")
    sale = SaleInput(currency="KES", lines=({"sku": "latte", "name": "Latte", "quantity": 1,
                                             "unit_price_minor": 28_000},))  # fmt: skip
    checkout_reserve(business=shop, key="handover-1", sale=sale, customer=customer, actor=cashier)
    order = checkout_commit(business=shop, key="handover-1", actor=cashier)
    html = client.get(f"/orders/{order.pk}/receipt/").content.decode()
    assert f'href="/handover/?customer={customer.pk}"' in html
