"""Value given by hand, not by a sale or a refund: points or cashback granted outside a
checkout, credits by adjustment, a top-up bonus other than the business's own, points
posted before their return window. Each is a manager's action with a reason, audited, and
the value a manager gives in a day is limited (owners have no limit; the product's own
work — a seed, an import — carries no person and is not limited here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from wateja.core.errors import Conflict, Forbidden, ValidationFailed
from wateja.core.localtime import local_start, local_today
from wateja.core.money import Money, format_money
from wateja.tenants.models import ApiKey, Business, Staff
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.services import audit_record
from wateja.wallet.models import MONEY_KINDS, Transfer, WalletSettings

# transfers that put value in a customer's account by hand (with a reason on their operation)
MANUAL_CODES = ("grant", "adjust", "topup_bonus")


class ManualNotAllowed(Forbidden):
    code = "forbidden"


class DailyLimitReached(Conflict):
    code = "daily_limit_reached"


def role_of(business: Business, actor: User | None, api_key: ApiKey | None) -> str | None:
    """The role the person or key acts with here; None for the product's own work."""
    if api_key is not None:
        return str(api_key.role)
    if actor is not None and actor.is_authenticated:
        staff = Staff.objects.filter(business=business, user=actor).first()
        return str(staff.role) if staff is not None else Role.VIEWER
    return None


def reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"reason": _("Say why: value given by hand needs a reason.")},
        )
    return reason


def manager_required(business: Business, actor: User | None, api_key: ApiKey | None) -> None:
    role = role_of(business, actor, api_key)
    if role is not None and not role_at_least(role, Role.MANAGER):
        raise ManualNotAllowed(_("Only a manager or the owner can give value by hand."))


def daily_limit_check(
    *,
    business: Business,
    limits: WalletSettings,
    actor: User | None,
    api_key: ApiKey | None,
    kind: str,
    amount: int,
    now: dt.datetime,
) -> None:
    """Refuse when a manager's value given by hand today, with `amount` more of `kind`,
    would pass the business's limit for managers (points and money counted apart)."""
    if role_of(business, actor, api_key) != Role.MANAGER:
        return
    money = kind in MONEY_KINDS
    limit = limits.manager_daily_money_minor if money else limits.manager_daily_points
    given = given_today(business=business, actor=actor, api_key=api_key, money=money, now=now)
    if given + amount <= limit:
        return
    left = max(0, limit - given)
    language = translation.get_language() or business.default_language

    def shown(value: int) -> str:
        return format_money(Money(value, business.currency), language) if money else str(value)

    raise DailyLimitReached(
        _("A manager may give %(limit)s by hand in a day; %(left)s is left today.")
        % {"limit": shown(limit), "left": shown(left)},
        details={"limit": limit, "given_today": given, "left": left, "kind": kind},
    )


def given_today(
    *,
    business: Business,
    actor: User | None,
    api_key: ApiKey | None,
    money: bool,
    now: dt.datetime,
) -> int:
    """Value this person or key gave by hand since the business's local midnight."""
    start = local_start(business.timezone, local_today(business.timezone, now))
    who = Q(operation__api_key=api_key) if api_key is not None else Q(operation__actor=actor)
    kinds: Any = MONEY_KINDS if money else ("points",)
    total = (
        Transfer.objects.filter(
            who,
            business=business,
            code__in=MANUAL_CODES,
            credit_account__customer__isnull=False,
            credit_account__kind__in=kinds,
            created_at__gte=start,
        )
        .exclude(operation__reason="")
        .aggregate(total=Sum("amount"))["total"]
    )
    return int(total or 0)


def manual_audit(
    *,
    business: Business,
    action: str,
    customer_id: int,
    actor: User | None,
    api_key: ApiKey | None,
    reason: str,
    operation_id: int,
    **details: Any,
) -> None:
    """The audit record of value given or taken by hand: who, for which customer, why."""
    audit_record(
        business=business,
        action=action,
        object_type="customer",
        object_id=customer_id,
        actor=actor,
        api_key=api_key,
        details={**details, "reason": reason, "operation": operation_id},
    )
