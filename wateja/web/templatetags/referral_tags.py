"""The referral facts on a staff customer page: the customer's own invitation code (made on
first use, as the pocket card does), who brought them, and the friends they brought.

    {% load referral_tags %}{% referral_facts customer as ref %}
    {{ ref.code }} {{ ref.brought_by }} {% for r in ref.friends %}{{ r.friend.name }}{% endfor %}
"""

from __future__ import annotations

from typing import Any

from django import template

from wateja.customers.models import Customer
from wateja.promotions.models import Referral
from wateja.promotions.services import referral_code_for

register = template.Library()


@register.simple_tag
def referral_facts(customer: Customer) -> dict[str, Any]:
    brought_by = (
        Referral.objects.filter(business_id=customer.business_id, friend=customer)
        .select_related("referrer")
        .first()
    )
    friends = (
        Referral.objects.filter(business_id=customer.business_id, referrer=customer)
        .select_related("friend")
        .order_by("-pk")
    )
    return {
        "code": referral_code_for(customer).code if customer.is_active else "",
        "brought_by": brought_by.referrer if brought_by is not None else None,
        "friends": list(friends[:50]),
    }
