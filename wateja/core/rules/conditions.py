"""Conditions: a JSON-like tree that says when a promotion applies.

A node is ``{"all": [node, ...]}``, ``{"any": [node, ...]}``, ``{"not": node}`` or a leaf
``{"type": "<leaf>", ...params}``. `compile_condition` validates a tree once (raising `RuleError`
for anything malformed) and turns it into a `Condition`: a fast check over the `Facts` of one
evaluation that returns ``None`` (met) or a `Failure` (a stable code and the numbers a message
needs), plus the `Trigger` the promotion index keys it by.

Rules of the tree:

* ``all`` fails with the first failing child's reason (an empty ``all`` is met).
* ``any`` needs at least one child; when every child fails it reports the first child's reason.
* ``not`` fails with ``condition_not_met``.
* Conditions look at the cart as entered (before any discount), the customer facts and the
  context; local dates and hours are in ``context.timezone``.

Leaf types, their params and failure codes (params of the failure in braces):

==================================  =========================================================
``min_subtotal {amount_minor}``     ``min_subtotal_not_met {missing_minor, required_minor}``
``min_quantity {quantity, sku? |    ``min_quantity_not_met {missing, required, sku? |
category?}``                        category?}`` (neither sku nor category: all units)
``min_weight {grams}``              ``min_weight_not_met {missing_grams, required_grams}``
``has_items {skus?, categories?}``  ``items_missing {skus, categories}`` (any one matches)
``bundle_present {skus}``           ``bundle_incomplete {missing_skus}`` (all present)
``member``                          ``not_a_member``
``tier_in {tiers}``                 ``tier_required {tiers}``
``has_tag {tag}``                   ``tag_missing {tag}``
``in_segment {segment_id}``         ``not_in_segment {segment_ids}``
``nth_purchase {n}``                ``not_first_purchase`` (n=1), ``not_second_purchase``
                                    (n=2), else ``not_nth_purchase``; all ``{n,
                                    purchase_number}``
``nth_visit_every {n}``             ``not_nth_visit {n, visits_to_go}`` (purchase_count+1
                                    divisible by n)
``within_days_of_first_purchase     ``second_purchase_window_passed {days, days_since}``
{days}``                            (no first purchase yet: met)
``days_since_last_purchase_gte      ``too_soon_since_last_purchase {days, days_since}``;
{days}``                            ``no_previous_purchase`` when there is none
``birthday_within_days {days}``     ``not_birthday_period {days}``; ``birthday_unknown``
``card_anniversary_within_days      ``not_card_anniversary {days}`` (no card, or not yet a
{days}``                            year old: not met)
``channel_in {channels}``           ``wrong_channel {channels, channel}``
``location_in {locations}``         ``wrong_location {locations}``
``flag {name}``                     ``flag_missing {flag}``
``time_between {from_hour,          ``outside_schedule {from_hour, to_hour}`` (local [from,
to_hour}``                          to); from > to wraps midnight)
``weekday_in {days}``               ``outside_schedule {weekdays}`` (0 = Monday)
==================================  =========================================================

Every leaf that needs customer history fails with ``customer_required`` for an anonymous sale
(``member`` fails with ``not_a_member``, ``tier_in`` with ``tier_required``, ``has_tag`` with
``tag_missing``, ``in_segment`` with ``not_in_segment``). Birthdays and card anniversaries on
29 February fall on 28 February in other years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wateja.core.localtime import local_date
from wateja.core.rules.model import Cart, Context, CustomerFacts

__all__ = [
    "LEAVES",
    "Condition",
    "Facts",
    "Failure",
    "Params",
    "RuleError",
    "Trigger",
    "as_int",
    "as_list",
    "as_text",
    "aware",
    "compile_condition",
    "local_date",
    "validate_condition",
    "zone",
]

MAX_DEPTH = 8
MAX_NODES = 200
MAX_LIST = 1000


# --------------------------------------------------------------------------------------------
# Errors and results


class RuleError(ValueError):
    """A promotion's params or conditions are malformed (raised at save time, never at checkout).

    ``code`` is always ``"invalid_promotion"``; ``path`` says where (``"params.percent_bp"``,
    ``"conditions.all[1].days"``); ``reason`` is one of ``required``, ``unknown_key``,
    ``unknown_type``, ``not_an_object``, ``not_a_list``, ``not_an_int``, ``not_a_string``,
    ``empty``, ``out_of_range`` (with ``minimum``/``maximum``), ``one_of`` (exactly one of
    ``keys``), ``not_increasing``, ``too_deep``, ``too_large``; ``params`` holds those numbers.
    """

    code: ClassVar[str] = "invalid_promotion"

    def __init__(self, path: str, reason: str, **params: Any) -> None:
        self.path = path
        self.reason = reason
        self.params: dict[str, Any] = params
        detail = f" {params}" if params else ""
        super().__init__(f"{path}: {reason}{detail}")


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a condition (or a benefit) did not hold: a stable code and JSON-friendly params."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Time


@lru_cache(maxsize=256)
def zone(name: str) -> dt.tzinfo:
    """The tz database zone ``name``; an unknown name falls back to UTC (never raises)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return dt.UTC


