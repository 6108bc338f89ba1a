"""The dashboard with a saved segment or customer group (RFM) filter, computed in the
background: those figures are read from the raw orders of the chosen customers, too slow for a
request at chain scale. A job ("reports.dashboard") renders the figures part of the page in the
reader's language and keeps it as its result; the page shows the newest result for the same
period, filters and language computed within FRESH (with its time and "Compute again"), or the
job's progress, polled every 2 s. The unfiltered dashboard stays immediate (rollups)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from wateja.analytics import services as analytics
from wateja.core.errors import NotFound
from wateja.operations import background
from wateja.operations.models import BackgroundJob, JobStatus
from wateja.tenants.models import Business
from wateja.tenants.roles import Role

KIND = "reports.dashboard"
FRESH = dt.timedelta(hours=1)


def _query(period: analytics.Period, filters: analytics.Filters) -> dict[str, str]:
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "location": str(filters.location_id or ""),
        "segment": str(filters.segment_id or ""),
        "rfm": filters.rfm or "",
    }


def _params(period: analytics.Period, filters: analytics.Filters) -> dict[str, Any]:
    return {"query": _query(period, filters), "language": translation.get_language() or "en"}


def _subject(business: Business, filters: analytics.Filters) -> str:
    from wateja.web.reports.views import _choices, _filters_text

    return _filters_text(filters, _choices(business), separator=", ")


def figures_state(
    request: HttpRequest,
    business: Business,
    period: analytics.Period,
    filters: analytics.Filters,
    *,
    recompute: bool = False,
    job_id: str | None = None,
) -> dict[str, Any]:
    """The page's context for the figures: {"figures_html", "computed_at"} from a result, or
    {"computing": True, "job": …} while one runs (starting one when none fits)."""
    params = _params(period, filters)
    job: BackgroundJob | None
    if job_id:
        try:
            job = background.job_get(
                business=business,
                job_id=int(job_id),
                role=request.staff.role,  # type: ignore[attr-defined]
            )
        except (NotFound, ValueError):
            raise Http404 from None
        if job.kind != KIND or job.params != params:
            raise Http404
    else:
        job = background.latest_job(
            business=business, kind=KIND, params=params, since=timezone.now() - FRESH
        )
        if job is None or recompute:
            job = background.job_start(
                business=business,
                kind=KIND,
                actor=request.user,  # type: ignore[arg-type]
                params=params,
                subject=_subject(business, filters),
            )
    query = urlencode({k: v for k, v in params["query"].items() if v})
    context: dict[str, Any] = {
        "job": job,
        "figures_url": f"{reverse('web:report_figures')}?{query}",
        "recompute_url": f"{reverse('web:reports')}?{query}&recompute=1",
    }
    path = background.result_path(job)
    if job.status == JobStatus.DONE and path is not None:
        context["figures_html"] = mark_safe(path.read_text(encoding="utf-8"))  # noqa: S308 - rendered by our templates, escaped there
        context["computed_at"] = job.finished_at
    else:
        context["computing"] = True
        context.update(
            {
                "polling": not job.finished,
                "stalled": background.job_stalled(job),
                "no_worker": job.status == JobStatus.QUEUED and not _worker_running(),
            }
        )
    return context


def _worker_running() -> bool:
    from wateja.messaging.worker import worker_running

    return worker_running()


def dashboard_job(job: BackgroundJob, progress: background.Progress) -> None:
    """Compute the figures of one filtered dashboard and keep them rendered."""
    from wateja.web.reports import dashboard_export as board
    from wateja.web.reports.views import figures_context

    business = job.business
    query = job.params["query"]
    period = analytics.period_parse(business=business, start=query["start"], end=query["end"])
    filters = analytics.filters_parse(
        business=business,
        location=query["location"] or None,
        segment=query["segment"] or None,
        rfm=query["rfm"] or None,
    )
    progress.total(None)
    overview = board.overview_get(business=business, period=period, filters=filters)
    html = render_to_string(
        "web/reports/_figures.html",
        {"current_business": business, **figures_context(overview, period, filters)},
    )
    background.result_write(
        job, name="dashboard.html", content_type="text/html", chunks=[html.encode("utf-8")]
    )


def register() -> None:
    """Called by the web app's ready(): the worker runs this kind too."""
    background.job_kind_register(
        KIND, label=_("Dashboard for a segment"), handler=dashboard_job, role=Role.MANAGER
    )
