"""One way to write numbers, dates and times: the reader's language in the business's country,
from CLDR, with figures that never wrap."""

from __future__ import annotations

import datetime as dt

import pytest

from wateja.core.formatting import (
    format_count,
    format_day,
    format_moment,
    format_short_date,
    format_time_of_day,
    reader_locale,
    zone_country,
)

EVENING = dt.datetime(2026, 12, 7, 17, 5)


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [
        ("en", "KE", "en_KE"),
        ("sw", "KE", "sw_KE"),
        ("sw", "TZ", "sw_TZ"),
        ("hy", "AM", "hy_AM"),
        ("ru", "AM", "ru"),  # babel has no ru_AM: the language alone
        ("en", "AM", "en_001"),  # English without the country: international, never en_US
        ("en", "", "en_001"),
        ("pt-br", "KE", "pt"),
    ],
)
def test_the_locale_is_the_language_in_the_country_or_a_sensible_fallback(
    language, country, expected
):
    assert str(reader_locale(language, country)) == expected


def test_english_in_kenya_reads_day_before_month_on_a_24_hour_clock():
    assert format_short_date(EVENING.date(), "en", "KE") == "07/12/2026"
    assert format_moment(EVENING, "en", "KE") == "7 Dec 2026, 17:05"
    assert format_day(EVENING.date(), "en", "KE", style="medium") == "7 Dec 2026"


def test_english_read_in_armenia_keeps_the_country_s_24_hour_clock():
    assert format_time_of_day(EVENING, "en", "AM") == "17:05"
    assert "7 Dec 2026" in format_moment(EVENING, "en", "AM")


def test_swahili_armenian_and_russian_write_their_own_dates():
    assert format_moment(EVENING, "sw", "TZ") == "7 Des 2026 17:05"  # CLDR: no comma
    assert format_short_date(EVENING.date(), "hy", "AM") == "07.12.26"
    assert "17:05" in format_moment(EVENING, "ru", "AM")
    assert "дек" in format_moment(EVENING, "ru", "AM")


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [("en", "KE", "1,234,567"), ("sw", "TZ", "1,234,567"), ("hy", "AM", "1\xa0234\xa0567")],
)
def test_counts_are_grouped_like_money_and_never_wrap(language, country, expected):
    text = format_count(1234567, language, country)
    assert text == expected
    assert " " not in text  # only no-break spaces inside a figure


def test_a_time_zone_names_its_country():
    assert zone_country("Africa/Nairobi") == "KE"
    assert zone_country("Africa/Dar_es_Salaam") == "TZ"
    assert zone_country("Asia/Yerevan") == "AM"
    assert zone_country("UTC") == ""


def test_one_decimal_in_the_readers_notation() -> None:
    from wateja.core.formatting import format_decimal_one

    assert format_decimal_one(2.46, "en", "KE") == "2.5"
    assert format_decimal_one(2.46, "ru", "AM") == "2,5"
    assert format_decimal_one(1234.0, "en", "KE") == "1,234.0"
