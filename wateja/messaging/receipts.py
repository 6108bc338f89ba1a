"""A sale's receipt sent to the customer by SMS or e-mail from the till: total, points earned,
balance and the support contacts, in the customer's language. The customer asked for it, so
it goes at once (no quiet hours) and needs no marketing consent; asking twice sends once."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from wateja.core.errors import DomainError
from wateja.core.formatting import format_count
from wateja.core.money import Money, format_money
from wateja.messaging.composing import customer_language, support_line
from wateja.messaging.models import Message, SendChannel
from wateja.messaging.outbox import address_of, direct_queue
from wateja.orders.models import Order
from wateja.wallet.models import Kind
from wateja.wallet.services import balances


class NoContact(DomainError):
    code = "no_contact"
    status = 409


def receipt_text(order: Order, language: str) -> tuple[str, str]:
    """(subject, body) of a receipt."""
    business = order.business
    evaluation = getattr(getattr(order, "checkout", None), "evaluation", None) or {}

    def count(value: int) -> str:
        return format_count(value, language, business.country)

    with translation.override(language):
        total = format_money(Money(order.total_minor, order.currency), language)
        lines = [
            _("%(shop)s: receipt %(number)s, total %(total)s.")
            % {"shop": business.name, "number": order.number, "total": total}
        ]
        earned = evaluation.get("points_to_earn") or 0
        if earned:
            lines.append(_("+%(points)s points.") % {"points": count(earned)})
        points = balances(order.customer).get(Kind.POINTS) if order.customer else None
        if points is not None:
            lines.append(_("Balance: %(points)s points.") % {"points": count(points["balance"])})
        lines.append(_("Thank you!"))
        support = support_line(business)
        if support:
            lines.append(_("Help: %(contacts)s") % {"contacts": support})
        subject = _("Your receipt from %(shop)s") % {"shop": business.name}
    return subject, " ".join(lines)


def receipt_send(*, order: Order, channel: str = SendChannel.SMS) -> Message:
    """Queue the receipt of `order` to its customer; a second request returns the first."""
    customer = order.customer
    address = address_of(customer, channel) if customer is not None else ""
    if not address:
        raise NoContact(
            _("This customer has no phone number for an SMS receipt.")
            if channel == SendChannel.SMS
            else _("This customer has no e-mail address for the receipt.")
        )
    assert customer is not None
    key = f"receipt:{order.pk}:{channel}"
    existing: Message | None = Message.objects.filter(
        business_id=order.business_id, dedupe_key=key
    ).first()
    if existing is not None:
        return existing
    subject, body = receipt_text(order, customer_language(customer, order.business))
    return direct_queue(
        business=order.business,
        to=address,
        body=body,
        channel=channel,
        subject=subject,
        customer=customer,
        dedupe_key=key,
    )