def aware(moment: dt.datetime) -> dt.datetime:
    """``moment`` itself if it has a timezone, else the same wall time taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _anniversary(year: int, month: int, day: int) -> dt.date | None:
    """``month``/``day`` in ``year``; 29 February is 28 February in other years."""
    if not 1 <= month <= 12 or day < 1:
        return None
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        day = 28
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=1024)  # a pure function of small immutable values
def _days_to_anniversary(
    today: dt.date, month: int, day: int, *, after_year: int | None = None
) -> int | None:
    """Smallest distance in days from ``today`` to ``month``/``day`` of last, this or next year
    (only years after ``after_year`` count)."""
    best: int | None = None
    for year in (today.year - 1, today.year, today.year + 1):
        if after_year is not None and year <= after_year:
            continue
        date = _anniversary(year, month, day)
        if date is None:
            continue
        distance = abs((date - today).days)
        if best is None or distance < best:
            best = distance
    return best


# --------------------------------------------------------------------------------------------
# Facts: what one evaluation knows, computed once


@dataclass(slots=True)
class Facts:
    """The cart, customer and context of one evaluation with what conditions and benefits
    ask about them precomputed (local time, per-sku and per-category quantities)."""

    cart: Cart
    customer: CustomerFacts | None
    context: Context
    tz: dt.tzinfo
    now: dt.datetime  # aware, in UTC or as given
    local_now: dt.datetime
    today: dt.date
    subtotal: int
    weight: int
    quantity: int
    line_totals: tuple[int, ...]  # each line's total, never below zero
    skus: tuple[str, ...]  # per line
    categories: tuple[str, ...]  # per line
    sku_qty: dict[str, int]  # only lines with quantity > 0
    category_qty: dict[str, int]
    codes: frozenset[str]  # entered codes, upper-case
    memo: dict[int, Any]  # per-evaluation cache (e.g. the lines of a scope, by id)
    _line_index: tuple[dict[str, list[int]], dict[str, list[int]]] | None = None

    @classmethod
    def build(cls, cart: Cart, customer: CustomerFacts | None, context: Context) -> Facts:
        tz = zone(context.timezone)
        now = aware(context.now)
        local_now = now.astimezone(tz)
        lines = cart.lines
        skus = tuple([line.sku for line in lines])
        categories = tuple([line.category for line in lines])
        totals = [line.quantity * line.unit_price_minor for line in lines]
        sku_qty: dict[str, int] = {}
        category_qty: dict[str, int] = {}
        quantity = weight = 0
        for line in lines:
            units = line.quantity
            if units > 0:
                sku_qty[line.sku] = sku_qty.get(line.sku, 0) + units
                if line.category:
                    category_qty[line.category] = category_qty.get(line.category, 0) + units
                quantity += units
                weight += units * line.weight_grams
        total_only = cart.total_only_minor
        subtotal = total_only if not lines and total_only is not None else sum(totals)
        return cls(
            cart,
            customer,
            context,
            tz,
            now,
            local_now,
            local_now.date(),
            subtotal,
            weight,
            quantity,
            tuple([total if total > 0 else 0 for total in totals]),
            skus,
            categories,
            sku_qty,
            category_qty,
            frozenset([code.upper() for code in context.codes]) if context.codes else frozenset(),
            {},
        )

    def line_index(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """Line indexes per sku and per category (every line), built on first use."""
        if self._line_index is None:
            skus, categories = self.skus, self.categories
            # usually every sku is on one line: one comprehension; else line by line
            by_sku = {sku: [index] for index, sku in enumerate(skus)}
            if len(by_sku) != len(skus):
                by_sku = {}
                for index, sku in enumerate(skus):
                    by_sku.setdefault(sku, []).append(index)
            by_category: dict[str, list[int]] = {}
            for index, category in enumerate(categories):
                if category:
                    by_category.setdefault(category, []).append(index)
            self._line_index = (by_sku, by_category)
        return self._line_index


# --------------------------------------------------------------------------------------------
# Reading params (shared with benefits.py)

_MISSING: Any = object()


class Params:
    """Reads and checks one params object; `done` refuses keys nobody asked for."""

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, Mapping):
            raise RuleError(path, "not_an_object")
        self.raw: Mapping[str, Any] = raw
        self.path = path
        self._seen: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def get(self, key: str) -> Any:
        self._seen.add(key)
        return self.raw.get(key)

    def integer(
        self,
        key: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        default: int | None = _MISSING,
    ) -> int:
        value = self.get(key)
        if value is None:
            if default is _MISSING or default is None:
                raise RuleError(self.at(key), "required")
            return default
        return as_int(value, self.at(key), minimum, maximum)

    def optional_integer(
        self, key: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self.get(key)
        if value is None:
            return None
        return as_int(value, self.at(key), minimum, maximum)

    def text(self, key: str, *, default: str | None = None, max_length: int = 200) -> str:
        """A non-blank string; ``default`` (e.g. ``""``) when absent, else required."""
        value = self.get(key)
        if value is None:
            if default is None:
                raise RuleError(self.at(key), "required")
            return default
        return as_text(value, self.at(key), max_length)

    def texts(self, key: str, *, required: bool = False) -> frozenset[str]:
        value = self.get(key)
        if value is None:
            if required:
                raise RuleError(self.at(key), "required")
            return frozenset()
        items = as_list(value, self.at(key))
        if required and not items:
            raise RuleError(self.at(key), "empty")
        return frozenset(as_text(item, f"{self.at(key)}[{i}]", 200) for i, item in enumerate(items))

    def text_list(self, key: str) -> tuple[str, ...]:
        """A required, non-empty list of strings, order and repeats kept."""
        value = self.get(key)
        if value is None:
            raise RuleError(self.at(key), "required")
        items = as_list(value, self.at(key))
        if not items:
            raise RuleError(self.at(key), "empty")
        return tuple(as_text(item, f"{self.at(key)}[{i}]") for i, item in enumerate(items))

    def int_map(
        self, key: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> dict[str, int]:
        """A required, non-empty object of string keys to ints."""
        value = self.get(key)
        if value is None:
            raise RuleError(self.at(key), "required")
        if not isinstance(value, Mapping):
            raise RuleError(self.at(key), "not_an_object")
        if not value:
            raise RuleError(self.at(key), "empty")
        return {
            as_text(name, self.at(key)): as_int(number, f"{self.at(key)}.{name}", minimum, maximum)
            for name, number in value.items()
        }

    def integers(
        self, key: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> frozenset[int]:
        value = self.get(key)
        if value is None:
            raise RuleError(self.at(key), "required")
        items = as_list(value, self.at(key))
        if not items:
            raise RuleError(self.at(key), "empty")
        return frozenset(
            as_int(item, f"{self.at(key)}[{i}]", minimum, maximum) for i, item in enumerate(items)
        )

    def choice(self, key: str, choices: Iterable[str], default: str) -> str:
        value = self.text(key, default=default)
        allowed = tuple(choices)
        if value not in allowed:
            raise RuleError(self.at(key), "unknown_type", allowed=list(allowed))
        return value

    def one_of(self, *keys: str) -> str:
        """Exactly one of ``keys`` is given: return it."""
        given = [key for key in keys if self.has(key)]
        if len(given) != 1:
            raise RuleError(self.path, "one_of", keys=list(keys))
        return given[0]

    def done(self) -> None:
        for key in self.raw:
            if key not in self._seen:
                raise RuleError(self.at(str(key)), "unknown_key")


def as_int(value: object, path: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An int (not a bool) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(path, "not_an_int")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise RuleError(path, "out_of_range", minimum=minimum, maximum=maximum)
    return value


def as_text(value: object, path: str, max_length: int = 200) -> str:
    """A non-blank string of at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise RuleError(path, "not_a_string")
    if not value.strip():
        raise RuleError(path, "empty")
    if len(value) > max_length:
        raise RuleError(path, "out_of_range", maximum=max_length)
    return value


