"""What comes back from customers and providers: inbound SMS (STOP, START, BALANCE/SALIO),
delivery reports, the provider's opt-out list, the USSD menu, the one-click unsubscribe,
tracked link clicks and the one-question feedback."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.core.contacts import InvalidPhone, last_digits, normalize_phone, phone_region
from wateja.core.errors import DomainError, NotFound
from wateja.core.sending import classify_inbound
from wateja.customers.links import card_page_token, public_url
from wateja.customers.models import Card, CardStatus, ConsentSource, Customer
from wateja.customers.selectors import active_customers
from wateja.customers.services import consent_record
from wateja.messaging.channels.base import DeliveryReport, MalformedCallback
from wateja.messaging.composing import customer_language
from wateja.messaging.config import channel_of
from wateja.messaging.event_messages import event_sms_answer, upcoming_text
from wateja.messaging.feedback import feedback_give as feedback_give  # its home now
from wateja.messaging.models import (
    Delivery,
    InboundAction,
    InboundMessage,
    Message,
    MessageStatus,
    MessagingSettings,
    Purpose,
    SendChannel,
)
from wateja.messaging.outbox import direct_queue
from wateja.messaging.worker import fallback_queue
from wateja.promotions.models import Promotion
from wateja.tenants.models import Business
from wateja.wallet.models import Kind
from wateja.wallet.services import balances, expiring_soon

log = logging.getLogger(__name__)


class BadCallback(DomainError):
    code = "bad_callback"
    status = 400


def settings_by_hook(token: str) -> MessagingSettings:
    row: MessagingSettings | None = (
        MessagingSettings.objects.select_related("business").filter(hook_token=token).first()
    )
    if row is None:
        raise NotFound(_("Unknown address."))
    return row


def customer_by_phone(business: Business, phone: str) -> Customer | None:
    try:
        normal = normalize_phone(phone, business.country)
    except InvalidPhone:
        return None
    return active_customers(business).filter(phone=normal).first()


def set_channel_consent(
    customer: Customer,
    text: str,
    now: dt.datetime,
    *,
    granted: bool,
    channel: str = SendChannel.SMS,
    source: str = "",
) -> None:
    """STOP withdraws a channel for marketing and service at once; START gives both back."""
    source = source or (ConsentSource.SMS_REPLY if granted else ConsentSource.UNSUBSCRIBE)
    for purpose in (Purpose.MARKETING, Purpose.SERVICE):
        consent_record(
            customer=customer, channel=channel, granted=granted, text=text,
            source=source, purpose=purpose, at=now,
        )  # fmt: skip


def balance_text(customer: Customer, business: Business, now: dt.datetime) -> str:
    points = balances(customer).get(Kind.POINTS, {}).get("balance", 0)
    card = Card.objects.filter(customer=customer, status=CardStatus.ACTIVE).first()
    text = _("%(shop)s: you have %(points)s points.") % {"shop": business.name, "points": points}
    expiring = expiring_soon(customer, days=30, now=now)
    soon = sum(e["amount"] for e in expiring if e["kind"] == Kind.POINTS)
    if soon:
        text += " " + _("%(points)s expire within 30 days.") % {"points": soon}
    if card:
        text += " " + _("Card ending %(digits)s.") % {"digits": last_digits(card.number)}
    return text


def offers_text(business: Business, now: dt.datetime, limit: int = 3) -> str:
    names = list(
        Promotion.objects.filter(business=business, status="active")
        .exclude(ends_at__lt=now)
        .exclude(starts_at__gt=now)
        .order_by("-id")
        .values_list("name", flat=True)[:limit]
    )
    if not names:
        return _("%(shop)s: no offer right now. Thank you for being with us!") % {
            "shop": business.name
        }
    return _("%(shop)s offers: %(offers)s") % {"shop": business.name, "offers": "; ".join(names)}


def card_text(customer: Customer, business: Business) -> str:
    card = Card.objects.filter(customer=customer, status=CardStatus.ACTIVE).first()
    if card is None:
        return _("%(shop)s: no card yet. Ask at the counter.") % {"shop": business.name}
    return _("%(shop)s: your card %(number)s, always with you: %(link)s") % {
        "shop": business.name,
        "number": card.number,
        "link": public_url(f"/my/{card_page_token(card)}/"),
    }


def keyword_reply(
    business: Business,
    customer: Customer | None,
    action: str,
    text: str,
    now: dt.datetime,
    *,
    channel: str,
) -> str:
    """What a customer's message asks for, done, and the answer in their language, on any
    channel: STOP withdraws that channel and confirms, START gives it back, BALANCE/SALIO,
    OFFERS and CARD answer; "" when there is nothing to say. The caller decides whether the
    answer may go (an SMS costs money)."""
    names: dict[str, str] = {
        SendChannel.SMS: _("SMS"),
        SendChannel.WHATSAPP: "WhatsApp",
        SendChannel.TELEGRAM: "Telegram",
        SendChannel.VIBER: "Viber",
    }
    with translation.override(customer_language(customer, business)):
        where = str(names.get(channel, channel))
        if action == "stop":
            if customer is not None:
                set_channel_consent(customer, text, now, granted=False, channel=channel)
            if channel == SendChannel.SMS:
                return _(
                    "%(shop)s: you will get no more SMS from us. Reply START to subscribe again."
                ) % {"shop": business.name}
            return _(
                "%(shop)s: you will get no more messages from us by %(channel)s. "
                "Reply START to subscribe again."
            ) % {"shop": business.name, "channel": where}
        if action == "start" and customer is not None:
            set_channel_consent(customer, text, now, granted=True, channel=channel)
            if channel == SendChannel.SMS:
                return _("%(shop)s: welcome back, you will get our offers by SMS again.") % {
                    "shop": business.name
                }
            return _("%(shop)s: welcome back, you will get our offers by %(channel)s again.") % {
                "shop": business.name,
                "channel": where,
            }
        if action in ("balance", "card", "offers") and customer is None:
            return _("%(shop)s: this number has no loyalty card with us.") % {"shop": business.name}
        if action == "balance" and customer is not None:
            return balance_text(customer, business, now)
        if action == "card" and customer is not None:
            return card_text(customer, business)
        if action == "offers":
            return offers_text(business, now)
        if action in ("yes", "no") and customer is not None:
            return event_sms_answer(business, customer, action == "yes", now, channel=channel)
    return ""


REPLIES_PER_NUMBER_PER_DAY = 3


def may_reply(business: Business, customer: Customer | None, phone: str, now: dt.datetime) -> bool:
    """An SMS reply (balance, STOP confirmation) costs the shop money and goes out under its
    sender id: only to a known customer's number in the business's country, and at most
    REPLIES_PER_NUMBER_PER_DAY a day — a stranger texting from many numbers, or one number
    texting all day, pumps no SMS."""
    if customer is None or phone_region(phone) != business.country.upper():
        return False
    replied = InboundMessage.objects.filter(
        business=business,
        from_phone=phone[:32],
        reply__isnull=False,
        received_at__gte=now - dt.timedelta(days=1),
    ).count()
    return replied < REPLIES_PER_NUMBER_PER_DAY


@transaction.atomic
def inbound_sms(
    *, row: MessagingSettings, form: Mapping[str, str], now: dt.datetime | None = None
) -> InboundMessage:
    """Act on an SMS a customer sent: STOP words withdraw SMS consent at once and confirm,
    START gives it back, BALANCE/SALIO replies with the balance."""
    now = now or timezone.now()
    business = row.business
    try:
        inbound = channel_of(row, SendChannel.SMS).parse_inbound(form)
    except MalformedCallback as error:
        log.warning("malformed inbound SMS for business %s: %s", business.pk, error)
        raise BadCallback(_("The message could not be read.")) from None
    customer = customer_by_phone(business, inbound.from_phone)
    action = classify_inbound(inbound.text, row.keywords)
    reply = keyword_reply(business, customer, action, inbound.text, now, channel=SendChannel.SMS)
    message = None
    if reply and not may_reply(business, customer, inbound.from_phone, now):
        log.info("no reply to an inbound SMS for business %s: unknown number or limit", business.pk)
        reply = ""
    if reply:
        message = direct_queue(
            business=business, to=inbound.from_phone, body=reply, customer=customer, now=now
        )
    return InboundMessage.objects.create(
        business=business,
        customer=customer,
        from_phone=inbound.from_phone[:32],
        text=inbound.text[:1000],
        action=InboundAction.RSVP
        if action in ("yes", "no")
        else (action if action in InboundAction.values else InboundAction.UNKNOWN),
        provider_id=inbound.provider_id[:100],
        reply=message,
        received_at=now,
    )


@transaction.atomic
def delivery_report(
    *, row: MessagingSettings, form: Mapping[str, str], now: dt.datetime | None = None
) -> Message | None:
    """Update a message from the provider's delivery report. A report for an unknown id is
    logged and ignored (providers retry until they get 2xx)."""
    now = now or timezone.now()
    try:
        report = channel_of(row, SendChannel.SMS).parse_delivery_report(form)
    except MalformedCallback as error:
        log.warning("malformed delivery report for business %s: %s", row.business_id, error)
        raise BadCallback(_("The delivery report could not be read.")) from None
    return delivery_apply(business_id=row.business_id, report=report, now=now)


@transaction.atomic
def delivery_apply(
    *, business_id: int, report: DeliveryReport, now: dt.datetime | None = None
) -> Message | None:
    """A provider's word on a message it took (SMS delivery report, chat-app status): logged
    as a delivery; delivered is final; a final failure of a chat-app message sends its SMS
    fallback. An unknown id is logged and ignored (providers retry until they get 2xx)."""
    now = now or timezone.now()
    message: Message | None = (
        Message.objects.select_for_update(of=("self",))  # PostgreSQL: not the outer join
        .select_related("customer")
        .filter(business_id=business_id, provider_id=report.provider_id)
        .exclude(provider_id="")
        .first()
    )
    if message is None:
        log.warning("delivery report for unknown message %s", report.provider_id)
        return None
    Delivery.objects.create(
        business_id=business_id,
        message=message,
        attempt=message.attempts,
        outcome=f"report:{report.status}",
        detail=report.reason[:500],
        raw=dict(report.raw),
        at=now,
    )
    if message.status == MessageStatus.DELIVERED:
        return message  # final already; a late "sent" must not undo it
    if report.status == "delivered":
        message.status, message.delivered_at = MessageStatus.DELIVERED, now
    elif report.status == "failed" and report.final:
        if message.status == MessageStatus.FAILED:
            return message  # a second report of the same failure
        message.status, message.last_error = MessageStatus.FAILED, report.reason[:500]
        message.save(update_fields=["status", "delivered_at", "last_error"])
        fallback_queue(message, now=now)
        return message
    message.save(update_fields=["status", "delivered_at", "last_error"])
    return message


def provider_opt_out(*, row: MessagingSettings, phone: str, now: dt.datetime | None = None) -> bool:
    """The provider's opt-out callback (Africa's Talking bulk SMS): withdraw SMS consent."""
    now = now or timezone.now()
    if not phone:
        raise BadCallback(_("The phone number is missing."))
    customer = customer_by_phone(row.business, phone)
    if customer is None:
        return False
    with transaction.atomic():
        set_channel_consent(customer, "provider opt-out", now, granted=False)
    return True


def message_by_token(token: str) -> Message:
    message: Message | None = (
        Message.objects.select_related("business", "customer").filter(token=token).first()
    )
    if message is None:
        raise NotFound(_("This link is not valid."))
    return message


@transaction.atomic
def unsubscribe(*, token: str, now: dt.datetime | None = None) -> Message:
    """One-click unsubscribe (RFC 8058) and the link in every marketing message: withdraws
    marketing consent on that message's channel at once. Safe to repeat."""
    now = now or timezone.now()
    message = message_by_token(token)
    customer = message.customer
    if message.unsubscribed_at is None:
        message.unsubscribed_at = now
        message.save(update_fields=["unsubscribed_at"])
        if customer is not None:
            consent_record(
                customer=customer,
                channel=message.channel,
                granted=False,
                text="unsubscribe link",
                source=ConsentSource.UNSUBSCRIBE,
                at=now,
            )
    return message


