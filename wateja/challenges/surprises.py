"""Surprise gifts for regulars: a rule per business gives points or a named item with every
Nth order of a customer who has made at least M purchases, within a monthly budget.

Deterministic, not random, so it is fair and testable: the order's number in the customer's
own history (orders not voided, counted up to this one) decides — a gift when that number is
at least `min_purchases` and a multiple of `every_nth`. At most one surprise per order (the
first active rule that applies, by id). The budget of the business's current local month
(points and/or count of gifts) is checked under a lock on the rule row, so two tills cannot
overspend it. Points go through `points_award` (key `surprise:<rule>:<order>`), once.

Called after a sale by the layer above orders (the till, the checkout API):
`surprise_after_sale(order=…)`; the answer and the receipt explain the gift.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.challenges.models import SurpriseGift, SurpriseRule
from wateja.core.errors import ValidationFailed
from wateja.core.formatting import format_count
from wateja.core.localtime import local_start, local_today
from wateja.customers.models import Customer
from wateja.orders.models import Order, OrderStatus
from wateja.tenants.models import Business
from wateja.tenants.services import audit_record
from wateja.wallet.services import points_award

MAX_GIFT_POINTS = 100_000


@transaction.atomic
def surprise_rule_save(
    *,
    business: Business,
    name: str,
    every_nth: int,
    min_purchases: int,
    points: int = 0,
    item: str = "",
    monthly_points: int | None = None,
    monthly_count: int | None = None,
    active: bool = True,
    rule: SurpriseRule | None = None,
    actor: User | None = None,
    api_key: Any = None,
) -> SurpriseRule:
    """Create or change a surprise rule (audited: its gifts are value the program gives)."""
    errors: dict[str, object] = {}
    if not name.strip():
        errors["name"] = _("Enter a name.")
    if not 1 <= every_nth <= 1000:
        errors["every_nth"] = _("Enter a number from 1 to 1000.")
    if not 0 <= min_purchases <= 10_000:
        errors["min_purchases"] = _("Enter a number from 0 to 10000.")
    if not 0 <= points <= MAX_GIFT_POINTS:
        errors["points"] = _("Points must be whole numbers from 0 to %(max)s.") % {
            "max": MAX_GIFT_POINTS
        }
    if points == 0 and not item.strip():
        errors["points"] = _("Give points or name a gift item.")
    if points and item.strip():
        errors["item"] = _("Give points or an item, not both.")
    for field, value in (("monthly_points", monthly_points), ("monthly_count", monthly_count)):
        if value is not None and value < 0:
            errors[field] = _("The amount cannot be negative.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    values: dict[str, Any] = {
        "name": name.strip()[:120],
        "every_nth": every_nth,
        "min_purchases": min_purchases,
        "points": points,
        "item": item.strip()[:120],
        "monthly_points": monthly_points,
        "monthly_count": monthly_count,
        "active": active,
    }
    if rule is None:
        rule = SurpriseRule.objects.create(business=business, **values)
    else:
        for key, value in values.items():
            setattr(rule, key, value)
        rule.save()
    audit_record(
        business=business,
        action="surprise_rule.save",
        object_type="surprise_rule",
        object_id=rule.pk,
        actor=actor,
        api_key=api_key,
        details={k: v for k, v in values.items() if k != "name"},
    )
    return rule


def _order_number_for_customer(order: Order) -> int:
    assert order.customer_id is not None
    return int(
        Order.objects.filter(
            business_id=order.business_id,
            customer_id=order.customer_id,
            placed_at__lte=order.placed_at,
        )
        .exclude(status=OrderStatus.VOIDED)
        .count()
    )


def _month_start(business: Business, now: dt.datetime) -> dt.datetime:
    today = local_today(business.timezone, now)
    return local_start(business.timezone, today.replace(day=1))


def month_used(rule: SurpriseRule, now: dt.datetime | None = None) -> dict[str, int]:
    """What the rule gave this (local) month: {"count": gifts, "points": points}."""
    now = now or timezone.now()
    used = SurpriseGift.objects.filter(
        rule=rule, given_at__gte=_month_start(rule.business, now)
    ).aggregate(count=Count("id"), points=Coalesce(Sum("points"), 0))
    return {"count": int(used["count"]), "points": int(used["points"])}


def _within_budget(rule: SurpriseRule, now: dt.datetime) -> bool:
    used = month_used(rule, now)
    if rule.monthly_count is not None and used["count"] + 1 > rule.monthly_count:
        return False
    return not (
        rule.monthly_points is not None and used["points"] + rule.points > rule.monthly_points
    )


def surprise_after_sale(
    *, order: Order, actor: User | None = None, now: dt.datetime | None = None
) -> SurpriseGift | None:
    """The surprise this sale brings its customer, if a rule applies and its budget allows;
    calling it again for the same order returns the same gift (or None) and gives nothing
    twice."""
    if order.customer_id is None or order.status == OrderStatus.VOIDED:
        return None
    done: SurpriseGift | None = SurpriseGift.objects.filter(order=order).first()
    if done is not None:
        return done
    rules = SurpriseRule.objects.filter(business_id=order.business_id, active=True).order_by("pk")
    if not rules.exists():
        return None
    number = _order_number_for_customer(order)
    now = now or timezone.now()
    for rule in rules:
        if number < max(rule.min_purchases, 1) or number % rule.every_nth:
            continue
        gift = _give(rule, order, actor, now)
        if gift is not None:
            return gift
    return None


def _give(
    rule: SurpriseRule, order: Order, actor: User | None, now: dt.datetime
) -> SurpriseGift | None:
    try:
        with transaction.atomic():
            locked = SurpriseRule.objects.select_for_update().select_related("business")
            rule = locked.get(pk=rule.pk)
            if not rule.active or not _within_budget(rule, now):
                return None
            gift = SurpriseGift.objects.create(
                business_id=rule.business_id,
                rule=rule,
                order=order,
                customer_id=order.customer_id,
                points=rule.points,
                item=rule.item,
                given_at=now,
            )
            if rule.points and order.customer_id is not None:
                points_award(
                    customer=Customer.objects.get(pk=order.customer_id),
                    amount=rule.points,
                    idempotency_key=f"surprise:{rule.pk}:{order.pk}",
                    reason=_("Surprise for a regular: %(rule)s") % {"rule": rule.name},
                    reference=f"surprise:{rule.pk}",
                    actor=actor,
                    location_id=order.location_id,
                    now=now,
                )
            return gift
    except IntegrityError:  # the same order at the same time on another worker
        return SurpriseGift.objects.filter(rule=rule, order=order).first()


def surprise_for_order(order: Order) -> SurpriseGift | None:
    return SurpriseGift.objects.filter(order=order).first()


def surprise_text(gift: SurpriseGift) -> str:
    """The sentence on the till's answer and the receipt."""
    if gift.points:
        language = translation.get_language() or "en"
        points = format_count(gift.points, language, gift.business.country)
        return _("Surprise! %(points)s points because you are a regular. Thank you!") % {
            "points": points
        }
    return _("Surprise! %(item)s as a gift because you are a regular. Thank you!") % {
        "item": gift.item
    }


def surprises_export(customer: Customer) -> tuple[str, Any]:
    return (
        "surprises",
        [
            {"at": g.given_at.isoformat(), "points": g.points, "item": g.item}
            for g in SurpriseGift.objects.filter(customer=customer).order_by("id")
        ],
    )
