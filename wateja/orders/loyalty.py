"""Loyalty state that depends on orders: tier upgrades and downgrades by spend, and referrals
that count once the friend's first order is past the return window."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wateja.customers.models import Customer
from wateja.orders.models import Order, OrderStatus
from wateja.orders.selectors import spend_minor
from wateja.promotions.models import CustomerTier, Referral, ReferralStatus, Tier, TierBasis
from wateja.promotions.services import tier_for_spend
from wateja.tenants.models import Business
from wateja.tenants.outbound import event_emit


def tier_recompute(*, customer: Customer, now: dt.datetime | None = None) -> Tier | None:
    """Upgrade at once; downgrade only when the current period (12 months from `since`)
    plus the tier's grace days has passed."""
    now = now or timezone.now()
    tiers = list(Tier.objects.for_business(customer.business_id))
    if not tiers:
        return None
    basis = tiers[0].basis
    since = now - dt.timedelta(days=365) if basis == TierBasis.ROLLING_12 else None
    earned = tier_for_spend(customer.business, spend_minor(customer, since=since))
    state = CustomerTier.objects.filter(customer=customer).select_related("tier").first()
    if state is None:
        state = CustomerTier.objects.create(
            business_id=customer.business_id, customer=customer, tier=earned, since=now
        )
        if earned is not None:
            _tier_changed(customer, None, earned, now)
        return earned
    current = state.tier
    rank = {t.pk: t.min_spend_minor for t in tiers}
    if earned is not None and (current is None or rank[earned.pk] > rank.get(current.pk, -1)):
        state.tier, state.since, state.keep_until = earned, now, None
        state.save()
    elif current is not None and (earned is None or rank[earned.pk] < rank[current.pk]):
        if state.keep_until is None:
            state.keep_until = state.since + dt.timedelta(days=365 + current.grace_days)
            state.save(update_fields=["keep_until"])
        if now >= state.keep_until:
            state.tier, state.since, state.keep_until = earned, now, None
            state.save()
    elif state.keep_until is not None:
        state.keep_until = None  # back at the level: the downgrade is off
        state.save(update_fields=["keep_until"])
    tier: Tier | None = state.tier
    if (tier.pk if tier else None) != (current.pk if current else None):
        _tier_changed(customer, current, tier, now)
    return tier


def _tier_changed(
    customer: Customer, before: Tier | None, after: Tier | None, now: dt.datetime
) -> None:
    event_emit(
        business_id=customer.business_id,
        event_type="tier.changed",
        data={
            "customer_id": customer.pk,
            "from": {"id": before.pk, "name": before.name} if before else None,
            "to": {"id": after.pk, "name": after.name} if after else None,
        },
        at=now,
    )


def referrals_qualify(*, business: Business, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    due = Referral.objects.for_business(business).filter(
        status=ReferralStatus.PENDING, qualifies_at__lte=now
    )
    counted = 0
    for referral in due:
        refunded = Order.objects.filter(
            pk=referral.first_order_id, status=OrderStatus.REFUNDED
        ).exists()
        referral.status = ReferralStatus.REJECTED if refunded else ReferralStatus.QUALIFIED
        referral.save(update_fields=["status"])
        counted += 0 if refunded else 1
    return counted
