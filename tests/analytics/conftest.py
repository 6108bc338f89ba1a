"""A small café whose figures were computed by hand (see the table in `shop`), with the clock
fixed at 31 March 2026, 15:00 in Nairobi (UTC+3)."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from types import SimpleNamespace

import pytest
import time_machine

from wateja.analytics.services import analytics_settings_update
from wateja.customers.services import customer_create
from wateja.orders.refunds import order_refund
from wateja.orders.services import order_record
from wateja.tenants.services import location_create
from wateja.wallet.models import Lot
from wateja.wallet.services import balance_spend, expire_due, points_earn

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
NOW = dt.datetime(2026, 3, 31, 15, 0, tzinfo=NAIROBI)
_numbers = itertools.count(1)


def at(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NAIROBI)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sell(business):
    def run(customer, when, total=1000, location=None):
        return order_record(
            business=business,
            number=f"T-{next(_numbers)}",
            total_minor=total,
            customer=customer,
            placed_at=when,
            location=location,
        )

    return run


@pytest.fixture
def shop(business, clock, sell):
    """Visits (orders of 1,000 unless said), activity window 45 days, margin 40 %:

        A  5 Jan, 10 Feb, 20 Mar                       earns 100 pts 20 Mar, spends 40 25 Mar
        B  20 Jan (two orders), 1 Mar 00:30 local       earns 50 pts 20 Jan, spends 50 1 Mar;
           (= 28 Feb 21:30 UTC), 200 refunded of it
        C  10 Feb                                       earns 20 pts, expire 21 Feb
        D  1 Dec 2025
        E  31 Mar (today)
        F  15 Mar
        anonymous  10 Mar (500), 31 Mar (700)

    March 2026: active at start (28 Feb) A B C = 3; at end A B E F = 4; new E F = 2;
    retention (4 − 2) / 3 = 66.67 %; lost C → churn 33.33 %; buyers A B E F = 4, of whom
    E F bought once → repeat 50 %; 6 orders, 5,200 paid − 200 refunded = 5,000 → AOV 833;
    gaps A 38 days, B 40 → 39.0; points issued 100, redeemed 90 (A 40, B 50)."""
    analytics_settings_update(business=business, activity_window_days=45, gross_margin_bp=4000)
    westlands = location_create(business=business, name="Westlands")
    moi = location_create(business=business, name="Moi Avenue")
    people = {
        name: customer_create(business=business, name=f"Mteja {name}", phone=f"07120000{n:02d}")
        for n, name in enumerate("ABCDEF", start=1)
    }
    a, b, c, d, e, f = (people[k] for k in "ABCDEF")
    sell(a, at(1, 5), location=westlands)
    sell(a, at(2, 10), location=westlands)
    sell(a, at(3, 20), location=westlands)
    sell(b, at(1, 20), location=moi)
    sell(b, at(1, 20, 18), location=moi)
    march_first = sell(b, at(3, 1, 0, 30), location=moi)
    sell(c, at(2, 10), location=westlands)
    sell(d, at(12, 1, year=2025), location=moi)
    sell(e, at(3, 31, 9), location=westlands)
    sell(f, at(3, 15), location=moi)
    sell(None, at(3, 10), total=500, location=westlands)
    sell(None, at(3, 31, 10), total=700, location=moi)
    order_refund(order=march_first, amount_minor=200, refund_id="refund-b", now=at(3, 2))

    points_earn(customer=b, amount=50, idempotency_key="b-earn", now=at(1, 20))
    balance_spend(customer=b, amount=50, idempotency_key="b-spend", now=at(3, 1, 9))
    points_earn(customer=c, amount=20, idempotency_key="c-earn", now=at(2, 10))
    Lot.objects.filter(account__customer=c).update(expires_at=at(2, 20))
    expire_due(business=business, now=at(2, 21))
    points_earn(customer=a, amount=100, idempotency_key="a-earn", now=at(3, 20))
    balance_spend(customer=a, amount=40, idempotency_key="a-spend", now=at(3, 25))
    return SimpleNamespace(
        business=business, westlands=westlands, moi=moi, **{k.lower(): v for k, v in people.items()}
    )
