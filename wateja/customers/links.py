"""Links a customer can open without logging in: the absolute public URL of a page, and the
unguessable signed link to a customer's card page (balance, pending and expiring points).

Every absolute link is built on WATEJA_PUBLIC_URL (`public_url`), never on the Host header
of the request that asked for it: a forged Host cannot put another address in a message,
a poster or a QR code.

A card page link is signed and dated: it works for CARD_LINK_MAX_AGE_DAYS after it was
made (sent), then the page says it has expired and the shop can send a new one. It also
names the card's `link_version`: rotating the link (a lost or shared phone) bumps the
version, and every link made before stops working at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from wateja.core.errors import Conflict
from wateja.customers.models import Card, CardStatus
from wateja.tenants.services import audit_record

CARD_SALT = "wateja.card-page"


def public_url(path: str) -> str:
    """`path` on the address customers reach the product at (WATEJA_PUBLIC_URL)."""
    return settings.PUBLIC_URL.rstrip("/") + "/" + path.lstrip("/")


def card_page_token(card: Card) -> str:
    return signing.dumps(
        {"b": card.business_id, "c": card.pk, "v": card.link_version},
        salt=CARD_SALT,
        compress=True,
    )


def card_page_url(card: Card) -> str:
    """The absolute address of the card's page, valid from now for CARD_LINK_MAX_AGE_DAYS."""
    return public_url(f"/my/{card_page_token(card)}/")


def card_link_max_age() -> int:
    """Seconds a card page link works after it was made."""
    return int(settings.CARD_LINK_MAX_AGE_DAYS) * 24 * 3600


@dataclass(frozen=True)
class CardLink:
    """What a card page link leads to: its card, and whether the link still opens it (an
    expired or rotated link still names the card, so the page can speak the customer's
    language and name the shop, and shows nothing else)."""

    card: Card
    works: bool


def card_link_open(token: str) -> CardLink | None:
    """The card a link was made for, or None when it is forged, mangled or the card is gone."""
    try:
        data = signing.loads(token, salt=CARD_SALT, max_age=card_link_max_age())
        expired = False
    except signing.SignatureExpired:
        data, expired = _unverified_age(token), True
    except signing.BadSignature:
        return None
    try:
        card: Card = Card.objects.select_related("customer", "business").get(
            pk=data["c"], business_id=data["b"]
        )
        version = int(data.get("v", 1))  # links made before rotation existed: version 1
    except (Card.DoesNotExist, KeyError, TypeError, ValueError):
        return None
    return CardLink(card=card, works=not expired and version == card.link_version)


def _unverified_age(token: str) -> dict[str, object]:
    """The payload of a link whose signature is right but whose age is over."""
    data: dict[str, object] = signing.loads(token, salt=CARD_SALT, max_age=None)
    return data


def card_from_token(token: str) -> Card | None:
    """The card a link opens, or None when it is forged, mangled, expired or rotated."""
    link = card_link_open(token)
    return link.card if link is not None and link.works else None


class CardInactive(Conflict):
    code = "card_inactive"


@transaction.atomic
def card_link_rotate(*, card: Card, actor: User | None = None) -> Card:
    """Every link to this card's page made so far stops working (a lost or shared phone);
    the next one sent works. Audited."""
    if card.status != CardStatus.ACTIVE:
        raise CardInactive(_("This card is no longer active: links to it do not open."))
    Card.objects.filter(pk=card.pk).update(link_version=F("link_version") + 1)
    card.refresh_from_db(fields=["link_version"])
    audit_record(
        business=card.business,
        action="card.link_rotated",
        object_type="card",
        object_id=card.pk,
        actor=actor,
        details={"link_version": card.link_version},
    )
    return card
