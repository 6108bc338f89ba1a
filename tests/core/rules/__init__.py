"""Pure tests of the rules engine (no Django, no database) and their small builders."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from wateja.core.rules import Cart, Context, CustomerFacts, Line, Promotion

TZ = "Africa/Nairobi"
NAIROBI = zoneinfo.ZoneInfo(TZ)


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment in Nairobi."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=NAIROBI)


NOW = at(2026, 3, 10, 12)  # a Tuesday


def ctx(now: dt.datetime = NOW, **overrides: Any) -> Context:
    values: dict[str, Any] = {"now": now, "timezone": TZ}
    values.update(overrides)
    if "codes" in values:
        values["codes"] = tuple(values["codes"])
    if "flags" in values:
        values["flags"] = frozenset(values["flags"])
    return Context(**values)


def line(sku: str, quantity: int, price: int, category: str = "", grams: int = 0) -> Line:
    return Line(sku, quantity, price, name=sku, category=category, weight_grams=grams)


def cart(*lines: Line, total: int | None = None) -> Cart:
    return Cart("KES", tuple(lines), total_only_minor=total)


def customer(**overrides: Any) -> CustomerFacts:
    values: dict[str, Any] = {"id": 1}
    values.update(overrides)
    return CustomerFacts(**values)


def promo(pid: int, type_: str, params: dict[str, Any] | None = None, **fields: Any) -> Promotion:
    fields.setdefault("name", f"P{pid}")
    return Promotion(id=pid, type=type_, params=params or {}, **fields)


def codes_of(evaluation: Any) -> dict[int, str]:
    """promotion id -> rejection code."""
    return {r.promotion_id: r.code for r in evaluation.rejected}


def applied_ids(evaluation: Any) -> list[int]:
    return [a.promotion_id for a in evaluation.applied]
