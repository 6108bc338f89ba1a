"""Two-step sign-in: after the password, a 6-digit code from an authenticator app (TOTP,
RFC 6238: 30-second steps, one step of clock drift either way) or one of ten one-time
recovery codes.

A device belongs to a user, not to a business: one phone app serves every business they work
for. Each business says whose sign-in needs the second step (`Business.two_factor_required`:
owners and managers by default, everyone, or nobody); a user who works for several meets the
strictest. The shared secret is kept encrypted (wateja.tenants.secrets, with the provider
secrets' keys) and is shown only while enrolment waits for its first code; recovery codes are
kept as keyed digests (like the till PIN) and shown once. A code is accepted once: its time
step is remembered and a code of that step or an earlier one is refused.

The sign-in screens keep who is half signed in; these functions decide and record."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any, Literal

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import Conflict, DomainError, ValidationFailed
from wateja.tenants.models import (
    Business,
    RecoveryCode,
    Staff,
    TwoFactorDevice,
    TwoFactorPolicy,
)
from wateja.tenants.roles import Role
from wateja.tenants.services import audit_record

ISSUER = "Wateja"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10
DRIFT_STEPS = 1

Step = Literal["code", "enrol"]


class WrongCode(DomainError):
    code = "wrong_code"
    status = 400


# --- who needs it ---------------------------------------------------------------------


def _needs(policy: str, role: str) -> bool:
    if policy == TwoFactorPolicy.EVERYONE:
        return True
    return policy == TwoFactorPolicy.OWNERS_MANAGERS and role in (Role.OWNER, Role.MANAGER)


def required_for(user: Any) -> bool:
    """True when a business the user actively works for requires the second step of their
    role (the strictest of their businesses applies)."""
    rows = Staff.objects.filter(user=user, active=True).values_list(
        "business__two_factor_required", "role"
    )
    return any(_needs(policy, role) for policy, role in rows)


def device_for(user: Any) -> TwoFactorDevice | None:
    """The user's confirmed device (None: no second step set up)."""
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def is_enrolled(user: Any) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def next_step(user: Any) -> Step | None:
    """What the sign-in asks after a correct password: a code (the user has a device), the
    enrolment of one (their role requires it), or nothing (sign in now)."""
    if is_enrolled(user):
        return "code"
    if required_for(user):
        return "enrol"
    return None


@transaction.atomic
def policy_set(*, business: Business, policy: str, actor: Any = None) -> Business:
    """Whose sign-in needs the second step in this business (the owner decides)."""
    if policy not in TwoFactorPolicy.values:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"two_factor_required": _("Unknown choice.")}
        )
    before = business.two_factor_required
    business.two_factor_required = policy
    business.save(update_fields=["two_factor_required"])
    if before != policy:
        audit_record(business=business, action="business.two_factor_policy",
                     object_type="business", object_id=business.pk, actor=actor,
                     details={"from": before, "to": policy})  # fmt: skip
    return business


# --- secrets and codes ---------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join(ch for ch in str(code).lower() if ch.isalnum())


def _recovery_digest(user: Any, code: str) -> str:
    message = f"recovery:{user.pk}:{_normalise(code)}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _n in range(RECOVERY_LENGTH))
    half = RECOVERY_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"


