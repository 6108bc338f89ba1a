"""Human texts for the engine's typed reasons, in the active language, with money formatted
in the business currency: "Add KES 300.00 more to get 10% off"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from wateja.core.money import Money, format_money
from wateja.core.rules.model import Rejection


def _money(amount: Any, currency: str) -> str:
    return format_money(Money(int(amount), currency), translation.get_language() or "en")


def _texts() -> dict[str, Callable[[dict[str, Any]], str]]:
    return {
        "min_subtotal_not_met": lambda p: _("Add %(missing)s more to get “%(name)s”.") % p,
        "min_quantity_not_met": lambda p: _("Add %(missing)s more item(s) to get “%(name)s”.") % p,
        "min_weight_not_met": lambda p: _("Add %(missing_grams)s g more to get “%(name)s”.") % p,
        "not_a_member": lambda p: _("“%(name)s” is for loyalty card holders.") % p,
        "tier_required": lambda p: _("“%(name)s” is for a higher tier.") % p,
        "not_in_segment": lambda p: _("“%(name)s” is for selected customers.") % p,
        "not_started": lambda p: _("“%(name)s” has not started yet.") % p,
        "expired": lambda p: _("“%(name)s” has ended.") % p,
        "outside_schedule": lambda p: _("“%(name)s” is not on at this time.") % p,
        "wrong_channel": lambda p: _("“%(name)s” is not available here.") % p,
        "wrong_location": lambda p: _("“%(name)s” is not available at this branch.") % p,
        "usage_limit_reached": lambda p: _("“%(name)s” has been used up.") % p,
        "customer_limit_reached": lambda p: _("You have already used “%(name)s”.") % p,
        "budget_exhausted": lambda p: _("The budget of “%(name)s” is spent.") % p,
        "not_stackable": lambda p: _("“%(name)s” cannot be combined with other offers.") % p,
        "lower_value_in_group": lambda p: _("A better offer applies instead of “%(name)s”.") % p,
        "not_second_purchase": lambda p: _("“%(name)s” is for the second purchase.") % p,
        "second_purchase_window_passed": lambda p: (
            _("“%(name)s” was valid within %(days)s days of the first purchase.") % p
        ),
        "flag_missing": lambda p: _("“%(name)s” needs: %(flag)s.") % p,
        "no_matching_items": lambda p: _("No item in the cart qualifies for “%(name)s”.") % p,
        "nothing_to_discount": lambda p: _("Nothing left to discount for “%(name)s”.") % p,
        "code_unknown": lambda p: _("The code %(code)s is not valid.") % p,
        "code_not_started": lambda p: _("The code %(code)s is not valid yet.") % p,
        "code_expired": lambda p: _("The code %(code)s has expired.") % p,
        "code_used": lambda p: _("The code %(code)s has already been used.") % p,
        "code_not_yours": lambda p: _("The code %(code)s belongs to another customer.") % p,
        "not_birthday_period": lambda p: _("“%(name)s” is for the customer's birthday.") % p,
        "birthday_unknown": lambda p: _("“%(name)s” needs the customer's birthday.") % p,
        "not_card_anniversary": lambda p: _("“%(name)s” is for the card's anniversary.") % p,
        "items_missing": lambda p: _("“%(name)s” needs other items in the cart.") % p,
        "bundle_incomplete": lambda p: _("Add the rest of the set to get “%(name)s”.") % p,
        "tag_missing": lambda p: _("“%(name)s” is for selected customers.") % p,
        "not_first_purchase": lambda p: _("“%(name)s” is for the first purchase.") % p,
        "not_nth_purchase": lambda p: _("“%(name)s” is for purchase number %(n)s.") % p,
        "not_nth_visit": lambda p: _("%(visits_to_go)s more visit(s) to get “%(name)s”.") % p,
        "too_soon_since_last_purchase": lambda p: (
            _("“%(name)s” is for customers who have not visited for %(days)s days.") % p
        ),
        "no_previous_purchase": lambda p: _("“%(name)s” needs an earlier purchase.") % p,
        "customer_required": lambda p: _("Identify the customer to get “%(name)s”.") % p,
        "better_multiplier_applied": lambda p: (
            _("A higher points multiplier applies instead of “%(name)s”.") % p
        ),
        "nothing_to_earn": lambda p: _("Nothing to earn with “%(name)s” on this sale.") % p,
        "invalid_promotion": lambda p: _("“%(name)s” is set up wrongly; ask a manager.") % p,
        "no_referral_reward": lambda p: _("No referral reward is waiting.") % p,
    }


def flag_label(flag: str) -> str:
    """What the cashier ticks, in words: "own_cup" → "Brought their own cup"."""
    labels = {
        "own_cup": _("Brought their own cup"),
        "own_bag": _("Brought their own bag"),
        "student": _("Showed a student card"),
    }
    return labels.get(flag, flag.replace("_", " ").capitalize())


def rejection_text(rejection: Rejection, currency: str) -> str:
    params: dict[str, Any] = {
        "name": rejection.name,
        "code": "",
        "flag": "",
        "days": "",
        "n": "",
        "visits_to_go": "",
        "missing": "",
    }
    for key, value in rejection.params.items():
        params[key] = value
    if params.get("flag"):
        params["flag"] = flag_label(str(params["flag"]))
    for key in list(params):
        if key.endswith("_minor") and params[key] not in (None, ""):
            params[key.removesuffix("_minor")] = _money(params[key], currency)
    template = _texts().get(rejection.code)
    if template is None:
        return _("“%(name)s” does not apply (%(reason)s).") % {
            "name": rejection.name,
            "reason": rejection.code,
        }
    try:
        return template(params)
    except (KeyError, ValueError, TypeError):
        return _("“%(name)s” does not apply.") % {"name": rejection.name}
