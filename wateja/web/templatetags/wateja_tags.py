"""Template filters for money, numbers, dates and times, phone numbers and card numbers in the
active language (and the business's time zone)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from babel import Locale
from django import template
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from wateja.core.cards import format_card_number
from wateja.core.contacts import format_phone
from wateja.core.formatting import (
    format_count,
    format_day,
    format_decimal_one,
    format_moment,
    format_percent_share,
    format_time_of_day,
    keep_together,
    reader_locale,
    zone_country,
)
from wateja.core.money import Money, format_money

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    if amount_minor is None or not currency:
        return ""
    return keep_together(format_money(Money(int(amount_minor), currency), _language()))


@register.simple_tag(takes_context=True)
def can_open(context: Any, url_name: str) -> bool:
    """Whether the signed-in staff member's role opens the screen `url_name` (read from the
    view's own staff_required, as the navigation does): a link to a door they cannot open is
    not shown. `{% can_open 'web:duplicates' as ok %}{% if ok %}<a …>{% endif %}`"""
    from wateja.tenants.roles import role_at_least
    from wateja.web.context import screen_role

    staff = context.get("current_staff")
    return staff is not None and role_at_least(staff.role, screen_role(url_name))


@register.filter
def interaction_text(interaction: Any) -> str:
    """A timeline entry in the reader's language (wateja.customers.events)."""
    from wateja.customers.events import interaction_text as text

    return text(interaction)


@register.filter
def segment_filters(filters: dict[str, Any] | None, business: Any = None) -> list[tuple[str, str]]:
    """A segment's saved filters as (label, value) pairs in the reader's language: the
    segment form's own labels and choices, money in the business currency, days as dates."""
    from wateja.customers.events import field_label
    from wateja.web.customers.forms import SegmentForm

    fields = SegmentForm.base_fields
    currency = str(getattr(business, "currency", "") or "")
    pairs = []
    for key, value in (filters or {}).items():
        if value in (None, "", []):
            continue
        field = fields.get(key)
        label = str(field.label) if field is not None else field_label(key)
        choices = dict(getattr(field, "choices", None) or [])
        if isinstance(value, bool):
            shown = str(_("yes") if value else _("no"))
        elif key in ("spent_min", "spent_max") and currency:
            shown = money(int(value), currency)
        elif key in ("last_purchase_after", "last_purchase_before"):
            shown = short_date(_as_date(value)) or str(value)
        elif str(value) in {str(k) for k in choices}:
            shown = str({str(k): v for k, v in choices.items()}[str(value)])
        elif isinstance(value, int):
            shown = number(value)
        else:
            shown = str(value)
        pairs.append((label, shown))
    return pairs


def _as_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


@register.filter
def phone(value: str) -> str:
    return format_phone(value) if value else ""


@register.filter
def card_number(value: str) -> str:
    return format_card_number(value) if value else ""


# ---------------------------------------------------------------- numbers, dates, times
# One formatting layer (wateja.core.formatting): the reader's language in the business's
# country (the request's business when none is given), CLDR order and clock, figures that never
# wrap.


def _language() -> str:
    return translation.get_language() or "en"


def _country(business: Any = None) -> str:
    """The business's country; without one, the country of the active time zone (the
    request's business activates its own, see wateja.tenants.middleware)."""
    if business is not None:
        return str(getattr(business, "country", "") or "").upper()
    return zone_country(str(timezone.get_current_timezone()))


def _babel_locale(business: Any = None) -> Locale:
    """The active language's locale, in the business's country when babel knows that pair
    (English in Kenya writes 14 Mar 2026, 17:05; in the United States Mar 14, 2026, 5:05 PM)."""
    return reader_locale(_language(), _country(business))


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
    return format_moment(_local(value, business), _language(), _country(business))


@register.filter
def local_time(value: dt.datetime | None, business: Any = None) -> str:
    """The time of day of a moment in the business's time zone ("17:05")."""
    if not isinstance(value, dt.datetime):
        return ""
    return format_time_of_day(_local(value, business), _language(), _country(business))


@register.filter
def local_date(value: dt.date | dt.datetime | None, business: Any = None) -> str:
    """A calendar day (a moment: the day it falls on in the business's time zone) in the
    active language: "Wednesday, 14 May 2031"."""
    if isinstance(value, dt.datetime):
        value = _local(value, business).date()
    if not isinstance(value, dt.date):
        return ""
    return format_day(value, _language(), _country(business))


@register.filter
def short_date(value: dt.date | dt.datetime | None, business: Any = None) -> str:
    """A calendar day in a few characters, in the country's order: "7 Dec 2026"."""
    if isinstance(value, dt.datetime):
        value = _local(value, business).date()
    if not isinstance(value, dt.date):
        return ""
    return format_day(value, _language(), _country(business), style="medium")


@register.filter
def amount(amount_minor: int | None, currency: str) -> str:
    """Money without its currency sign ("1,200.50"), for a column of one currency."""
    if amount_minor is None or not currency:
        return ""
    return keep_together(
        format_money(Money(int(amount_minor), currency), _language(), with_currency=False)
    )


@register.filter
def number(value: int | str | None) -> str:
    """A whole number with the active language's digit grouping ("12,500")."""
    if value is None or value == "":
        return ""
    return format_count(int(value), _language(), _country())


@register.filter
def decimal_one(value: float | None) -> str:
    """A figure with one decimal in the reader's language ("2.5"; "2,5" in Russian)."""
    if value is None:
        return ""
    return format_decimal_one(float(value), _language(), _country())


@register.filter
def percent(fraction: float | None) -> str:
    """A share from 0 to 1 as a whole percentage in the active language ("58%", "58 %");
    "—" when there is none."""
    if fraction is None:
        return "—"
    return format_percent_share(fraction, _language(), _country())


@register.filter
def permille_percent(permille: int | None) -> str:
    """A share in thousandths (a service's exact integer) as a percentage ("58%")."""
    return percent(None if permille is None else permille / 1000)
