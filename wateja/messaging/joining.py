"""The public enrolment page's flow (`/join/<shop>/`): whether the phone is proved by a
one-time SMS code before anyone is enrolled (double opt-in), texting that code, and an answer
that never tells a visitor whether a number already belongs to a member.

- Verification applies when the business says "on", or says "auto" (the default) and sends
  through a real SMS provider (Africa's Talking outside its sandbox, or Twilio, with their
  keys). Then the form only starts a pending enrolment and texts a code; the right code
  enrols the person, or finds the member who has the phone, and the page may show the card.
- Without verification the page answers the same for a new and an existing number: the
  card's link goes by SMS (or e-mail) to the contact that was typed and belongs to the card,
  nothing about the card shows on screen, and an existing member's consents stay as they
  are (no silent re-consent).
The code and the card link are service messages: no marketing consent or quiet hours apply.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from wateja.core.contacts import InvalidEmail, normalize_email
from wateja.core.errors import DomainError, ValidationFailed
from wateja.customers.enrolment import (
    CODE_LIFETIME,
    CONSENT_CHANNELS,
    enrolment_phone,
    pending_enrolment_confirm,
    pending_enrolment_start,
)
from wateja.customers.links import card_page_token, public_url
from wateja.customers.models import Card, CardStatus, Customer, PendingEnrolment, Source
from wateja.customers.services import ConsentProof, consent_text, customer_enrol, find_duplicate
from wateja.messaging.automations import welcome_now
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import MessagingSettings, SendChannel, SmsProvider
from wateja.messaging.outbox import direct_queue
from wateja.promotions.services import (
    ReferralRefused,
    referral_attach,
    referral_refusal_record,
)
from wateja.tenants.models import Business, JoinVerify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JoinAnswer:
    """What the page shows next. `code`: ask for the code texted to `phone`. `done`: the
    person is enrolled; `card` is set only when the phone was proved (the card may show),
    otherwise `sent_by` says where the card's link went ("sms" or "email")."""

    step: str
    phone: str = ""
    pending: PendingEnrolment | None = None
    customer: Customer | None = None
    card: Card | None = None
    created: bool = False
    sent_by: str = ""


def sms_provider_is_real(row: MessagingSettings) -> bool:
    """Whether SMS reach real phones: a provider with its keys, not the record-only outbox
    nor Africa's Talking's sandbox."""
    if row.sms_provider == SmsProvider.AFRICASTALKING:
        return bool(row.at_username and row.at_api_key) and row.at_username != "sandbox"
    if row.sms_provider == SmsProvider.TWILIO:
        return bool(row.twilio_account_sid and row.twilio_auth_token and row.sms_sender)
    return False


def verification_applies(business: Business) -> bool:
    if business.join_verify_phone == JoinVerify.ON:
        return True
    if business.join_verify_phone == JoinVerify.OFF:
        return False
    return sms_provider_is_real(messaging_settings(business))


def join_submit(
    *,
    business: Business,
    fields: dict[str, Any],
    consents: dict[str, bool],
    language: str,
    ip_address: str | None = None,
    user_agent: str = "",
    referral: str = "",
    now: dt.datetime | None = None,
) -> JoinAnswer:
    """The enrolment form sent: start the code check, or (no check) enrol and text the card's
    link. The consents' wording is kept as the page showed it (the active language). A friend's
    `referral` code (from a shared link) is recorded for a new member."""
    texts = {channel: consent_text(channel, business) for channel in CONSENT_CHANNELS}
    typed = str(fields.get("phone") or "").strip()
    phone = enrolment_phone(business, typed, language=language) if typed else ""
    if verification_applies(business):
        if not phone:
            raise ValidationFailed.fields(
                _("Some fields are not valid."),
                {"phone": _("Enter your phone number: we send you a code by SMS.")},
            )
        with transaction.atomic():
            pending, code = pending_enrolment_start(
                business=business,
                phone=phone,
                fields={**fields, "language": language},
                consents=consents,
                texts=texts,
                language=language,
                ip_address=ip_address,
                user_agent=user_agent,
                now=now,
            )
            _code_queue(business, pending, code, language, now)
        return JoinAnswer(step="code", phone=phone, pending=pending)
    proof = ConsentProof(
        ip_address=ip_address,
        user_agent=user_agent,
        language=language,
        verification={"method": "none"},
    )
    with transaction.atomic():
        customer, created = customer_enrol(
            business=business,
            consents=consents,
            texts=texts,
            proof=proof,
            source=Source.WEB,
            **{**fields, "phone": phone, "language": language},
        )
        _card_link_queue(
            business, customer, phone=phone, email=_typed_email(fields), language=language, now=now
        )
        if created:
            _referral_take(customer, referral)
    if created:
        welcome_now(business=business, now=now)
    return JoinAnswer(step="done", created=created, sent_by="sms" if phone else "email")


