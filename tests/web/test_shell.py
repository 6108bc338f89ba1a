"""Staff shell: login, navigation, roles, business switcher, language switcher, settings."""

from __future__ import annotations

from django.test import Client

from wateja.tenants.models import ApiKey
from wateja.tenants.roles import Role
from wateja.tenants.services import staff_add


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_shows_navigation(business):
    business.two_factor_required = "nobody"  # one step (two steps: tests/security)
    business.save()
    staff_add(business=business, username="wanjiku", role=Role.OWNER, password="s3cret-pass")
    client = Client()
    response = client.post("/login/", {"username": "wanjiku", "password": "s3cret-pass"})
    assert response.status_code == 302
    page = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    for label in ("Customers", "Checkout", "Rewards", "Messages", "Reports", "Settings"):
        assert label in page
    assert "Kahawa Test" in page


def test_wrong_password_stays_on_login(business):
    staff_add(business=business, username="wanjiku", role=Role.OWNER, password="s3cret-pass")
    response = Client().post("/login/", {"username": "wanjiku", "password": "nope"})
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()


def test_cashier_gets_403_on_settings(business, staff_client):
    response = staff_client(business, Role.CASHIER).get("/settings/")
    assert response.status_code == 403


def test_manager_sees_settings_but_cannot_change_them(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    assert client.get("/settings/").status_code == 200
    response = client.post("/settings/", {"name": "Other"})
    assert response.status_code == 403
    business.refresh_from_db()
    assert business.name == "Kahawa Test"


def test_owner_saves_settings_and_sees_field_errors(business, staff_client):
    client = staff_client(business, Role.OWNER)
    form = {
        "name": "Kahawa Bora",
        "country": "KE",
        "currency": "KES",
        "timezone": "Africa/Nairobi",
        "default_language": "sw",
        "support_phone": "+254700000002",
        "support_email": "msaada@example.com",
        "address": "",
        "hours": "",
    }
    assert client.post("/settings/", form).status_code == 302
    business.refresh_from_db()
    assert (business.name, business.default_language) == ("Kahawa Bora", "sw")
    bad = client.post("/settings/", {**form, "currency": "ZZZ"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 200
    assert "Unknown currency code." in bad.content.decode()
    business.refresh_from_db()
    assert business.currency == "KES"


def test_owner_creates_key_shown_once(business, staff_client):
    client = staff_client(business, Role.OWNER)
    page = client.post(
        "/settings/api-keys/", {"name": "Till 2", "role": "cashier"}
    ).content.decode()
    key = ApiKey.objects.for_business(business).get(name="Till 2")
    assert f"wj_{key.prefix}_" in page
    assert f"wj_{key.prefix}_" in client.get("/settings/").content.decode()
    assert key.key_hash not in page


def test_business_switcher(business, other_business, staff_client):
    client = staff_client(business, Role.OWNER, username="multi")
    staff_add(business=other_business, username="multi", role=Role.VIEWER)
    assert "Kahawa Test" in client.get("/").content.decode().split("<h1>")[1]
    client.post("/business/switch/", {"business": other_business.id, "next": "/"})
    assert "Maua Test" in client.get("/").content.decode().split("<h1>")[1]
    # viewer in the second business: settings are closed there
    assert client.get("/settings/").status_code == 403


def test_switching_to_a_foreign_business_is_ignored(business, other_business, staff_client):
    client = staff_client(business, Role.OWNER)
    client.post("/business/switch/", {"business": other_business.id})
    assert "Kahawa Test" in client.get("/").content.decode().split("<h1>")[1]


def test_language_switch_translates_navigation(business, staff_client):
    client = staff_client(business, Role.OWNER)
    client.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="sw"' in page
    assert "Wateja" in page and "Mipangilio" in page


def test_business_default_language_applies_without_a_choice(make_business, staff_client):
    armenian = make_business(default_language="hy", country="AM", currency="AMD")
    page = staff_client(armenian, Role.OWNER).get("/").content.decode()
    assert 'lang="hy"' in page


def test_section_pages_render(business, staff_client):
    client = staff_client(business, Role.VIEWER)
    for path in ("/customers/", "/rewards/", "/messages/"):
        assert client.get(path).status_code == 200
    assert client.get("/checkout/").status_code == 403  # the till is for cashiers and up
    assert client.get("/reports/").status_code == 403  # figures are for managers and owners
    assert staff_client(business, Role.MANAGER).get("/reports/").status_code == 200
