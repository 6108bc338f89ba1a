"""The one way numbers, dates and times are written for a reader: in their language, in the
business's country, from CLDR (babel).

* `reader_locale` - the babel locale of a language in a country: English in Kenya (``en_KE``)
  writes 07/12/2026 and 17:05, Swahili in Tanzania ``sw_TZ``, Armenian in Armenia ``hy_AM``.
  A pair CLDR does not know (Russian in Armenia) falls back to the language alone, English to
  international English (``en_001``: day before month), never to the United States' order.
* `format_count` - a whole number grouped like money in that locale ("12,500", "12 500").
* `format_moment`, `format_day`, `format_short_date` - a moment or a day; the time of day is
  on the 24-hour clock wherever the country's own locale uses it.

Every space inside a number is a no-break space, so a figure never wraps in the middle (the
stylesheet keeps dates whole). This module imports only the standard library and babel."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

__all__ = [
    "format_count",
    "format_day",
    "format_moment",
    "format_percent_share",
    "format_short_date",
    "format_time_of_day",
    "keep_together",
    "reader_locale",
    "zone_country",
]

_NO_BREAK = str.maketrans({" ": "\u00a0", "\u2009": "\u202f"})


def keep_together(text: str) -> str:
    """The same text with its spaces made no-break ones (a figure or a date on one line)."""
    return text.translate(_NO_BREAK)


def _parse(name: str) -> Locale | None:
    try:
        return Locale.parse(name)
    except (ValueError, UnknownLocaleError):
        return None


def zone_country(zone: str) -> str:
    """The country (ISO 3166) of an IANA time zone ("Africa/Nairobi" → "KE"); "" for UTC."""
    return str(get_global("zone_territories").get(zone, ""))


@lru_cache(maxsize=128)
def reader_locale(language: str, country: str = "") -> Locale:
    """The locale of `language` (a Django code: "en", "sw", "pt-br") in `country` (ISO 3166)."""
    base = language.replace("-", "_").split("_")[0].lower() or "en"
    country = country.upper()
    names = [f"{base}_{country}"] if country else []
    names += ["en_001"] if base == "en" else [base]
    names.append("en_001")
    for name in names:
        found = _parse(name)
        if found is not None:
            return found
    return Locale.parse("en")  # pragma: no cover - babel always has en


@lru_cache(maxsize=128)
def _time_pattern(language: str, country: str) -> str:
    """The locale's short time, on the 24-hour clock where the country's own locale uses it
    (English read in Armenia: 17:05, not 5:05 PM)."""
    pattern = str(reader_locale(language, country).time_formats["short"].pattern)
    home = _parse(f"und_{country.upper()}") if country else None
    if home is not None and "H" in str(home.time_formats["short"].pattern) and "h" in pattern:
        return "HH:mm"
    return pattern


def format_count(value: int, language: str, country: str = "") -> str:
    """A whole number with the reader's digit grouping ("12,500"; "12 500" in Armenian)."""
    return keep_together(str(format_decimal(int(value), locale=reader_locale(language, country))))


def format_decimal_one(value: float, language: str, country: str = "") -> str:
    """A figure rounded to one decimal in the reader's notation ("2.5", "2,5")."""
    locale = reader_locale(language, country)
    return keep_together(str(format_decimal(round(value, 1), format="#,##0.0", locale=locale)))


def format_percent_share(fraction: float, language: str, country: str = "") -> str:
    """A share from 0 to 1 as a whole percentage ("58%", "58 %")."""
    locale = reader_locale(language, country)
    return keep_together(str(format_percent(fraction, locale=locale)))


def format_moment(moment: dt.datetime, language: str, country: str = "") -> str:
    """A moment already in the business's time zone as its date and time ("7 Dec 2026,
    17:05")."""
    locale = reader_locale(language, country)
    pattern = str(locale.datetime_formats["medium"])
    return pattern.replace("{1}", str(format_date(moment, "medium", locale=locale))).replace(
        "{0}", str(format_time(moment, _time_pattern(language, country), locale=locale))
    )


def format_time_of_day(moment: dt.datetime | dt.time, language: str, country: str = "") -> str:
    """The time of day alone ("17:05")."""
    locale = reader_locale(language, country)
    return str(format_time(moment, _time_pattern(language, country), locale=locale))


def format_day(day: dt.date, language: str, country: str = "", *, style: str = "full") -> str:
    """A calendar day ("Monday, 7 December 2026"; style "medium": "7 Dec 2026")."""
    return str(format_date(day, style, locale=reader_locale(language, country)))


def format_short_date(day: dt.date, language: str, country: str = "") -> str:
    """A day in figures in the country's order ("07/12/2026" in Kenya, "07.12.26" in
    Armenia)."""
    return str(format_date(day, "short", locale=reader_locale(language, country)))
