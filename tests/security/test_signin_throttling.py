"""Staff sign-in as a password guesser meets it, through HTTP: five wrong passwords lock the
username for 15 minutes (the right password too, with a message saying when to try again, in
the reader's language); twenty failures from one address lock the address whatever the
usernames; /admin/ counts the same; a success clears the count; the lock passes with time."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client
from django.utils import timezone

from wateja.tenants.models import SignInFailure
from wateja.tenants.roles import Role
from wateja.tenants.services import staff_add

EN = {"Accept-Language": "en"}


def _member(business, username="mama", password="pw-test-123"):
    return staff_add(business=business, username=username, role=Role.OWNER, password=password)


def _login(client, username, password, path="/login/", **headers):
    return client.post(path, {"username": username, "password": password}, headers=headers)


def test_five_wrong_passwords_lock_the_username_even_for_the_right_one(business):
    _member(business)
    guesser = Client(REMOTE_ADDR="203.0.113.5")
    for n in range(5):
        page = _login(guesser, "mama", f"guess-{n}", **EN).content.decode()
        assert "Wrong username or password." in page
    locked = _login(Client(REMOTE_ADDR="198.51.100.7"), "MAMA", "pw-test-123", **EN)
    assert locked.status_code == 200 and "_auth_user_id" not in locked.client.session
    assert "Too many failed attempts. Try again in 15 minutes." in locked.content.decode()
    russian = _login(Client(), "mama", "pw-test-123", **{"Accept-Language": "ru"})
    assert "Слишком много" in russian.content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        again = _login(Client(), "mama", "pw-test-123")
        assert again.status_code == 302


def test_a_success_before_the_limit_clears_the_count(business):
    _member(business)
    client = Client()
    for n in range(4):
        _login(client, "mama", f"guess-{n}")
    assert _login(client, "mama", "pw-test-123").status_code == 302
    assert not SignInFailure.objects.filter(username="mama").exists()


def test_twenty_failures_from_one_address_lock_the_address(business):
    _member(business)
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(20):
        _login(sprayer, f"user{n}", "password1")
    page = _login(sprayer, "mama", "pw-test-123", **EN)
    assert page.status_code == 200 and "Too many failed attempts" in page.content.decode()
    elsewhere = _login(Client(REMOTE_ADDR="198.51.100.8"), "mama", "pw-test-123")
    assert elsewhere.status_code == 302  # the owner at the shop is not locked out


def test_the_admin_sign_in_is_throttled_too(business):
    staff = _member(business, username="boss")
    staff.user.is_staff = True
    staff.user.save()
    client = Client()
    for n in range(5):
        _login(client, "boss", f"guess-{n}", path="/admin/login/")
    locked = _login(client, "boss", "pw-test-123", path="/admin/login/", **EN)
    assert locked.status_code == 200 and "Too many failed attempts" in locked.content.decode()
    assert SignInFailure.objects.filter(username="boss").count() == 5
