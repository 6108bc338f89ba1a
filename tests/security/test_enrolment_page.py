"""The public enrolment page `/join/<shop>/` against abuse: rate limits per address, per phone
number and per business (429 in the visitor's language, with Retry-After); numbers only from
the countries the business serves; the phone proved by a one-time SMS code before anyone is
enrolled or any consent recorded (double opt-in), with the proof kept on the consent; and the
same answer for a number that is already a member's as for a new one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from wateja.customers.enrolment import pending_enrolments_prune
from wateja.customers.models import Consent, Customer, PendingEnrolment
from wateja.customers.services import consent_text, customer_create
from wateja.messaging.config import messaging_settings
from wateja.messaging.joining import verification_applies
from wateja.messaging.models import Message
from wateja.tenants.models import Business
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}
# 09:03:20 UTC: 400 s left in the address's 10-minute window, 3,400 s in the hourly ones
FROZEN = dt.datetime(2027, 5, 4, 9, 3, 20, tzinfo=dt.UTC)
UA = "Mozilla/5.0 (Linux; Android 12; TECNO KG5) Chrome/120 Mobile"
TOO_MANY_7 = {
    "en": "Too many tries. Please try again in 7 minutes.",
    "sw": "Majaribio mengi mno. Tafadhali jaribu tena baada ya dakika 7.",
    "hy": "Չափազանց շատ փորձեր։ Խնդրում ենք կրկին փորձել 7 րոպե անց։",
    "ru": "Слишком много попыток. Попробуйте снова через 7 минут.",
}
TOO_MANY_57 = {
    "en": "Too many tries. Please try again in 57 minutes.",
    "sw": "Majaribio mengi mno. Tafadhali jaribu tena baada ya dakika 57.",
    "hy": "Չափազանց շատ փորձեր։ Խնդրում ենք կրկին փորձել 57 րոպե անց։",
    "ru": "Слишком много попыток. Попробуйте снова через 57 минут.",
}


def _visitor(ip: str = "203.0.113.7") -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=UA)


def _join(client: Client, business: Business, language: str = "en", ip: str = "", **fields: str):
    """The form sent (from `ip` when given: one client stands for many visitors)."""
    data = {"name": "Neema Mwangi", "phone": "0712 000 333", "consent_sms": "on", **fields}
    extra = {"REMOTE_ADDR": ip} if ip else {}
    return client.post(
        f"/join/{business.slug}/", data, headers={"Accept-Language": language}, **extra
    )


def _code(client: Client, business: Business, page, code: str, language: str = "en"):
    token = re.search(r'name="pending" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(
        f"/join/{business.slug}/",
        {"step": "code", "pending": token, "code": code},
        headers={"Accept-Language": language},
    )


def _texted_code(phone: str = "+254712000333") -> str:
    body = Message.objects.filter(to_address=phone).latest("id").body
    return re.search(r"\b(\d{6})\b", body).group(1)


def _settings(business: Business, **fields: str) -> Business:
    Business.objects.filter(pk=business.pk).update(**fields)
    business.refresh_from_db()
    return business


def _without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


# --- rate limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "sw", "hy", "ru"])
def test_an_address_gets_ten_tries_in_ten_minutes(business, language):
    with time_machine.travel(FROZEN, tick=False):
        visitor = _visitor()
        for _n in range(10):  # unfinished forms count too: every POST does
            assert _join(visitor, business, language, name="").status_code == 200
        refused = _join(visitor, business, language)
        assert refused.status_code == 429
        assert refused["Retry-After"] == "400"
        assert TOO_MANY_7[language] in refused.content.decode()
        assert f'<html lang="{language}">' in refused.content.decode()
        assert not Customer.objects.exists() and not Message.objects.exists()
        assert visitor.get(f"/join/{business.slug}/").status_code == 200  # reading is free
        assert _join(visitor, business, language, ip="203.0.113.8").status_code == 200
    with time_machine.travel(FROZEN + dt.timedelta(seconds=400), tick=False):
        assert _join(visitor, business, language, name="").status_code == 200


@pytest.mark.parametrize("language", ["en", "sw", "hy", "ru"])
def test_a_phone_number_gets_three_tries_an_hour(business, language):
    with time_machine.travel(FROZEN, tick=False):
        # the same number however it is written, from three addresses
        visitor = _visitor()
        for n, phone in enumerate(["0712000333", "+254 712 000 333", "254712000333"]):
            page = _join(visitor, business, language, ip=f"198.51.100.{n}", phone=phone)
            assert page.status_code == 200
        refused = _join(visitor, business, language, ip="198.51.100.9", phone="0712-000-333")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "3400"
        assert TOO_MANY_57[language] in refused.content.decode()
        texts = Message.objects.filter(to_address="+254712000333").count()
        assert texts == 3  # the refused try texted nobody
        other = _join(visitor, business, language, ip="198.51.100.9", phone="0712000444")
        assert other.status_code == 200


def test_a_business_takes_two_hundred_forms_an_hour(business, other_business):
    with time_machine.travel(FROZEN, tick=False):
        visitors = _visitor()
        for n in range(200):  # from 200 addresses, none over its own limit
            page = _join(visitors, business, "sw", ip=f"10.0.{n // 100}.{n % 100}", name="")
            assert page.status_code == 200
        refused = _join(visitors, business, "sw", ip="10.9.9.9")
        assert refused.status_code == 429 and refused["Retry-After"] == "3400"
        assert TOO_MANY_57["sw"] in refused.content.decode()
        assert not Customer.objects.exists()
        elsewhere = _join(visitors, other_business, "sw", ip="10.9.9.9", phone="+37491234567")
        assert elsewhere.status_code == 200


# --- countries served -----------------------------------------------------------------------


def test_a_number_from_a_country_the_business_does_not_serve_is_refused(business):
    tanzanian = "+255 712 345 678"
    page = _join(_visitor(), business, phone=tanzanian)
    assert page.status_code == 200
    assert "We can only take phone numbers from Kenya." in page.content.decode()
    assert not Customer.objects.exists() and not Message.objects.exists()
    in_swahili = _join(_visitor(), business, "sw", ip="203.0.113.9", phone=tanzanian)
    assert "Tunapokea namba za simu za Kenya pekee." in in_swahili.content.decode()

    _settings(business, countries_served="KE,TZ")
    accepted = _join(_visitor(), business, ip="203.0.113.10", phone=tanzanian)
    assert "We have sent your card to your phone by SMS." in accepted.content.decode()
    assert Customer.objects.get().phone == "+255712345678"
    refused = _join(_visitor(), business, ip="203.0.113.11", phone="+37491234567")
    assert "from these countries: Kenya, Tanzania." in refused.content.decode()


def test_the_owner_sets_the_countries_and_the_code_check_on_the_settings_screen(
    business, staff_client
):
    owner = staff_client(business, Role.OWNER)
    page = owner.get("/settings/", headers=EN).content.decode()
    assert 'data-testid="enrolment-form"' in page
    assert "The page takes phone numbers from: Kenya." in page
    assert "Phone numbers are not checked by a code" in page  # auto, and SMS only recorded

    owner.post("/settings/enrolment/", {"countries_served": "ke, tz ug", "join_verify_phone": "on"})
    business.refresh_from_db()
    assert (business.countries_served, business.join_verify_phone) == ("KE,TZ,UG", "on")
    page = owner.get("/settings/", headers=EN).content.decode()
    assert "The page takes phone numbers from: Kenya, Tanzania, Uganda." in page
    assert "New members prove their phone number with a code" in page

    wrong = owner.post(
        "/settings/enrolment/",
        {"countries_served": "KE, XX", "join_verify_phone": "off"},
        headers=EN,
        follow=True,
    )
    assert "Unknown country code: XX." in wrong.content.decode()
    business.refresh_from_db()
    assert (business.countries_served, business.join_verify_phone) == ("KE,TZ,UG", "on")

    manager = staff_client(business, Role.MANAGER)
    seen = manager.get("/settings/", headers=EN).content.decode()
    assert 'data-testid="enrolment-form"' not in seen and "<dd>Always</dd>" in seen
    refused = manager.post("/settings/enrolment/", {"join_verify_phone": "off"})
    assert refused.status_code == 403
    business.refresh_from_db()
    assert business.join_verify_phone == "on"


# --- double opt-in ---------------------------------------------------------------------------


@pytest.fixture
def verifying(business):
    return _settings(business, join_verify_phone="on")


def test_nothing_about_the_customer_exists_before_the_code(verifying):
    visitor = _visitor()
    page = _join(visitor, verifying, email="neema@example.com")
    text = page.content.decode()
    assert 'data-testid="join-code-form"' in text and "+254 712 000333" in text
    assert not Customer.objects.exists() and not Consent.objects.exists()
    pending = PendingEnrolment.objects.get()
    code = _texted_code()
    message = Message.objects.get()
    assert (message.purpose, message.status, message.customer) == ("service", "queued", None)
    assert message.not_before is None  # a code is sent at once, whatever the hour
    assert pending.phone == "+254712000333" and pending.data["name"] == "Neema Mwangi"
    assert pending.consents["sms"] == {"granted": True, "text": consent_text("sms", verifying)}
    assert pending.consents["email"]["granted"] is False
    assert (pending.ip_address, pending.user_agent) == ("203.0.113.7", UA)
    assert pending.expires_at - pending.created_at == dt.timedelta(minutes=10)
    assert code not in pending.code_digest and len(pending.code_digest) == 64
    assert code not in text  # the code is only in the SMS


def test_the_right_code_enrols_with_the_proof_on_the_consent(verifying):
    visitor = _visitor()
    page = _join(visitor, verifying, "sw")
    done = _code(visitor, verifying, page, _texted_code(), "sw")
    text = done.content.decode()
    customer = Customer.objects.get()
    card = customer.cards.get()
    assert card.number[:4] in text.replace(" ", "")
    assert 'data-testid="my-card-link"' in text
    assert (customer.source, customer.language, customer.phone) == ("web", "sw", "+254712000333")
    consent = Consent.objects.get()
    pending = PendingEnrolment.objects.get()
    assert (consent.channel, consent.granted, consent.source) == ("sms", True, "web")
    from django.utils import translation

    with translation.override("sw"):
        assert consent.text == consent_text("sms", verifying)  # the wording as read, in Swahili
    assert (consent.ip_address, consent.user_agent, consent.language) == ("203.0.113.7", UA, "sw")
    assert consent.verification["method"] == "sms_code"
    assert consent.verification["pending_id"] == pending.pk
    assert consent.verification["verified_at"] == pending.verified_at.isoformat()
    assert (pending.status, pending.customer, pending.data) == ("verified", customer, {})
    again = _code(visitor, verifying, page, _texted_code())  # the code works once
    assert 'data-testid="join-expired"' in again.content.decode()
    assert Customer.objects.count() == 1


def test_wrong_codes_are_counted_and_the_fifth_voids_the_enrolment(verifying):
    visitor = _visitor()
    page = _join(visitor, verifying)
    right = _texted_code()
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        answer = _code(visitor, verifying, page, wrong).content.decode()
        assert f"That code is not right. {left} {'try' if left == 1 else 'tries'} left." in answer
    assert PendingEnrolment.objects.get().attempts == 4
    fifth = _code(_visitor("203.0.113.99"), verifying, page, wrong).content.decode()
    assert "Too many wrong codes. Please start again." in fifth
    late = _code(_visitor("203.0.113.98"), verifying, page, right).content.decode()
    assert "This code has expired. Please start again." in late
    assert PendingEnrolment.objects.get().status == "void"
    assert not Customer.objects.exists() and not Consent.objects.exists()


def test_an_expired_code_is_refused(verifying):
    visitor = _visitor()
    page = _join(visitor, verifying)
    code = _texted_code()
    with time_machine.travel(dt.timedelta(minutes=10, seconds=1)):
        late = _code(visitor, verifying, page, code, "ru").content.decode()
    assert "Срок действия кода истёк. Пожалуйста, начните заново." in late
    assert not Customer.objects.exists() and not Consent.objects.exists()


def test_a_forged_or_foreign_ticket_is_an_expired_code(verifying, other_business):
    visitor = _visitor()
    page = _join(visitor, verifying)
    token = re.search(r'name="pending" value="([^"]+)"', page.content.decode()).group(1)
    for ticket in (token[:-2] + "xx", ""):
        answer = visitor.post(
            f"/join/{verifying.slug}/", {"step": "code", "pending": ticket, "code": "123456"}
        )
        assert 'data-testid="join-expired"' in answer.content.decode()
    _settings(other_business, join_verify_phone="on")
    elsewhere = visitor.post(
        f"/join/{other_business.slug}/",
        {"step": "code", "pending": token, "code": _texted_code()},
    )
    assert 'data-testid="join-expired"' in elsewhere.content.decode()
    assert not Customer.objects.exists()


def test_the_code_check_needs_a_phone(verifying):
    page = _join(_visitor(), verifying, phone="", email="neema@example.com")
    assert "Enter your phone number: we send you a code by SMS." in page.content.decode()
    assert not PendingEnrolment.objects.exists() and not Message.objects.exists()


def test_a_member_who_proves_their_phone_sees_their_card_and_consents_once_proved(verifying):
    member = customer_create(business=verifying, name="Neema Wanjiru", phone="0712000333")
    visitor = _visitor()
    page = _join(visitor, verifying, name="Someone Else")
    assert 'data-testid="join-code-form"' in page.content.decode()  # same as for a new number
    assert not Consent.objects.exists()
    text = _code(visitor, verifying, page, _texted_code()).content.decode()
    assert "Welcome back! You are already a member." in text
    assert member.cards.get().number[:4] in text.replace(" ", "")
    member.refresh_from_db()
    assert member.name == "Neema Wanjiru" and Customer.objects.count() == 1
    consent = Consent.objects.get(customer=member)
    assert consent.granted and consent.verification["method"] == "sms_code"


def test_a_proved_phone_does_not_claim_another_members_email(verifying):
    other = customer_create(business=verifying, name="Juma", email="juma@example.com")
    visitor = _visitor()
    page = _join(visitor, verifying, email="juma@example.com")
    _code(visitor, verifying, page, _texted_code())
    new = Customer.objects.exclude(pk=other.pk).get()
    assert (new.phone, new.email) == ("+254712000333", "")


def test_verification_follows_the_sms_provider_when_automatic(business):
    row = messaging_settings(business)
    assert business.join_verify_phone == "auto" and not verification_applies(business)
    row.sms_provider, row.at_username, row.at_api_key = "africastalking", "sandbox", "k" * 20
    row.save()
    assert not verification_applies(business)  # the sandbox reaches no real phone
    row.at_username, row.provider_api_base = "kahawa", "http://127.0.0.1:9"  # nothing leaves
    row.save()
    assert verification_applies(business)
    page = _join(_visitor(), business)
    assert 'data-testid="join-code-form"' in page.content.decode()
    assert not Customer.objects.exists()
    assert not verification_applies(_settings(business, join_verify_phone="off"))
    row.sms_provider = "outbox"
    row.save()
    assert verification_applies(_settings(business, join_verify_phone="on"))


def test_waiting_enrolments_are_pruned_after_a_day(verifying):
    _join(_visitor(), verifying)
    assert pending_enrolments_prune() == 0
    with time_machine.travel(dt.timedelta(days=1, minutes=1)):
        assert pending_enrolments_prune() == 1
    assert not PendingEnrolment.objects.exists()


# --- the same answer ------------------------------------------------------------------------


def test_a_members_number_gets_the_same_page_as_a_new_one(business):
    member = customer_create(business=business, name="Amina Otieno", phone="0712000111")
    new = _join(_visitor("203.0.113.1"), business, phone="0712000222")
    existing = _join(_visitor("203.0.113.2"), business, phone="0712000111")
    assert new.status_code == existing.status_code == 200
    assert _without_csrf(new) == _without_csrf(existing)
    assert "We have sent your card to your phone by SMS." in _without_csrf(new)
    newcomer = Customer.objects.get(phone="+254712000222")
    for person in (member, newcomer):  # each gets their own card's link, no card on screen
        link = Message.objects.get(customer=person, to_address=person.phone)
        assert "/my/" in link.body and link.purpose == "service"
        assert person.cards.get().number[:6] not in _without_csrf(new).replace(" ", "")
    assert 'data-testid="my-card-link"' not in _without_csrf(new)
    # the member's consents are not touched by a form anyone could send
    assert not Consent.objects.filter(customer=member).exists()
    proof = Consent.objects.get(customer=newcomer)
    assert proof.verification == {"method": "none"}
    assert (proof.ip_address, proof.user_agent) == ("203.0.113.1", UA)


def test_a_member_found_by_email_gets_the_link_by_email_not_at_the_typed_phone(business):
    member = customer_create(business=business, name="Amina", email="amina@example.com")
    page = _join(_visitor(), business, phone="0712000999", email="Amina@Example.com")
    assert "We have sent your card to your phone by SMS." in page.content.decode()
    assert not Message.objects.filter(to_address="+254712000999").exists()
    link = Message.objects.get()
    assert (link.channel, link.to_address, link.customer) == ("email", "amina@example.com", member)
