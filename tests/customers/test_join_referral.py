"""A friend's shared link `/join/<shop>/?ref=CODE`: the new member is recorded as referred
by the code's owner, with or without the SMS code step; a wrong code or an existing member
changes nothing about the enrolment."""

from __future__ import annotations

import re
from html import unescape as html_unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from wateja.customers.links import card_page_url
from wateja.customers.models import Customer
from wateja.customers.services import customer_create
from wateja.messaging.models import Message
from wateja.promotions.models import Referral
from wateja.promotions.services import referral_code_for
from wateja.tenants.models import Business

pytestmark = pytest.mark.django_db
FORM = {"name": "Neema Mwangi", "phone": "0712 000 333", "consent_sms": "on"}


def _referrer(business: Business) -> tuple[Customer, str]:
    amina = customer_create(business=business, name="Amina Wanjiru", phone="0711000999")
    return amina, referral_code_for(amina).code


def _join(business: Business, ref: str, **fields: str):
    return Client().post(f"/join/{business.slug}/?ref={ref}", {**FORM, **fields})


def test_the_shared_link_records_who_brought_the_new_member(business) -> None:
    amina, code = _referrer(business)
    page = _join(business, code.lower())  # typed or shared, any case
    assert page.status_code == 200
    neema = Customer.objects.get(business=business, phone="+254712000333")
    referral = Referral.objects.get(friend=neema)
    assert referral.referrer == amina and referral.business_id == business.pk


def test_with_the_sms_code_the_referral_waits_for_the_code(business) -> None:
    Business.objects.filter(pk=business.pk).update(join_verify_phone="on")
    amina, code = _referrer(business)
    client = Client()
    url = f"/join/{business.slug}/?ref={code}"
    page = client.post(url, FORM)
    assert not Referral.objects.exists()  # nobody exists before the code
    token = re.search(r'name="pending" value="([^"]+)"', page.content.decode()).group(1)
    body = Message.objects.filter(to_address="+254712000333").latest("id").body
    texted = re.search(r"\b(\d{6})\b", body).group(1)
    done = client.post(url, {"step": "code", "pending": token, "code": texted})
    assert done.status_code == 200
    assert Referral.objects.get().referrer == amina


def test_an_unknown_code_or_an_existing_member_changes_nothing(business) -> None:
    amina, code = _referrer(business)
    assert _join(business, "NOSUCH1").status_code == 200
    assert Customer.objects.filter(phone="+254712000333").exists()
    assert not Referral.objects.exists()
    # a member opening a friend's link with their own number is not a new customer
    again = _join(business, code, phone="0712000333")
    assert again.status_code == 200 and not Referral.objects.exists()
    # nor can someone refer themselves
    _join(business, code, phone="0711000999", name="Amina Wanjiru")
    assert not Referral.objects.exists() and amina.referrals_made.count() == 0


def test_the_card_page_hands_the_member_their_link_to_share(business) -> None:
    amina, code = _referrer(business)
    card = amina.cards.get()
    page = Client().get(urlsplit(card_page_url(card)).path, headers={"Accept-Language": "sw"})
    html = page.content.decode()
    link = re.search(r'data-testid="invite-link"><a href="([^"]+)"', html).group(1)
    assert urlsplit(link).path == f"/join/{business.slug}/" and f"ref={code}" in link
    share = html_unescape(re.search(r'href="(https://wa\.me/\?text=[^"]+)"', html).group(1))
    words = parse_qs(urlsplit(share).query)["text"][0]
    assert link in words and business.name in words
    joined = Client().post(link, FORM)  # the friend opens it and joins
    assert joined.status_code == 200
    assert Referral.objects.get().referrer == amina
