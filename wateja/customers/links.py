"""Links a customer can open without logging in: the absolute public URL of a page, and the
unguessable signed token of a customer's card page (balance, pending and expiring points)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from wateja.customers.models import Card

CARD_SALT = "wateja.card-page"


def public_url(path: str) -> str:
    """`path` on the address customers reach the product at (WATEJA_PUBLIC_URL)."""
    return settings.PUBLIC_URL.rstrip("/") + "/" + path.lstrip("/")


def card_page_token(card: Card) -> str:
    return signing.dumps({"b": card.business_id, "c": card.pk}, salt=CARD_SALT, compress=True)


def card_from_token(token: str) -> Card | None:
    """The card a token was made for, or None when it is forged, mangled or the card is gone."""
    try:
        data = signing.loads(token, salt=CARD_SALT)
        card: Card = Card.objects.select_related("customer", "business").get(
            pk=data["c"], business_id=data["b"]
        )
    except (signing.BadSignature, Card.DoesNotExist, KeyError, TypeError):
        return None
    return card
