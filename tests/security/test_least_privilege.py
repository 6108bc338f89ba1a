"""Least privilege (issue 16, item 4), through the API with a bearer key of each role and the
staff screens with a login of each role: a cashier or viewer cannot dump the customer base,
exports are a manager's and audited, consents posted through the API say so and name their
key, links in messages go only to the business's own websites, the sender id is the owner's,
a viewer sends no receipt, and every link a role is shown opens for that role."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.messaging.factories import sms_template
from wateja.customers.models import Consent, Customer
from wateja.customers.segments import segment_save
from wateja.customers.services import customer_create
from wateja.messaging.campaigns import campaign_save
from wateja.messaging.config import messaging_settings, messaging_settings_update
from wateja.messaging.models import Campaign, Message
from wateja.orders.services import order_record
from wateja.tenants.models import ApiKey, AuditEvent
from wateja.tenants.roles import Role
from wateja.web.context import NAVIGATION, navigation_for

EN = {"Accept-Language": "en"}
LIMITED = (Role.CASHIER, Role.VIEWER)
HIDDEN = ("email", "birthday", "notes", "tags", "gender", "city", "phone")


def _customers(business, count: int) -> list[Customer]:
    return [
        customer_create(
            business=business,
            name=f"Mteja {n:02d}",
            phone=f"0712 000 {100 + n}",
            email=f"mteja{n}@example.com",
            birth_day=1,
            birth_month=5,
            notes="Pays late",
        )
        for n in range(count)
    ]


def _listed(**who) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="customers.listed", **who).order_by("id"))


# --- the customer list through the API --------------------------------------------------------


@pytest.mark.parametrize("role", LIMITED)
def test_a_cashier_or_viewer_key_cannot_page_the_whole_base_nor_see_contacts(
    business, api_for, role
):
    _customers(business, 30)
    api = api_for(business, role)
    refused = api.get("/customers?limit=500")
    assert refused.status_code == 403
    assert refused.json()["code"] == "page_size_limited"
    assert refused.json()["details"]["max"] == 20
    page = api.get("/customers").json()
    assert len(page["items"]) == 20 and page["next_cursor"]
    first = page["items"][0]
    assert not set(HIDDEN) & set(first)
    assert first["name"] == "Mteja 00" and first["card_number"]
    assert first["phone_masked"] == "+254 ••• 100"
    assert first["email_masked"] == "m•••@example.com"
    rest = api.get(f"/customers?cursor={page['next_cursor']}").json()
    assert len(rest["items"]) == 10 and rest["next_cursor"] is None
    assert "0712000100" not in str(page) and "+254712000100" not in str(page)


def test_a_manager_key_still_reads_every_field_in_big_pages(business, api_for):
    _customers(business, 30)
    body = api_for(business, Role.MANAGER).get("/customers?limit=500").json()
    assert len(body["items"]) == 30
    first = body["items"][0]
    assert first["email"] == "mteja0@example.com" and first["phone"] == "+254712000100"
    assert first["birthday"] == {"day": 1, "month": 5, "year": None}
    assert first["notes"] == "Pays late"


def test_a_cashier_key_finds_a_customer_by_the_whole_phone_number_not_by_digits(business, api_for):
    _customers(business, 3)
    cashier = api_for(business, Role.CASHIER)
    found = cashier.get("/customers?q=0712 000 101").json()["items"]
    assert [c["name"] for c in found] == ["Mteja 01"]
    assert found[0]["phone_masked"] == "+254 ••• 101"
    assert cashier.get("/customers?q=000 10").json()["items"] == []  # part of a number
    assert cashier.get("/customers?q=mteja1@").json()["items"] == []  # part of an address
    assert len(cashier.get("/customers?q=Mteja").json()["items"]) == 3  # part of a name
    by_mail = cashier.get("/customers?q=MTEJA2@example.com").json()["items"]
    assert [c["name"] for c in by_mail] == ["Mteja 02"]
    manager = api_for(business, Role.MANAGER)
    assert len(manager.get("/customers?q=000 10").json()["items"]) == 3


def test_list_pages_are_audited_in_one_row_per_key_per_minute(business, api_for):
    _customers(business, 25)
    cashier = api_for(business, Role.CASHIER)
    manager = api_for(business, Role.MANAGER)
    start = dt.datetime(2031, 3, 4, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        page = cashier.get("/customers?city=").json()
        cashier.get(f"/customers?cursor={page['next_cursor']}")
        cashier.get("/customers?q=Mteja 03")
        manager.get("/customers?limit=100")
    cashier_key = ApiKey.objects.get(business=business, role=Role.CASHIER)
    [row] = _listed(api_key=cashier_key)
    assert row.details["channel"] == "api" and row.actor is None
    assert row.details["reads"] == 3 and row.details["rows"] == 20 + 5 + 1
    assert row.details["filters"] == [{}, {"page": "next"}, {"q": "Mteja 03"}]
    [other] = _listed(api_key=ApiKey.objects.get(business=business, role=Role.MANAGER))
    assert other.details["reads"] == 1 and other.details["rows"] == 25
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        cashier.get("/customers")
    assert [r.details["reads"] for r in _listed(api_key=cashier_key)] == [3, 1]


# --- the customer list on the screens ---------------------------------------------------------


@pytest.mark.parametrize("role", LIMITED)
def test_a_cashier_or_viewer_screen_shows_the_newest_few_masked_and_is_audited(
    business, staff_client, role
):
    _customers(business, 25)
    client = staff_client(business, role)
    page = client.get("/customers/?before=999999", headers=EN).content.decode()
    rows = re.findall(r'href="/customers/(\d+)/"', page)
    assert len(rows) == 20
    assert "Mteja 24" in page and "Mteja 04" not in page  # the newest, no older page
    assert 'href="?before=' not in page  # no "More" link
    assert "+254 ••• 124" in page
    assert "+254 712 000124" not in page and "mteja24@example.com" not in page
    assert 'data-testid="newest-only"' in page
    found = client.get("/customers/?q=0712000104", headers=EN).content.decode()
    assert "Mteja 04" in found and "+254 ••• 104" in found
    assert "Mteja 04" not in client.get("/customers/?q=000104", headers=EN).content.decode()
    [row] = _listed(actor__username__startswith=role)
    assert row.details["channel"] == "web" and row.details["reads"] == 3
    assert row.details["rows"] == 20 + 1 + 0


def test_a_manager_screen_pages_on_and_only_the_further_pages_are_audited(business, staff_client):
    _customers(business, 60)
    client = staff_client(business, Role.MANAGER)
    page = client.get("/customers/", headers=EN).content.decode()
    assert "+254 712 000159" in page and 'href="?before=' in page
    assert not _listed()
    before = re.search(r'href="\?before=(\d+)"', page).group(1)
    more = client.get(f"/customers/?before={before}", headers=EN).content.decode()
    assert "Mteja 00" in more
    [row] = _listed()
    assert row.details["rows"] == 10 and row.details["filters"] == [{"page": "next"}]


def test_a_viewer_sees_a_segment_masked_and_shortened(business, staff_client):
    _customers(business, 25)
    segment = segment_save(business=business, name="Everyone", filters={})
    page = staff_client(business, Role.VIEWER).get(f"/customers/segments/{segment.pk}/", headers=EN)
    text = page.content.decode()
    assert len(re.findall(r'href="/customers/(\d+)/"', text)) == 20
    assert "+254 712 000" not in text and "+254 ••• 1" in text
    assert "The first 20 customers of 25 are shown." in text
    assert _listed()[0].details["filters"] == [{"segment": segment.pk}]
    manager = staff_client(business, Role.MANAGER).get(f"/customers/segments/{segment.pk}/")
    assert manager.content.decode().count("+254 712 000") == 25


def test_the_till_offers_a_choice_of_names_with_the_numbers_masked(business, staff_client):
    _customers(business, 3)
    client = staff_client(business, Role.CASHIER)
    page = client.get("/checkout/", headers=EN).content.decode()
    key = re.search(r'name="checkout_key" value="(\w+)"', page).group(1)
    found = client.post(
        "/checkout/evaluate/", {"checkout_key": key, "customer_q": "Mteja"}, headers=EN
    ).content.decode()
    choices = re.search(r'data-testid="pos-customer-choices">(.*?)</div>', found, re.S).group(1)
    assert "Mteja 02 · +254 ••• 102" in choices
    assert "+254712000102" not in found and "712 000102" not in found


# --- exports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", LIMITED)
def test_exports_refuse_a_cashier_or_viewer_key(business, api_for, role):
    customer = _customers(business, 1)[0]
    api = api_for(business, role)
    for path in (
        "/exports/customers.csv",
        "/exports/customers.xlsx",
        f"/customers/{customer.pk}/export",
        "/partners/maua/export.csv",
        "/analytics/rfm/customers?rfm=champions",
    ):
        response = api.get(path)
        assert response.status_code == 403, path
        assert response.json()["code"] == "role_required"
    assert not AuditEvent.objects.exclude(action="customers.listed").exists()


@pytest.mark.parametrize("role", LIMITED)
def test_export_and_print_screens_refuse_a_cashier_or_viewer(business, staff_client, role):
    customer = _customers(business, 1)[0]
    client = staff_client(business, role)
    for path in (
        "/exports/customers/?format=csv",
        "/exports/partner/?partner=maua&format=csv",
        "/customers/list.pdf",
        "/customers/cards.pdf?all=1",
        f"/customers/{customer.pk}/export.json",
        f"/customers/{customer.pk}/data-export.pdf",
        "/reports/export/figures.csv",
        "/reports/monthly.pdf",
    ):
        assert client.get(path).status_code == 403, path
    assert not AuditEvent.objects.exists()
    page = client.get("/customers/", headers=EN).content.decode()
    assert "/customers/list.pdf" not in page and "/customers/cards.pdf" not in page
    assert "/exports/customers/" not in page


def test_every_export_and_print_by_a_manager_is_audited(business, staff_client, api_for):
    customer = _customers(business, 3)[0]
    client = staff_client(business, Role.MANAGER)
    api = api_for(business, Role.MANAGER)
    started = client.post("/customers/list.pdf", {"city": ""})  # a background job
    assert started.status_code == 302
    assert AuditEvent.objects.filter(action="print.customer_list").exists()
    expected = {
        "/customers/cards.pdf?all=1": "print.cards",
        f"/customers/{customer.pk}/export.json": "customer.export",
        f"/customers/{customer.pk}/data-export.pdf": "customer.export",
        "/exports/customers/?format=csv": "customers.export",
    }
    for path, action in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        if response.streaming:
            b"".join(response.streaming_content)
        assert AuditEvent.objects.filter(action=action).exists(), path
    assert AuditEvent.objects.get(action="print.customer_list").details["rows"] == 3
    assert AuditEvent.objects.get(action="print.cards").details == {"all": True, "cards": 3}
    for path in ("/reports/export/figures.csv", "/reports/export/all.xlsx", "/reports/monthly.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
        if response.streaming:
            b"".join(response.streaming_content)
    reports = AuditEvent.objects.filter(action="report.export", actor__isnull=False)
    assert sorted(reports.values_list("object_id", flat=True)) == ["all", "figures", "monthly"]
    assert api.get("/exports/customers.csv").status_code == 200
    assert AuditEvent.objects.filter(action="customers.export", api_key__isnull=False).exists()
    assert api.get("/analytics/rfm/customers?rfm=champions").status_code == 200
    rfm = AuditEvent.objects.get(action="customers.listed", api_key__isnull=False)
    assert rfm.details["filters"] == [{"rfm": "champions"}]


# --- consents through the API -----------------------------------------------------------------


def test_a_consent_posted_through_the_api_says_api_and_names_its_key(business, api_for):
    customer = _customers(business, 1)[0]
    api = api_for(business, Role.CASHIER)
    key = ApiKey.objects.get(business=business, role=Role.CASHIER)
    response = api.post(
        f"/customers/{customer.pk}/consents",
        {"channel": "sms", "granted": True, "text": "Offers by SMS"},
    )
    assert response.status_code == 201
    assert response.json()["source"] == "api" and response.json()["api_key_id"] == key.pk
    consent = Consent.objects.get(pk=response.json()["id"])
    assert consent.source == "api" and consent.api_key == key and consent.recorded_by is None
    created = api.post(
        "/customers", {"name": "Neema", "phone": "0799 000 111", "consents": {"email": True}}
    ).json()
    enrolled = Consent.objects.get(customer_id=created["id"])
    assert enrolled.source == "api" and enrolled.api_key == key


@pytest.mark.parametrize("forged", ["web", "staff", "sms_reply", "import", "unsubscribe", "x"])
def test_a_forged_consent_source_is_refused(business, api_for, forged):
    customer = _customers(business, 1)[0]
    response = api_for(business, Role.OWNER).post(
        f"/customers/{customer.pk}/consents",
        {"channel": "sms", "granted": True, "source": forged},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "consent_source_not_allowed"
    assert body["details"]["allowed"] == ["api"] and "source" in body["details"]["fields"]
    assert not Consent.objects.exists()


def test_partner_consent_needs_a_manager_key(business, api_for):
    customer = _customers(business, 1)[0]
    partner = {"channel": "partner", "granted": True, "purpose": "partner:maua"}
    refused = api_for(business, Role.CASHIER).post(f"/customers/{customer.pk}/consents", partner)
    assert refused.status_code == 403
    assert refused.json()["code"] == "partner_consent_needs_manager"
    enrol = api_for(business, Role.CASHIER).post(
        "/customers", {"name": "Neema", "phone": "0799 000 111", "consents": {"partner": True}}
    )
    assert enrol.status_code == 403
    assert not Customer.objects.filter(name="Neema").exists()  # nothing half-written
    assert not Consent.objects.exists()
    manager = api_for(business, Role.MANAGER)
    assert manager.post(f"/customers/{customer.pk}/consents", partner).status_code == 201


def test_partner_consent_on_the_screen_needs_a_manager_and_names_the_staff(business, staff_client):
    customer = _customers(business, 1)[0]
    url = f"/customers/{customer.pk}/consents/"
    cashier = staff_client(business, Role.CASHIER, username="achieng")
    response = cashier.post(url, {"channel": "partner", "granted": "1"}, follow=True, headers=EN)
    assert "Only a manager can record consent to share with a partner." in (
        response.content.decode()
    )
    assert not Consent.objects.filter(channel="partner").exists()
    cashier.post(url, {"channel": "sms", "granted": "1"})
    sms = Consent.objects.get(channel="sms")
    assert sms.source == "staff" and sms.recorded_by.username == "achieng"
    cashier.post("/customers/new/", {"name": "Neema", "phone": "0799 000 111", "consent_sms": "on"})
    enrolled = Consent.objects.get(customer__name="Neema")
    assert enrolled.source == "staff" and enrolled.recorded_by.username == "achieng"
    manager = staff_client(business, Role.MANAGER, username="baraka")
    manager.post(url, {"channel": "partner", "granted": "1"})
    shared = Consent.objects.get(channel="partner")
    assert shared.granted and shared.recorded_by.username == "baraka"


# --- links in messages, the sender id ---------------------------------------------------------


def _campaign(api, template, link: str):
    return api.post(
        "/campaigns",
        {"name": "Menu", "channel": "sms", "sms_template_id": template.pk, "link_url": link},
    )


def test_campaign_links_go_only_to_the_business_domains(business, api_for):
    template = sms_template(business)
    owner = api_for(business, Role.OWNER)
    set_domains = owner.patch("/messaging/settings", {"link_domains": "https://Kahawa.example/"})
    assert set_domains.json()["link_domains"] == "kahawa.example"
    manager = api_for(business, Role.MANAGER)
    for link in (
        "https://kahawa.example/menu",
        "http://kahawa.example",
        "https://order.kahawa.example/today?x=1",
    ):
        assert _campaign(manager, template, link).status_code == 201, link
    for link in (
        "https://evil.example/kahawa.example",
        "https://kahawa.example.evil.example/",
        "https://notkahawa.example/",
        "https://kahawa.example@evil.example/",
        "javascript:alert(1)//kahawa.example",
        "data:text/html,kahawa.example",
        "ftp://kahawa.example/menu",
        "kahawa.example/menu",
    ):
        response = _campaign(manager, template, link)
        assert response.status_code == 422, link
        assert response.json()["code"] == "link_not_allowed", link
        assert "link_url" in response.json()["details"]["fields"]
    refused = _campaign(manager, template, "https://evil.example/")
    assert "kahawa.example" in refused.json()["message"]
    assert "kahawa.example" in refused.json()["details"]["allowed"]
    assert Campaign.objects.count() == 3


def test_without_domains_only_wateja_links_pass_and_the_message_says_who_adds_them(
    business, api_for, settings
):
    settings.PUBLIC_URL = "https://wateja.example"
    template = sms_template(business)
    manager = api_for(business, Role.MANAGER)
    assert _campaign(manager, template, "https://wateja.example/my/abc/").status_code == 201
    refused = _campaign(manager, template, "https://kahawa.example/")
    assert refused.status_code == 422
    assert refused.json()["details"]["allowed"] == ["wateja.example"]
    assert "messaging settings" in refused.json()["message"]


def test_automation_links_follow_the_same_rule(business, api_for):
    template = sms_template(business)
    messaging_settings_update(business=business, link_domains="kahawa.example")
    manager = api_for(business, Role.MANAGER)
    base = {"kind": "welcome", "channel": "sms", "sms_template_id": template.pk}
    bad = manager.post("/automations", {**base, "link_url": "https://evil.example/"})
    assert bad.status_code == 422 and bad.json()["code"] == "link_not_allowed"
    good = manager.post("/automations", {**base, "link_url": "https://www.kahawa.example/"})
    assert good.status_code == 200 and good.json()["link_url"] == "https://www.kahawa.example/"


def test_a_cashier_key_sends_a_message_but_without_a_link(business, api_for):
    template = sms_template(business)
    messaging_settings_update(business=business, link_domains="kahawa.example")
    customer = _customers(business, 1)[0]
    cashier = api_for(business, Role.CASHIER)
    url = f"/customers/{customer.pk}/messages"
    with_link = {"template_id": template.pk, "link_url": "https://kahawa.example/menu"}
    refused = cashier.post(url, with_link)
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    assert not Message.objects.exists()
    assert cashier.post(url, {"template_id": template.pk}).status_code == 201
    assert cashier.post("/campaigns", {"name": "x"}).status_code == 403
    manager = api_for(business, Role.MANAGER)
    outside = manager.post(url, {**with_link, "link_url": "https://evil.example/"})
    assert outside.status_code == 422 and outside.json()["code"] == "link_not_allowed"
    assert manager.post(url, with_link).status_code == 201


def test_the_campaign_form_says_which_domains_in_russian(business, staff_client):
    template = sms_template(business)
    messaging_settings_update(business=business, link_domains="kahawa.example, kahawa.co.ke")
    client = staff_client(business, Role.MANAGER)
    form = {
        "name": "Меню", "segment_id": "", "channel": "sms",
        "sms_template_id": str(template.pk), "email_template_id": "", "offer": "", "code": "",
        "link_url": "https://evil.example/menu", "holdout_percent": "0",
    }  # fmt: skip
    page = client.post("/messages/campaigns/new/", form, headers={"Accept-Language": "ru"})
    text = page.content.decode()
    assert "Сообщения могут вести только на kahawa.example, kahawa.co.ke (и их поддомены)." in text
    assert not Campaign.objects.exists()
    form["link_url"] = "https://menu.kahawa.co.ke/"
    assert client.post("/messages/campaigns/new/", form).status_code == 302


def test_only_the_owner_sets_the_sender_id_and_the_link_domains(business, api_for):
    manager = api_for(business, Role.MANAGER)
    for change in ({"sms_sender": "FAKEBANK"}, {"link_domains": "evil.example"}):
        refused = manager.patch("/messaging/settings", change)
        assert refused.status_code == 403, change
        assert refused.json()["code"] == "owner_required"
    row = messaging_settings(business)
    assert row.sms_sender == "" and row.link_domains == ""
    assert manager.patch("/messaging/settings", {"cap_count": 4}).status_code == 200
    owner = api_for(business, Role.OWNER)
    saved = owner.patch(
        "/messaging/settings", {"sms_sender": "KAHAWA", "link_domains": "kahawa.example"}
    )
    assert saved.status_code == 200 and saved.json()["sms_sender"] == "KAHAWA"
    bad = owner.patch("/messaging/settings", {"link_domains": "kahawa, https://"})
    assert bad.status_code == 422
    assert "link_domains" in bad.json()["details"]["fields"]
    assert manager.get("/messaging/settings").json()["link_domains"] == "kahawa.example"


def test_a_manager_sees_the_sender_id_read_only_on_the_screen(business, staff_client):
    messaging_settings_update(business=business, sms_sender="KAHAWA")
    manager = staff_client(business, Role.MANAGER)
    page = manager.get("/messages/settings/", headers=EN).content.decode()
    assert re.search(r'name="sms_sender"[^>]*disabled', page)
    assert 'value="KAHAWA"' in page
    owner = staff_client(business, Role.OWNER).get("/messages/settings/").content.decode()
    assert not re.search(r'name="sms_sender"[^>]*disabled', owner)


# --- receipts ---------------------------------------------------------------------------------


def test_a_viewer_cannot_send_a_receipt_a_cashier_can(business, staff_client):
    customer = _customers(business, 1)[0]
    order = order_record(business=business, number="R-1", total_minor=50_000, customer=customer)
    viewer = staff_client(business, Role.VIEWER)
    receipt = viewer.get(f"/orders/{order.pk}/receipt/", headers=EN).content.decode()
    assert 'data-testid="receipt-sms"' not in receipt
    assert viewer.post(f"/orders/{order.pk}/receipt/send/", {"channel": "sms"}).status_code == 403
    assert not Message.objects.exists()
    cashier = staff_client(business, Role.CASHIER)
    receipt = cashier.get(f"/orders/{order.pk}/receipt/", headers=EN).content.decode()
    assert 'data-testid="receipt-sms"' in receipt
    assert cashier.post(f"/orders/{order.pk}/receipt/send/", {"channel": "sms"}).status_code == 302
    assert Message.objects.filter(customer=customer).count() == 1


# --- the navigation ---------------------------------------------------------------------------

SKIP = re.compile(r"^/(static|media|admin|logout|i18n|api)/|^/$")


def _links(html: str) -> set[str]:
    found = set()
    for href in re.findall(r'<a [^>]*href="([^"#]+)"', html):
        parts = urlsplit(href.replace("&amp;", "&"))
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if not SKIP.search(parts.path):
            found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.mark.parametrize("role", list(Role))
def test_every_link_a_role_is_shown_opens_for_it_and_the_rest_is_closed(
    business, staff_client, role
):
    customer = _customers(business, 2)[0]
    order_record(business=business, number="N-1", total_minor=20_000, customer=customer)
    template = sms_template(business)
    segment_save(business=business, name="Everyone", filters={})
    campaign_save(business=business, name="Menu", channel="sms", sms_template_id=template.pk)
    client = staff_client(business, role)
    shown = {name for name, _label in navigation_for(role)}
    pages = {"/"}
    for name, _label in NAVIGATION:
        path = reverse(name)
        status = client.get(path).status_code
        assert (status == 200) == (name in shown), (role, name, status)
        if name in shown:
            pages.add(path)
    pages.add(f"/customers/{customer.pk}/")
    # two levels below: every link on these pages, and every link on the pages they open
    # (one page per shape: /customers/1/ stands for every customer)
    seen_shapes: set[str] = set()
    closed: dict[str, str] = {}
    level = dict.fromkeys(pages, "")
    for _depth in range(3):
        found: dict[str, str] = {}
        for page, came_from in sorted(level.items()):
            shape = re.sub(r"\d+", "{id}", page)
            if shape in seen_shapes:
                continue
            seen_shapes.add(shape)
            response = client.get(page, headers=EN)
            if response.status_code == 403:
                closed[page] = came_from
                continue
            if response.streaming:  # a download: read to its end, nothing to follow
                b"".join(response.streaming_content)
                continue
            if "text/html" not in response.get("Content-Type", ""):
                continue
            for link in _links(response.content.decode()):
                found.setdefault(link, page)
        level = found
    assert len(seen_shapes) > 5
    assert not closed, (role, closed)


def test_pages_outside_a_role_answer_403(business, staff_client):
    viewer = staff_client(business, Role.VIEWER)
    for path in ("/checkout/", "/reports/", "/settings/", "/customers/new/", "/imports/"):
        assert viewer.get(path).status_code == 403, path
    cashier = staff_client(business, Role.CASHIER)
    for path in ("/reports/", "/settings/", "/messages/settings/", "/imports/"):
        assert cashier.get(path).status_code == 403, path
    assert Client().get("/customers/").status_code == 302  # to the sign-in page


def test_a_cashier_key_reading_one_customer_by_id_or_card_gets_the_brief_form(business, api_for):
    customer = customer_create(
        business=business, name="Mteja Mmoja", phone="0712000999", email="mmoja@example.com"
    )
    card = customer.cards.get(status="active")
    for role in (Role.CASHIER, Role.VIEWER):
        key = api_for(business, role)
        for path in (f"/customers/{customer.pk}", f"/cards/{card.number}"):
            shown = key.get(path).json()
            assert shown["name"] == "Mteja Mmoja" and shown["card_number"] == card.number
            assert "email" not in shown and "birthday" not in shown and "notes" not in shown
            assert "0712000999" not in str(shown) and "mmoja@example.com" not in str(shown)
    whole = api_for(business, Role.MANAGER).get(f"/customers/{customer.pk}").json()
    assert whole["email"] == "mmoja@example.com"
