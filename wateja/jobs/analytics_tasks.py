"""Background jobs for analytics (thin: each calls one service)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)

__all__ = ["analytics_nightly_run"]


@db_periodic_task(crontab(minute="20"))
def analytics_nightly_run() -> int:
    """Hourly, so that each business gets its night at about 01:20 in its own time zone: the
    rollups up to yesterday (and any month whose data changed), the tier snapshot and the RFM
    scores. A business whose night was missed is caught up at the next hour. One failing
    business does not stop the others."""
    from wateja.analytics.services import analytics_nightly, analytics_nightly_due
    from wateja.tenants.models import Business

    done = 0
    for business in Business.objects.order_by("pk"):
        if not analytics_nightly_due(business):
            continue
        try:
            analytics_nightly(business=business)
            done += 1
        except Exception:  # the next hour tries again
            logger.exception("analytics nightly run failed for business %s", business.pk)
    return done
