"""Staff never see a raw code or a link to a door their role cannot open: a segment's filters
read as the form's labels and choices in the reader's language, money in the business
currency; a cashier's customer list has no Duplicates, Import or Export link."""

from __future__ import annotations

from wateja.customers.segments import segment_save
from wateja.customers.services import customer_create
from wateja.tenants.roles import Role


def test_a_segment_s_filters_read_as_labels_not_codes(business, staff_client):
    segment = segment_save(
        business=business,
        name="Big spenders",
        filters={"birthday_month": "this", "spent_min": 500000, "consent_sms": True},
    )
    client = staff_client(business, Role.MANAGER)
    page = client.get(f"/customers/segments/{segment.pk}/").content.decode()
    assert "Birthday in: this month" in page
    assert "Spent at least: KES5,000.00" in page
    assert "Agreed to SMS: yes" in page
    assert "birthday_month" not in page and "spent_min" not in page and "True" not in page
    client.cookies["wateja_language"] = "sw"
    swahili = client.get(f"/customers/segments/{segment.pk}/").content.decode()
    assert "birthday_month" not in swahili and "Birthday in" not in swahili


def test_a_cashier_sees_no_link_to_screens_for_managers(business, staff_client):
    customer_create(business=business, name="Achieng", phone="0712999888")
    cashier = staff_client(business, Role.CASHIER).get("/customers/").content.decode()
    owner = staff_client(business, Role.OWNER).get("/customers/").content.decode()
    for link in ('href="/customers/duplicates/"', 'href="/imports/"', 'href="/exports/customers/"'):
        assert link in owner
        assert link not in cashier


def test_a_first_week_step_for_the_owner_is_shown_to_a_manager_without_a_dead_link(
    business, staff_client
):
    manager = staff_client(business, Role.MANAGER).get("/").content.decode()
    owner = staff_client(business, Role.OWNER).get("/").content.decode()
    assert 'data-testid="step-cashier"' in manager and "Add a cashier" in manager
    assert 'href="/settings/staff/"' in owner
    assert 'href="/settings/staff/"' not in manager
