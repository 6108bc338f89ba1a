"""The business-local calendar: dates of UTC moments and UTC starts of local days."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from wateja.core.localtime import local_date, local_start, local_today

UTC = dt.UTC


def test_a_late_utc_evening_is_already_tomorrow_in_nairobi_and_yerevan():
    moment = dt.datetime(2026, 11, 27, 21, 30, tzinfo=UTC)
    assert local_date(moment, "Africa/Nairobi") == dt.date(2026, 11, 28)  # UTC+3
    assert local_date(moment, zoneinfo.ZoneInfo("Asia/Yerevan")) == dt.date(2026, 11, 28)
    assert local_date(moment, "UTC") == dt.date(2026, 11, 27)


def test_a_naive_moment_is_taken_as_utc():
    assert local_date(dt.datetime(2026, 11, 27, 20, 59), "Africa/Nairobi") == dt.date(2026, 11, 27)
    assert local_date(dt.datetime(2026, 11, 27, 21, 0), "Africa/Nairobi") == dt.date(2026, 11, 28)


def test_a_local_day_starts_at_local_midnight_in_utc():
    assert local_start("Africa/Nairobi", dt.date(2026, 11, 28)) == dt.datetime(
        2026, 11, 27, 21, 0, tzinfo=UTC
    )
    assert local_start("Asia/Yerevan", dt.date(2027, 1, 1)) == dt.datetime(
        2026, 12, 31, 20, 0, tzinfo=UTC
    )


def test_today_is_the_local_date_of_now():
    now = dt.datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
    assert local_today("Africa/Dar_es_Salaam", now) == dt.date(2026, 11, 28)
    assert local_today("Europe/Moscow", now) == dt.date(2026, 11, 28)
    assert local_today("UTC", now) == dt.date(2026, 11, 27)
