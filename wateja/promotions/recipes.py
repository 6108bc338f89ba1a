"""Offers by recipe: the programmes and offers a small shop actually runs (stamp card, points,
double points days, second visit, own cup, …), each from the few numbers the owner thinks in.

A recipe turns its values (plain JSON: integers in minor units and basis points, lists of item
codes, ISO dates) into the engine's promotion fields, and says in one sentence, in the reader's
language, what the customer gets. The values are stored on the promotion, so a draft opens
again in its own short form. Forms (wateja.web.rewards.recipe_forms) only parse input.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from wateja.catalog.models import Product
from wateja.core.errors import ValidationFailed
from wateja.core.money import Money, format_money
from wateja.promotions.models import CodeKind, Promotion, PromotionStatus
from wateja.tenants.models import Business

Values = Mapping[str, Any]
OWN_CUP = "own_cup"
WEEKDAYS = (
    gettext_lazy("Mondays"),
    gettext_lazy("Tuesdays"),
    gettext_lazy("Wednesdays"),
    gettext_lazy("Thursdays"),
    gettext_lazy("Fridays"),
    gettext_lazy("Saturdays"),
    gettext_lazy("Sundays"),
)


@dataclass(frozen=True)
class Recipe:
    key: str
    title: Promise
    pitch: Promise  # one line in the gallery: what it is for
    group: str  # programme, return, basket, codes
    build: Callable[[Business, Values], dict[str, Any]]
    sentence: Callable[[Business, Values], str]
    base: bool = False  # a base programme: every sale earns by it


# ---------------------------------------------------------------- formatting for sentences


def _language() -> str:
    return translation.to_locale(translation.get_language() or "en")


def money_text(business: Business, amount_minor: int) -> str:
    return format_money(Money(int(amount_minor), business.currency), _language())


def percent_text(bp: int) -> str:
    return str(format_percent(Decimal(int(bp)) / 10_000, "#,##0.##%", locale=_locale_name()))


def number_text(value: Decimal | int) -> str:
    return str(format_decimal(value, locale=_locale_name()))


def _locale_name() -> str:
    name = _language()
    return name if name in ("en", "sw", "hy", "ru") else name.split("_")[0]


def and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def product_names(business: Business, skus: list[str]) -> list[str]:
    """The products' names in the reader's language (as the catalogue spells them there)."""
    language = (translation.get_language() or "en").split("-")[0]
    found = {p.sku: p for p in Product.objects.for_business(business).filter(sku__in=skus)}
    return [found[sku].name_in(language) if sku in found else sku for sku in skus]


def _price(business: Business, sku: str) -> int | None:
    return (
        Product.objects.for_business(business)
        .filter(sku=sku)
        .values_list("price_minor", flat=True)
        .first()
    )


def _int(values: Values, key: str) -> int:
    value = values.get(key)
    return int(value) if value not in (None, "") else 0


def _required(values: Values, *keys: str) -> None:
    missing = {key: [_("This is required.")] for key in keys if values.get(key) in (None, "", [])}
    if missing:
        raise ValidationFailed(
            _("Some fields are not valid."),
            code="invalid_recipe",
            details={"fields": missing},
        )


def _dates(business: Business, values: Values) -> dict[str, Any]:
    tz = zoneinfo.ZoneInfo(business.timezone)
    out: dict[str, Any] = {}
    if values.get("starts"):
        out["starts_at"] = dt.datetime.combine(
            dt.date.fromisoformat(str(values["starts"])), dt.time.min, tz
        )
    if values.get("ends"):
        out["ends_at"] = dt.datetime.combine(
            dt.date.fromisoformat(str(values["ends"])), dt.time.max, tz
        )
    return out


def _items_scope(values: Values) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    if values.get("skus"):
        scope["skus"] = list(values["skus"])
    if values.get("categories"):
        scope["categories"] = list(values["categories"])
    return scope


def _what(business: Business, values: Values) -> str:
    names = product_names(business, list(values.get("skus") or []))
    names += [str(c) for c in values.get("categories") or []]
    return and_list(names) if names else _("anything")


# ---------------------------------------------------------------- the recipes


def _points(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "points", "per_amount_minor")
    return {
        "type": "points_per_amount",
        "params": {"points": _int(v, "points"), "per_amount_minor": _int(v, "per_amount_minor")},
    }


def _points_sentence(business: Business, v: Values) -> str:
    points = _int(v, "points")
    return ngettext(
        "Every sale earns %(points)s point for each %(amount)s paid.",
        "Every sale earns %(points)s points for each %(amount)s paid.",
        points,
    ) % {"points": number_text(points), "amount": money_text(business, _int(v, "per_amount_minor"))}


def _cashback(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "percent_bp")
    return {"type": "cashback_percent", "params": {"percent_bp": _int(v, "percent_bp")}}


def _cashback_sentence(business: Business, v: Values) -> str:
    bp = _int(v, "percent_bp")
    return _(
        "Every sale gives %(percent)s back as cashback to spend next time: %(back)s on %(example)s."
    ) % {
        "percent": percent_text(bp),
        "back": money_text(business, 100_000 * bp // 10_000),
        "example": money_text(business, 100_000),
    }


def _stamps(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "visits", "sku")
    sku = str(v["sku"])
    params: dict[str, Any] = {"sku": sku, "quantity": 1}
    price = _price(business, sku)
    if price is not None:
        params["value_minor"] = price
    return {
        "type": "free_item",
        "params": params,
        "conditions": {"type": "nth_visit_every", "n": _int(v, "visits")},
    }


def _stamps_sentence(business: Business, v: Values) -> str:
    (product,) = product_names(business, [str(v.get("sku") or "")])
    return _(
        "Each visit earns a stamp; with %(n)s stamps the customer gets %(product)s free on that "
        "visit, and the card starts again."
    ) % {"n": _int(v, "visits"), "product": product}


def _double(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "multiplier_bp")
    return {
        "type": "points_multiplier",
        "params": {"multiplier_bp": _int(v, "multiplier_bp"), **_items_scope(v)},
        "weekdays": sorted(int(d) for d in v.get("weekdays") or []),
    }


def _double_sentence(business: Business, v: Values) -> str:
    days = [str(WEEKDAYS[int(d)]) for d in sorted(int(d) for d in v.get("weekdays") or [])]
    times = number_text(Decimal(_int(v, "multiplier_bp")) / 10_000)
    when = and_list(days) if days else _("every day")
    what = _what(business, v)
    text = _("On %(when)s, %(what)s earns %(times)s times the usual points.") % {
        "when": when,
        "what": what,
        "times": times,
    }
    if not base_programme(business, points_only=True):
        text += " " + _("It needs a points programme, and none is active yet.")
    return text


def _second(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "percent_bp", "days")
    return {
        "type": "percent_off_order",
        "params": {"percent_bp": _int(v, "percent_bp")},
        "conditions": {
            "all": [
                {"type": "nth_purchase", "n": 2},
                {"type": "within_days_of_first_purchase", "days": _int(v, "days")},
            ]
        },
    }


def _second_sentence(business: Business, v: Values) -> str:
    days = _int(v, "days")
    return ngettext(
        "A new customer's second purchase within %(days)s day of the first gets %(percent)s off.",
        "A new customer's second purchase within %(days)s days of the first gets %(percent)s off.",
        days,
    ) % {"days": days, "percent": percent_text(_int(v, "percent_bp"))}


def _own_cup(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "amount_minor")
    return {
        "type": "amount_off_order",
        "params": {"amount_minor": _int(v, "amount_minor")},
        "conditions": {"type": "flag", "name": OWN_CUP},
    }


def _own_cup_sentence(business: Business, v: Values) -> str:
    return _("When the cashier ticks “Own cup” at the till, the order costs %(amount)s less.") % {
        "amount": money_text(business, _int(v, "amount_minor"))
    }


def _weight_gift(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "grams", "gift")
    params: dict[str, Any] = {"description": str(v["gift"])}
    if v.get("sku"):
        params["sku"] = str(v["sku"])
    return {
        "type": "gift",
        "params": params,
        "conditions": {"type": "min_weight", "grams": _int(v, "grams")},
    }


def _weight_gift_sentence(business: Business, v: Values) -> str:
    return _("From %(kg)s kg in one order, the customer gets a gift: %(gift)s.") % {
        "kg": number_text(Decimal(_int(v, "grams")) / 1000),
        "gift": v.get("gift") or "…",
    }


def _birthday(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "points")
    return {
        "type": "bonus_points",
        "params": {"points": _int(v, "points")},
        "conditions": {"type": "birthday_within_days", "days": _int(v, "days")},
        "max_uses_per_customer": 1,
        "customer_limit_period": "year",
    }


def _birthday_sentence(business: Business, v: Values) -> str:
    days = _int(v, "days")
    points = _int(v, "points")
    bonus = ngettext("%(points)s bonus point", "%(points)s bonus points", points) % {
        "points": number_text(points)
    }
    if not days:
        return _("A purchase on the customer's birthday earns %(bonus)s, once a year.") % {
            "bonus": bonus
        }
    return ngettext(
        "A purchase within %(days)s day of the customer's birthday earns %(bonus)s, once a year.",
        "A purchase within %(days)s days of the customer's birthday earns %(bonus)s, once a year.",
        days,
    ) % {"days": days, "bonus": bonus}


def _combo(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "skus")
    skus = list(v["skus"])
    if len(skus) < 2:
        raise ValidationFailed(
            _("Some fields are not valid."),
            code="invalid_recipe",
            details={"fields": {"skus": [_("Choose at least two products.")]}},
        )
    params: dict[str, Any] = {"sets": [{"skus": skus}]}
    if v.get("price_minor"):
        params["price_minor"] = _int(v, "price_minor")
    elif v.get("percent_bp"):
        params["percent_bp"] = _int(v, "percent_bp")
    else:
        raise ValidationFailed(
            _("Some fields are not valid."),
            code="invalid_recipe",
            details={"fields": {"price_minor": [_("Give the combo price or a percent off.")]}},
        )
    return {"type": "bundle", "params": params}


def _combo_sentence(business: Business, v: Values) -> str:
    skus = [str(s) for s in v.get("skus") or []]
    names = product_names(business, skus)
    usual = sum(_price(business, sku) or 0 for sku in skus)
    if v.get("price_minor"):
        text = _("Bought together, %(items)s cost %(price)s") % {
            "items": and_list(names) or "…",
            "price": money_text(business, _int(v, "price_minor")),
        }
    elif v.get("percent_bp"):
        text = _("Bought together, %(items)s cost %(percent)s less") % {
            "items": and_list(names) or "…",
            "percent": percent_text(_int(v, "percent_bp")),
        }
    else:
        raise ValueError("no price yet")
    if usual:
        text += " " + _("(%(usual)s separately).") % {"usual": money_text(business, usual)}
    else:
        text += "."
    return text


def _members(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "percent_bp")
    return {
        "type": "percent_off_order",
        "params": {"percent_bp": _int(v, "percent_bp")},
        "audience": "members",
    }


def _members_sentence(business: Business, v: Values) -> str:
    return _("Card holders get %(percent)s off every order; others pay the usual price.") % {
        "percent": percent_text(_int(v, "percent_bp"))
    }


def _volume(business: Business, v: Values) -> dict[str, Any]:
    _required(v, "min_quantity", "percent_bp")
    scope = _items_scope(v)
    if not scope:
        raise ValidationFailed(
            _("Some fields are not valid."),
            code="invalid_recipe",
            details={"fields": {"skus": [_("Choose the products or a category.")]}},
        )
    return {
        "type": "volume_discount",
        "params": {
            "min_quantity": _int(v, "min_quantity"),
            "percent_bp": _int(v, "percent_bp"),
            **scope,
        },
    }


def _volume_sentence(business: Business, v: Values) -> str:
    return _("Buying %(n)s or more of %(what)s in one order takes %(percent)s off them.") % {
        "n": _int(v, "min_quantity"),
        "what": _what(business, v),
        "percent": percent_text(_int(v, "percent_bp")),
    }


def _referral(business: Business, v: Values) -> dict[str, Any]:
    steps = _referral_steps(v)
    if not steps:
        raise ValidationFailed(
            _("Some fields are not valid."),
            code="invalid_recipe",
            details={"fields": {"percent_1": [_("This is required.")]}},
        )
    return {"type": "referral_reward", "params": {"steps": steps}}


def _referral_steps(v: Values) -> list[list[int]]:
    steps = []
    for i in (1, 2, 3):
        friends, bp = _int(v, f"friends_{i}"), _int(v, f"percent_{i}")
        if friends and bp:
            steps.append([friends, bp])
    return steps


def _referral_sentence(business: Business, v: Values) -> str:
    parts = []
    for friends, bp in _referral_steps(v):
        parts.append(
            ngettext(
                "%(percent)s off after %(friends)s friend",
                "%(percent)s off after %(friends)s friends",
                friends,
            )
            % {"percent": percent_text(bp), "friends": friends}
        )
    return _(
        "A customer whose friend makes a first purchase gets a discount on their next order, "
        "growing with each friend: %(steps)s."
    ) % {"steps": "; ".join(parts) or "…"}


def _codes(business: Business, v: Values) -> dict[str, Any]:
    kind = v.get("kind") or CodeKind.REUSABLE
    if kind == CodeKind.REUSABLE:
        _required(v, "code")
    else:
        _required(v, "count")
    out: dict[str, Any]
    if v.get("amount_minor"):
        out = {"type": "amount_off_order", "params": {"amount_minor": _int(v, "amount_minor")}}
    elif v.get("percent_bp"):
        out = {"type": "percent_off_order", "params": {"percent_bp": _int(v, "percent_bp")}}
    else:
        raise ValidationFailed(
            _("Some fields are not valid."),
            code="invalid_recipe",
            details={"fields": {"percent": [_("Give a percent or an amount off.")]}},
        )
    if v.get("min_subtotal_minor"):
        out["conditions"] = {"type": "min_subtotal", "amount_minor": _int(v, "min_subtotal_minor")}
    out["requires_code"] = True
    return out


def _codes_sentence(business: Business, v: Values) -> str:
    discount = (
        money_text(business, _int(v, "amount_minor"))
        if v.get("amount_minor")
        else percent_text(_int(v, "percent_bp"))
    )
    if (v.get("kind") or CodeKind.REUSABLE) == CodeKind.REUSABLE:
        text = _("Anyone who says the code %(code)s gets %(discount)s off") % {
            "code": str(v.get("code") or "…").upper(),
            "discount": discount,
        }
    else:
        count = _int(v, "count")
        text = ngettext(
            "%(count)s one-time code to print and hand out; each gives %(discount)s off once",
            "%(count)s one-time codes to print and hand out; each gives %(discount)s off once",
            count,
        ) % {"count": number_text(count), "discount": discount}
    if v.get("min_subtotal_minor"):
        text += " " + _("on orders from %(minimum)s") % {
            "minimum": money_text(business, _int(v, "min_subtotal_minor"))
        }
    return text + "."


RECIPES: dict[str, Recipe] = {
    recipe.key: recipe
    for recipe in (
        Recipe("points", gettext_lazy("Points per amount"),
               gettext_lazy("The classic: points for every amount paid, spent as money later."),
               "programme", _points, _points_sentence, base=True),
        Recipe("cashback", gettext_lazy("Cashback"),
               gettext_lazy("A percent of every sale back on the card, spent next time."),
               "programme", _cashback, _cashback_sentence, base=True),
        Recipe("stamps", gettext_lazy("Stamp card"),
               gettext_lazy("Every Nth visit a product free: coffee shops, car washes, salons."),
               "programme", _stamps, _stamps_sentence, base=True),
        Recipe("double_points", gettext_lazy("Double points days"),
               gettext_lazy("More points on quiet days or for chosen products."),
               "return", _double, _double_sentence),
        Recipe("second_visit", gettext_lazy("Second purchase discount"),
               gettext_lazy("First-time buyers come back: a discount if they return soon."),
               "return", _second, _second_sentence),
        Recipe("birthday", gettext_lazy("Birthday bonus"),
               gettext_lazy("Bonus points around the customer's birthday, once a year."),
               "return", _birthday, _birthday_sentence),
        Recipe("referral", gettext_lazy("Bring a friend"),
               gettext_lazy("A reward for each friend who buys, growing with every friend."),
               "return", _referral, _referral_sentence),
        Recipe("combo", gettext_lazy("Combo"),
               gettext_lazy("Two or more products together for a set price."),
               "basket", _combo, _combo_sentence),
        Recipe("volume", gettext_lazy("Volume discount"),
               gettext_lazy("A percent off when buying several: 11 roses, 3 bags of flour."),
               "basket", _volume, _volume_sentence),
        Recipe("weight_gift", gettext_lazy("Gift from a weight"),
               gettext_lazy("A gift with orders from a weight: a pack of coffee from 1.2 kg."),
               "basket", _weight_gift, _weight_gift_sentence),
        Recipe("own_cup", gettext_lazy("Bring your own cup"),
               gettext_lazy("Less to pay for bringing a cup or a bag; the cashier ticks it."),
               "basket", _own_cup, _own_cup_sentence),
        Recipe("members", gettext_lazy("Members-only price"),
               gettext_lazy("A discount only card holders get, for a few days or always."),
               "basket", _members, _members_sentence),
        Recipe("codes", gettext_lazy("Promo codes"),
               gettext_lazy("A code to announce, or one-time codes to print on flyers."),
               "codes", _codes, _codes_sentence),
    )
}  # fmt: skip
GROUPS = (
    ("programme", gettext_lazy("How customers earn")),
    ("return", gettext_lazy("Bring them back")),
    ("basket", gettext_lazy("Sell more in each order")),
    ("codes", gettext_lazy("Codes")),
)
BASE_TYPES = ("points_per_amount", "cashback_percent")


def recipe_or_404(key: str) -> Recipe:
    from wateja.core.errors import NotFound

    recipe = RECIPES.get(key)
    if recipe is None:
        raise NotFound(_("Unknown recipe."), code="recipe_unknown")
    return recipe


def recipe_sentence(business: Business, key: str, values: Values) -> str:
    """What the customer gets, in the active language; "" while the values are incomplete."""
    try:
        return recipe_or_404(key).sentence(business, values)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return ""


def base_programme(business: Business, *, points_only: bool = False) -> Promotion | None:
    """The active promotion every sale earns by (points, cashback or a stamp card)."""
    active = Promotion.objects.for_business(business).filter(status=PromotionStatus.ACTIVE)
    if points_only:
        return active.filter(type="points_per_amount").first()
    found = active.filter(type__in=BASE_TYPES).first()
    if found is None:
        found = active.filter(recipe="stamps").first()
    return found


@transaction.atomic
def recipe_save(
    *,
    business: Business,
    key: str,
    values: Values,
    name: str = "",
    promotion: Promotion | None = None,
    created_by: Any = None,
    activate: bool = False,
) -> Promotion:
    """Create (or edit, while a draft) the promotion a recipe describes; with `activate`, start
    it at once. Promo code recipes issue their codes with the first save."""
    from wateja.promotions.services import codes_issue, promotion_save, promotion_set_status

    recipe = recipe_or_404(key)
    if promotion is not None and promotion.status != PromotionStatus.DRAFT:
        raise ValidationFailed(
            _("Only a draft can be changed; end this offer and make a new one."),
            code="not_a_draft",
        )
    fields = recipe.build(business, values)
    fields.update(_dates(business, values))
    stored = {k: v for k, v in values.items() if v not in (None, "", [])}
    promotion = promotion_save(
        business=business,
        promotion=promotion,
        created_by=created_by,
        name=(name or str(recipe.title)).strip()[:200],
        recipe=key,
        recipe_values=stored,
        **fields,
    )
    if key == "codes" and not promotion.promo_codes.exists():
        if (values.get("kind") or CodeKind.REUSABLE) == CodeKind.REUSABLE:
            codes_issue(promotion=promotion, code=str(values["code"]), kind=CodeKind.REUSABLE)
        else:
            codes_issue(
                promotion=promotion,
                count=_int(values, "count"),
                kind=CodeKind.SINGLE_USE,
                batch=promotion.name[:60],
                valid_until=fields.get("ends_at"),
            )
    if activate:
        promotion = promotion_set_status(promotion=promotion, status=PromotionStatus.ACTIVE)
    return promotion
