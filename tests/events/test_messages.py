"""The messages of events, through the outbox: invitations only with consent, each with the
guest's own answer link; an SMS YES/NO (ԱՅՈ, NDIO, ДА) answers the latest invitation in the
guest's language; "a place is yours" and the reminder go once; USSD lists upcoming events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.messaging.factories import basic_auth, person
from wateja.events.models import Registration
from wateja.events.services import rsvp
from wateja.messaging.automations import automations_run
from wateja.messaging.config import messaging_settings
from wateja.messaging.event_messages import event_invite
from wateja.messaging.models import InboundMessage, Message


@pytest.fixture
def hooks(business):
    row = messaging_settings(business)
    client = Client(headers={"Authorization": basic_auth(row)})

    def post(kind, **form):
        return client.post(f"/hooks/{row.hook_token}/{kind}/", form)

    return post


def test_invitation_goes_with_consent_and_a_personal_link(event, business):
    yes = person(business, name="Anahit", language="hy")
    no = person(business, name="Baraka", sms=False)

    campaign = event_invite(event=event)

    message = Message.objects.get(customer=yes)
    assert "/r/" in message.body and "/e/" in message.link_url
    assert "Coffee tasting" in message.body and message.language == "hy"
    assert not Message.objects.filter(customer=no).exists()
    assert campaign.counts["queued"] == 1 and campaign.counts["no_consent"] >= 1
    assert Registration.objects.get(event=event, customer=yes).status == "invited"
    # a second sending reaches nobody twice
    event_invite(event=event)
    assert Message.objects.filter(customer=yes).count() == 1


@pytest.mark.parametrize(("word", "language"), [("ԱՅՈ", "hy"), ("ndio", "sw"), ("да", "ru")])
def test_sms_yes_answers_the_invitation_in_her_language(event, business, hooks, word, language):
    guest = person(business, language=language)
    event_invite(event=event)

    hooks("sms/inbound", **{"from": guest.phone, "text": word})

    assert Registration.objects.get(event=event, customer=guest).status == "going"
    inbound = InboundMessage.objects.get()
    assert inbound.action == "rsvp"
    assert "Coffee tasting" in inbound.reply.body


def test_sms_no_declines(event, business, hooks):
    guest = person(business)
    event_invite(event=event)

    hooks("sms/inbound", **{"from": guest.phone, "text": "NO"})

    assert Registration.objects.get(event=event, customer=guest).status == "declined"


def test_moved_up_and_reminder_messages_go_once(make_event, business):
    event = make_event(capacity=1, starts_at=timezone.now() + dt.timedelta(hours=20))
    first, second = person(business, name="First"), person(business, name="Second")
    rsvp(event=event, customer=first, going=True, source="link")
    rsvp(event=event, customer=second, going=True, source="link")
    rsvp(event=event, customer=first, going=False, source="link")

    automations_run(business=business)
    automations_run(business=business)

    bodies = list(Message.objects.filter(customer=second).values_list("body", flat=True))
    assert len(bodies) == 2  # a place is yours, and the reminder (the event is tomorrow)
    assert any("good news" in body for body in bodies)
    assert not Message.objects.filter(customer=first).exists()


def test_ussd_lists_upcoming_events(event, business, hooks):
    guest = person(business)
    base = {"sessionId": "s1", "phoneNumber": guest.phone, "serviceCode": "*384#"}

    menu = hooks("ussd", text="", **base).content.decode()
    answer = hooks("ussd", text="5", **base).content.decode()

    assert "5. Upcoming events" in menu
    assert answer.startswith("END ") and "Coffee tasting" in answer


def test_guests_of_a_tasting_are_asked_for_their_stars_once(make_event, business):
    from wateja.events.services import check_in

    tasting = make_event(kind="tasting", capacity=5)
    came, stayed_home = person(business, name="Came"), person(business, name="Away")
    for guest in (came, stayed_home):
        rsvp(event=tasting, customer=guest, going=True, source="link")
    check_in(event=tasting, customer=came, now=tasting.starts_at)
    after = tasting.starts_at + dt.timedelta(hours=3)

    automations_run(business=business, now=after)
    automations_run(business=business, now=after)

    asked = Message.objects.filter(customer=came, link_url__contains="/e/")
    assert asked.count() == 1 and "Coffee tasting" in asked.get().body
    assert not Message.objects.filter(customer=stayed_home).exists()