def _referral_take(customer: Customer, code: str) -> None:
    """Record who brought the new member; an unknown code or a refused one (themselves, a
    second referrer) leaves the enrolment as it is: it is logged, never shown."""
    if not code:
        return
    try:
        with transaction.atomic():
            referral_attach(friend=customer, code=code)
    except ReferralRefused as error:
        referral_refusal_record(friend=customer, error=error, typed=code, source="join")
        log.info("referral %s refused for customer %s: %s", code, customer.pk, error.code)
    except DomainError as error:
        log.info("referral %s not recorded for customer %s: %s", code, customer.pk, error.code)


def _typed_email(fields: dict[str, Any]) -> str:
    try:
        return normalize_email(str(fields.get("email") or ""))
    except InvalidEmail:
        return ""


def join_confirm(
    *,
    business: Business,
    pending_id: int,
    code: str,
    referral: str = "",
    now: dt.datetime | None = None,
) -> JoinAnswer:
    """The code typed: the person is enrolled (or is the member with this phone) and may
    see their card. Raises CodeWrong or CodeExpired (wateja.customers.enrolment)."""
    confirmed = pending_enrolment_confirm(
        business=business, pending_id=pending_id, code=code, now=now
    )  # not inside a transaction of ours: a wrong code must stay counted
    if confirmed.created:
        _referral_take(confirmed.customer, referral)
        welcome_now(business=business, now=now)
    customer = confirmed.customer
    return JoinAnswer(
        step="done",
        phone=confirmed.pending.phone,
        customer=customer,
        card=customer.cards.filter(status=CardStatus.ACTIVE).first(),
        created=confirmed.created,
    )


def _code_queue(
    business: Business,
    pending: PendingEnrolment,
    code: str,
    language: str,
    now: dt.datetime | None,
) -> None:
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    with translation.override(language):
        body = _(
            "%(code)s is your code to join %(business)s. It works for %(minutes)s minutes. "
            "Do not share it."
        ) % {"code": code, "business": business.name, "minutes": minutes}
    direct_queue(business=business, to=pending.phone, body=body, language=language, now=now)


def _card_link_queue(
    business: Business,
    customer: Customer,
    *,
    phone: str,
    email: str,
    language: str,
    now: dt.datetime | None,
) -> None:
    """The card page's link to the contact that was typed, only if it is this customer's: a
    member found by the e-mail gets it by e-mail, never at a phone number someone typed."""
    card = customer.cards.filter(status=CardStatus.ACTIVE).first()
    if card is None or customer.is_blocked:
        return
    found = find_duplicate(business, phone=phone) if phone else None
    if found is not None and found[0].pk == customer.pk:
        channel, to = SendChannel.SMS, phone
    elif email and (found := find_duplicate(business, email=email)) and found[0].pk == customer.pk:
        channel, to = SendChannel.EMAIL, email
    else:
        return
    link = public_url(f"/my/{card_page_token(card)}/")
    with translation.override(language):
        body = _("%(business)s loyalty club: your card is ready. Open it here: %(link)s") % {
            "business": business.name,
            "link": link,
        }
        subject = _("Your loyalty card") if channel == SendChannel.EMAIL else ""
    direct_queue(
        business=business,
        to=to,
        body=body,
        channel=channel,
        subject=subject,
        customer=customer,
        language=language,
        now=now,
    )
