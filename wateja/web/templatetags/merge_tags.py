"""The customer page's merge parts: the phones and e-mails kept from merged records, and the
notice of a recent merge with its undo button (the customer view stays as it is)."""

from __future__ import annotations

from typing import Any

from django import template

from wateja.customers.merging import customer_extra_contacts, merge_open_for, merge_undo_until
from wateja.customers.models import Customer

register = template.Library()


@register.inclusion_tag("web/customers/_extra_contacts.html")
def extra_contacts(customer: Customer) -> dict[str, Any]:
    return customer_extra_contacts(customer)


@register.inclusion_tag("web/customers/_merge_notice.html", takes_context=True)
def merge_notice(context: template.Context, customer: Customer) -> dict[str, Any]:
    merge = merge_open_for(customer) if customer.is_active else None
    return {
        "merge": merge,
        "until": merge_undo_until(merge) if merge else None,
        "can_manage": context.get("can_manage", False),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
