"""What happened on a customer's timeline, in the reader's language.

An interaction written by the program stores what happened as a code (`Interaction.event`) and
its facts (`Interaction.data`: numbers, amounts in minor units, codes of fields and channels),
never as a sentence: `interaction_text` writes the sentence when someone reads it, in the
active language, with money and counts from the one formatting layer (wateja.core.formatting),
fields by their translated labels and channels by their labels. A note staff typed has no
event; its summary is their own words and is shown as typed (so are rows written before
events existed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wateja.core.cards import format_card_number
from wateja.core.formatting import format_count, keep_together, zone_country
from wateja.core.money import Money, MoneyError, format_money
from wateja.customers.models import Channel, Customer, Interaction


class Event:
    """The codes stored in `Interaction.event`."""

    CARD_ISSUED = "card_issued"
    PROFILE_UPDATED = "profile_updated"
    CONSENT_GRANTED = "consent_granted"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    PURCHASE = "purchase"
    POINTS_DONATED = "points_donated"
    RATED = "rated"
    MERGED = "customer_merged"
    MERGE_UNDONE = "customer_merge_undone"


TEXTS: dict[str, Promise] = {
    Event.CARD_ISSUED: _("Card %(number)s issued"),
    Event.PROFILE_UPDATED: _("Profile updated: %(fields)s"),
    Event.CONSENT_GRANTED: _("Agreed to %(channel)s"),
    Event.CONSENT_WITHDRAWN: _("Withdrew %(channel)s"),
    Event.PURCHASE: _("Purchase %(number)s: %(total)s"),
    Event.POINTS_DONATED: _("Donated %(points)s points to %(cause)s"),
    Event.RATED: _("Rated us %(stars)s of 5"),
    Event.MERGED: _("Merged with %(name)s (#%(id)s)"),
    Event.MERGE_UNDONE: _("Merge with %(name)s (#%(id)s) undone"),
}


class _Reader:
    """The reader's language and the business's country (from the active time zone, which
    the request's business sets) for the formatting layer."""

    def __init__(self) -> None:
        self.language = translation.get_language() or "en"
        self.country = zone_country(str(timezone.get_current_timezone()))

    def count(self, value: Any) -> str:
        try:
            return format_count(int(value), self.language, self.country)
        except (TypeError, ValueError):
            return str(value)

    def money(self, amount_minor: Any, currency: Any) -> str:
        try:
            return keep_together(
                format_money(Money(int(amount_minor), str(currency)), self.language)
            )
        except (MoneyError, TypeError, ValueError):
            return str(amount_minor)


def field_label(name: str) -> str:
    """A customer field by its translated label ("city" → "jiji" in Swahili)."""
    try:
        field = Customer._meta.get_field(name)
    except FieldDoesNotExist:
        return name.replace("_", " ")
    return str(getattr(field, "verbose_name", name))


def channel_label(code: str) -> str:
    return str(Channel(code).label) if code in Channel.values else code


def _values(event: str, data: Mapping[str, Any], reader: _Reader) -> dict[str, str] | None:
    if event == Event.CARD_ISSUED:
        return {"number": format_card_number(str(data.get("number", "")))}
    if event == Event.PROFILE_UPDATED:
        return {"fields": ", ".join(field_label(f) for f in data.get("fields", []))}
    if event in (Event.CONSENT_GRANTED, Event.CONSENT_WITHDRAWN):
        return {"channel": channel_label(str(data.get("channel", "")))}
    if event == Event.PURCHASE:
        return {
            "number": str(data.get("number", "")),
            "total": reader.money(data.get("total_minor", 0), data.get("currency", "")),
        }
    if event == Event.POINTS_DONATED:
        return {"points": reader.count(data.get("points", 0)), "cause": str(data.get("cause", ""))}
    if event == Event.RATED:
        return {"stars": reader.count(data.get("stars", 0))}
    if event in (Event.MERGED, Event.MERGE_UNDONE):
        return {"name": str(data.get("name", "")), "id": str(data.get("id", ""))}
    return None


def event_text(event: str, data: Mapping[str, Any]) -> str | None:
    """The sentence for `event` with `data` in the active language; None for an unknown code."""
    text = TEXTS.get(event)
    values = _values(event, data, _Reader()) if text is not None else None
    if text is None or values is None:
        return None
    sentence = str(text) % values
    offers = [str(name) for name in data.get("offers", []) if name]
    if offers:
        sentence += " · " + ", ".join(offers)
    return sentence


def interaction_text(interaction: Interaction) -> str:
    """What the timeline shows for `interaction`: its event in the reader's language, or the
    summary as it was written (a staff note, or a row from before events)."""
    if interaction.event:
        text = event_text(interaction.event, interaction.data or {})
        if text is not None:
            return text
    return interaction.summary


def purchase_data(
    number: str, total_minor: int, currency: str, applied: Any = ()
) -> dict[str, Any]:
    """The facts of a purchase on the timeline: its number, total and the offers it got."""
    data: dict[str, Any] = {"number": number, "total_minor": int(total_minor), "currency": currency}
    offers = [str(a["name"]) for a in applied or () if a.get("name")]
    if offers:
        data["offers"] = offers
    return data


def summary_in(language: str, event: str, data: Mapping[str, Any]) -> str:
    """The stored summary of an event (for search, exports and the API's `summary`): the
    sentence in `language`, the business's own."""
    with translation.override(language):
        return event_text(event, data) or event
