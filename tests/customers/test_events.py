"""The timeline is written from stored event data, in the reader's language: a card issued, a
profile changed (fields by their translated labels), a consent, a purchase (money in the
reader's format), a rating; a note staff typed and a row from before events show as written."""

from __future__ import annotations

import pytest
from django.utils import translation

from wateja.customers.events import Event, interaction_text
from wateja.customers.models import Interaction, InteractionKind
from wateja.customers.services import (
    consent_record,
    customer_create,
    customer_update,
    interaction_add,
)
from wateja.orders.services import order_record
from wateja.tenants.roles import Role


@pytest.fixture
def wanjiku(business):
    return customer_create(business=business, name="Wanjiku Kamau", phone="0712345678")


def _latest(customer, kind: str) -> Interaction:
    return customer.interactions.filter(kind=kind).order_by("-id").first()


def _in(language: str, interaction: Interaction) -> str:
    with translation.override(language):
        return interaction_text(interaction)


def test_a_card_issued_is_stored_as_an_event_and_read_in_each_language(wanjiku):
    item = _latest(wanjiku, InteractionKind.CARD)
    card = wanjiku.cards.get()
    assert item.event == Event.CARD_ISSUED and item.data == {"number": card.number}
    spaced = _in("en", item).split(" ")[1:-1]  # "Card 1234 5678 90 issued": grouped digits
    assert "".join(spaced) == card.number
    assert _in("sw", item).startswith("Kadi ") and _in("sw", item).endswith(" imetolewa")
    assert _in("ru", item).startswith("Выдана карта ")


def test_a_profile_change_names_its_fields_by_their_translated_labels(wanjiku):
    customer_update(customer=wanjiku, city="Nakuru", name="Wanjiku K.")
    item = _latest(wanjiku, InteractionKind.PROFILE)
    assert item.event == Event.PROFILE_UPDATED
    assert set(item.data["fields"]) == {"city", "name"}  # name_key is bookkeeping, never shown
    assert "mji" in _in("sw", item) and "город" in _in("ru", item)
    assert "name_key" not in _in("en", item) and "_" not in _in("en", item)


def test_a_consent_names_its_channel_by_its_label(wanjiku):
    consent_record(customer=wanjiku, channel="sms", granted=True, text="Ndiyo")
    consent_record(customer=wanjiku, channel="email", granted=False)
    granted, withdrawn = wanjiku.interactions.filter(kind=InteractionKind.CONSENT).order_by("id")
    assert (granted.event, granted.data) == (Event.CONSENT_GRANTED, {"channel": "sms"})
    assert withdrawn.event == Event.CONSENT_WITHDRAWN
    assert _in("sw", granted) == "Ametoa idhini: SMS"
    assert _in("en", withdrawn) == "Withdrew E-mail"


def test_a_purchase_keeps_its_amount_and_shows_it_in_the_reader_s_format(business, wanjiku):
    order_record(business=business, number="K-77", total_minor=123456, customer=wanjiku)
    item = _latest(wanjiku, InteractionKind.PURCHASE)
    assert item.event == Event.PURCHASE
    assert item.data == {"number": "K-77", "total_minor": 123456, "currency": "KES"}
    assert _in("en", item) == "Purchase K-77: KES1,234.56"
    assert _in("ru", item) == "Покупка K-77: 1\xa0234,56\xa0KES"
    assert _in("hy", item) == "Գնում K-77՝ 1\xa0234,56\xa0KES"
    # the stored summary is the business's own language, for search, exports and the API
    assert item.summary == "Purchase K-77: KES1,234.56"


def test_a_staff_note_and_an_old_row_show_as_written(wanjiku):
    note = interaction_add(customer=wanjiku, kind=InteractionKind.NOTE, summary="Anapenda chai")
    assert note.event == "" and _in("ru", note) == "Anapenda chai"
    old = Interaction.objects.create(
        business_id=wanjiku.business_id,
        customer=wanjiku,
        kind=InteractionKind.CARD,
        summary="Card 0000 issued",
        occurred_at=note.occurred_at,
    )
    assert _in("sw", old) == "Card 0000 issued"


def test_an_unknown_event_is_refused_and_writes_nothing(wanjiku):
    from wateja.core.errors import ValidationFailed

    before = wanjiku.interactions.count()
    with pytest.raises(ValidationFailed):
        interaction_add(customer=wanjiku, kind=InteractionKind.NOTE, event="made_up", data={})
    assert wanjiku.interactions.count() == before


def test_the_customer_page_shows_the_timeline_in_the_reader_s_language(
    business, wanjiku, staff_client
):
    order_record(business=business, number="K-78", total_minor=50000, customer=wanjiku)
    client = staff_client(business, Role.MANAGER)
    client.cookies["wateja_language"] = "ru"
    page = client.get(f"/customers/{wanjiku.pk}/").content.decode()
    assert "Покупка K-78: 500,00\xa0KES" in page
    assert "Выдана карта" in page
    assert "Purchase K-78" not in page and "issued" not in page
