"""Template tags of the messaging screens: a customer's message log for the customer page
(``{% customer_message_log customer %}``) and language names (``{{ code|language_name }}``)."""

from __future__ import annotations

from typing import Any

from django import template

from wateja.customers.models import Customer
from wateja.messaging.screens import customer_message_log as message_log
from wateja.web.messages.forms import LANGUAGE_NAMES

register = template.Library()


@register.inclusion_tag("web/messages/_customer_messages.html")
def customer_message_log(customer: Customer) -> dict[str, Any]:
    return {"entries": message_log(customer, limit=50), "customer": customer}


@register.filter
def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(str(code), str(code))