def as_list(value: object, path: str) -> list[Any]:
    """A JSON list (or tuple/frozenset) of at most MAX_LIST items."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, list | tuple | frozenset):
        raise RuleError(path, "not_a_list")
    if len(value) > MAX_LIST:
        raise RuleError(path, "too_large", maximum=MAX_LIST)
    return sorted(value, key=repr) if isinstance(value, frozenset) else list(value)


# --------------------------------------------------------------------------------------------
# Triggers: what a cart must contain for a promotion to have a chance


@dataclass(frozen=True, slots=True)
class Trigger:
    """The promotion can only apply when the cart has one of ``skus`` or a line in one of
    ``categories`` (a necessary condition, used by the index)."""

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()

    @property
    def size(self) -> int:
        return len(self.skus) + len(self.categories)

    @staticmethod
    def tightest(*triggers: Trigger | None) -> Trigger | None:
        """Of several necessary conditions, the one with the fewest keys."""
        known = [t for t in triggers if t is not None and t.size > 0]
        if not known:
            return None
        return min(known, key=lambda t: (t.size, sorted(t.skus), sorted(t.categories)))

    @staticmethod
    def union(triggers: Iterable[Trigger | None]) -> Trigger | None:
        skus: set[str] = set()
        categories: set[str] = set()
        for trigger in triggers:
            if trigger is None or trigger.size == 0:
                return None
            skus |= trigger.skus
            categories |= trigger.categories
        if not skus and not categories:
            return None
        return Trigger(frozenset(skus), frozenset(categories))


# --------------------------------------------------------------------------------------------
# Conditions

Check = Callable[[Facts], Failure | None]


@dataclass(frozen=True, slots=True)
class Condition:
    check: Check
    trigger: Trigger | None = None


def compile_condition(tree: object, path: str = "conditions") -> Condition:
    """Validate ``tree`` and return its `Condition`; raise `RuleError` if it is malformed."""
    counter = [0]
    return _compile(tree, path, 0, counter)


def validate_condition(tree: object, path: str = "conditions") -> None:
    compile_condition(tree, path)


def _compile(tree: object, path: str, depth: int, counter: list[int]) -> Condition:
    if depth > MAX_DEPTH:
        raise RuleError(path, "too_deep", maximum=MAX_DEPTH)
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise RuleError(path, "too_large", maximum=MAX_NODES)
    if not isinstance(tree, Mapping):
        raise RuleError(path, "not_an_object")
    if "type" not in tree:
        if len(tree) != 1:
            raise RuleError(path, "one_of", keys=["all", "any", "not", "type"])
        ((key, value),) = tree.items()
        if key == "not":
            return _not(_compile(value, f"{path}.not", depth + 1, counter))
        if key in ("all", "any"):
            items = as_list(value, f"{path}.{key}")
            children = [
                _compile(item, f"{path}.{key}[{i}]", depth + 1, counter)
                for i, item in enumerate(items)
            ]
            if key == "all":
                return _all(children)
            if not children:
                raise RuleError(f"{path}.any", "empty")
            return _any(children)
        raise RuleError(f"{path}.{key}", "unknown_key")
    params = Params(tree, path)
    kind = params.get("type")
    factory = LEAVES.get(kind) if isinstance(kind, str) else None
    if factory is None:
        raise RuleError(f"{path}.type", "unknown_type", allowed=sorted(LEAVES))
    condition = factory(params)
    params.done()
    return condition


def _all(children: list[Condition]) -> Condition:
    checks = tuple(child.check for child in children)

    def check(facts: Facts) -> Failure | None:
        for child in checks:
            failure = child(facts)
            if failure is not None:
                return failure
        return None

    return Condition(check, Trigger.tightest(*(child.trigger for child in children)))


def _any(children: list[Condition]) -> Condition:
    checks = tuple(child.check for child in children)

    def check(facts: Facts) -> Failure | None:
        first: Failure | None = None
        for child in checks:
            failure = child(facts)
            if failure is None:
                return None
            if first is None:
                first = failure
        return first

    return Condition(check, Trigger.union(child.trigger for child in children))


_NOT_MET = Failure("condition_not_met")


def _not(child: Condition) -> Condition:
    inner = child.check

    def check(facts: Facts) -> Failure | None:
        return _NOT_MET if inner(facts) is None else None

    return Condition(check)


# --------------------------------------------------------------------------------------------
# Leaves

LEAVES: dict[str, Callable[[Params], Condition]] = {}

_CUSTOMER_REQUIRED = Failure("customer_required")


def _leaf(name: str) -> Callable[[Callable[[Params], Condition]], Callable[[Params], Condition]]:
    def register(factory: Callable[[Params], Condition]) -> Callable[[Params], Condition]:
        LEAVES[name] = factory
        return factory

    return register


@_leaf("min_subtotal")
def _min_subtotal(p: Params) -> Condition:
    required = p.integer("amount_minor", minimum=1)

    def check(facts: Facts) -> Failure | None:
        if facts.subtotal >= required:
            return None
        return Failure(
            "min_subtotal_not_met",
            {"missing_minor": required - facts.subtotal, "required_minor": required},
        )

    return Condition(check)


@_leaf("min_quantity")
def _min_quantity(p: Params) -> Condition:
    required = p.integer("quantity", minimum=1)
    sku = p.text("sku", default="")
    category = p.text("category", default="")
    if sku and category:
        raise RuleError(p.path, "one_of", keys=["sku", "category"])
    extra = {"sku": sku} if sku else {"category": category} if category else {}

    def check(facts: Facts) -> Failure | None:
        if sku:
            have = facts.sku_qty.get(sku, 0)
        elif category:
            have = facts.category_qty.get(category, 0)
        else:
            have = facts.quantity
        if have >= required:
            return None
        return Failure(
            "min_quantity_not_met", {"missing": required - have, "required": required, **extra}
        )

    trigger = (
        Trigger(skus=frozenset({sku}))
        if sku
        else Trigger(categories=frozenset({category}))
        if category
        else None
    )
    return Condition(check, trigger)


@_leaf("min_weight")
def _min_weight(p: Params) -> Condition:
    required = p.integer("grams", minimum=1)

    def check(facts: Facts) -> Failure | None:
        if facts.weight >= required:
            return None
        return Failure(
            "min_weight_not_met",
            {"missing_grams": required - facts.weight, "required_grams": required},
        )

    return Condition(check)


@_leaf("has_items")
def _has_items(p: Params) -> Condition:
    skus = p.texts("skus")
    categories = p.texts("categories")
    if not skus and not categories:
        raise RuleError(p.path, "one_of", keys=["skus", "categories"])
    failure = Failure("items_missing", {"skus": sorted(skus), "categories": sorted(categories)})

    def check(facts: Facts) -> Failure | None:
        if any(sku in facts.sku_qty for sku in skus):
            return None
        if any(category in facts.category_qty for category in categories):
            return None
        return failure

    return Condition(check, Trigger(skus, categories))


@_leaf("bundle_present")
def _bundle_present(p: Params) -> Condition:
    skus = p.texts("skus", required=True)
    ordered = sorted(skus)

    def check(facts: Facts) -> Failure | None:
        missing = [sku for sku in ordered if sku not in facts.sku_qty]
        return Failure("bundle_incomplete", {"missing_skus": missing}) if missing else None

    return Condition(check, Trigger(skus=frozenset({ordered[0]})))


@_leaf("member")
def _member(p: Params) -> Condition:
    failure = Failure("not_a_member")

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        return None if customer is not None and customer.is_member else failure

    return Condition(check)


@_leaf("tier_in")
def _tier_in(p: Params) -> Condition:
    tiers = p.texts("tiers", required=True)
    failure = Failure("tier_required", {"tiers": sorted(tiers)})

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        return None if customer is not None and customer.tier in tiers else failure

    return Condition(check)


@_leaf("has_tag")
def _has_tag(p: Params) -> Condition:
    tag = p.text("tag")
    failure = Failure("tag_missing", {"tag": tag})

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        return None if customer is not None and tag in customer.tags else failure

    return Condition(check)


@_leaf("in_segment")
def _in_segment(p: Params) -> Condition:
    segment_id = p.integer("segment_id", minimum=0)
    failure = Failure("not_in_segment", {"segment_ids": [segment_id]})

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        return None if customer is not None and segment_id in customer.segments else failure

    return Condition(check)


@_leaf("nth_purchase")
def _nth_purchase(p: Params) -> Condition:
    n = p.integer("n", minimum=1, maximum=1_000_000)
    code = {1: "not_first_purchase", 2: "not_second_purchase"}.get(n, "not_nth_purchase")

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        if customer is None:
            return _CUSTOMER_REQUIRED
        number = customer.purchase_count + 1
        return None if number == n else Failure(code, {"n": n, "purchase_number": number})

    return Condition(check)


@_leaf("nth_visit_every")
def _nth_visit_every(p: Params) -> Condition:
    n = p.integer("n", minimum=2, maximum=1_000_000)

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        if customer is None:
            return _CUSTOMER_REQUIRED
        rest = (customer.purchase_count + 1) % n
        return None if rest == 0 else Failure("not_nth_visit", {"n": n, "visits_to_go": n - rest})

    return Condition(check)


@_leaf("within_days_of_first_purchase")
def _within_days_of_first(p: Params) -> Condition:
    days = p.integer("days", minimum=0, maximum=36_600)

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        if customer is None:
            return _CUSTOMER_REQUIRED
        if customer.first_purchase_at is None:
            return None  # this order is the first one: day 0
        since = (facts.today - local_date(customer.first_purchase_at, facts.tz)).days
        if since <= days:
            return None
        return Failure("second_purchase_window_passed", {"days": days, "days_since": since})

    return Condition(check)


@_leaf("days_since_last_purchase_gte")
def _days_since_last(p: Params) -> Condition:
    days = p.integer("days", minimum=1, maximum=36_600)
    none_yet = Failure("no_previous_purchase")

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        if customer is None:
            return _CUSTOMER_REQUIRED
        if customer.last_purchase_at is None:
            return none_yet
        since = (facts.today - local_date(customer.last_purchase_at, facts.tz)).days
        if since >= days:
            return None
        return Failure("too_soon_since_last_purchase", {"days": days, "days_since": since})

    return Condition(check)


@_leaf("birthday_within_days")
def _birthday(p: Params) -> Condition:
    days = p.integer("days", minimum=0, maximum=180)
    failure = Failure("not_birthday_period", {"days": days})
    unknown = Failure("birthday_unknown")

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        if customer is None:
            return _CUSTOMER_REQUIRED
        if customer.birth_month is None or customer.birth_day is None:
            return unknown
        distance = _days_to_anniversary(facts.today, customer.birth_month, customer.birth_day)
        if distance is None:
            return unknown
        return None if distance <= days else failure

    return Condition(check)


@_leaf("card_anniversary_within_days")
def _card_anniversary(p: Params) -> Condition:
    days = p.integer("days", minimum=0, maximum=180)
    failure = Failure("not_card_anniversary", {"days": days})

    def check(facts: Facts) -> Failure | None:
        customer = facts.customer
        if customer is None:
            return _CUSTOMER_REQUIRED
        if customer.card_issued_at is None:
            return failure
        issued = local_date(customer.card_issued_at, facts.tz)
        distance = _days_to_anniversary(
            facts.today, issued.month, issued.day, after_year=issued.year
        )
        return None if distance is not None and distance <= days else failure

    return Condition(check)


@_leaf("channel_in")
def _channel_in(p: Params) -> Condition:
    channels = p.texts("channels", required=True)
    listed = sorted(channels)

    def check(facts: Facts) -> Failure | None:
        channel = facts.context.channel
        if channel in channels:
            return None
        return Failure("wrong_channel", {"channels": listed, "channel": channel})

    return Condition(check)


@_leaf("location_in")
def _location_in(p: Params) -> Condition:
    locations = p.integers("locations", minimum=0)
    failure = Failure("wrong_location", {"locations": sorted(locations)})

    def check(facts: Facts) -> Failure | None:
        return None if facts.context.location_id in locations else failure

    return Condition(check)


@_leaf("flag")
def _flag(p: Params) -> Condition:
    name = p.text("name", max_length=64)
    failure = Failure("flag_missing", {"flag": name})

    def check(facts: Facts) -> Failure | None:
        return None if name in facts.context.flags else failure

    return Condition(check)


def hour_in(hour: int, from_hour: int, to_hour: int) -> bool:
    """Is ``hour`` in local [from, to)? ``from > to`` wraps midnight (22 → 6)."""
    if from_hour < to_hour:
        return from_hour <= hour < to_hour
    return hour >= from_hour or hour < to_hour


@_leaf("time_between")
def _time_between(p: Params) -> Condition:
    from_hour = p.integer("from_hour", minimum=0, maximum=23)
    to_hour = p.integer("to_hour", minimum=0, maximum=24)
    if from_hour == to_hour % 24:
        raise RuleError(p.at("to_hour"), "out_of_range", minimum=None, maximum=None)
    failure = Failure("outside_schedule", {"from_hour": from_hour, "to_hour": to_hour})

    def check(facts: Facts) -> Failure | None:
        return None if hour_in(facts.local_now.hour, from_hour, to_hour) else failure

    return Condition(check)


@_leaf("weekday_in")
def _weekday_in(p: Params) -> Condition:
    weekdays = p.integers("days", minimum=0, maximum=6)
    failure = Failure("outside_schedule", {"weekdays": sorted(weekdays)})

    def check(facts: Facts) -> Failure | None:
        return None if facts.local_now.weekday() in weekdays else failure

    return Condition(check)
