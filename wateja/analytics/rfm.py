"""RFM segments: each customer's recency, frequency and monetary scores (quintiles within the
business, 1–5) and the segment their recency and frequency put them in (champions, loyal, at
risk, hibernating, lost … — the grid is `wateja.core.metrics.RFM_GRID`).

Scores are recomputed nightly inside the database (`rfm_score`). They serve as campaign
audiences two ways: `rfm_customers(business, segment)` here, and — for saved segments, which
live in the customers app below this one — a filter on the relation `rfm__segment` (the way
segments already filter tiers), so `customers.segments` needs no import of analytics.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wateja.analytics import queries
from wateja.analytics.rollups import scope_for
from wateja.core.errors import ValidationFailed
from wateja.core.localtime import local_start, local_today
from wateja.core.metrics import RFM_SEGMENTS
from wateja.customers.models import Customer
from wateja.customers.selectors import active_customers
from wateja.tenants.models import Business

RFM_LABELS = {
    "champions": gettext_lazy("Champions"),
    "loyal": gettext_lazy("Loyal customers"),
    "potential_loyalists": gettext_lazy("Potential loyalists"),
    "new_customers": gettext_lazy("New customers"),
    "promising": gettext_lazy("Promising"),
    "need_attention": gettext_lazy("Need attention"),
    "about_to_sleep": gettext_lazy("About to sleep"),
    "at_risk": gettext_lazy("At risk"),
    "cant_lose_them": gettext_lazy("Can't lose them"),
    "hibernating": gettext_lazy("Hibernating"),
    "lost": gettext_lazy("Lost"),
}
assert set(RFM_LABELS) == set(RFM_SEGMENTS)


def rfm_label(segment: str) -> str:
    return str(RFM_LABELS.get(segment, segment))


def rfm_check(segment: str) -> str:
    """The segment name, or a validation error listing the known ones."""
    if segment not in RFM_SEGMENTS:
        raise ValidationFailed(
            _("Unknown RFM segment."),
            code="validation_error",
            details={"fields": {"rfm": [", ".join(RFM_SEGMENTS)]}},
        )
    return segment


def rfm_score(*, business: Business, as_of: dt.date | None = None) -> int:
    """Score every customer who ever bought, on their purchases up to the end of `as_of`
    (yesterday, local, by default), replacing the previous scores. Returns customers scored."""
    day = as_of or local_today(business.timezone) - dt.timedelta(days=1)
    end = local_start(business.timezone, day + dt.timedelta(days=1))
    with transaction.atomic():
        return queries.rfm_rebuild(scope_for(business), day, end)


def rfm_customers(business: Business, segment: str) -> QuerySet[Customer]:
    """The business's current customers in an RFM segment: a campaign audience."""
    rfm_check(segment)
    return active_customers(business).filter(rfm__business=business, rfm__segment=segment)
