"""Surprise gifts: every Nth order of a regular, decided by the customer's own order count
(not chance), within the monthly budget, posted once through the ledger."""

from __future__ import annotations

import pytest

from wateja.challenges.models import SurpriseGift
from wateja.challenges.surprises import (
    month_used,
    surprise_after_sale,
    surprise_rule_save,
    surprise_text,
)
from wateja.core.errors import ValidationFailed
from wateja.tenants.models import AuditEvent
from wateja.wallet.services import ledger_check

from .conftest import balance


def test_every_third_order_of_a_regular_brings_a_surprise_within_the_budget(
    business, make_customer, sell
):
    rule = surprise_rule_save(
        business=business,
        name="Regulars",
        every_nth=3,
        min_purchases=3,
        points=50,
        monthly_count=2,
    )
    amina, baraka = make_customer("Amina"), make_customer("Baraka")

    given = []
    for n in range(1, 10):
        order = sell(amina)
        given.append((n, surprise_after_sale(order=order) is not None))
    orders_of_baraka = [sell(baraka) for _ in range(3)]
    late = surprise_after_sale(order=orders_of_baraka[-1])

    # 3rd and 6th order of Amina; the 9th and Baraka's 3rd find the month's budget spent
    assert [n for n, got in given if got] == [3, 6]
    assert late is None
    assert balance(amina) == 100 and balance(baraka) == 0
    assert month_used(rule) == {"count": 2, "points": 100}
    assert AuditEvent.objects.filter(business=business, action="surprise_rule.save").count() == 1
    assert ledger_check(business) == []


def test_the_same_sale_never_brings_two_surprises(business, make_customer, sell):
    surprise_rule_save(
        business=business, name="Every order", every_nth=1, min_purchases=1, points=20
    )
    amina = make_customer("Amina")
    order = sell(amina)

    first = surprise_after_sale(order=order)
    again = surprise_after_sale(order=order)

    assert first is not None and again is not None and first.pk == again.pk
    assert SurpriseGift.objects.filter(order=order).count() == 1
    assert balance(amina) == 20
    assert surprise_text(first) == "Surprise! 20 points because you are a regular. Thank you!"


def test_an_item_gift_is_recorded_and_explained_and_the_points_budget_caps(
    business, make_customer, sell
):
    surprise_rule_save(
        business=business, name="Coffee", every_nth=2, min_purchases=0, item="A free coffee"
    )
    amina = make_customer("Amina")
    sell(amina)
    gift = surprise_after_sale(order=sell(amina))

    assert gift is not None and gift.item == "A free coffee" and gift.points == 0
    assert "A free coffee" in surprise_text(gift)
    assert balance(amina) == 0


def test_points_budget_caps_the_gifts(business, make_customer, sell):
    surprise_rule_save(
        business=business,
        name="Capped",
        every_nth=1,
        min_purchases=1,
        points=40,
        monthly_points=100,
    )
    amina = make_customer("Amina")
    results = [surprise_after_sale(order=sell(amina)) for _ in range(4)]

    assert [r is not None for r in results] == [True, True, False, False]
    assert balance(amina) == 80


def test_a_rule_gives_points_or_an_item(business):
    with pytest.raises(ValidationFailed) as error:
        surprise_rule_save(business=business, name="", every_nth=0, min_purchases=1)
    assert set(error.value.details["fields"]) == {"name", "every_nth", "points"}
