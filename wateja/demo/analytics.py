"""Demo analytics: each business's margin and activity window, walk-in sales without a card
(the baseline the program's ROI is measured against), then last night's run — rollups for the
whole year of orders, cohort cells, tier snapshot and RFM scores — so the dashboard, the API
and `wateja report` show sensible figures from the first minute."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from wateja.analytics.services import analytics_nightly, analytics_settings_update
from wateja.orders.models import Order
from wateja.orders.services import SaleRow, orders_bulk_record
from wateja.tenants.models import Business, Location

# gross margin and activity window: a café sells cheap, often; a flower shop less often
PROFILES = {
    "KES": {"gross_margin_bp": 6500, "activity_window_days": 60, "walk_in_share": 0.3},
    "AMD": {"gross_margin_bp": 5500, "activity_window_days": 120, "walk_in_share": 0.15},
}
# what walk-ins pay: at the café the card holders' menu at about nine tenths (members buy a
# little more); at the flower shop mostly single stems and small bouquets
WALK_IN_TOTALS = {
    "KES": [160, 220, 270, 320, 400, 540, 760, 1080, 2160],
    "AMD": [3000, 4500, 4500, 6000, 7000, 9500, 12000, 15000],
}


def seed_analytics(business: Business, *, rng: random.Random | None = None) -> dict[str, object]:
    """Call once the business's customers, orders, wallet and promotions are seeded."""
    rng = rng or random.Random(business.pk)
    profile = PROFILES.get(business.currency, PROFILES["KES"])
    analytics_settings_update(
        business=business,
        activity_window_days=int(profile["activity_window_days"]),
        gross_margin_bp=int(profile["gross_margin_bp"]),
    )
    _walk_ins(business, rng, float(profile["walk_in_share"]))
    return analytics_nightly(business=business)


def _walk_ins(business: Business, rng: random.Random, share: float) -> int:
    """Sales rung up without a customer, spread over the same days as the card holders'."""
    orders = Order.objects.for_business(business).filter(customer__isnull=False)
    first = orders.order_by("placed_at").values_list("placed_at", flat=True).first()
    count = orders.count()
    if first is None or count == 0:
        return 0
    now = timezone.now()
    span = max(1, int((now - first).total_seconds() // 3600))
    locations = list(Location.objects.for_business(business))
    totals = WALK_IN_TOTALS.get(business.currency, WALK_IN_TOTALS["KES"])
    rows = []
    for n in range(int(count * share)):
        at = first + dt.timedelta(hours=rng.randrange(span), minutes=rng.randrange(60))
        if at >= now:
            continue
        rows.append(
            SaleRow(
                number=f"{business.slug[:3].upper()}-W{n + 1:05d}",
                total_minor=rng.choice(totals) * 100,
                placed_at=at,
                location=rng.choice(locations) if locations else None,
            )
        )
    rows.sort(key=lambda row: row.placed_at)
    return orders_bulk_record(business=business, rows=rows)
