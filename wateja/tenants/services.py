"""Use cases that change tenancy data: businesses, locations, staff, API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zoneinfo
from datetime import timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from wateja.core.errors import Conflict, Unauthorized, ValidationFailed
from wateja.core.money import UnknownCurrency, currency_exponent
from wateja.tenants.models import ApiKey, AuditEvent, Business, JoinVerify, Location, Staff
from wateja.tenants.roles import Role

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
BUSINESS_FIELDS = (
    "name",
    "country",
    "currency",
    "timezone",
    "default_language",
    "support_phone",
    "support_email",
    "address",
    "hours",
    "countries_served",
    "join_verify_phone",
)


def _field_errors(errors: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed.fields(_("Some fields are not valid."), errors)


def _clean_business_fields(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"]).strip()
        if not cleaned["name"]:
            errors["name"] = _("Enter a name.")
    if "country" in cleaned:
        cleaned["country"] = str(cleaned["country"]).strip().upper()
        if cleaned["country"] not in phonenumbers.SUPPORTED_REGIONS:
            errors["country"] = _("Unknown country code.")
    if "currency" in cleaned:
        cleaned["currency"] = str(cleaned["currency"]).strip().upper()
        try:
            currency_exponent(cleaned["currency"])
        except UnknownCurrency:
            errors["currency"] = _("Unknown currency code.")
    if cleaned.get("support_email"):
        try:
            validate_email(cleaned["support_email"])
        except DjangoValidationError:
            errors["support_email"] = _("Enter a valid e-mail address.")
    if "timezone" in cleaned and cleaned["timezone"] not in zoneinfo.available_timezones():
        errors["timezone"] = _("Unknown time zone.")
    if "default_language" in cleaned and cleaned["default_language"] not in LANGUAGE_CODES:
        errors["default_language"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(sorted(LANGUAGE_CODES))
        }
    if "countries_served" in cleaned:
        _clean_countries(cleaned, errors)
    if "join_verify_phone" in cleaned and cleaned["join_verify_phone"] not in JoinVerify.values:
        errors["join_verify_phone"] = _("Unknown value.")
    if errors:
        raise _field_errors(errors)
    return cleaned


def _clean_countries(cleaned: dict[str, Any], errors: dict[str, Any]) -> None:
    """Country codes as typed ("ke tz, ug") to "KE,TZ,UG": each known, each once."""
    codes = str(cleaned["countries_served"] or "").upper().replace(",", " ").split()
    unknown = [c for c in codes if c not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        errors["countries_served"] = _("Unknown country code: %(codes)s.") % {
            "codes": ", ".join(unknown)
        }
    cleaned["countries_served"] = ",".join(dict.fromkeys(codes))


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "business"
    slug, n = base, 1
    while Business.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def business_create(
    *,
    name: str,
    country: str,
    currency: str,
    timezone_name: str = "UTC",
    default_language: str = "en",
    slug: str | None = None,
    owner: User | None = None,
    **contacts: str,
) -> Business:
    values = _clean_business_fields(
        {
            "name": name,
            "country": country,
            "currency": currency,
            "timezone": timezone_name,
            "default_language": default_language,
            **contacts,
        }
    )
    business = Business.objects.create(slug=slug or _unique_slug(values["name"]), **values)
    if owner is not None:
        Staff.objects.create(business=business, user=owner, role=Role.OWNER)
    return business


@transaction.atomic
def business_update(*, business: Business, **changes: Any) -> Business:
    unknown = set(changes) - set(BUSINESS_FIELDS)
    if unknown:
        raise _field_errors({k: _("This field cannot be changed.") for k in unknown})
    values = _clean_business_fields(changes)
    for key, value in values.items():
        setattr(business, key, value)
    business.save(update_fields=list(values) or None)
    return business


def location_create(*, business: Business, name: str, city: str = "", **extra: str) -> Location:
    name = name.strip()
    if not name:
        raise _field_errors({"name": _("Enter a name.")})
    try:
        with transaction.atomic():
            return Location.objects.create(business=business, name=name, city=city, **extra)
    except IntegrityError:
        raise Conflict(
            _("A location with this name already exists."), code="location_exists"
        ) from None


def staff_add(
    *,
    business: Business,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
) -> Staff:
    if role not in Role.values:
        raise _field_errors({"role": _("Unknown role.")})
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": email, "first_name": first_name}
        )
        if created:
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        staff, _created = Staff.objects.update_or_create(
            business=business, user=user, defaults={"role": role}
        )
    return staff


def _hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def apikey_create(
    *,
    business: Business,
    name: str,
    role: str = Role.MANAGER,
    created_by: User | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is never stored and must be shown once."""
    if role not in Role.values:
        raise _field_errors({"role": _("Unknown role.")})
    prefix = secrets.token_hex(4)
    token = f"wj_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        business=business,
        name=name.strip() or "API key",
        prefix=prefix,
        key_hash=_hash_key(token),
        role=role,
        created_by=created_by,
    )
    return key, token


def apikey_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


LAST_USED_RESOLUTION = timedelta(minutes=1)


def apikey_authenticate(*, token: str) -> ApiKey:
    """The active key for `token`; raises Unauthorized with a precise code otherwise."""
    parts = token.strip().split("_")
    if len(parts) < 3 or parts[0] != "wj":
        raise Unauthorized(_("The API key is not valid."), code="invalid_api_key")
    key: ApiKey | None = ApiKey.objects.select_related("business").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash_key(token.strip())):
        raise Unauthorized(_("The API key is not valid."), code="invalid_api_key")
    if key.revoked_at is not None:
        raise Unauthorized(_("This API key has been revoked."), code="api_key_revoked")
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        key.last_used_at = now
    return key


def audit_record(
    *,
    business: Business,
    action: str,
    object_type: str,
    object_id: object,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        business=business,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        api_key=api_key,
        object_type=object_type,
        object_id=str(object_id),
        details=details or {},
    )
