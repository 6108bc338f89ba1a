"""Use cases that change the customer base: create, enrol, update, cards, consents,
interactions and tasks, tags, merge and erasure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.cards import new_card_number
from wateja.core.contacts import (
    InvalidEmail,
    InvalidPhone,
    name_key,
    normalize_email,
    normalize_phone,
)
from wateja.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from wateja.customers.duplicates import duplicates_refresh
from wateja.customers.events import TEXTS as EVENT_TEXTS
from wateja.customers.events import Event, summary_in
from wateja.customers.models import (
    PREFERRED_CHANNELS,
    Card,
    CardStatus,
    Channel,
    Consent,
    ConsentSource,
    Customer,
    CustomerContact,
    CustomerTag,
    Gender,
    Interaction,
    InteractionKind,
    Source,
    Tag,
    TaskStatus,
)
from wateja.tenants.models import ApiKey, Business, Location
from wateja.tenants.outbound import event_emit
from wateja.tenants.roles import Role, role_at_least

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
PROFILE_FIELDS = (
    "name",
    "phone",
    "email",
    "city",
    "language",
    "preferred_channel",
    "birth_day",
    "birth_month",
    "birth_year",
    "gender",
    "notes",
)
MAX_TAGS = 20


@dataclass(frozen=True)
class ConsentProof:
    """What the enrolment page keeps with a consent beside its wording and time: the
    address and browser it came from, the language it was read in, and how the phone was
    checked (`{"method": "sms_code", "verified_at": …, "pending_id": …}` or
    `{"method": "none"}`)."""

    ip_address: str | None = None
    user_agent: str = ""
    language: str = ""
    verification: dict[str, Any] = dataclass_field(default_factory=dict)


class DuplicateCustomer(Conflict):
    code = "duplicate_customer"

    def __init__(self, existing: Customer, field: str) -> None:
        card = existing.cards.filter(status=CardStatus.ACTIVE).first()
        super().__init__(
            _("A customer with this %(field)s already exists.")
            % {"field": _("phone") if field == "phone" else _("e-mail")},
            details={
                "customer_id": existing.pk,
                "field": field,
                "card_number": card.number if card else None,
            },
        )
        self.existing = existing


class CustomerInactive(DomainError):
    code = "customer_inactive"
    status = 409


def _validate_birthday(values: dict[str, Any], errors: dict[str, Any]) -> None:
    day, month, year = (values.get(k) for k in ("birth_day", "birth_month", "birth_year"))
    if day is None and month is None:
        if year is not None:
            errors["birth_year"] = _("Give the day and month too.")
        return
    if day is None or month is None:
        errors["birth_day" if day is None else "birth_month"] = _("Give both day and month.")
        return
    this_year = timezone.now().year
    if year is not None and not 1900 <= year <= this_year:
        errors["birth_year"] = _("Enter a year between 1900 and %(year)s.") % {"year": this_year}
        return
    try:
        # a leap year stands in when the year is unknown, so 29 February is allowed
        dt.date(year or 2000, month, day)
    except (ValueError, TypeError):
        errors["birth_day"] = _("This date does not exist.")


def clean_customer_fields(business: Business, values: dict[str, Any]) -> dict[str, Any]:
    """Normalised profile fields, or ValidationFailed naming each bad field."""
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key not in PROFILE_FIELDS:
            errors[key] = _("Unknown field.")
            continue
        cleaned[key] = value.strip() if isinstance(value, str) else value
    if "name" in cleaned:
        if not cleaned["name"]:
            errors["name"] = _("Enter a name.")
        elif len(cleaned["name"]) > 200:
            errors["name"] = _("The name is too long.")
    if cleaned.get("phone"):
        try:
            cleaned["phone"] = normalize_phone(cleaned["phone"], business.country)
        except InvalidPhone:
            errors["phone"] = _("Enter a valid phone number, e.g. %(example)s.") % {
                "example": _phone_example(business.country)
            }
    elif "phone" in cleaned:
        cleaned["phone"] = ""
    if cleaned.get("email"):
        try:
            cleaned["email"] = normalize_email(cleaned["email"])
        except InvalidEmail:
            errors["email"] = _("Enter a valid e-mail address.")
    elif "email" in cleaned:
        cleaned["email"] = ""
    if cleaned.get("language") and cleaned["language"] not in LANGUAGE_CODES:
        errors["language"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(sorted(LANGUAGE_CODES))
        }
    channels = [c for c, _label in PREFERRED_CHANNELS]
    if cleaned.get("preferred_channel") and cleaned["preferred_channel"] not in channels:
        errors["preferred_channel"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(channels)
        }
    if cleaned.get("gender") and cleaned["gender"] not in Gender.values:
        errors["gender"] = _("Unknown value.")
    for key in ("birth_day", "birth_month", "birth_year"):
        if cleaned.get(key) in ("", None):
            cleaned[key] = None
        elif key in cleaned:
            try:
                cleaned[key] = int(cleaned[key])
            except (TypeError, ValueError):
                errors[key] = _("Enter a number.")
    if not errors:
        _validate_birthday(cleaned, errors)
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    return cleaned


def _phone_example(country: str) -> str:
    import phonenumbers

    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+254712345678"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


def find_duplicate(
    business: Business, *, phone: str = "", email: str = "", exclude_id: int | None = None
) -> tuple[Customer, str] | None:
    """The existing customer with this normalised phone or e-mail, and which field matched."""
    for field, value in (("phone", phone), ("email", email)):
        if not value:
            continue
        match = Customer.objects.for_business(business).filter(**{field: value})
        if exclude_id is not None:
            match = match.exclude(pk=exclude_id)
        found = match.first()
        if found is None:  # a phone or e-mail kept from a merged record counts too
            extra = CustomerContact.objects.for_business(business).filter(
                kind=field, value=value, removed_at__isnull=True, customer__merged_into__isnull=True
            )
            if exclude_id is not None:
                extra = extra.exclude(customer_id=exclude_id)
            contact = extra.select_related("customer").first()
            found = contact.customer if contact is not None else None
        if found is not None:
            return found, field
    return None


def _require_contact(values: dict[str, Any]) -> None:
    if not values.get("phone") and not values.get("email"):
        raise ValidationFailed.fields(
            _("Give a phone number or an e-mail address."),
            {"phone": _("Give a phone number or an e-mail address.")},
        )


def card_issue(*, customer: Customer, replace: bool = False) -> Card:
    """A new active card with a unique Luhn-checked number."""
    with transaction.atomic():
        if replace:
            customer.cards.filter(status=CardStatus.ACTIVE).update(status=CardStatus.REPLACED)
        for _attempt in range(20):
            try:
                with transaction.atomic():
                    card = Card.objects.create(
                        business_id=customer.business_id,
                        customer=customer,
                        number=new_card_number(),
                    )
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover - 10^10 numbers per business
            raise Conflict(_("Could not find a free card number."), code="card_numbers_exhausted")
        interaction_add(
            customer=customer,
            kind=InteractionKind.CARD,
            event=Event.CARD_ISSUED,
            data={"number": card.number},
        )
    return card


@transaction.atomic
def customer_create(
    *,
    business: Business,
    source: str = Source.WALK_IN,
    created_by: User | None = None,
    location: Location | None = None,
    tags: Iterable[str] = (),
    issue_card: bool = True,
    **fields: Any,
) -> Customer:
    values = clean_customer_fields(business, fields)
    if "name" not in values:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"name": _("Enter a name.")})
    _require_contact(values)
    duplicate = find_duplicate(
        business, phone=values.get("phone", ""), email=values.get("email", "")
    )
    if duplicate:
        raise DuplicateCustomer(*duplicate)
    if location is not None and location.business_id != business.pk:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"location": _("Unknown.")})
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                business=business,
                source=source if source in Source.values else Source.WALK_IN,
                created_by=created_by if created_by and created_by.is_authenticated else None,
                location=location,
                name_key=name_key(values["name"]),
                **values,
            )
    except IntegrityError:
        # a concurrent enrolment with the same phone or e-mail won the race
        duplicate = find_duplicate(
            business, phone=values.get("phone", ""), email=values.get("email", "")
        )
        if duplicate:
            raise DuplicateCustomer(*duplicate) from None
        raise
    if tags:
        tags_set(customer=customer, tags=tags)
    card = card_issue(customer=customer) if issue_card else None
    duplicates_refresh(customer)
    event_emit(
        business_id=business.pk,
        event_type="customer.created",
        data={
            "customer": {
                "id": customer.pk,
                "name": customer.name,
                "phone": customer.phone,
                "email": customer.email,
                "language": customer.language,
                "source": customer.source,
                "card_number": card.number if card else None,
            }
        },
    )
    return customer


def consent_text(channel: str, business: Business) -> str:
    """The plain-words purpose shown next to each consent checkbox (in the active language)."""
    if channel == Channel.SMS:
        return _(
            "Send me offers, rewards and news from %(business)s by SMS. "
            "I can stop at any time by replying STOP, free of charge."
        ) % {"business": business.name}
    if channel == Channel.EMAIL:
        return _(
            "Send me offers, rewards and news from %(business)s by e-mail. "
            "Every e-mail has a link to stop them."
        ) % {"business": business.name}
    if channel == Channel.PUBLIC:
        return _(
            "Show my name on %(business)s's public pages, such as the leaderboard of a "
            "challenge or the customer of the month."
        ) % {"business": business.name}
    return _("Share my name and contacts with %(business)s's partner for their offers.") % {
        "business": business.name
    }


@transaction.atomic
def customer_enrol(
    *,
    business: Business,
    consents: dict[str, bool],
    consent_source: str = ConsentSource.WEB,
    created_by: User | None = None,
    location: Location | None = None,
    source: str = Source.WEB,
    proof: ConsentProof | None = None,
    texts: dict[str, str] | None = None,
    consent_existing: bool = False,
    **fields: Any,
) -> tuple[Customer, bool]:
    """Enrol a customer from the short questionnaire. If the phone or e-mail is already in
    the base, returns (existing customer, False) and creates nothing; with `consent_existing`
    (the person proved the phone is theirs) the consents they gave are recorded on it.
    `texts` are the consent wordings as the person read them (default: as shown now)."""
    try:
        customer = customer_create(
            business=business, source=source, created_by=created_by, location=location, **fields
        )
        created = True
    except DuplicateCustomer as duplicate:
        customer, created = duplicate.existing, False
        if not consent_existing:
            return customer, False
    for channel in (Channel.SMS, Channel.EMAIL):
        if consents.get(channel):
            consent_record(
                customer=customer,
                channel=channel,
                granted=True,
                text=(texts or {}).get(channel) or consent_text(channel, business),
                source=consent_source,
                actor=created_by,
                proof=proof,
            )
    return customer, created


@transaction.atomic
def customer_update(*, customer: Customer, actor: User | None = None, **changes: Any) -> Customer:
    if not customer.is_active:
        raise CustomerInactive(_("This customer was erased or merged and cannot be changed."))
    business = customer.business
    values = clean_customer_fields(business, changes)
    merged = {f: getattr(customer, f) for f in ("phone", "email")} | {
        k: v for k, v in values.items() if k in ("phone", "email")
    }
    _require_contact(merged)
    duplicate = find_duplicate(
        business,
        phone=values.get("phone", ""),
        email=values.get("email", ""),
        exclude_id=customer.pk,
    )
    if duplicate:
        raise DuplicateCustomer(*duplicate)
    changed = [k for k, v in values.items() if getattr(customer, k) != v]
    for key in changed:
        setattr(customer, key, values[key])
    if "name" in changed:
        customer.name_key = name_key(customer.name)
        changed.append("name_key")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
        if set(changed) & {"name", "city", "phone", "email"}:
            duplicates_refresh(customer)
        interaction_add(
            customer=customer,
            kind=InteractionKind.PROFILE,
            event=Event.PROFILE_UPDATED,
            data={"fields": [f for f in changed if f != "name_key"]},
            created_by=actor,
        )
    return customer


def consent_record(
    *,
    customer: Customer,
    channel: str,
    granted: bool,
    text: str = "",
    source: str = ConsentSource.STAFF,
    purpose: str = "marketing",
    actor: User | None = None,
    at: dt.datetime | None = None,
    proof: ConsentProof | None = None,
    api_key: ApiKey | None = None,
    role: str | None = None,
) -> Consent:
    """Record a consent. `api_key` names the key that posted it through the API; `role` is
    the role of whoever records it (staff or key; None: the program itself): consent to
    share with a partner needs a manager."""
    if channel not in Channel.values:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"channel": _("Unknown.")})
    if source not in ConsentSource.values:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"source": _("Unknown.")})
    if channel == Channel.PARTNER and role is not None and not role_at_least(role, Role.MANAGER):
        raise Forbidden(
            _("Only a manager can record consent to share with a partner."),
            code="partner_consent_needs_manager",
            details={"required": Role.MANAGER.value, "current": role},
        )
    with transaction.atomic():
        consent = Consent.objects.create(
            business_id=customer.business_id,
            customer=customer,
            channel=channel,
            purpose=purpose,
            granted=granted,
            text=text,
            source=source,
            recorded_at=at or timezone.now(),
            recorded_by=actor if actor and actor.is_authenticated else None,
            ip_address=proof.ip_address if proof else None,
            user_agent=proof.user_agent[:300] if proof else "",
            language=proof.language if proof else "",
            verification=dict(proof.verification) if proof else {},
            api_key=api_key,
        )
        interaction_add(
            customer=customer,
            kind=InteractionKind.CONSENT,
            event=Event.CONSENT_GRANTED if granted else Event.CONSENT_WITHDRAWN,
            data={"channel": channel},
            body=text,
            created_by=actor,
            occurred_at=consent.recorded_at,
        )
        event_emit(
            business_id=customer.business_id,
            event_type="consent.changed",
            data={
                "customer_id": customer.pk,
                "channel": channel,
                "purpose": purpose,
                "granted": granted,
                "source": source,
            },
            at=consent.recorded_at,
        )
    return consent


def interaction_add(
    *,
    customer: Customer,
    kind: str,
    summary: str = "",
    body: str = "",
    occurred_at: dt.datetime | None = None,
    owner: User | None = None,
    due_at: dt.datetime | None = None,
    created_by: User | None = None,
    reference: str = "",
    event: str = "",
    data: dict[str, Any] | None = None,
) -> Interaction:
    """One entry on the customer's timeline. What the program records passes `event` (a code
    of wateja.customers.events) and its facts in `data`; the timeline writes the sentence in
    the reader's language, and `summary` keeps it in the business's language for search and
    the API. A note staff type passes only their `summary`."""
    if kind not in InteractionKind.values:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"kind": _("Unknown.")})
    if event and event not in EVENT_TEXTS:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"event": _("Unknown.")})
    data = dict(data or {})
    if event and not summary:
        summary = summary_in(customer.business.default_language, event, data)
    summary = summary.strip()
    if not summary:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"summary": _("Enter a summary.")}
        )
    is_task = kind in (InteractionKind.COMPLAINT, InteractionKind.SERVICE_REQUEST)
    return Interaction.objects.create(
        business_id=customer.business_id,
        customer=customer,
        kind=kind,
        summary=summary[:300],
        body=body,
        occurred_at=occurred_at or timezone.now(),
        status=TaskStatus.OPEN if is_task else "",
        owner=owner if is_task else None,
        due_at=due_at if is_task else None,
        created_by=created_by if created_by and created_by.is_authenticated else None,
        reference=reference,
        event=event,
        data=data,
    )


def task_update(
    *,
    task: Interaction,
    status: str | None = None,
    owner: User | None = None,
    clear_owner: bool = False,
    due_at: dt.datetime | None = None,
    clear_due: bool = False,
) -> Interaction:
    if not task.is_task:
        raise DomainError(
            _("Only complaints and service requests have a status."), code="not_a_task"
        )
    fields = []
    if status is not None:
        if status not in TaskStatus.values:
            raise ValidationFailed.fields(
                _("Some fields are not valid."), {"status": _("Unknown.")}
            )
        task.status = status
        task.resolved_at = timezone.now() if status == TaskStatus.RESOLVED else None
        fields += ["status", "resolved_at"]
    if owner is not None or clear_owner:
        task.owner = owner
        fields.append("owner")
    if due_at is not None or clear_due:
        task.due_at = due_at
        fields.append("due_at")
    if fields:
        task.save(update_fields=fields)
    return task


def interest_keys(interests: Iterable[object]) -> list[str]:
    """How segments compare interests: trimmed, casefolded, once each, in order."""
    keys = (str(i).strip().casefold() for i in interests)
    return list(dict.fromkeys(k for k in keys if k))


def interests_set(*, customer: Customer, interests: list[str]) -> None:
    """Write the customer's interests and, with them, the keys segments match
    (Customer.interest_keys): the one place interests are written."""
    customer.interests = interests
    customer.interest_keys = interest_keys(interests)
    customer.save(update_fields=["interests", "interest_keys"])


def tags_set(*, customer: Customer, tags: Iterable[str]) -> list[str]:
    """Replace the customer's tags; tags are trimmed, lower-cased and created on first use."""
    names = sorted({t.strip().lower()[:50] for t in tags if t and t.strip()})
    if len(names) > MAX_TAGS:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"tags": _("At most %(count)s tags.") % {"count": MAX_TAGS}},
        )
    with transaction.atomic():
        CustomerTag.objects.filter(customer=customer).exclude(tag__name__in=names).delete()
        for name in names:
            tag, _created = Tag.objects.get_or_create(business_id=customer.business_id, name=name)
            CustomerTag.objects.get_or_create(
                business_id=customer.business_id, customer=customer, tag=tag
            )
    return names


def customer_tags(customer: Customer) -> list[str]:
    return sorted(customer.tag_links.values_list("tag__name", flat=True))
