"""A customer's card page link: built on the public address whatever Host the request
named, it works for CARD_LINK_MAX_AGE_DAYS and then says plainly it has expired (showing
nothing of the customer), a cashier can send a fresh one (three a day at most), and a
manager can replace it so every older link stops working (audited, after a confirmation)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.test import Client

from tests.web.test_print_views import pdf_text
from wateja.customers.links import CARD_SALT, card_page_url, public_url
from wateja.customers.services import customer_create
from wateja.messaging.models import Message, MessageStatus
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}
PUBLIC = "https://duka.example"
FORGED = {"Host": "evil.example"}


@pytest.fixture(autouse=True)
def _public_address(settings):
    settings.PUBLIC_URL = PUBLIC
    settings.ALLOWED_HOSTS = ["*"]  # the forged Host gets through to the view, as on a laptop


@pytest.fixture
def customer(business):
    return customer_create(
        business=business, name="Achieng Otieno", phone="0722111222", email="a@example.com"
    )


def _path(url: str) -> str:
    assert url.startswith(PUBLIC + "/my/"), url
    return urlsplit(url).path


def _shown_link(client: Client, customer) -> str:
    page = client.get(f"/customers/{customer.pk}/", headers={**EN, **FORGED}).content.decode()
    return re.search(r'href="([^"]+)" data-testid="card-page-link"', page).group(1)


def test_the_link_works_until_its_age_is_over_then_says_so(customer, settings):
    settings.CARD_LINK_MAX_AGE_DAYS = 30
    path = _path(card_page_url(customer.cards.get()))
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now + dt.timedelta(days=29), tick=False):
        page = Client().get(path, headers=EN)
        assert page.status_code == 200 and "Achieng" in page.content.decode()
    with time_machine.travel(now + dt.timedelta(days=31), tick=False):
        page = Client().get(path, headers=EN)
    text = page.content.decode()
    assert page.status_code == 410
    assert "This link has expired" in text and customer.business.name in text
    assert 'data-testid="link-expired"' in text
    card = customer.cards.get()
    for personal in ("Achieng", "0722", card.number, card.number[-4:], "points"):
        assert personal not in text


def test_the_expired_page_speaks_the_customers_language(business):
    swahili = customer_create(business=business, name="Baraka", phone="0733222111", language="sw")
    path = _path(card_page_url(swahili.cards.get()))
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=400), tick=False):
        page = Client().get(path)
    assert page.status_code == 410
    assert '<html lang="sw">' in page.content.decode()


def test_a_forged_or_mangled_link_is_not_found(customer):
    path = _path(card_page_url(customer.cards.get()))
    assert Client().get(path[:-4] + "abc/").status_code == 404
    forged = signing.dumps({"b": customer.business_id, "c": customer.cards.get().pk}, salt="x")
    assert Client().get(f"/my/{forged}/").status_code == 404


def test_links_made_before_rotation_existed_still_open(customer):
    card = customer.cards.get()
    old = signing.dumps({"b": card.business_id, "c": card.pk}, salt=CARD_SALT, compress=True)
    assert Client().get(f"/my/{old}/").status_code == 200


def test_a_manager_replaces_the_link_and_every_older_one_stops(business, customer, staff_client):
    manager = staff_client(business, Role.MANAGER)
    old = _path(_shown_link(manager, customer))
    assert Client().get(old).status_code == 200

    rotate = f"/customers/{customer.pk}/card-link/replace/"
    asked = manager.post(rotate, headers=EN)
    assert asked.status_code == 200 and 'data-testid="confirm"' in asked.content.decode()
    assert Client().get(old).status_code == 200  # nothing changed before the confirmation

    done = manager.post(rotate, {"confirmed": "1"}, headers=EN)
    assert done.status_code == 302
    assert Client().get(old).status_code == 410
    fresh = _path(_shown_link(manager, customer))
    assert fresh != old and Client().get(fresh).status_code == 200
    event = AuditEvent.objects.get(business=business, action="card.link_rotated")
    assert event.object_id == str(customer.cards.get().pk) and event.actor is not None


def test_a_cashier_cannot_replace_the_link(business, customer, staff_client):
    cashier = staff_client(business, Role.CASHIER)
    old = _path(card_page_url(customer.cards.get()))
    response = cashier.post(f"/customers/{customer.pk}/card-link/replace/", {"confirmed": "1"})
    assert response.status_code == 403
    assert Client().get(old).status_code == 200
    assert not AuditEvent.objects.filter(action="card.link_rotated").exists()


def test_a_cashier_sends_the_link_again_three_times_a_day_at_most(business, customer, staff_client):
    cashier = staff_client(business, Role.CASHIER)
    send = f"/customers/{customer.pk}/card-link/send/"
    for channel in ("sms", "email", "sms"):
        assert cashier.post(send, {"channel": channel}, headers=EN).status_code == 302
    sent = list(Message.objects.filter(business=business, customer=customer).order_by("id"))
    assert [m.channel for m in sent] == ["sms", "email", "sms"]
    assert sent[0].to_address == customer.phone and sent[1].to_address == customer.email
    assert all(m.status == MessageStatus.QUEUED for m in sent)
    link = re.search(r"https://duka\.example/my/\S+/", sent[0].body).group(0)
    assert Client().get(_path(link)).status_code == 200  # the link in the SMS opens the page

    refused = cashier.post(send, {"channel": "sms"}, headers=EN, follow=True)
    assert "already sent 3 times in the last 24 hours" in refused.content.decode()
    assert Message.objects.filter(business=business, customer=customer).count() == 3
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)
    with time_machine.travel(later, tick=False):
        staff = staff_client(business, Role.CASHIER)  # a fresh session on the later day
        assert staff.post(send, {"channel": "sms"}).status_code == 302
    assert Message.objects.filter(business=business, customer=customer).count() == 4


def test_no_phone_no_sms(business, staff_client):
    mailed = customer_create(business=business, name="Neema", email="n@example.com")
    cashier = staff_client(business, Role.CASHIER)
    page = cashier.post(
        f"/customers/{mailed.pk}/card-link/send/", {"channel": "sms"}, headers=EN, follow=True
    )
    assert "no phone number to send the link to" in page.content.decode()
    assert not Message.objects.filter(customer=mailed).exists()


def test_a_viewer_sends_nothing_and_another_business_gets_404(
    business, other_business, customer, staff_client
):
    viewer = staff_client(business, Role.VIEWER)
    assert viewer.post(f"/customers/{customer.pk}/card-link/send/").status_code == 403
    theirs = staff_client(other_business, Role.OWNER)
    assert theirs.post(f"/customers/{customer.pk}/card-link/send/").status_code == 404
    replace = f"/customers/{customer.pk}/card-link/replace/"
    assert theirs.post(replace, {"confirmed": "1"}).status_code == 404
    assert not Message.objects.filter(customer=customer).exists()


def test_links_name_the_public_address_never_the_host_header(business, customer, staff_client, api):
    owner = staff_client(business, Role.OWNER)
    assert _shown_link(owner, customer).startswith(PUBLIC + "/my/")
    poster = owner.get("/join-poster.pdf", headers={**EN, **FORGED})
    text = pdf_text(poster.content)
    assert f"{PUBLIC}/join/{business.slug}/" in text and "evil" not in text
    referral = api.get(f"/customers/{customer.pk}/referral", Host="evil.example")
    assert referral.status_code == 200
    assert referral.json()["link"].startswith(f"{PUBLIC}/join/{business.slug}/?ref=")
    assert public_url("/x/") == f"{PUBLIC}/x/"
