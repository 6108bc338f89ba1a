"""Lost your card link? Enter your phone: a member's number gets a fresh link by SMS, any
other number gets nothing, and both get the very same page; tries are limited per address and
per number. The customer API hands out each customer's pocket card link; the staff customer
page shows the customer's invitation code, who brought them and the friends they brought."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from wateja.customers.links import card_from_token
from wateja.customers.services import customer_create
from wateja.messaging.models import Message
from wateja.promotions.models import Referral
from wateja.promotions.services import referral_attach, referral_code_for
from wateja.tenants.roles import Role

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}
PUBLIC = "https://duka.example"


@pytest.fixture(autouse=True)
def _public_address(settings):
    settings.PUBLIC_URL = PUBLIC


@pytest.fixture
def member(business):
    return customer_create(business=business, name="Achieng Otieno", phone="0722111222")


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _ask(business, phone: str, ip: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post(f"/my/lost/{business.slug}/", {"phone": phone}, headers=EN)


def test_the_form_shows_in_the_shops_language(business):
    page = Client().get(f"/my/lost/{business.slug}/", headers=EN)
    assert page.status_code == 200
    assert 'data-testid="lost-link-form"' in page.content.decode()
    assert Client().get("/my/lost/no-such-shop/").status_code == 404


def test_the_join_page_leads_members_who_lost_their_link_here(business):
    page = Client().get(f"/join/{business.slug}/", headers=EN).content.decode()
    assert f'href="/my/lost/{business.slug}/" data-testid="join-lost-link"' in page


def test_a_members_number_gets_a_fresh_link_by_sms(business, member):
    answer = _ask(business, "0722 111 222")
    assert answer.status_code == 200
    assert 'data-testid="lost-link-sent"' in answer.content.decode()
    message = Message.objects.get(business=business, customer=member)
    assert message.to_address == "+254722111222" and message.channel == "sms"
    link = re.search(r"https://duka\.example(/my/[^\s]+/)", message.body).group(1)
    token = urlsplit(link).path.split("/")[2]
    assert card_from_token(token) == member.cards.get()
    assert Client().get(link, headers=EN).status_code == 200


def test_member_and_stranger_get_the_same_page_and_only_the_member_an_sms(business, member):
    as_member = _ask(business, "0722111222", ip="10.0.0.2")
    as_stranger = _ask(business, "0733999888", ip="10.0.0.3")
    assert as_member.status_code == as_stranger.status_code == 200
    assert _without_csrf(as_member.content.decode()) == _without_csrf(as_stranger.content.decode())
    assert Message.objects.filter(business=business).count() == 1
    assert not Message.objects.filter(to_address="+254733999888").exists()


def test_a_number_of_another_shop_gets_nothing(business, make_business):
    elsewhere = make_business(name="Another Kenyan shop")
    customer_create(business=elsewhere, name="Elsewhere", phone="0722111222")
    _ask(business, "0722111222")
    assert not Message.objects.exists()


def test_what_is_not_a_phone_number_is_said_so(business):
    answer = _ask(business, "hello")
    text = answer.content.decode()
    assert answer.status_code == 200 and 'data-testid="lost-link-error"' in text
    assert "This is not a phone number" in text


def test_tries_are_limited_per_number_and_per_address(business, member):
    for n in range(3):
        assert _ask(business, "0722111222", ip=f"10.1.0.{n}").status_code == 200
    limited = _ask(business, "0722111222", ip="10.1.0.9")
    assert limited.status_code == 429 and limited.has_header("Retry-After")
    assert 'data-testid="lost-link-too-many"' in limited.content.decode()
    # the same limit for a number that is nobody's: nothing tells them apart
    for n in range(3):
        assert _ask(business, "0733999888", ip=f"10.2.0.{n}").status_code == 200
    assert _ask(business, "0733999888", ip="10.2.0.9").status_code == 429
    # one address: five tries in ten minutes, whatever the numbers
    for n in range(5):
        assert _ask(business, f"07110000{n:02d}", ip="10.3.0.1").status_code == 200
    assert _ask(business, "0711000099", ip="10.3.0.1").status_code == 429
    # and the card link service's own limit: three SMS a day to one member
    assert Message.objects.filter(customer=member).count() == 3


def test_the_customer_api_returns_the_pocket_card_link(business, member, api):
    body = api.get(f"/customers/{member.pk}").json()
    link = body["card_page_url"]
    assert link.startswith(PUBLIC + "/my/")
    token = urlsplit(link).path.split("/")[2]
    assert card_from_token(token) == member.cards.get()
    listed = api.get("/customers").json()
    assert listed["items"][0]["card_page_url"].startswith(PUBLIC + "/my/")


def test_the_staff_customer_page_shows_code_referrer_and_friends(business, member, staff_client):
    friend = customer_create(business=business, name="Neema Mwangi", phone="0712000333")
    referral_attach(friend=friend, code=referral_code_for(member).code)
    client = staff_client(business, Role.CASHIER)
    page = client.get(f"/customers/{member.pk}/", headers=EN).content.decode()
    code = referral_code_for(member).code
    assert f'data-testid="customer-referral-code">{code}<' in page
    friends = page[page.index('data-testid="customer-friends-brought"') :]
    assert "Neema Mwangi" in friends[: friends.index("</dd>")]
    their_page = client.get(f"/customers/{friend.pk}/", headers=EN).content.decode()
    brought = their_page[their_page.index('data-testid="customer-brought-by"') :]
    assert "Achieng Otieno" in brought[: brought.index("</dd>")]
    assert Referral.objects.count() == 1
