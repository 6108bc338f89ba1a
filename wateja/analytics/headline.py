"""The dashboard's first answer, in one sentence an owner reads before any number: does the
programme pay off this month, compared with last month, what costs it most, and one thing to
do about it. Built on `roi_get` (the ROI the reports already compute), this month so far
against the whole previous month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from wateja.analytics.services import Period, Roi, roi_get
from wateja.core.localtime import local_today
from wateja.core.money import Money, currency_exponent, format_money
from wateja.tenants.models import Business


@dataclass(frozen=True)
class Headline:
    tone: str  # "good", "fair", "poor" or "unknown": the sentence's colour
    sentence: str
    biggest_cost: str
    action: str


def _money(amount_minor: int, business: Business, language: str) -> str:
    return format_money(Money(amount_minor, business.currency), language)


def _biggest_cost(roi: Roi, business: Business, language: str) -> tuple[str, str]:
    parts = {
        "discounts": roi.discounts_minor,
        "rewards": roi.rewards_minor,
        "messages": roi.messages_minor,
    }
    kind = max(parts, key=lambda k: parts[k])
    amount = _money(parts[kind], business, language)
    text = {
        "discounts": _("Its biggest cost: discounts, %(amount)s."),
        "rewards": _("Its biggest cost: points and cashback used, %(amount)s."),
        "messages": _("Its biggest cost: messages, %(amount)s."),
    }[kind] % {"amount": amount}
    return kind, text


def headline_get(*, business: Business, language: str, today: dt.date | None = None) -> Headline:
    today = today or local_today(business.timezone)
    this_month = Period(today.replace(day=1), today)
    last_day = today.replace(day=1) - dt.timedelta(days=1)
    last_month = Period(last_day.replace(day=1), last_day)
    now, before = (
        roi_get(business=business, period=this_month),
        roi_get(business=business, period=last_month),
    )
    if now.roi is None:
        return Headline(
            "unknown",
            _("Not enough sales yet this month to say whether the programme pays off."),
            "",
            _("Keep ringing sales up with the customer's card: the answer comes with them."),
        )
    one = _money(_unit(business), business, language)
    returned = _money(round(now.roi * _unit(business)), business, language)
    if before.roi is None:
        sentence = _(
            "This month your programme returned %(returned)s for every %(one)s it cost."
        ) % {"returned": returned, "one": one}
    else:
        earlier = _money(round(before.roi * _unit(business)), business, language)
        template = (
            _("This month your programme returned %(returned)s for every %(one)s it cost, up "
              "from %(before)s.")
            if now.roi >= before.roi
            else _("This month your programme returned %(returned)s for every %(one)s it "
                   "cost, down from %(before)s.")
        )  # fmt: skip
        sentence = template % {"returned": returned, "one": one, "before": earlier}
    kind, cost = _biggest_cost(now, business, language)
    if now.roi >= 1:
        tone, action = (
            "good",
            _("It pays off: bring more customers in (print the QR poster for the counter)."),
        )
    else:
        tone = "fair" if now.roi >= 0.5 else "poor"
        action = {
            "discounts": _("Cap the offers that give the most discount, or give points instead."),
            "rewards": _("Points are used fast: check what a point is worth in the rules."),
            "messages": _("Send messages to smaller segments of customers who buy."),
        }[kind]
    return Headline(tone, sentence, cost, action)


def _unit(business: Business) -> int:
    """One unit of the currency in minor units (KES 1 = 100)."""
    return int(10 ** currency_exponent(business.currency))