def secret_groups(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: Any, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (within the allowed drift) whose code is `code`, if any."""
    if not secret or not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _wrong() -> WrongCode:
    return WrongCode(_("That code is not right. Check the time on your phone and try again."))


def _used() -> WrongCode:
    return WrongCode(
        _("That code was used already. Wait for the next one in your app."), code="code_used"
    )


def _consume_step(device: TwoFactorDevice, step: int) -> bool:
    """Accept `step` once: only a step later than the last accepted one moves it on."""
    moved = TwoFactorDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    return moved == 1


def _recovery_codes_issue(user: Any) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _n in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=_recovery_digest(user, code)) for code in codes
    )
    return codes


def _audit_own(user: Any, action: str) -> None:
    """A user's own change to their sign-in, recorded in every business they work for."""
    for member in Staff.objects.filter(user=user, active=True).select_related("business"):
        audit_record(business=member.business, action=action, object_type="staff",
                     object_id=member.pk, actor=user)  # fmt: skip


# --- enrolment -----------------------------------------------------------------------


@transaction.atomic
def enrol_start(*, user: Any) -> str:
    """A new secret for the user's authenticator app (any enrolment under way is replaced);
    returns it to show while the user adds it to their app."""
    if is_enrolled(user):
        raise Conflict(_("Two-step sign-in is already on."), code="already_enrolled")
    secret = pyotp.random_base32()
    TwoFactorDevice.objects.update_or_create(
        user=user, defaults={"secret_encrypted": secret, "last_step": -1}
    )
    return secret


def enrol_secret(user: Any) -> str | None:
    """The secret of the enrolment under way (None when there is none): shown until the
    first code confirms it, never after."""
    device = TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        return None
    return str(device.secret_encrypted) or None  # empty: its key is missing here


@transaction.atomic
def enrol_confirm(*, user: Any, code: str, now: dt.datetime | None = None) -> list[str]:
    """Turn the second step on with the first code from the app; returns the ten recovery
    codes, to show once."""
    now = now or timezone.now()
    device = (
        TwoFactorDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=True)
        .first()
    )
    if device is None:
        if is_enrolled(user):
            raise Conflict(_("Two-step sign-in is already on."), code="already_enrolled")
        raise Conflict(_("Start again: the set-up has expired."), code="enrolment_missing")
    step = _matching_step(str(device.secret_encrypted), _normalise(code), now)
    if step is None:
        raise _wrong()
    device.confirmed_at = now
    device.last_step = step
    device.save(update_fields=["confirmed_at", "last_step"])
    codes = _recovery_codes_issue(user)
    _audit_own(user, "staff.two_factor_on")
    return codes


# --- signing in ----------------------------------------------------------------------


def verify(*, user: Any, code: str, now: dt.datetime | None = None) -> str:
    """Check the second step: a 6-digit code from the app (each accepted once) or an unused
    recovery code (then used up). Returns "totp" or "recovery"; raises WrongCode."""
    now = now or timezone.now()
    device = device_for(user)
    if device is None:
        raise _wrong()
    cleaned = _normalise(code)
    if len(cleaned) == 6 and cleaned.isdigit():
        step = _matching_step(str(device.secret_encrypted), cleaned, now)
        if step is None:
            raise _wrong()
        if not _consume_step(device, step):
            raise _used()
        return "totp"
    if len(cleaned) == RECOVERY_LENGTH:
        used = RecoveryCode.objects.filter(
            user=user, digest=_recovery_digest(user, cleaned), used_at__isnull=True
        ).update(used_at=now)
        if used == 1:
            return "recovery"
    raise _wrong()


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def recovery_codes_regenerate(*, user: Any, code: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working), after a code from the app."""
    verify(user=user, code=code)
    codes = _recovery_codes_issue(user)
    _audit_own(user, "staff.recovery_codes")
    return codes


@transaction.atomic
def disable(*, user: Any, code: str) -> None:
    """Turn the second step off, with a code from the app, where no business requires it."""
    if required_for(user):
        raise Conflict(
            _("Your business requires two-step sign-in for your role: it stays on."),
            code="two_factor_required",
        )
    verify(user=user, code=code)
    TwoFactorDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    _audit_own(user, "staff.two_factor_off")


@transaction.atomic
def reset(*, staff: Staff, actor: Any) -> None:
    """The owner clears a staff member's second step (a lost phone): their device and
    recovery codes are removed; if their role requires it they set it up at next sign-in."""
    if actor is not None and staff.user_id == getattr(actor, "pk", None):
        raise Conflict(
            _("Change your own two-step sign-in on your Security page."), code="own_account"
        )
    TwoFactorDevice.objects.filter(user_id=staff.user_id).delete()
    RecoveryCode.objects.filter(user_id=staff.user_id).delete()
    audit_record(business=staff.business, action="staff.two_factor_reset", object_type="staff",
                 object_id=staff.pk, actor=actor)  # fmt: skip
