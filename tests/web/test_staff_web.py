"""Settings → Staff, switching cashiers by PIN and the navigation by role, through the real
views with Django's test client."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import translation
from django.utils.translation import gettext

from wateja.tenants.middleware import SESSION_KEY
from wateja.tenants.models import Staff
from wateja.tenants.roles import Role
from wateja.tenants.services import location_create, staff_add
from wateja.tenants.staff import staff_create
from wateja.web.context import NAVIGATION, navigation_for, screen_role
from wateja.web.permissions import minimum_role

EN = {"Accept-Language": "en"}
GOOD_PASSWORD = "kahawa-tamu-2026"


def _add_form(**fields: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Achieng Otieno",
        "username": "achieng",
        "role": Role.CASHIER,
        "password": GOOD_PASSWORD,
        "pin": "4739",
    }
    form.update(fields)
    return form


def _member(business, username: str) -> Staff:
    return Staff.objects.for_business(business).select_related("user").get(user__username=username)


def _signed_in_as(client: Client) -> str:
    page = client.get("/", headers=EN).content.decode()
    found = re.search(r'data-testid="signed-in-as">([^<]+)<', page)
    assert found, page
    return found.group(1).strip()


def _cashier(business, username: str, pin: str, name: str = "") -> Staff:
    return staff_create(business=business, username=username, name=name or username.title(),
                        role=Role.CASHIER, password=GOOD_PASSWORD, pin=pin)  # fmt: skip


def test_owner_adds_a_cashier_who_can_sign_in(business, staff_client):
    westlands = location_create(business=business, name="Westlands")
    location_create(business=business, name="CBD")
    owner = staff_client(business, Role.OWNER)
    page = owner.get("/settings/staff/", headers=EN).content.decode()
    assert 'data-testid="staff-add"' in page and "Westlands" in page
    assert "Manager" in page and "Viewer" in page
    assert 'value="owner"' not in page  # one owner per business

    weak = owner.post("/settings/staff/", _add_form(password="123"), headers=EN)
    assert weak.status_code == 200
    text = weak.content.decode()
    error = re.search(r'data-testid="error-password">([^<]+)<', text)
    assert error and "too short" in error.group(1)
    # the error sits right after the password field, not at the top of the form
    assert text.index('name="password"') < text.index('data-testid="error-password"')
    assert not Staff.objects.for_business(business).filter(user__username="achieng").exists()

    done = owner.post(
        "/settings/staff/", _add_form(locations=[str(westlands.pk)]), headers=EN, follow=True
    )
    text = done.content.decode()
    assert "Achieng Otieno can now sign in as achieng." in text
    row = re.search(r'data-testid="staff-achieng">(.*?)</tr>', text, re.S)
    assert row, text
    for shown in ("Achieng Otieno", "Cashier", "Westlands", "Set", "Active"):
        assert shown in row.group(1)
    assert "cashier<" not in row.group(1)  # the role in words, never its code
    assert "None" not in text

    member = _member(business, "achieng")
    assert [p.name for p in member.locations.all()] == ["Westlands"]
    assert member.pin_digest
    cashier = Client()
    assert cashier.login(username="achieng", password=GOOD_PASSWORD)
    assert cashier.get("/checkout/").status_code == 200


def test_field_errors_are_in_the_users_language(business, staff_client):
    owner = staff_client(business, Role.OWNER)
    _cashier(business, "achieng", "4739")
    taken = owner.post(
        "/settings/staff/", _add_form(pin="1111"), headers={"Accept-Language": "ru"}
    ).content.decode()
    # Django's own messages (required field) come in the same language as the page
    blank = owner.post(
        "/settings/staff/", _add_form(name=""), headers={"Accept-Language": "ru"}
    ).content.decode()
    with translation.override("ru"):
        required = gettext("This field is required.")
    assert required != "This field is required."
    assert 'lang="ru"' in taken and required in blank
    assert re.search(r'data-testid="error-username">', taken)
    assert re.search(r'data-testid="error-pin">', taken)


def test_owner_changes_role_and_locations_and_resets_password_and_pin(business, staff_client):
    cbd = location_create(business=business, name="CBD")
    owner = staff_client(business, Role.OWNER)
    member = _cashier(business, "achieng", "4739")
    url = f"/settings/staff/{member.pk}/"
    page = owner.get(url, headers=EN).content.decode()
    assert 'value="cashier" selected' in page

    changed = owner.post(url, {"role": Role.MANAGER, "locations": [str(cbd.pk)]}, headers=EN)
    assert changed.status_code == 302
    member = _member(business, "achieng")
    assert member.role == Role.MANAGER and [p.name for p in member.locations.all()] == ["CBD"]

    weak = owner.post(f"{url}password/", {"password": "abc"}, headers=EN).content.decode()
    assert 'data-testid="error-password"' in weak
    assert owner.post(f"{url}password/", {"password": "mpya-kabisa-2026"}).status_code == 302
    assert Client().login(username="achieng", password="mpya-kabisa-2026")

    easy = owner.post(f"{url}pin/", {"pin": "1234"}, headers=EN).content.decode()
    assert re.search(r'data-testid="error-pin">Choose a PIN that is harder to guess', easy)
    before = _member(business, "achieng").pin_digest
    assert owner.post(f"{url}pin/", {"pin": "8046"}).status_code == 302
    assert _member(business, "achieng").pin_digest not in ("", before)


def test_owner_deactivates_after_confirming_and_access_ends(business, staff_client):
    owner = staff_client(business, Role.OWNER)
    member = _cashier(business, "achieng", "4739")
    cashier = Client()
    assert cashier.login(username="achieng", password=GOOD_PASSWORD)
    assert cashier.get("/checkout/").status_code == 200

    url = f"/settings/staff/{member.pk}/access/"
    question = owner.get(url, headers=EN).content.decode()
    assert "Deactivate Achieng?" in question and 'name="confirm" value="yes"' in question
    # a POST without the confirmation only asks again
    unconfirmed = owner.post(url, {"active": "0"}, headers=EN)
    assert unconfirmed.status_code == 200 and "Deactivate Achieng?" in unconfirmed.content.decode()
    assert _member(business, "achieng").active

    done = owner.post(url, {"confirm": "yes", "active": "0"}, headers=EN, follow=True)
    assert "Achieng can no longer sign in." in done.content.decode()
    assert not _member(business, "achieng").active
    assert cashier.get("/checkout/").status_code == 403  # at once, in the open session
    assert cashier.get("/customers/").status_code == 403

    listed = owner.get("/settings/staff/", headers=EN).content.decode()
    assert (
        "Deactivated" in re.search(r'data-testid="staff-achieng"[^>]*>(.*?)</tr>', listed, re.S)[1]
    )
    again = owner.get(url, headers=EN).content.decode()
    assert "Reactivate Achieng?" in again
    owner.post(url, {"confirm": "yes", "active": "1"})
    assert _member(business, "achieng").active
    assert cashier.get("/checkout/").status_code == 200


def test_the_owner_cannot_be_deactivated(business, staff_client):
    owner = staff_client(business, Role.OWNER, username="mwenyewe")
    me = _member(business, "mwenyewe")
    page = owner.get(f"/settings/staff/{me.pk}/", headers=EN).content.decode()
    assert 'name="role"' not in page and 'data-testid="staff-deactivate"' not in page
    assert owner.get(f"/settings/staff/{me.pk}/access/")["Location"] == f"/settings/staff/{me.pk}/"
    answer = owner.post(
        f"/settings/staff/{me.pk}/access/", {"confirm": "yes", "active": "0"}, follow=True,
        headers=EN,
    )  # fmt: skip
    assert "The owner&#x27;s role and access cannot be changed." in answer.content.decode()
    assert _member(business, "mwenyewe").active
    # the owner's own new password keeps them signed in
    changed = owner.post(f"/settings/staff/{me.pk}/password/", {"password": "mpya-kabisa-2026"})
    assert changed.status_code == 302
    assert owner.get("/settings/staff/").status_code == 200


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CASHIER, Role.VIEWER])
def test_staff_screen_is_the_owners(business, staff_client, role):
    member = _cashier(business, "achieng", "4739")
    client = staff_client(business, role)
    for path in (
        "/settings/staff/",
        f"/settings/staff/{member.pk}/",
        f"/settings/staff/{member.pk}/access/",
    ):
        response = client.get(path, headers=EN)
        assert response.status_code == 403
        assert "This page needs the Owner role." in response.content.decode()
    client.post("/settings/staff/", _add_form(username="sneaky"))
    client.post(f"/settings/staff/{member.pk}/access/", {"confirm": "yes", "active": "0"})
    client.post(f"/settings/staff/{member.pk}/pin/", {"pin": "8046"})
    assert not Staff.objects.filter(user__username="sneaky").exists()
    assert _member(business, "achieng").active


def test_another_business_staff_are_not_found(business, other_business, staff_client):
    theirs = _cashier(other_business, "theirs", "4739")
    owner = staff_client(business, Role.OWNER)
    before = _member(other_business, "theirs").pin_digest
    assert owner.get(f"/settings/staff/{theirs.pk}/").status_code == 404
    assert owner.post(f"/settings/staff/{theirs.pk}/pin/", {"pin": "8046"}).status_code == 404
    response = owner.post(f"/settings/staff/{theirs.pk}/access/", {"confirm": "yes", "active": "0"})
    assert response.status_code == 404
    member = _member(other_business, "theirs")
    assert member.active and member.pin_digest == before


def test_pin_switch_signs_the_next_cashier_in_on_this_browser(business, staff_client):
    _cashier(business, "achieng", "4739", name="Achieng")
    _cashier(business, "baraka", "8046", name="Baraka")
    till = Client()
    assert till.login(username="achieng", password=GOOD_PASSWORD)
    assert _signed_in_as(till) == "Achieng"
    page = till.get("/checkout/", headers=EN).content.decode()
    assert 'data-testid="switch-cashier"' in page and "/till/switch/?next=/checkout/" in page

    form = till.get("/till/switch/?next=/checkout/", headers=EN).content.decode()
    assert 'name="next" value="/checkout/"' in form
    switched = till.post("/till/switch/", {"pin": "8046", "next": "/checkout/"})
    assert switched.status_code == 302 and switched["Location"] == "/checkout/"
    assert _signed_in_as(till) == "Baraka"
    assert till.session[SESSION_KEY] == business.pk

    # only a page of this site: anything else goes to the start page
    away = till.post("/till/switch/", {"pin": "4739", "next": "https://evil.example/"})
    assert away["Location"] == "/"
    assert _signed_in_as(till) == "Achieng"


def test_pin_switch_keeps_the_business_that_was_selected(business, other_business, staff_client):
    till = staff_client(business, Role.CASHIER, username="mbili")
    staff_add(business=other_business, username="mbili", role=Role.CASHIER)
    _cashier(other_business, "anahit", "4826", name="Anahit")
    till.post("/business/switch/", {"business": other_business.pk, "next": "/"})
    till.post("/till/switch/", {"pin": "4826", "next": "/"})
    assert _signed_in_as(till) == "Anahit"
    assert till.session[SESSION_KEY] == other_business.pk


@pytest.fixture
def own_cache(settings):
    """The PIN counters in a cache of this process: the test settings' file cache is shared
    by the xdist workers, and every test starts by clearing it."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_five_wrong_pins_lock_this_till(business, staff_client, own_cache):
    member = _cashier(business, "achieng", "4739")
    till = staff_client(business, Role.CASHIER, username="kwanza")
    for left in (4, 3, 2, 1):
        wrong = till.post("/till/switch/", {"pin": "9999", "next": "/"}, headers=EN)
        assert wrong.status_code == 403
        assert f"Wrong PIN; {left} tries left." in wrong.content.decode()
    fifth = till.post("/till/switch/", {"pin": "9999", "next": "/"}, headers=EN)
    assert fifth.status_code == 429
    assert "this till is locked for 5 minutes" in fifth.content.decode()
    assert fifth["Retry-After"] == "300"
    # locked: even the right PIN waits, in the user's language
    right = till.post("/till/switch/", {"pin": "4739"}, headers={"Accept-Language": "sw"})
    assert right.status_code == 429 and 'lang="sw"' in right.content.decode()
    assert _signed_in_as(till) == "kwanza"
    # another browser is another till
    other = staff_client(business, Role.CASHIER, username="pili")
    assert other.post("/till/switch/", {"pin": "4739"}).status_code == 302
    assert _signed_in_as(other) == member.user.first_name


