"""The dashboard's first sentence: this month's return on every unit the programme cost,
against last month, its biggest cost and one thing to do."""

from __future__ import annotations

import datetime as dt

import time_machine

from wateja.analytics.headline import headline_get
from wateja.analytics.services import analytics_nightly
from wateja.customers.services import customer_create
from wateja.orders.services import order_record

NOW = dt.datetime(2027, 5, 20, 9, 0, tzinfo=dt.UTC)


def test_no_sales_yet_says_so_and_what_to_do(business):
    with time_machine.travel(NOW, tick=False):
        headline = headline_get(business=business, language="en")
    assert headline.tone == "unknown"
    assert headline.sentence.startswith("Not enough sales yet this month")


def test_a_programme_that_pays_says_how_much_for_every_shilling(business):
    amina = customer_create(business=business, name="Amina", phone="0712000111")
    day = dt.datetime(2027, 5, 10, 9, 0, tzinfo=dt.UTC)
    for n in range(2):  # members spend more per order than walk-ins, with 100.00 discount
        order_record(
            business=business,
            number=f"M{n}",
            total_minor=200_000,
            discount_minor=5_000,
            customer=amina,
            placed_at=day + dt.timedelta(hours=n),
        )
        order_record(
            business=business,
            number=f"W{n}",
            total_minor=100_000,
            placed_at=day + dt.timedelta(hours=n),
        )
    with time_machine.travel(NOW, tick=False):
        analytics_nightly(business=business)
        headline = headline_get(business=business, language="en")
    assert headline.tone == "good"
    # margin 40 % of list price: members 2,050.00 → 820.00 per order, walk-ins 400.00; the
    # difference on 2 orders is 840.00 for 100.00 of discounts (no last month to compare)
    assert headline.sentence == (
        "This month your programme returned KES8.40 for every KES1.00 it cost."
    )
    assert headline.biggest_cost == "Its biggest cost: discounts, KES100.00."
    assert "QR poster" in headline.action
