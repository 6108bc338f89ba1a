"""The customer's own choices on their pocket card: for each channel the shop can reach them
on, whether they want offers and news there (purpose "marketing"), and whether their name may
be shown in public (leaderboards, customer of the month). Each change is a consent record in
the customer's own hand (source "web", with the address, browser and language as proof), and
only what changed is recorded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from wateja.customers.models import Channel, Customer
from wateja.customers.selectors import consent_state
from wateja.customers.services import ConsentProof, consent_record

PURPOSE = "marketing"
CHAT_CHANNELS = (Channel.WHATSAPP, Channel.TELEGRAM, Channel.VIBER)


@dataclass(frozen=True)
class Preference:
    channel: str
    text: str  # the question, in the active language, kept with the consent as its wording
    granted: bool


def _text(channel: str, shop: str) -> str:
    if channel == Channel.SMS:
        return _("Offers and news from %(shop)s by SMS") % {"shop": shop}
    if channel == Channel.EMAIL:
        return _("Offers and news from %(shop)s by e-mail") % {"shop": shop}
    if channel == Channel.PUBLIC:
        return _("Show my name in public at %(shop)s (leaderboards, customer of the month)") % {
            "shop": shop
        }
    return _("Offers and news from %(shop)s on %(app)s") % {
        "shop": shop,
        "app": Channel(channel).label,
    }


def preference_channels(customer: Customer, linked: Iterable[str] = ()) -> list[str]:
    """The channels a customer can choose on: SMS with a phone, e-mail with an address, each
    chat app they linked, and showing their name in public."""
    channels: list[str] = []
    if customer.phone:
        channels.append(Channel.SMS)
    if customer.email:
        channels.append(Channel.EMAIL)
    channels += [c for c in CHAT_CHANNELS if c in set(linked)]
    channels.append(Channel.PUBLIC)
    return channels


def card_preferences(customer: Customer, linked: Iterable[str] = ()) -> list[Preference]:
    state = consent_state(customer)
    shop = customer.business.name
    return [
        Preference(
            channel=channel,
            text=_text(channel, shop),
            granted=bool(state.get((channel, PURPOSE)) and state[(channel, PURPOSE)].granted),
        )
        for channel in preference_channels(customer, linked)
    ]


@transaction.atomic
def card_preferences_save(
    *,
    customer: Customer,
    wanted: Iterable[str],
    linked: Iterable[str] = (),
    proof: ConsentProof | None = None,
) -> list[str]:
    """Record the customer's choices: `wanted` are the channels they ticked, every other
    channel offered is a no. Returns the channels whose consent changed."""
    chosen = set(wanted)
    changed = []
    for preference in card_preferences(customer, linked):
        granted = preference.channel in chosen
        if granted == preference.granted:
            continue
        consent_record(
            customer=customer,
            channel=preference.channel,
            granted=granted,
            text=preference.text,
            source="web",
            purpose=PURPOSE,
            proof=proof,
        )
        changed.append(preference.channel)
    return changed
