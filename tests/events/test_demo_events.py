"""The demo's events: a past tasting with guests who came, no-shows and stars per product,
and next week's workshop with its places taken and a waiting list."""

from __future__ import annotations

import random

from wateja.catalog.services import product_save
from wateja.customers.services import customer_create
from wateja.demo.events import seed_events
from wateja.events.models import Event
from wateja.events.services import event_stats, product_ratings


def test_a_past_tasting_and_an_upcoming_workshop(business):
    for n in range(32):
        customer_create(business=business, name=f"Guest {n}", phone=f"07140000{n:02d}")
    for sku in ("A", "B"):
        product_save(business=business, sku=sku, name=f"Coffee {sku}", price_minor=20000)

    seed_events(business, random.Random(1))

    tasting = Event.objects.get(business=business, kind="tasting")
    workshop = Event.objects.get(business=business, kind="workshop")
    past = event_stats(tasting)
    assert (past["going"], past["attended"], past["no_shows"]) == (12, 10, 2)
    assert past["waiting"] == 2
    assert all(row["count"] == 10 for row in product_ratings(tasting))
    coming = event_stats(workshop)
    assert (coming["going"], coming["waiting"], coming["no_show_rate"]) == (8, 3, None)
