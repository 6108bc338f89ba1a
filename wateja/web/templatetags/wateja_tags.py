"""Template filters for money, numbers, dates and times, phone numbers and card numbers in the
active language (and the business's time zone)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent
from django import template
from django.utils import timezone, translation

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


# ---------------------------------------------------------------- numbers, dates, times


def _babel_locale(business: Any = None) -> Locale:
    """The active language's locale, in the business's country when babel knows that pair
    (English in Kenya writes 14 Mar 2026, 17:05; in the United States Mar 14, 2026, 5:05 PM)."""
    language = translation.to_locale(translation.get_language() or "en")
    country = str(getattr(business, "country", "") or "").upper()
    for name in (f"{language.split('_')[0]}_{country}" if country else "", language, "en"):
        if not name:
            continue
        try:
            return Locale.parse(name)
        except (ValueError, UnknownLocaleError):
            continue
    return Locale.parse("en")


def _zone_of(business: Any) -> dt.tzinfo:
    name = getattr(business, "timezone", "") if business is not None else ""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_current_timezone()


def _local(value: dt.datetime, business: Any) -> dt.datetime:
    aware = value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(_zone_of(business))


@register.filter
def local_datetime(value: dt.datetime | None, business: Any = None) -> str:
    """A moment as a date and a time of day in the business's time zone (the active one
    without a business) and language: "14 Mar 2026, 17:05"."""
    if not isinstance(value, dt.datetime):
        return ""
    locale = _babel_locale(business)
    moment = _local(value, business)
    pattern = str(locale.datetime_formats["medium"])
    return pattern.replace("{1}", format_date(moment, "medium", locale=locale)).replace(
        "{0}", format_time(moment, "short", locale=locale)
    )


@register.filter
def local_date(value: dt.date | dt.datetime | None, business: Any = None) -> str:
    """A calendar day (a moment: the day it falls on in the business's time zone) in the
    active language: "Wednesday, 14 May 2031"."""
    if isinstance(value, dt.datetime):
        value = _local(value, business).date()
    if not isinstance(value, dt.date):
        return ""
    return str(format_date(value, "full", locale=_babel_locale(business)))


@register.filter
def amount(amount_minor: int | None, currency: str) -> str:
    """Money without its currency sign ("1,200.50"), for a column of one currency."""
    if amount_minor is None or not currency:
        return ""
    return format_money(
        Money(int(amount_minor), currency),
        translation.get_language() or "en",
        with_currency=False,
    )


@register.filter
def number(value: int | None) -> str:
    """A whole number with the active language's digit grouping ("12,500")."""
    if value is None:
        return ""
    return str(format_decimal(int(value), locale=_babel_locale()))


@register.filter
def percent(fraction: float | None) -> str:
    """A share from 0 to 1 as a whole percentage in the active language ("58%", "58 %");
    "—" when there is none."""
    if fraction is None:
        return "—"
    return str(format_percent(fraction, locale=_babel_locale()))


@register.filter
def permille_percent(permille: int | None) -> str:
    """A share in thousandths (a service's exact integer) as a percentage ("58%")."""
    return percent(None if permille is None else permille / 1000)
