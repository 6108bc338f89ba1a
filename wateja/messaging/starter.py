"""What a new business gets to start with: a welcome SMS with the card number (service), a
thank-you and a birthday SMS (marketing), written in every language the product speaks, and
the welcome automation switched on (the others, and the milestone-visit and one-year
messages, ready but off) — so the card number reaches a customer who just joined
without anyone setting up messaging first. Everything can be edited or switched off."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wateja.messaging.automations import automation_save
from wateja.messaging.composing import template_save
from wateja.messaging.models import Template
from wateja.tenants.models import Business

WELCOME = gettext_noop("Welcome to {shop}, {name}! Your card number: {card}")
THANKS = gettext_noop("Thank you {name}! You have {balance} points at {shop}.")
BIRTHDAY = gettext_noop("Happy birthday {name}! A treat waits for you at {shop}.")
MILESTONE = gettext_noop(
    "{name}, you have come to {shop} so many times! Thank you for being a regular. "
    "You have {balance} points."
)
ANNIVERSARY = gettext_noop(
    "{name}, it is a year since you joined {shop}. Thank you for staying with us!"
)


def _texts(message: str) -> dict[str, dict[str, str]]:
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = {"body": _(message)}
    return texts


@transaction.atomic
def starter_kit(*, business: Business) -> list[Template]:
    """Create the starter templates and automations once (a second call does nothing)."""
    if Template.objects.filter(business=business).exists():
        return []
    with translation.override(business.default_language):
        return _create(business)


def _create(business: Business) -> list[Template]:
    welcome = template_save(
        business=business,
        name=_("Welcome"),
        channel="sms",
        purpose="service",
        variants=[{"texts": _texts(WELCOME)}],
    )
    thanks = template_save(
        business=business,
        name=_("Thank you"),
        channel="sms",
        variants=[{"texts": _texts(THANKS)}],
    )
    birthday = template_save(
        business=business,
        name=_("Birthday"),
        channel="sms",
        variants=[{"texts": _texts(BIRTHDAY)}],
    )
    automation_save(business=business, kind="welcome", sms_template_id=welcome.pk)
    automation_save(business=business, kind="thank_you", sms_template_id=thanks.pk, is_active=False)
    automation_save(
        business=business, kind="birthday", sms_template_id=birthday.pk, is_active=False
    )
    milestone = template_save(
        business=business,
        name=_("A milestone visit"),
        channel="sms",
        variants=[{"texts": _texts(MILESTONE)}],
    )
    anniversary = template_save(
        business=business,
        name=_("A year with us"),
        channel="sms",
        variants=[{"texts": _texts(ANNIVERSARY)}],
    )
    automation_save(
        business=business, kind="visit_milestone", sms_template_id=milestone.pk, is_active=False
    )
    automation_save(
        business=business, kind="anniversary", sms_template_id=anniversary.pk, is_active=False
    )
    return [welcome, thanks, birthday, milestone, anniversary]
