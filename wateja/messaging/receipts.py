"""A sale's receipt sent to the customer by SMS or e-mail from the till: total, points earned,
balance and the support contacts, in the customer's language. The customer asked for it, so
it goes at once (no quiet hours) and needs no marketing consent; asking twice sends once."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.core import sms
from wateja.core.errors import DomainError
from wateja.core.money import Money, format_money
from wateja.messaging.composing import support_line
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import Message, MessageStatus, Purpose, SendChannel
from wateja.messaging.outbox import kick_after_commit
from wateja.orders.models import Order
from wateja.wallet.models import Account, Kind


class NoContact(DomainError):
    code = "no_contact"
    status = 409


def receipt_text(order: Order, language: str) -> tuple[str, str]:
    """(subject, body) of a receipt."""
    business = order.business
    evaluation = getattr(getattr(order, "checkout", None), "evaluation", None) or {}
    with translation.override(language):
        total = format_money(Money(order.total_minor, order.currency), language)
        lines = [
            _("%(shop)s: receipt %(number)s, total %(total)s.")
            % {"shop": business.name, "number": order.number, "total": total}
        ]
        earned = evaluation.get("points_to_earn") or 0
        if earned:
            lines.append(_("+%(points)s points.") % {"points": earned})
        if order.customer_id:
            balance = (
                Account.objects.filter(customer_id=order.customer_id, kind=Kind.POINTS)
                .values_list("balance", flat=True)
                .first()
            )
            if balance is not None:
                lines.append(_("Balance: %(points)s points.") % {"points": balance})
        lines.append(_("Thank you!"))
        support = support_line(business)
        if support:
            lines.append(_("Help: %(contacts)s") % {"contacts": support})
        subject = _("Your receipt from %(shop)s") % {"shop": business.name}
    return subject, " ".join(lines)


def receipt_send(*, order: Order, channel: str = SendChannel.SMS) -> Message:
    """Queue the receipt of `order` to its customer; a second request returns the first."""
    customer = order.customer
    address = ""
    if customer is not None:
        address = customer.phone if channel == SendChannel.SMS else customer.email
    if not address:
        raise NoContact(
            _("This customer has no phone number for an SMS receipt.")
            if channel == SendChannel.SMS
            else _("This customer has no e-mail address for the receipt.")
        )
    assert customer is not None
    key = f"receipt:{order.pk}:{channel}"
    existing = Message.objects.filter(business_id=order.business_id, dedupe_key=key).first()
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    language = customer.language or order.business.default_language
    subject, body = receipt_text(order, language)
    segments = cost = 0
    if channel == SendChannel.SMS:
        body = sms.prepare_sms(body)
        segments = sms.sms_info(body, normalize=False).segments
        cost = segments * messaging_settings(order.business_id).sms_price_minor
    message = Message.objects.create(
        business_id=order.business_id,
        customer=customer,
        channel=channel,
        purpose=Purpose.SERVICE,
        to_address=address,
        language=language,
        subject=subject if channel == SendChannel.EMAIL else "",
        body=body,
        segments=segments,
        cost_minor=cost,
        status=MessageStatus.QUEUED,
        dedupe_key=key,
        created_at=timezone.now(),
    )
    kick_after_commit()
    return message