def test_till_switch_needs_a_signed_in_staff_member(business):
    _cashier(business, "achieng", "4739")
    response = Client().post("/till/switch/", {"pin": "4739"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_navigation_shows_only_what_the_role_can_open(business, staff_client):
    cashier = staff_client(business, Role.CASHIER).get("/", headers=EN).content.decode()
    nav = re.search(r'data-testid="mainnav">(.*?)</nav>', cashier, re.S).group(1)
    assert 'href="/checkout/"' in nav and 'href="/customers/"' in nav
    assert 'href="/settings/' not in nav and 'href="/reports/' not in nav
    assert "Settings" not in nav
    # the home page's tiles follow the same rule
    assert 'class="tile" href="/settings/"' not in cashier

    viewer = staff_client(business, Role.VIEWER).get("/", headers=EN).content.decode()
    nav = re.search(r'data-testid="mainnav">(.*?)</nav>', viewer, re.S).group(1)
    assert 'href="/checkout/"' not in nav and 'href="/customers/"' in nav

    owner = staff_client(business, Role.OWNER).get("/", headers=EN).content.decode()
    nav = re.search(r'data-testid="mainnav">(.*?)</nav>', owner, re.S).group(1)
    assert 'href="/settings/"' in nav and 'href="/reports/"' in nav


def test_every_link_in_the_navigation_opens_for_the_roles_that_see_it(business, staff_client):
    for role in Role:
        client = staff_client(business, role)
        shown = {name for name, _label in navigation_for(role)}
        for url_name, _label in NAVIGATION:
            status = client.get(reverse(url_name)).status_code
            assert (status == 200) == (url_name in shown), (role, url_name, status)


def test_each_navigation_entry_is_a_staff_screen_with_a_role():
    for name, _label in NAVIGATION:
        assert minimum_role(resolve(reverse(name)).func) is not None, name
    table = {name: screen_role(name) for name, _label in NAVIGATION}
    assert table == {
        "web:customers": Role.VIEWER,
        "web:checkout": Role.CASHIER,
        "web:products": Role.CASHIER,
        "web:rewards": Role.VIEWER,
        "web:messages": Role.VIEWER,
        "web:events": Role.CASHIER,
        "web:feedback_ratings": Role.MANAGER,
        "web:payments": Role.MANAGER,
        "web:reports": Role.MANAGER,
        "web:settings": Role.MANAGER,
    }


def test_cashier_opening_a_manager_page_directly_is_forbidden(business, staff_client):
    cashier = staff_client(business, Role.CASHIER)
    for path in ("/settings/", "/reports/"):
        response = cashier.get(path, headers=EN)
        assert response.status_code == 403
        assert "This page needs the Manager role." in response.content.decode()
    assert staff_client(business, Role.MANAGER).get("/settings/staff/").status_code == 403
