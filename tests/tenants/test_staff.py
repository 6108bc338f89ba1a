"""Staff managed by the owner over HTTP and the CLI: passwords that pass Django's validators,
till PINs unique within a business, deactivation that ends access, and PIN switching at a
shared till that locks after repeated wrong PINs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from wateja.core.errors import DomainError
from wateja.tenants.models import AuditEvent, Staff, StaffLocation
from wateja.tenants.roles import Role
from wateja.tenants.services import location_create, staff_add
from wateja.tenants.staff import PIN_FAILURES_ALLOWED, TillLocked, till_switch

GOOD = "kahawa-tamu-2026"


def test_the_owner_adds_a_cashier_with_a_password_and_a_pin(api, api_for, business):
    moi = location_create(business=business, name="Moi Avenue")
    weak = api.post("/staff", {"username": "achieng", "name": "Achieng", "password": "1"})
    assert weak.status_code == 422
    assert "too short" in weak.json()["details"]["fields"]["password"][0]
    body = {"username": "achieng", "name": "Achieng", "role": "cashier", "password": GOOD,
            "pin": "2580", "locations": [moi.pk]}  # fmt: skip
    created = api.post("/staff", body)
    assert created.status_code == 201, created.json()
    assert created.json() == {"id": created.json()["id"], "username": "achieng", "name": "Achieng",
                              "role": "cashier", "active": True, "locations": [moi.pk],
                              "has_pin": True}  # fmt: skip
    assert "2580" not in str(Staff.objects.get(pk=created.json()["id"]).pin_digest)
    same_pin = api.post("/staff", {**body, "username": "baraka", "name": "Baraka"})
    assert same_pin.json()["details"]["fields"] == {
        "pin": ["Another staff member has this PIN; choose another."]
    }
    assert not Staff.objects.filter(user__username="baraka").exists()  # nothing half-written
    easy = api.post("/staff", {**body, "username": "baraka", "name": "Baraka", "pin": "1234"})
    assert easy.json()["details"]["fields"] == {"pin": ["Choose a PIN that is harder to guess."]}
    owner = api.post("/staff", {**body, "username": "boss2", "role": "owner", "pin": ""})
    assert owner.status_code == 422
    manager = api_for(business, Role.MANAGER)
    assert manager.post("/staff", {**body, "username": "x", "pin": ""}).status_code == 403
    assert AuditEvent.objects.filter(action="staff.add").count() == 1


def test_a_members_locations_are_kept_in_their_business_and_can_change(
    api, business, other_business
):
    moi = location_create(business=business, name="Moi Avenue")
    cbd = location_create(business=business, name="CBD")
    elsewhere = location_create(business=other_business, name="Abovyan")
    body = {"username": "wanjiru", "name": "Wanjiru", "password": GOOD,
            "locations": [cbd.pk, moi.pk]}  # fmt: skip
    created = api.post("/staff", body).json()
    assert sorted(created["locations"]) == sorted([moi.pk, cbd.pk])
    rows = StaffLocation.objects.filter(staff_id=created["id"])
    assert {(r.business_id, r.location_id) for r in rows} == {
        (business.pk, moi.pk),
        (business.pk, cbd.pk),
    }

    assert api.patch(f"/staff/{created['id']}", {"locations": [cbd.pk]}).json()["locations"] == [
        cbd.pk
    ]
    foreign = api.patch(f"/staff/{created['id']}", {"locations": [elsewhere.pk]})
    assert foreign.status_code == 422
    listed = next(m for m in api.get("/staff").json() if m["id"] == created["id"])
    assert listed["locations"] == [cbd.pk]
    assert [(r.business_id, r.location_id) for r in rows.all()] == [(business.pk, cbd.pk)]


def test_the_admin_adds_a_location_to_a_member_within_their_business(business):
    moi = location_create(business=business, name="Moi Avenue")
    owner = staff_add(business=business, username="mwangi", role=Role.OWNER)
    admin = get_user_model().objects.create_superuser("root", "root@wateja.test", GOOD)
    browser = Client()
    browser.force_login(admin)
    inline = "stafflocation_set"
    form = {
        "business": business.pk, "user": owner.user_id, "role": owner.role, "location": "",
        "active": "on", f"{inline}-TOTAL_FORMS": "1", f"{inline}-INITIAL_FORMS": "0",
        f"{inline}-MIN_NUM_FORMS": "0", f"{inline}-MAX_NUM_FORMS": "1000",
        f"{inline}-0-location": moi.pk,
    }  # fmt: skip
    page = f"/admin/tenants/staff/{owner.pk}/change/"
    assert browser.get(page).status_code == 200
    assert browser.post(page, form).status_code == 302
    assert list(owner.locations.all()) == [moi]
    assert StaffLocation.objects.get(staff=owner).business_id == business.pk


def test_a_deactivated_cashier_can_neither_sign_in_nor_switch_in(api, business):
    created = api.post("/staff", {"username": "otieno", "name": "Otieno", "password": GOOD,
                                  "pin": "3691"}).json()  # fmt: skip
    browser = Client()
    assert browser.login(username="otieno", password=GOOD)
    assert browser.get("/customers/").status_code == 200
    off = api.patch(f"/staff/{created['id']}", {"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert browser.get("/customers/").status_code in (302, 403)
    with pytest.raises(DomainError) as wrong:
        till_switch(business=business, pin="3691", till="till-1")
    assert wrong.value.code == "wrong_pin"
    reset = api.post(f"/staff/{created['id']}/password", {"password": "password"})
    assert reset.status_code == 422  # too common
    assert api.post(f"/staff/{created['id']}/password", {"password": GOOD + "!"}).status_code == 200


def test_wrong_pins_lock_the_till_for_a_while(api, business):
    api.post("/staff", {"username": "amina", "name": "Amina", "password": GOOD, "pin": "4826"})
    assert till_switch(business=business, pin="4826", till="till-1").user.username == "amina"
    for n in range(PIN_FAILURES_ALLOWED):
        with pytest.raises(DomainError) as wrong:
            till_switch(business=business, pin="9999", till="till-1")
        assert wrong.value.details["tries_left"] == PIN_FAILURES_ALLOWED - n - 1
    with pytest.raises(TillLocked) as locked:
        till_switch(business=business, pin="4826", till="till-1")
    assert locked.value.status == 429
    # another till is not locked
    assert till_switch(business=business, pin="4826", till="till-2").user.username == "amina"


def test_wateja_staff_add_from_the_command_line(business):
    from wateja.cli import main

    assert main(["staff", "add", "--business", business.slug, "--username", "zawadi",
                 "--name", "Zawadi", "--password", GOOD, "--pin", "7410"]) == 0  # fmt: skip
    staff = Staff.objects.get(user__username="zawadi")
    assert (staff.role, staff.user.first_name, bool(staff.pin_digest)) == (
        "cashier",
        "Zawadi",
        True,
    )
    assert main(["staff", "add", "--business", business.slug, "--username", "weak",
                 "--password", "1"]) == 2  # fmt: skip
