"""The people who work for a business: the owner adds them with a role, the locations they
work at, a password for signing in and a 4–6 digit PIN for the till; deactivates them and
resets their passwords. Several cashiers share one till by switching with their PIN: a
wrong PIN counts against that till, which is locked for a while after a few failures.

Passwords follow Django's password validators. A PIN is kept as a keyed digest (HMAC with
the site's secret, per business), unique within the business, so the PIN alone says who is
at the till; its brute-force protection is the lock, not the digest."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wateja.core.errors import Conflict, DomainError, ValidationFailed
from wateja.tenants.models import Business, Location, Staff
from wateja.tenants.roles import Role
from wateja.tenants.services import audit_record

PIN_FAILURES_ALLOWED = 5
PIN_LOCK = timedelta(minutes=5)


class TillLocked(DomainError):
    code = "till_locked"
    status = 429


def _pin_digest(business: Business, pin: str) -> str:
    message = f"{business.pk}:{pin}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _check_pin(pin: str) -> dict[str, Any]:
    if not (pin.isdigit() and 4 <= len(pin) <= 6):
        return {"pin": _("A PIN is 4 to 6 digits.")}
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        return {"pin": _("Choose a PIN that is harder to guess.")}
    return {}


def _check_password(password: str, user: User | None) -> dict[str, Any]:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        return {"password": " ".join(error.messages)}
    return {}


def _owned_locations(business: Business, ids: Iterable[int]) -> list[Location]:
    wanted = sorted(set(ids))
    found = list(Location.objects.for_business(business).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"locations": _("Unknown location.")}
        )
    return found


@transaction.atomic
def staff_create(
    *,
    business: Business,
    username: str,
    name: str,
    role: str,
    password: str,
    pin: str = "",
    locations: Iterable[int] = (),
    email: str = "",
    actor: User | None = None,
) -> Staff:
    """A new staff member who can sign in with `password` (and switch tills with `pin`)."""
    username = username.strip()
    errors: dict[str, Any] = {}
    if not username:
        errors["username"] = _("Enter a user name.")
    elif get_user_model().objects.filter(username__iexact=username).exists():
        errors["username"] = _("This user name is taken.")
    if not name.strip():
        errors["name"] = _("Enter a name.")
    if role not in Role.values:
        errors["role"] = _("Unknown role.")
    elif role == Role.OWNER:
        errors["role"] = _("A business has one owner; choose manager, cashier or viewer.")
    probe = get_user_model()(username=username, first_name=name.strip(), email=email)
    errors.update(_check_password(password, probe))
    if pin:
        errors.update(_check_pin(pin))
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    places = _owned_locations(business, locations)
    user = get_user_model().objects.create_user(
        username=username, password=password, email=email, first_name=name.strip()
    )
    staff = Staff.objects.create(
        business=business, user=user, role=role, location=places[0] if places else None
    )
    staff.locations.set(places, through_defaults={"business": business})
    if pin:
        _set_pin(staff, pin)
    audit_record(business=business, action="staff.add", object_type="staff",
                 object_id=staff.pk, actor=actor,
                 details={"username": username, "role": role})  # fmt: skip
    return staff


@transaction.atomic
def staff_update(
    *,
    staff: Staff,
    role: str | None = None,
    name: str | None = None,
    locations: Iterable[int] | None = None,
    active: bool | None = None,
    actor: User | None = None,
) -> Staff:
    """Change a staff member's role, name or locations, or (de)activate them. The owner
    stays the owner: their role and access are not changed here."""
    business = staff.business
    if staff.role == Role.OWNER and (role not in (None, Role.OWNER) or active is False):
        raise Conflict(_("The owner's role and access cannot be changed."), code="owner_fixed")
    changes: dict[str, Any] = {}
    if role is not None:
        if role not in Role.values or role == Role.OWNER:
            raise ValidationFailed.fields(
                _("Some fields are not valid."), {"role": _("Unknown role.")}
            )
        staff.role = changes["role"] = role
    if name is not None:
        if not name.strip():
            raise ValidationFailed.fields(
                _("Some fields are not valid."), {"name": _("Enter a name.")}
            )
        staff.user.first_name = changes["name"] = name.strip()
        staff.user.save(update_fields=["first_name"])
    if locations is not None:
        places = _owned_locations(business, locations)
        staff.locations.set(places, through_defaults={"business": business})
        staff.location = places[0] if places else None
        changes["locations"] = [p.pk for p in places]
    if active is not None:
        staff.active = changes["active"] = active
    staff.save()
    audit_record(business=business, action="staff.update", object_type="staff",
                 object_id=staff.pk, actor=actor, details=changes)  # fmt: skip
    return staff


def staff_password_set(*, staff: Staff, password: str, actor: User | None = None) -> Staff:
    errors = _check_password(password, staff.user)
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    staff.user.set_password(password)
    staff.user.save(update_fields=["password"])
    audit_record(business=staff.business, action="staff.password", object_type="staff",
                 object_id=staff.pk, actor=actor)  # fmt: skip
    return staff


def staff_pin_set(*, staff: Staff, pin: str, actor: User | None = None) -> Staff:
    errors = _check_pin(pin)
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    with transaction.atomic():
        _set_pin(staff, pin)
        audit_record(business=staff.business, action="staff.pin", object_type="staff",
                     object_id=staff.pk, actor=actor)  # fmt: skip
    return staff


def _set_pin(staff: Staff, pin: str) -> None:
    staff.pin_digest = _pin_digest(staff.business, pin)
    try:
        with transaction.atomic():
            staff.save(update_fields=["pin_digest"])
    except IntegrityError:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"pin": _("Another staff member has this PIN; choose another.")},
        ) from None


def _failures_key(business: Business, till: str) -> str:
    return f"wateja:till-pin:{business.pk}:{hashlib.sha256(till.encode()).hexdigest()[:32]}"


def till_switch(*, business: Business, pin: str, till: str) -> Staff:
    """The active staff member whose PIN this is. `till` names the device (its session or
    address): after PIN_FAILURES_ALLOWED wrong PINs it is locked for PIN_LOCK."""
    key = _failures_key(business, till)
    failures = int(cache.get(key, 0))
    if failures >= PIN_FAILURES_ALLOWED:
        raise TillLocked(
            _("Too many wrong PINs: this till is locked for %(minutes)s minutes.")
            % {"minutes": int(PIN_LOCK.total_seconds() // 60)},
            details={"retry_after": int(PIN_LOCK.total_seconds())},
        )
    found = None
    if pin.isdigit() and 4 <= len(pin) <= 6:
        found = (
            Staff.objects.for_business(business)
            .filter(pin_digest=_pin_digest(business, pin), active=True, user__is_active=True)
            .select_related("user")
            .first()
        )
    if found is None:
        cache.set(key, failures + 1, timeout=int(PIN_LOCK.total_seconds()))
        left = PIN_FAILURES_ALLOWED - failures - 1
        raise DomainError(
            _("Wrong PIN; %(left)s tries left.") % {"left": left},
            code="wrong_pin",
            status=403,
            details={"tries_left": left},
        )
    cache.delete(key)
    return found  # type: ignore[no-any-return]
