"""Template filters for money, phone numbers and card numbers in the active language."""

from __future__ import annotations

from django import template
from django.utils import translation

from wateja.core.cards import format_card_number
from wateja.core.contacts import format_phone
from wateja.core.money import Money, format_money

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    if amount_minor is None or not currency:
        return ""
    return format_money(Money(int(amount_minor), currency), translation.get_language() or "en")


@register.filter
def phone(value: str) -> str:
    return format_phone(value) if value else ""


@register.filter
def card_number(value: str) -> str:
    return format_card_number(value) if value else ""