def link_click(*, token: str, now: dt.datetime | None = None) -> str:
    """Record the first click of a tracked link; returns where it leads."""
    now = now or timezone.now()
    message = message_by_token(token)
    if not message.link_url:
        raise NotFound(_("This link is not valid."))
    Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    return message.link_url


def latest_offer(business: Business, now: dt.datetime) -> str:
    promotion = (
        Promotion.objects.filter(business=business, status="active")
        .exclude(ends_at__lt=now)
        .order_by("-id")
        .first()
    )
    return promotion.name if promotion else ""


def ussd_reply(
    *, row: MessagingSettings, form: Mapping[str, str], now: dt.datetime | None = None
) -> str:
    """Africa's Talking USSD: `text` is every choice so far joined by "*"; the reply starts
    with CON (the menu goes on) or END (the session ends)."""
    now = now or timezone.now()
    business = row.business
    session, phone = form.get("sessionId", ""), form.get("phoneNumber", "")
    if not session or not phone or "text" not in form:
        log.warning("malformed USSD request for business %s: %s", business.pk, dict(form))
        raise BadCallback(_("The USSD request could not be read."))
    customer = customer_by_phone(business, phone)
    choices = [c for c in form["text"].split("*") if c != ""]
    with translation.override(customer_language(customer, business)):
        if customer is None:
            return "END " + _(
                "%(shop)s: this number has no loyalty card with us. Ask at the counter to join."
            ) % {"shop": business.name}
        if not choices:
            return "CON " + "\n".join(
                [
                    business.name,
                    "1. " + _("My balance"),
                    "2. " + _("Expiring points"),
                    "3. " + _("Latest offer"),
                    "4. " + _("My card number"),
                    "5. " + _("Upcoming events"),
                ]
            )
        choice = choices[-1]
        if choice == "1":
            return "END " + balance_text(customer, business, now)
        if choice == "2":
            soon = [
                e for e in expiring_soon(customer, days=30, now=now) if e["kind"] == Kind.POINTS
            ]
            if not soon:
                return "END " + _("No points expire in the next 30 days.")
            first = soon[0]["expires_at"].date().isoformat()
            total = sum(e["amount"] for e in soon)
            return "END " + _("%(points)s points expire within 30 days, the first on %(date)s.") % {
                "points": total,
                "date": first,
            }
        if choice == "3":
            offer = latest_offer(business, now)
            return "END " + (offer or _("No offer right now. Thank you for being with us!"))
        if choice == "4":
            card = Card.objects.filter(customer=customer, status=CardStatus.ACTIVE).first()
            return "END " + (
                _("Card ending %(digits)s.") % {"digits": last_digits(card.number)}
                if card
                else _("No card yet.")
            )
        if choice == "5":
            return "END " + upcoming_text(business, now)
        return "END " + _("Unknown choice.")
