"""The link to a customer's card page sent again by SMS or e-mail (from the customer page):
a fresh link, dated from now, in the customer's language. The customer asked for it, so it
goes at once like a receipt (no marketing consent, no quiet hours). At most
SENDS_PER_DAY per customer in any 24 hours, counted on the messages themselves, so every web
worker counts the same and a busy counter cannot flood a phone."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wateja.core.errors import DomainError
from wateja.customers.links import CardInactive, card_page_url
from wateja.customers.models import CardStatus, Customer
from wateja.messaging.composing import customer_language, support_line
from wateja.messaging.models import Message, SendChannel
from wateja.messaging.outbox import address_of, direct_queue
from wateja.messaging.receipts import NoContact

SENDS_PER_DAY = 3
KEY_PREFIX = "card-link"


class TooManyCardLinks(DomainError):
    code = "card_link_limit"
    status = 429


def card_link_text(customer: Customer, link: str, language: str) -> tuple[str, str]:
    """(subject, body) of the message that carries the link."""
    business = customer.business
    with translation.override(language):
        body = _("%(shop)s: your loyalty card, points and rewards: %(link)s") % {
            "shop": business.name,
            "link": link,
        }
        support = support_line(business)
        if support:
            body += " " + _("Help: %(contacts)s") % {"contacts": support}
        subject = _("Your loyalty card at %(shop)s") % {"shop": business.name}
    return subject, body


def card_link_send(
    *, customer: Customer, channel: str = SendChannel.SMS, now: dt.datetime | None = None
) -> Message:
    """Queue a fresh link to the customer's card page to their phone (or e-mail)."""
    now = now or timezone.now()
    if channel not in SendChannel.values:
        channel = SendChannel.SMS
    with transaction.atomic():
        # one sender at a time per customer, so two quick clicks cannot both pass the count
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        card = customer.cards.filter(status=CardStatus.ACTIVE).order_by("-id").first()
        if card is None or customer.erased_at is not None:
            raise CardInactive(_("This customer has no active card to link to."))
        address = address_of(customer, channel)
        if not address:
            raise NoContact(
                _("This customer has no phone number to send the link to.")
                if channel == SendChannel.SMS
                else _("This customer has no e-mail address to send the link to.")
            )
        prefix = f"{KEY_PREFIX}:{customer.pk}:"
        recent = Message.objects.filter(
            business_id=customer.business_id,
            dedupe_key__startswith=prefix,
            created_at__gt=now - dt.timedelta(days=1),
        ).count()
        if recent >= SENDS_PER_DAY:
            raise TooManyCardLinks(
                ngettext(
                    "The card link was already sent %(count)s time in the last 24 hours: "
                    "try again tomorrow.",
                    "The card link was already sent %(count)s times in the last 24 hours: "
                    "try again tomorrow.",
                    recent,
                )
                % {"count": recent}
            )
        subject, body = card_link_text(
            customer, card_page_url(card), customer_language(customer, customer.business)
        )
        return direct_queue(
            business=customer.business,
            to=address,
            body=body,
            channel=channel,
            subject=subject,
            customer=customer,
            dedupe_key=f"{prefix}{now.isoformat()}",
            now=now,
        )
