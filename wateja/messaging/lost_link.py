"""Lost your card link? Enter your phone: a fresh link to the card page, sent by SMS to the
number typed when it is a member's phone. Whoever typed it learns nothing: member or not, an
SMS sent or not (no card, the day's limit reached), the page answers the same, and the link
only ever goes to the member's own phone. The page limits tries per address and per number
(wateja.web.public.card_views); `card_link_send` keeps its own limit per customer a day."""

from __future__ import annotations

import datetime as dt
import logging

from wateja.core.contacts import InvalidPhone, normalize_phone
from wateja.core.errors import DomainError
from wateja.customers.models import Customer
from wateja.customers.selectors import active_customers
from wateja.messaging.card_links import card_link_send
from wateja.messaging.models import Message, SendChannel
from wateja.tenants.models import Business

log = logging.getLogger(__name__)


def lost_link_phone(business: Business, text: str) -> str:
    """The number typed in E.164, or "" when it is not a phone number at all."""
    try:
        return normalize_phone(text, business.country)
    except InvalidPhone:
        return ""


def lost_link_member(business: Business, phone: str) -> Customer | None:
    if not phone:
        return None
    found: Customer | None = active_customers(business).filter(phone=phone).order_by("pk").first()
    return found


def card_link_lost(
    *, business: Business, phone: str, now: dt.datetime | None = None
) -> Message | None:
    """Queue a fresh card link by SMS to `phone` (E.164) when a member of `business` has it;
    None, silently, in every other case."""
    customer = lost_link_member(business, phone)
    if customer is None:
        return None
    try:
        return card_link_send(customer=customer, channel=SendChannel.SMS, now=now)
    except DomainError as refused:  # no active card, no phone, the day's limit reached
        log.info("lost card link not sent to customer %s: %s", customer.pk, refused.code)
        return None
