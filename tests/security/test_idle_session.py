"""Staff sessions end after settings.SESSION_IDLE_SECONDS without a request, through HTTP:
a request within the limit keeps the session alive, one after it signs out and the login page
says why; the time is written at most once a minute; an htmx request is sent to the login page
as a whole page (HX-Redirect); bearer-key API calls have no session and are not touched."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from wateja.tenants.middleware import LAST_SEEN
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/customers/?q=wanj"}


@pytest.fixture
def clock(settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_request_within_the_limit_keeps_the_session_alive(business, staff_client, clock):
    client = staff_client(business, Role.CASHIER)
    assert client.get("/").status_code == 200
    for _n in range(3):  # 87 minutes in all, never 30 without a request
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/customers/").status_code == 200
    assert _signed_in(client)


def test_after_the_limit_the_session_ends_and_the_login_page_says_why(
    business, staff_client, clock
):
    client = staff_client(business, Role.CASHIER)
    client.get("/")
    clock.shift(dt.timedelta(minutes=31))
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/customers/")
    assert not _signed_in(client)
    page = client.get(response["Location"], headers=EN).content.decode()
    assert "You were signed out after 30 minutes without activity." in page
    again = client.get("/login/", headers=EN).content.decode()
    assert "without activity" not in again  # said once


def test_the_limit_is_the_setting(business, staff_client, clock, settings):
    settings.SESSION_IDLE_SECONDS = 5 * 60
    client = staff_client(business, Role.CASHIER)
    client.get("/")
    clock.shift(dt.timedelta(minutes=6))
    page = client.get("/", follow=True, headers=EN).content.decode()
    assert "You were signed out after 5 minutes without activity." in page


def test_the_time_is_written_at_most_once_a_minute(business, staff_client, clock):
    client = staff_client(business, Role.CASHIER)
    client.get("/")
    first = client.session[LAST_SEEN]
    clock.shift(dt.timedelta(seconds=40))
    client.get("/")
    assert client.session[LAST_SEEN] == first
    clock.shift(dt.timedelta(seconds=30))
    client.get("/")
    assert client.session[LAST_SEEN] == first + 70


def test_an_htmx_request_after_the_limit_sends_the_whole_page_to_login(
    business, staff_client, clock
):
    client = staff_client(business, Role.CASHIER)
    assert client.get("/customers/", headers=HTMX).status_code == 200
    clock.shift(dt.timedelta(minutes=31))
    response = client.get("/customers/?q=wanj", headers=HTMX)
    assert response.status_code == 204 and not response.content
    assert response["HX-Redirect"] == "/login/?next=%2Fcustomers%2F%3Fq%3Dwanj"
    assert not _signed_in(client)
    page = client.get("/login/", headers=EN).content.decode()
    assert "signed out after 30 minutes" in page


def test_an_htmx_request_without_a_session_is_sent_to_login_too(db):
    response = Client().get("/customers/", headers=HTMX)
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/login/?next=")


def test_api_keys_are_not_sessions(business, api, clock):
    assert api.get("/customers").status_code == 200
    clock.shift(dt.timedelta(hours=5))
    assert api.get("/customers").status_code == 200
