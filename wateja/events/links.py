"""The link in an invitation: signed per (event, customer), so the RSVP page knows who answers
without a login, and a link made for one event or customer opens nothing else."""

from __future__ import annotations

from django.core import signing

from wateja.customers.links import public_url
from wateja.customers.models import Customer
from wateja.events.models import Event, Registration

RSVP_SALT = "wateja.event-rsvp"


def rsvp_token(event: Event, customer: Customer) -> str:
    return signing.dumps(
        {"b": event.business_id, "e": event.pk, "c": customer.pk}, salt=RSVP_SALT, compress=True
    )


def rsvp_url(event: Event, customer: Customer) -> str:
    """The absolute address of this customer's answer page for this event."""
    return public_url(f"/e/{rsvp_token(event, customer)}/")


def rsvp_open(token: str) -> tuple[Event, Customer] | None:
    """The event and customer a link was made for; None for a forged or mangled link, a
    deleted event or an erased customer."""
    try:
        data = signing.loads(token, salt=RSVP_SALT)
        event = Event.objects.select_related("business", "location").get(
            pk=int(data["e"]), business_id=int(data["b"])
        )
        customer = Customer.objects.get(pk=int(data["c"]), business_id=event.business_id)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    except (Event.DoesNotExist, Customer.DoesNotExist):
        return None
    if not customer.is_active:
        return None
    return event, customer


def registration_of(event: Event, customer: Customer) -> Registration | None:
    return Registration.objects.filter(event=event, customer=customer).first()
