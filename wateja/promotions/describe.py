"""Any offer in plain words, in the reader's language: what the customer gets, when it
applies, who gets it and its limits — for offers made by recipe, through the API or by the demo
alike, so no screen ever shows an offer's raw settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wateja.promotions.messages import flag_label
from wateja.promotions.models import Promotion
from wateja.promotions.recipes import (
    WEEKDAYS,
    and_list,
    money_text,
    number_text,
    percent_text,
    product_names,
    recipe_sentence,
)
from wateja.tenants.models import Business


def _scope(business: Business, params: dict[str, Any]) -> str:
    names = product_names(business, [str(s) for s in params.get("skus") or []])
    names += [str(c) for c in params.get("categories") or []]
    return and_list(names) if names else _("the whole order")


def _benefit(business: Business, kind: str, p: dict[str, Any]) -> str:
    def money(key: str) -> str:
        return money_text(business, int(p.get(key) or 0))

    def pct(key: str = "percent_bp") -> str:
        return percent_text(int(p.get(key) or 0))

    if kind == "percent_off_order":
        return _("%(percent)s off the order") % {"percent": pct()}
    if kind == "amount_off_order":
        return _("%(amount)s off the order") % {"amount": money("amount_minor")}
    if kind == "percent_off_items":
        return _("%(percent)s off %(what)s") % {"percent": pct(), "what": _scope(business, p)}
    if kind == "amount_off_items":
        return _("%(amount)s off %(what)s") % {
            "amount": money("amount_minor"),
            "what": _scope(business, p),
        }
    if kind == "volume_discount":
        values = {"n": p.get("min_quantity"), "what": _scope(business, p)}
        if p.get("percent_bp"):
            return _("%(n)s or more of %(what)s: %(deal)s off") % {**values, "deal": pct()}
        return _("%(n)s or more of %(what)s: %(deal)s each") % {
            **values,
            "deal": money("unit_price_minor"),
        }
    if kind == "bundle":
        skus = [s for entry in p.get("sets") or [] for s in entry.get("skus") or []]
        items = and_list(product_names(business, [str(s) for s in skus]))
        if p.get("price_minor"):
            return _("%(items)s together for %(price)s") % {
                "items": items,
                "price": money("price_minor"),
            }
        return _("%(items)s together: %(percent)s off") % {"items": items, "percent": pct()}
    if kind == "free_item":
        (name,) = product_names(business, [str(p.get("sku") or "")])
        return _("%(product)s free") % {"product": name}
    if kind == "gift":
        return _("A gift: %(gift)s") % {"gift": p.get("description") or ""}
    if kind == "points_per_amount":
        points = int(p.get("points") or 0)
        return ngettext(
            "%(points)s point for each %(amount)s paid",
            "%(points)s points for each %(amount)s paid",
            points,
        ) % {"points": number_text(points), "amount": money("per_amount_minor")}
    if kind == "points_multiplier":
        return _("%(times)s times the usual points on %(what)s") % {
            "times": number_text(Decimal(int(p.get("multiplier_bp") or 0)) / 10_000),
            "what": _scope(business, p),
        }
    if kind == "bonus_points":
        points = int(p.get("points") or 0)
        return ngettext("%(points)s bonus point", "%(points)s bonus points", points) % {
            "points": number_text(points)
        }
    if kind == "cashback_percent":
        return _("%(percent)s of the order back as cashback") % {"percent": pct()}
    if kind == "next_order_coupon":
        discount = money("amount_minor") if p.get("amount_minor") else pct()
        days = int(p.get("valid_days") or 0)
        return ngettext(
            "a coupon for the next order: %(discount)s off, valid %(days)s day",
            "a coupon for the next order: %(discount)s off, valid %(days)s days",
            days,
        ) % {"discount": discount, "days": days}
    if kind == "referral_reward":
        steps = [
            ngettext(
                "%(percent)s off after %(friends)s friend",
                "%(percent)s off after %(friends)s friends",
                int(friends),
            )
            % {"percent": percent_text(int(bp)), "friends": friends}
            for friends, bp in p.get("steps") or []
        ]
        return _("for bringing friends: %(steps)s") % {"steps": "; ".join(steps)}
    if kind == "tier_discount":
        return _("the discount of the customer's tier")
    return _("a message to the customer")


def _condition(business: Business, node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    if "all" in node:
        return and_list([c for c in (_condition(business, n) for n in node["all"]) if c])
    if "any" in node:
        parts = [c for c in (_condition(business, n) for n in node["any"]) if c]
        return _(" or ").join(parts)
    if "not" in node:
        return _("not (%(condition)s)") % {"condition": _condition(business, node["not"])}
    kind, p = node.get("type"), node
    days = int(p.get("days") or 0)
    texts: dict[str, Any] = {
        "min_subtotal": lambda: (
            _("on orders from %(amount)s")
            % {"amount": money_text(business, int(p.get("amount_minor") or 0))}
        ),
        "min_quantity": lambda: _("with at least %(n)s items") % {"n": p.get("quantity")},
        "min_weight": lambda: (
            _("from %(kg)s kg in one order")
            % {"kg": number_text(Decimal(int(p.get("grams") or 0)) / 1000)}
        ),
        "has_items": lambda: _("when the order has %(what)s") % {"what": _scope(business, p)},
        "bundle_present": lambda: _("when the order has %(what)s") % {"what": _scope(business, p)},
        "member": lambda: _("for card holders"),
        "tier_in": lambda: (
            _("for the tiers %(tiers)s")
            % {"tiers": and_list([str(t) for t in p.get("tiers") or []])}
        ),
        "has_tag": lambda: _("for customers tagged “%(tag)s”") % {"tag": p.get("tag")},
        "in_segment": lambda: _("for a saved segment of customers"),
        "nth_purchase": lambda: _("on a customer's purchase number %(n)s") % {"n": p.get("n")},
        "nth_visit_every": lambda: (
            _("on every visit number %(n)s (a stamp card)") % {"n": p.get("n")}
        ),
        "within_days_of_first_purchase": lambda: (
            ngettext(
                "within %(days)s day of the first purchase",
                "within %(days)s days of the first purchase",
                days,
            )
            % {"days": days}
        ),
        "days_since_last_purchase_gte": lambda: (
            ngettext(
                "after %(days)s day without a purchase",
                "after %(days)s days without a purchase",
                days,
            )
            % {"days": days}
        ),
        "birthday_within_days": lambda: (
            ngettext(
                "within %(days)s day of the customer's birthday",
                "within %(days)s days of the customer's birthday",
                days,
            )
            % {"days": days}
        ),
        "card_anniversary_within_days": lambda: (
            ngettext(
                "within %(days)s day of the card's anniversary",
                "within %(days)s days of the card's anniversary",
                days,
            )
            % {"days": days}
        ),
        "channel_in": lambda: _("in some channels only"),
        "location_in": lambda: _("in some branches only"),
        "flag": lambda: (
            _("when the cashier ticks “%(what)s”") % {"what": flag_label(str(p.get("name") or ""))}
        ),
        "time_between": lambda: (
            _("from %(start)s:00 to %(end)s:00")
            % {"start": p.get("from_hour"), "end": p.get("to_hour")}
        ),
        "weekday_in": lambda: and_list([str(WEEKDAYS[int(d)]) for d in p.get("days") or []]),
    }
    make = texts.get(str(kind))
    return str(make()) if make else ""


def describe(promotion: Promotion) -> dict[str, Any]:
    """`what`: what the customer gets; `rules`: when, who and how often, one phrase each."""
    business = promotion.business
    what = ""
    if promotion.recipe:
        what = recipe_sentence(business, promotion.recipe, promotion.recipe_values)
    if not what:
        benefit = _benefit(business, promotion.type, dict(promotion.params or {}))
        condition = _condition(business, promotion.conditions)
        what = f"{benefit[:1].upper()}{benefit[1:]}" + (f", {condition}" if condition else "")
        what += "."
    rules: list[str] = []
    if promotion.weekdays:
        rules.append(
            _("Only on %(days)s.")
            % {"days": and_list([str(WEEKDAYS[int(d)]) for d in sorted(promotion.weekdays)])}
        )
    if promotion.hour_from is not None or promotion.hour_to is not None:
        rules.append(
            _("From %(start)s:00 to %(end)s:00.")
            % {"start": promotion.hour_from or 0, "end": promotion.hour_to or 24}
        )
    if promotion.audience == "members":
        rules.append(_("Card holders only."))
    elif promotion.audience == "tier":
        rules.append(
            _("Only for the tiers %(tiers)s.")
            % {"tiers": and_list([str(t) for t in promotion.audience_values])}
        )
    elif promotion.audience == "segment":
        rules.append(_("Only for a saved segment of customers."))
    if promotion.requires_code:
        rules.append(_("Only with a promo code."))
    if promotion.max_uses_per_customer:
        per = {
            "day": _("a day"),
            "week": _("a week"),
            "month": _("a month"),
            "year": _("a year"),
        }.get(promotion.customer_limit_period, "")
        uses = promotion.max_uses_per_customer
        limit = ngettext(
            "At most %(n)s use per customer", "At most %(n)s uses per customer", uses
        ) % {"n": uses}
        rules.append(f"{limit} {per}".strip() + ".")
    if promotion.max_uses:
        rules.append(
            ngettext("At most %(n)s use in all.", "At most %(n)s uses in all.", promotion.max_uses)
            % {"n": number_text(promotion.max_uses)}
        )
    if promotion.budget_minor is not None:
        period = promotion.get_budget_period_display().lower()
        rules.append(
            _("Budget: %(amount)s %(period)s.")
            % {"amount": money_text(business, promotion.budget_minor), "period": period}
        )
    if promotion.max_discount_minor:
        rules.append(
            _("At most %(amount)s off an order.")
            % {"amount": money_text(business, promotion.max_discount_minor)}
        )
    if promotion.exclusive_group:
        rules.append(_("Only the best offer of its group applies."))
    elif not promotion.stackable:
        rules.append(_("Does not combine with other offers."))
    return {"what": what, "rules": rules}
