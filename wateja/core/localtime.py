"""A business's local calendar: the date a moment falls on in its time zone, and the UTC
moment one of its days starts. Stored times are UTC; days, months and "today" are the
business's own (an expiry "in 30 days", yesterday's figures, a birthday this month)."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    """The time zone itself, or the one named (an IANA name such as "Africa/Nairobi")."""
    return _zone(tz) if isinstance(tz, str) else tz


def local_date(moment: dt.datetime, tz: str | dt.tzinfo) -> dt.date:
    """The calendar date of `moment` in `tz` (a naive moment is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone(tz)).date()


def local_today(tz: str | dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    """Today in `tz` (or the date of `now` there)."""
    return local_date(now or dt.datetime.now(dt.UTC), tz)


def local_start(tz: str | dt.tzinfo, day: dt.date) -> dt.datetime:
    """The UTC moment `day` starts in `tz` (local midnight)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone(tz)).astimezone(dt.UTC)
