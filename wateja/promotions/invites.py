"""A member's invitation to friends: their own link to the enrolment page (carrying their
referral code, so whoever joins through it is recorded as brought by them) and ready-made
ways to share it from a phone."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext as _

from wateja.customers.links import public_url
from wateja.customers.models import Customer
from wateja.promotions.services import referral_code_for


def invite_link(customer: Customer) -> str:
    code = referral_code_for(customer).code
    return public_url(f"/join/{customer.business.slug}/?ref={quote(code)}")


def invite_share(customer: Customer) -> dict[str, str]:
    """The link, the words to send with it (in the active language), and the addresses that
    open WhatsApp or the SMS app with those words written."""
    link = invite_link(customer)
    text = _("Join the %(shop)s loyalty club and get rewards on every purchase: %(link)s") % {
        "shop": customer.business.name,
        "link": link,
    }
    return {
        "link": link,
        "text": text,
        "whatsapp": f"https://wa.me/?text={quote(text)}",
        "sms": f"sms:?&body={quote(text)}",
    }
