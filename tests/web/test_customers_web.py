"""Customer screens through the Django test client: enrol, duplicates, search, timeline,
tasks, consents, segments, merge, privacy, and the public enrolment page."""

from __future__ import annotations

from django.test import Client

from wateja.customers.models import Consent, Customer, Interaction
from wateja.customers.services import customer_create
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}


def _enrol(client, **fields):
    data = {"name": "Baraka Mwangi", "phone": "0712 345 678", "city": "Nairobi", **fields}
    return client.post("/customers/new/", data, headers=EN)


def test_cashier_enrols_and_gets_a_card(business, staff_client):
    client = staff_client(business, Role.CASHIER)
    response = _enrol(client, consent_sms="on")
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.phone == "+254712345678"
    page = client.get(response["Location"], headers=EN).content.decode()
    assert customer.cards.get().number[:4] in page.replace(" ", "")
    consent = Consent.objects.get(customer=customer)
    assert consent.channel == "sms" and consent.granted and "STOP" in consent.text


def test_duplicate_enrolment_shows_the_existing_card(business, staff_client):
    client = staff_client(business, Role.CASHIER)
    _enrol(client)
    page = _enrol(client, name="B. Mwangi", phone="+254712345678").content.decode()
    assert "Already a customer" in page
    card = Customer.objects.get().cards.get().number
    assert card[:4] in page.replace(" ", "")
    assert Customer.objects.count() == 1


def test_bad_phone_is_a_field_error_in_swahili(business, staff_client):
    client = staff_client(business, Role.CASHIER)
    client.post("/i18n/setlang/", {"language": "sw"})
    page = client.post("/customers/new/", {"name": "Juma", "phone": "123"}).content.decode()
    assert 'role="alert"' in page
    assert Customer.objects.count() == 0


def test_search_finds_by_phone_fragment_htmx(business, staff_client):
    customer_create(business=business, name="Achieng Otieno", phone="0722 111 222")
    customer_create(business=business, name="Kamau", phone="0733 444 555")
    # a manager's search (a cashier or viewer needs the whole number: tests/security)
    client = staff_client(business, Role.MANAGER)
    partial = client.get("/customers/?q=0722 111", headers={"HX-Request": "true", **EN})
    text = partial.content.decode()
    assert "Achieng Otieno" in text and "Kamau" not in text
    assert "<html" not in text


def test_timeline_task_and_todo_list(business, staff_client):
    customer = customer_create(business=business, name="Achieng", phone="0722111222")
    client = staff_client(business, Role.CASHIER)
    client.post(
        f"/customers/{customer.pk}/interactions/",
        {"kind": "complaint", "summary": "Milk was sour", "due_at": "2026-12-02"},
    )
    task = Interaction.objects.get(kind="complaint")
    assert task.status == "open" and task.due_at.date().isoformat() == "2026-12-02"
    assert "Milk was sour" in client.get("/customers/tasks/", headers=EN).content.decode()
    client.post(f"/tasks/{task.pk}/status/", {"status": "resolved"})
    task.refresh_from_db()
    assert task.status == "resolved"
    assert "Milk was sour" not in client.get("/customers/tasks/", headers=EN).content.decode()
    timeline = client.get(f"/customers/{customer.pk}/", headers=EN).content.decode()
    assert "Milk was sour" in timeline and "Resolved" in timeline


def test_consent_withdrawal_from_the_customer_page(business, staff_client):
    customer = customer_create(business=business, name="Achieng", phone="0722111222")
    client = staff_client(business, Role.CASHIER)
    client.post(f"/customers/{customer.pk}/consents/", {"channel": "email", "granted": "1"})
    asked = client.post(f"/customers/{customer.pk}/consents/", {"channel": "email", "granted": "0"})
    assert 'data-testid="confirm"' in asked.content.decode()  # nothing withdrawn yet
    assert Consent.objects.filter(customer=customer, granted=False).count() == 0
    client.post(
        f"/customers/{customer.pk}/consents/",
        {"channel": "email", "granted": "0", "confirmed": "1"},
    )
    assert list(
        Consent.objects.filter(customer=customer).order_by("id").values_list("granted", flat=True)
    ) == [True, False]


