"""A business's own words customers text (MessagingSettings.keywords): saved only through
keywords_update (validated, audited), answered by SMS and by chat apps like the built-in
words, and changed by a manager on the messaging settings screen (no JSON typed)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.messaging.factories import NOON, basic_auth, person
from wateja.core.errors import ValidationFailed
from wateja.messaging.config import messaging_settings, messaging_settings_update
from wateja.messaging.keywords import keywords_update, own_keywords, split_words
from wateja.messaging.messengers import chat_message
from wateja.messaging.models import InboundMessage
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role
from wateja.wallet.services import points_earn

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks(business):
    row = messaging_settings(business)
    client = Client(headers={"Authorization": basic_auth(row)})

    def post(kind, **form):
        return client.post(f"/hooks/{row.hook_token}/{kind}/", form)

    return post


@pytest.fixture
def offer(business):
    promotion = promotion_save(
        business=business, name="Chai ya bure Jumatatu", type="percent_off_order",
        params={"percent_bp": 1000},
    )  # fmt: skip
    return promotion_set_status(promotion=promotion, status="active")


def test_words_are_cleaned_split_and_saved_per_command_with_an_audit(business) -> None:
    assert split_words(" promo, Promo ;deals\n ofertas ,, ") == ["PROMO", "DEALS", "OFERTAS"]
    saved = keywords_update(
        business=business, words={"offers": "promo, Zawadi", "yes": ["sawa"], "card": ""}
    )
    assert saved == {"offers": ["PROMO", "ZAWADI"], "yes": ["SAWA"]}
    assert messaging_settings(business).keywords == saved
    assert own_keywords(business) == saved
    event = AuditEvent.objects.get(business=business, action="messaging.keywords")
    assert event.details == {"before": {}, "after": saved}
    # the same words again change nothing and are not audited twice
    keywords_update(business=business, words={"offers": "PROMO, ZAWADI", "yes": "SAWA"})
    assert AuditEvent.objects.filter(action="messaging.keywords").count() == 1


@pytest.mark.parametrize(
    ("words", "field"),
    [
        ({"offers": "STOP"}, "offers"),  # the law's words stay fixed
        ({"balance": "anza"}, "balance"),  # START in Swahili
        ({"offers": "SALIO"}, "offers"),  # already the balance
        ({"offers": "PROMO", "card": "promo"}, "card"),  # one word, two commands
        ({"stop": "HALT"}, "stop"),  # not an extensible command
        ({"offers": "X" * 31}, "offers"),
        ({"offers": ",".join(f"W{n}" for n in range(11))}, "offers"),
    ],
)
def test_a_word_that_would_mean_two_things_is_refused(business, words, field) -> None:
    keywords_update(business=business, words={"offers": "ZAWADI"})
    with pytest.raises(ValidationFailed) as caught:
        keywords_update(business=business, words=words)
    assert field in caught.value.details["fields"]
    assert own_keywords(business) == {"offers": ["ZAWADI"]}  # nothing saved


def test_an_own_word_by_sms_answers_with_the_current_offers(business, hooks, offer) -> None:
    keywords_update(business=business, words={"offers": "PROMO", "balance": "PESA"})
    customer = person(business, language="sw")
    points_earn(customer=customer, amount=120, idempotency_key="e-1")

    hooks("sms/inbound", **{"from": customer.phone, "text": "promo!"})
    hooks("sms/inbound", **{"from": customer.phone, "text": "Pesa"})

    first, second = InboundMessage.objects.order_by("id")
    assert first.action == "offers"
    assert "Chai ya bure Jumatatu" in first.reply.body
    assert second.action == "balance" and "120" in second.reply.body


@pytest.mark.parametrize("word", ["OFA", "OFFERS", "ԱՌԱՋԱՐԿ", "АКЦИИ"])
def test_the_built_in_offer_words_answer_in_every_language(business, hooks, offer, word):
    customer = person(business)
    hooks("sms/inbound", **{"from": customer.phone, "text": word})
    inbound = InboundMessage.objects.get()
    assert inbound.action == "offers"
    assert "Chai ya bure Jumatatu" in inbound.reply.body


def test_an_own_word_is_no_word_for_another_business(business, other_business, hooks) -> None:
    keywords_update(business=other_business, words={"offers": "PROMO"})
    customer = person(business)
    hooks("sms/inbound", **{"from": customer.phone, "text": "PROMO"})
    assert InboundMessage.objects.get().action == "unknown"


def test_an_own_word_works_in_a_chat_app_and_as_a_bot_command(business, offer) -> None:
    messaging_settings_update(business=business, telegram_mode="outbox",
                              telegram_bot_username="kahawa_bot")  # fmt: skip
    keywords_update(business=business, words={"offers": "PROMO"})
    for n, text in enumerate(["promo", "/promo@kahawa_bot"]):
        inbound = chat_message(business=business, channel="telegram", external_id="5550001",
                               text=text, provider_id=f"u-{n}", now=NOON)  # fmt: skip
        assert inbound.action == "offers"


def test_a_manager_changes_the_words_on_the_messaging_settings_screen(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    page = client.get("/messages/settings/")
    assert page.status_code == 200
    assert "/messages/settings/keywords/" in page.content.decode()

    section = client.get("/messages/settings/keywords/", headers={"HX-Request": "true"})
    html = section.content.decode()
    assert "Keywords customers can text" in html and "<html" not in html
    assert 'data-testid="keywords-offers"' in html and "{" not in html.split("<form", 1)[1]

    saved = client.post("/messages/settings/keywords/", {"offers": "promo, zawadi", "yes": "sawa"})
    assert saved.status_code == 302
    assert own_keywords(business) == {"offers": ["PROMO", "ZAWADI"], "yes": ["SAWA"]}
    assert 'value="PROMO, ZAWADI"' in client.get("/messages/settings/keywords/").content.decode()

    refused = client.post(
        "/messages/settings/keywords/", {"offers": "stop"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 200  # htmx swaps only a 2xx answer: the form with its error
    assert "STOP" in refused.content.decode() and 'data-testid="keywords-error-offers"' in (
        refused.content.decode()
    )
    assert own_keywords(business) == {"offers": ["PROMO", "ZAWADI"], "yes": ["SAWA"]}
    whole_page = client.post("/messages/settings/keywords/", {"offers": "stop"})
    assert whole_page.status_code == 400 and "<html" in whole_page.content.decode()


def test_a_cashier_cannot_change_the_words(business, staff_client) -> None:
    client = staff_client(business, Role.CASHIER)
    response = client.post("/messages/settings/keywords/", {"offers": "promo"})
    assert response.status_code in (302, 403)
    assert own_keywords(business) == {}
