"""The events screens over HTTP: a manager plans an event with the form, a cashier checks a
guest in by card at the door (htmx answer), the guest answers on the link's page in her
language, the waiting list shows its number, and another business's event is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.events.conftest import card_of
from wateja.events.links import rsvp_url
from wateja.events.models import Event, Registration
from wateja.events.services import rsvp
from wateja.tenants.roles import Role


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_manager_plans_an_event_with_the_form(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    start = (timezone.now() + dt.timedelta(days=5)).strftime("%Y-%m-%dT18:00")

    response = client.post(
        "/events/new/",
        {
            "kind": "workshop",
            "title": "Latte art",
            "place": "Moi Avenue",
            "starts_at": start,
            "capacity": "8",
            "fee": "500",
            "attendance_points": "20",
            "status": "open",
        },
    )

    assert response.status_code == 302
    event = Event.objects.get(business=business)
    assert (event.title, event.capacity, event.fee_minor) == ("Latte art", 8, 50000)
    assert event.starts_at.astimezone(dt.timezone(dt.timedelta(hours=3))).hour == 18
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert "Latte art" in page and "Check-in at the door" in page
    assert "Latte art" in client.get("/events/").content.decode()


def test_the_form_says_what_is_wrong(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    response = client.post("/events/new/", {"kind": "event", "title": "", "capacity": "0"})
    assert response.status_code == 200
    assert not Event.objects.exists()


def test_a_cashier_checks_a_guest_in_by_card(business, staff_client, event, people):
    client = staff_client(business, Role.CASHIER)
    rsvp(event=event, customer=people[0], going=True, source="link")

    response = client.post(
        f"/events/{event.pk}/check-in/",
        {"query": card_of(people[0]).number},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="checkin-result"' in html
    assert "Guest 1" in html and "30 points" in html
    assert Registration.objects.get(event=event, customer=people[0]).attended_at is not None
    unknown = client.post(
        f"/events/{event.pk}/check-in/", {"query": "1234"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "No customer has this card or phone number." in unknown


def test_a_cashier_cannot_change_an_event(business, staff_client, event):
    client = staff_client(business, Role.CASHIER)
    assert client.get(f"/events/{event.pk}/edit/").status_code == 403


def test_another_business_event_is_not_found(business, other_business, staff_client, make_event):
    event = make_event()
    client = staff_client(other_business, Role.OWNER)
    assert client.get(f"/events/{event.pk}/").status_code == 404
    assert client.post(f"/events/{event.pk}/check-in/", {"query": "x"}).status_code == 404


def test_the_guest_answers_on_her_page_and_sees_her_waiting_number(event, people):
    for customer in people[:2]:
        rsvp(event=event, customer=customer, going=True, source="link")
    guest = people[2]
    path = _path(rsvp_url(event, guest))
    client = Client()

    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="rsvp-yes"' in page.content.decode()

    answered = client.post(path, {"answer": "yes"}, follow=True).content.decode()
    assert 'data-position="1"' in answered
    assert Registration.objects.get(event=event, customer=guest).status == "waiting"

    client.post(path, {"answer": "no"})
    assert Registration.objects.get(event=event, customer=guest).status == "cancelled"


def test_a_forged_link_is_not_found(event):
    assert Client().get("/e/not-a-token/").status_code == 404


@pytest.mark.parametrize("language", ["hy", "sw", "ru"])
def test_the_answer_page_speaks_the_guest_language(event, business, language):
    from wateja.customers.services import customer_create

    guest = customer_create(business=business, name="Anahit", phone="0712999000", language=language)
    page = Client().get(_path(rsvp_url(event, guest))).content.decode()
    assert f'<html lang="{language}">' in page


def test_a_past_event_shows_its_figures_without_the_door_or_invitations(
    business, staff_client, make_event
):
    past = make_event(starts_at=timezone.now() - dt.timedelta(days=2), capacity=5)
    page = staff_client(business, Role.MANAGER).get(f"/events/{past.pk}/").content.decode()
    assert 'data-testid="event-figures"' in page
    assert 'data-testid="checkin"' not in page and 'data-testid="event-invite"' not in page


def test_after_a_tasting_the_guest_gives_stars_on_her_page(business, make_event, people):
    from wateja.catalog.services import product_save
    from wateja.events.models import ProductRating
    from wateja.events.services import check_in

    latte = product_save(business=business, sku="L1", name="Latte", price_minor=25000)
    tasting = make_event(kind="tasting", product_ids=[latte.pk], capacity=5)
    rsvp(event=tasting, customer=people[0], going=True, source="link")
    check_in(event=tasting, customer=people[0])
    path = _path(rsvp_url(tasting, people[0]))
    client = Client()

    assert 'data-testid="rsvp-rate"' in client.get(path).content.decode()
    done = client.post(path, {"rate": "1", f"product_{latte.pk}": "4"}).content.decode()

    assert "Thank you for your ratings!" in done
    assert ProductRating.objects.get(product=latte).stars == 4
    stranger = _path(rsvp_url(tasting, people[1]))
    assert client.post(stranger, {"rate": "1", f"product_{latte.pk}": "5"}).status_code == 404