def test_segment_with_money_in_the_users_format(business, staff_client):
    rich = customer_create(business=business, name="Rich", phone="0722111222", city="Nairobi")
    Customer.objects.filter(pk=rich.pk).update(total_spent_minor=2_500_000)
    customer_create(business=business, name="Poor", phone="0722111333", city="Nairobi")
    client = staff_client(business, Role.MANAGER)
    response = client.post(
        "/customers/segments/", {"name": "Big spenders", "spent_min": "10,000"}, headers=EN
    )
    assert response.status_code == 302
    page = client.get(response["Location"], headers=EN).content.decode()
    assert "Rich" in page and "Poor" not in page
    bad = client.post("/customers/segments/", {"name": "Bad", "spent_min": "ten"}, headers=EN)
    assert "The amount is not valid." in bad.content.decode()


def test_merge_from_duplicates_screen(business, staff_client):
    a = customer_create(business=business, name="Anahit Sargsyan", phone="0722111222", city="X")
    b = customer_create(business=business, name="Sargsyan Anahit", email="a@example.com", city="X")
    client = staff_client(business, Role.MANAGER)
    assert "Sargsyan Anahit" in client.get("/customers/duplicates/", headers=EN).content.decode()
    client.post("/customers/merge/", {"keep": a.pk, "drop": b.pk, "confirmed": "1"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.email == "a@example.com" and b.merged_into_id == a.pk
    assert client.get("/customers/duplicates/", headers=EN).status_code == 200


def test_privacy_export_and_erase_need_manager(business, staff_client):
    customer = customer_create(business=business, name="Achieng", phone="0722111222")
    cashier = staff_client(business, Role.CASHIER)
    assert cashier.get(f"/customers/{customer.pk}/export.json").status_code == 403
    manager = staff_client(business, Role.MANAGER)
    data = manager.get(f"/customers/{customer.pk}/export.json").json()
    assert data["profile"]["phone"] == "+254722111222"
    manager.post(f"/customers/{customer.pk}/erase/", {"confirm": "nope"})
    customer.refresh_from_db()
    assert customer.erased_at is None
    manager.post(f"/customers/{customer.pk}/erase/", {"confirm": "ERASE"})
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.phone == ""
    assert AuditEvent.objects.filter(action="customer.erase").count() == 1


def test_foreign_customer_pages_are_404(business, other_business, staff_client):
    theirs = customer_create(business=other_business, name="Other", phone="+37491234567")
    client = staff_client(business, Role.OWNER)
    for path in (f"/customers/{theirs.pk}/", f"/customers/{theirs.pk}/edit/"):
        assert client.get(path).status_code == 404
    assert client.post(f"/customers/{theirs.pk}/erase/", {"confirm": "ERASE"}).status_code == 404


def test_public_join_page(business):
    client = Client()
    page = client.get(f"/join/{business.slug}/", headers=EN)
    assert page.status_code == 200 and "Kahawa Test" in page.content.decode()
    response = client.post(
        f"/join/{business.slug}/",
        {"name": "Neema", "phone": "0712 000 333", "consent_sms": "on"},
        headers=EN,
    )
    text = response.content.decode()
    customer = Customer.objects.get()
    assert "Welcome to the club!" in text
    assert "We have sent your card to your phone by SMS." in text
    assert customer.source == "web" and customer.language == "en"
    again = client.post(f"/join/{business.slug}/", {"name": "X", "phone": "0712000333"}, headers=EN)
    # a member's number gets the same answer as a new one (tests/security/test_enrolment_page)
    assert "We have sent your card to your phone by SMS." in again.content.decode()
    # the card number is never shown to a visitor who did not prove the phone
    for page in (text, again.content.decode()):
        assert customer.cards.get().number[:6] not in page.replace(" ", "")
    assert Client().get("/join/no-such-shop/").status_code == 404
