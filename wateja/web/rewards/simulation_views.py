"""The offer's cost estimate on its page: read from the stored `OfferSimulation` (computed in
the background whenever the offer is saved), never computed in the request. While it is being
computed the page polls this partial with htmx; a manager can ask for it again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wateja.core.errors import DomainError
from wateja.messaging.worker import worker_running
from wateja.orders.models import OfferSimulation, SimulationStatus
from wateja.orders.simulation import simulation_request, simulation_stored
from wateja.promotions.models import Promotion
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.scoping import get_owned
from wateja.web.permissions import staff_required
from wateja.web.templatetags.wateja_tags import money

PENDING = (SimulationStatus.QUEUED, SimulationStatus.RUNNING)
POLL_SECONDS = 2
WAITING_POLL_SECONDS = 10


def _uses_text(count: int, period: str) -> str:
    texts = {
        "day": ngettext("%(count)s use a day", "%(count)s uses a day", count),
        "week": ngettext("%(count)s use a week", "%(count)s uses a week", count),
        "month": ngettext("%(count)s use a month", "%(count)s uses a month", count),
    }
    default = ngettext("%(count)s use in all", "%(count)s uses in all", count)
    return texts.get(period, default) % {"count": count}


def _budget_text(amount: str, period: str) -> str:
    texts = {
        "day": _("a budget of %(amount)s a day"),
        "week": _("a budget of %(amount)s a week"),
        "month": _("a budget of %(amount)s a month"),
    }
    return texts.get(period, _("a budget of %(amount)s in all")) % {"amount": amount}


def limit_texts(result: dict[str, Any]) -> list[str]:
    """The offer's limits in plain words, as the estimate applied them."""
    limits = result.get("limits") or {}
    currency = result.get("currency", "")
    period = limits.get("budget_period") or "total"
    texts = []
    per_customer = limits.get("max_uses_per_customer")
    if per_customer:
        texts.append(
            ngettext("%(count)s per customer", "%(count)s per customer", per_customer)
            % {"count": per_customer}
        )
    if limits.get("max_uses"):
        texts.append(_uses_text(limits["max_uses"], period))
    if limits.get("budget_minor") is not None:
        texts.append(_budget_text(money(limits["budget_minor"], currency), period))
    if limits.get("max_discount_minor") is not None:
        texts.append(
            _("at most %(amount)s off a sale")
            % {"amount": money(limits["max_discount_minor"], currency)}
        )
    return texts


def _similar(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in result.get("similar") or []:
        measured = entry.get("measured") or {}
        orders = measured.get("orders") or {}
        uplift = orders.get("uplift_percent")
        rows.append(
            {
                **entry,
                "uplift": None if uplift is None else f"{uplift:+.1f}%",
                "significant": bool(orders.get("significant")),
                "measured_at_all": bool(measured),
                "holdout": measured.get("method") == "holdout",
            }
        )
    return rows


def estimate_context(request: HttpRequest, promotion: Promotion) -> dict[str, Any]:
    """What the estimate partial shows; one query (the stored row), no order read."""
    simulation: OfferSimulation | None = simulation_stored(promotion)
    result: dict[str, Any] | None = (simulation.result or None) if simulation else None
    pending = simulation is not None and simulation.status in PENDING
    immediate = bool(getattr(settings, "HUEY", {}).get("immediate"))
    waiting = pending and not immediate and not worker_running()
    staff = getattr(request, "staff", None)
    context: dict[str, Any] = {
        "promotion": promotion,
        "simulation": simulation,
        "estimate": result,
        "pending": pending,
        "waiting_for_worker": waiting,
        "poll_seconds": WAITING_POLL_SECONDS if waiting else POLL_SECONDS,
        "can_recompute": staff is not None and role_at_least(staff.role, Role.MANAGER),
        "failed": simulation is not None and simulation.status == SimulationStatus.FAILED,
    }
    if result:
        low, high = result.get("monthly_low_minor", 0), result.get("monthly_high_minor", 0)
        context.update(
            {
                "limits": limit_texts(result),
                "similar": _similar(result),
                "same_every_month": low == high,
                "changes_nothing": not result.get("orders_touched") and not high and not low,
                "multiplier_without_base": promotion.type == "points_multiplier"
                and not result.get("base_points"),
            }
        )
    return context


@staff_required()
def offer_estimate(request: HttpRequest, promotion_id: int) -> HttpResponse:
    """GET: the estimate partial (the page polls it while the estimate is computed).
    POST (managers): compute it again in the background."""
    try:
        promotion = get_owned(Promotion, request.business, pk=promotion_id)  # type: ignore[attr-defined]
    except DomainError:
        raise Http404 from None
    if request.method == "POST":
        context = estimate_context(request, promotion)
        if not context["can_recompute"]:
            return render(
                request,
                "web/shell/forbidden.html",
                {"reason": _("This page needs the %(role)s role.") % {"role": Role.MANAGER.label}},
                status=403,
            )
        simulation_request(promotion=promotion)
        if not request.headers.get("HX-Request"):
            return redirect("web:offer_detail", promotion_id=promotion.pk)
    return render(request, "web/rewards/_simulation.html", estimate_context(request, promotion))
