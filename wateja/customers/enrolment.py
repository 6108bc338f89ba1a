"""Enrolment on the public page, the customer-base side: which countries' numbers the page
takes, and enrolments waiting for the one-time SMS code that proves the phone is the
person's own (double opt-in). Nothing about the customer exists before the right code: the
waiting row holds what the page was given, and the right code turns it into a customer with
consents that carry their proof. Deciding whether to ask for a code and sending it is
messaging's (wateja.messaging.joining)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wateja.core.contacts import phone_region
from wateja.core.errors import DomainError, ValidationFailed
from wateja.customers.models import Channel, Customer, PendingEnrolment, PendingStatus
from wateja.customers.services import (
    ConsentProof,
    clean_customer_fields,
    customer_enrol,
    find_duplicate,
)
from wateja.tenants.models import Business

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=10)
WRONG_CODES_ALLOWED = 5
KEEP_PENDING = dt.timedelta(days=1)  # then the nightly prune removes the row, verified or not
CONSENT_CHANNELS = (Channel.SMS.value, Channel.EMAIL.value)


class CodeExpired(DomainError):
    """No enrolment waits for this code any more: too old, voided by wrong codes, or done."""

    code = "code_expired"
    status = 410


def code_expired() -> CodeExpired:
    return CodeExpired(_("This code has expired. Please start again."))


class CodeWrong(DomainError):
    code = "code_wrong"
    status = 422


@dataclass(frozen=True)
class Confirmed:
    """A proved enrolment: the customer (new, or the member who already had this phone)."""

    customer: Customer
    created: bool
    pending: PendingEnrolment


def served_countries(business: Business) -> list[str]:
    """The countries whose phone numbers the enrolment page takes (ISO 3166 codes)."""
    return [c for c in business.countries_served.split(",") if c] or [business.country]


def country_names(codes: list[str], language: str) -> str:
    """The countries' names in `language`, e.g. "Kenya, Tanzania"."""
    from babel import Locale, UnknownLocaleError

    try:
        names = Locale.parse(language.replace("-", "_")).territories
    except (UnknownLocaleError, ValueError):
        names = Locale.parse("en").territories
    return ", ".join(str(names.get(code, code)) for code in codes)


def enrolment_phone(business: Business, text: str, *, language: str = "en") -> str:
    """The number typed on the enrolment page in E.164, or ValidationFailed on `phone`: not a
    number, or a number of a country the business does not serve."""
    phone = str(clean_customer_fields(business, {"phone": text})["phone"])
    countries = served_countries(business)
    if phone and phone_region(phone) not in countries:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {
                "phone": ngettext(
                    "We can only take phone numbers from %(countries)s.",
                    "We can only take phone numbers from these countries: %(countries)s.",
                    len(countries),
                )
                % {"countries": country_names(countries, language)}
            },
        )
    return phone


def _digest(business_id: int, phone: str, code: str) -> str:
    """A keyed digest of the code: the database alone never gives the code away."""
    value = f"{business_id}:{phone}:{code}"
    return salted_hmac("wateja.join-code", value, algorithm="sha256").hexdigest()


@transaction.atomic
def pending_enrolment_start(
    *,
    business: Business,
    phone: str,
    fields: dict[str, Any],
    consents: dict[str, bool],
    texts: dict[str, str],
    language: str,
    ip_address: str | None = None,
    user_agent: str = "",
    now: dt.datetime | None = None,
) -> tuple[PendingEnrolment, str]:
    """Keep an enrolment until its phone is proved; returns the row and the code to text
    (only its digest is stored). The form is checked now, so its mistakes show at once."""
    now = now or timezone.now()
    values = clean_customer_fields(business, {**fields, "phone": phone})
    if not values.get("name"):
        raise ValidationFailed.fields(_("Some fields are not valid."), {"name": _("Enter a name.")})
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = PendingEnrolment.objects.create(
        business=business,
        phone=values["phone"],
        data={k: v for k, v in values.items() if v not in ("", None)},
        consents={
            channel: {"granted": bool(consents.get(channel)), "text": texts.get(channel, "")}
            for channel in CONSENT_CHANNELS
        },
        language=language,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        code_digest=_digest(business.pk, values["phone"], code),
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    return row, code


def pending_enrolment_confirm(
    *, business: Business, pending_id: int, code: str, now: dt.datetime | None = None
) -> Confirmed:
    """The right code enrols the person (or finds the member who has this phone) and records
    the consents they gave with their proof; a wrong one counts, and the fifth voids the
    enrolment. Raises CodeWrong (with the tries left) or CodeExpired."""
    now = now or timezone.now()
    code = "".join(ch for ch in str(code) if ch.isdigit())
    problem: DomainError | None = None
    with transaction.atomic():
        row = (
            PendingEnrolment.objects.select_for_update()
            .filter(business=business, pk=pending_id)
            .first()
        )
        if row is None or row.status != PendingStatus.PENDING or row.expires_at <= now:
            problem = code_expired()
        elif not constant_time_compare(row.code_digest, _digest(business.pk, row.phone, code)):
            row.attempts += 1  # under the row's lock
            left = WRONG_CODES_ALLOWED - row.attempts
            if left <= 0:
                row.status = PendingStatus.VOID
                problem = CodeExpired(_("Too many wrong codes. Please start again."))
            else:
                problem = CodeWrong(
                    ngettext(
                        "That code is not right. %(left)s try left.",
                        "That code is not right. %(left)s tries left.",
                        left,
                    )
                    % {"left": left},
                    details={"tries_left": left},
                )
            row.save(update_fields=["attempts", "status"])
        else:
            confirmed = _enrol_proved(business, row, now)
    if problem is not None:  # raised after the commit, so a wrong code stays counted
        raise problem
    return confirmed


def _enrol_proved(business: Business, row: PendingEnrolment, now: dt.datetime) -> Confirmed:
    fields = dict(row.data)
    fields["phone"] = row.phone
    email = fields.get("email")
    if (
        email
        and not find_duplicate(business, phone=row.phone)
        and find_duplicate(business, email=email)
    ):
        # another member's address: a new record that proved only its phone goes without it
        fields["email"] = ""
    proof = ConsentProof(
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        language=row.language,
        verification={
            "method": "sms_code",
            "pending_id": row.pk,
            "code_sent_at": row.created_at.isoformat(),
            "verified_at": now.isoformat(),
            "wrong_codes": row.attempts,
        },
    )
    customer, created = customer_enrol(
        business=business,
        consents={c: bool(v.get("granted")) for c, v in row.consents.items()},
        texts={c: str(v.get("text", "")) for c, v in row.consents.items()},
        proof=proof,
        consent_existing=True,
        **fields,
    )
    row.status = PendingStatus.VERIFIED
    row.verified_at = now
    row.customer = customer
    row.data = {}  # the profile lives on the customer now
    row.save(update_fields=["status", "verified_at", "customer", "data"])
    return Confirmed(customer=customer, created=created, pending=row)


def pending_enrolments_prune(now: dt.datetime | None = None) -> int:
    """Nightly: enrolments older than a day go, proved or not (a consent keeps its own proof)."""
    now = now or timezone.now()
    deleted, _kinds = PendingEnrolment.objects.filter(created_at__lt=now - KEEP_PENDING).delete()
    return deleted
