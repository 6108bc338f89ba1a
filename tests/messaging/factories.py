"""Messaging test data: customers with consents, templates, and a clock at midday."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from wateja.customers.models import Customer
from wateja.customers.services import consent_record, customer_create
from wateja.messaging.composing import template_save
from wateja.messaging.models import Template
from wateja.tenants.models import Business

NOON = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)  # 12:00 in Nairobi
NIGHT = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)  # 23:00 in Nairobi
_phones = itertools.count(712_300_000)


def person(
    business: Business,
    name: str = "Amina Wanjiru",
    *,
    sms: bool | None = True,
    email: bool | None = None,
    with_email: bool = False,
    **fields: Any,
) -> Customer:
    """A customer with a phone (and an e-mail when asked) and marketing consents as given
    (None: never asked)."""
    n = next(_phones)
    fields.setdefault("phone", f"0{n}")
    if with_email or email is not None:
        fields.setdefault("email", f"c{n}@example.com")
    customer = customer_create(business=business, name=name, **fields)
    if sms is not None:
        consent_record(customer=customer, channel="sms", granted=sms, text="test")
    if email is not None:
        consent_record(customer=customer, channel="email", granted=email, text="test")
    return customer


def sms_template(business: Business, name: str = "Offer", **texts: str) -> Template:
    texts = texts or {
        "en": "Hi {name}, {offer} at {shop}. Code {code}",
        "sw": "Habari {name}, {offer} kwa {shop}. Nambari {code}",
    }
    return template_save(
        business=business,
        name=name,
        channel="sms",
        variants=[{"label": "A", "weight": 1, "texts": {k: {"body": v} for k, v in texts.items()}}],
    )


def email_template(
    business: Business, name: str = "Letter", purpose: str = "marketing"
) -> Template:
    return template_save(
        business=business,
        name=name,
        channel="email",
        purpose=purpose,
        variants=[
            {
                "label": "A",
                "texts": {
                    "en": {
                        "subject": "{name}, news from {shop}",
                        "body": "Dear {name},\n\n{offer}",
                    },
                    "hy": {
                        "subject": "{name}, նորություններ {shop}-ից",
                        "body": "Հարգելի {name},\n\n{offer}",
                    },
                },
            }
        ],
    )


def basic_auth(row: Any) -> str:
    """The Authorization header a provider sends with the callback address it was given."""
    import base64

    from wateja.messaging.hook_auth import BASIC_USER

    return "Basic " + base64.b64encode(f"{BASIC_USER}:{row.hook_secret}".encode()).decode()


def twilio_signature(row: Any, path: str, form: dict[str, str]) -> str:
    """Twilio's documented scheme: HMAC-SHA1 of the URL it called + the sorted form, base64."""
    import base64
    import hashlib
    import hmac

    from wateja.customers.links import public_url

    payload = public_url(path) + "".join(name + form[name] for name in sorted(form))
    digest = hmac.new(row.twilio_auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
