"""Template tags of the messaging screens: a customer's message log and linked chat apps for
the customer page (``{% customer_message_log customer %}``, ``{% customer_chats customer %}``)
and language names (``{{ code|language_name }}``)."""

from __future__ import annotations

from typing import Any

from django import template

from wateja.customers.models import Customer
from wateja.messaging.screens import customer_chats as chats_of
from wateja.messaging.screens import customer_message_log as message_log
from wateja.web.messages.forms import LANGUAGE_NAMES

register = template.Library()


@register.inclusion_tag("web/messages/_customer_messages.html")
def customer_message_log(customer: Customer) -> dict[str, Any]:
    return {"entries": message_log(customer, limit=50), "customer": customer}


@register.inclusion_tag("web/messages/_customer_chats.html", takes_context=True)
def customer_chats(context: Any, customer: Customer) -> dict[str, Any]:
    """The chats the customer linked (app, name, since when, left) and the consent on each."""
    return {
        "apps": chats_of(customer),
        "customer": customer,
        "can_edit": context.get("can_edit", False),
        "current_business": context.get("current_business"),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(str(code), str(code))
