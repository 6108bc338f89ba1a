"""Huey tasks that compute and store offers' cost estimates (simulations over past orders).

Thin: `orders.simulation` decides and computes; this module queues the work and lends it
analytics' measured uplift for similar past offers (orders cannot import analytics)."""

from __future__ import annotations

from django.utils import translation
from huey.contrib.djhuey import db_task

from wateja.analytics.services import promotion_uplift_get
from wateja.orders.models import OfferSimulation
from wateja.orders.simulation import register_background_runner, simulation_request, simulation_run
from wateja.promotions.models import Promotion, PromotionStatus

__all__ = ["offer_estimate_run", "offer_saved"]


@db_task()
def offer_estimate_run(simulation_id: int, generation: int) -> None:
    """Compute one requested estimate (skipped when a newer request superseded it)."""
    row = OfferSimulation.objects.select_related("business").filter(pk=simulation_id).first()
    if row is None:
        return
    with translation.override(row.business.default_language):
        simulation_run(
            simulation_id=simulation_id, generation=generation, measure=promotion_uplift_get
        )


def offer_saved(promotion: Promotion) -> None:
    """After an offer is saved (promotions.hooks): its estimate is queued again, unless it has
    ended (then its own results say more than an estimate)."""
    if promotion.status != PromotionStatus.ENDED:
        simulation_request(promotion=promotion)


register_background_runner(offer_estimate_run)
