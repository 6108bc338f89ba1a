"""The "Your jobs" screens: every long piece of work a staff member started — exports, printed
lists, campaign previews and sends, filtered dashboards (operations.BackgroundJob), and the
spreadsheet imports and offer estimates that keep their own rows — with what, who, when,
progress, status and a link to the result. A job's page polls a small partial (htmx, every
2 s) until it is done. Result files are served only to the business's staff whose role may
open them (404 otherwise, like another business's id), never publicly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wateja.core.errors import DomainError, NotFound
from wateja.customers.exporting import customers_for_export
from wateja.customers.models import ImportJob, ImportStatus
from wateja.messaging.worker import worker_running
from wateja.operations.background import (
    RESULT_DAYS,
    job_get,
    job_kind_label,
    job_stalled,
    job_start,
    jobs_list,
    result_path,
)
from wateja.operations.models import BackgroundJob, JobStatus
from wateja.orders.models import OfferSimulation, SimulationStatus
from wateja.tenants.models import Business
from wateja.tenants.roles import Role, role_at_least
from wateja.web.permissions import staff_required

LIST_SIZE = 50
# where the outcome of a job is read when it is not a file: the screen it belongs to
_PLACES = {
    "campaign.preview": ("web:campaign_detail", "campaign_id"),
    "campaign.send": ("web:campaign_detail", "campaign_id"),
}


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _role(request: HttpRequest) -> str:
    return str(request.staff.role)  # type: ignore[attr-defined]


def _job_or_404(request: HttpRequest, job_id: int) -> BackgroundJob:
    try:
        return job_get(business=_business(request), job_id=job_id, role=_role(request))
    except NotFound:
        raise Http404 from None


def place_url(job: BackgroundJob) -> str:
    """The screen that shows this job's outcome ("" when its result is a file or nothing)."""
    if job.kind == "reports.dashboard":
        query = {k: v for k, v in (job.params.get("query") or {}).items() if v}
        return f"{reverse('web:reports')}?{urlencode(query)}"
    found = _PLACES.get(job.kind)
    if found is None or job.params.get(found[1]) is None:
        return ""
    return reverse(found[0], args=[job.params[found[1]]])


def status_context(job: BackgroundJob) -> dict[str, Any]:
    """What the status partial shows; used by other screens that include it."""
    return {
        "job": job,
        "label": job_kind_label(job.kind),
        "polling": not job.finished,
        "stalled": job_stalled(job),
        "no_worker": job.status == JobStatus.QUEUED and not worker_running(),
        "has_file": result_path(job) is not None,
        "place": place_url(job),
        "days": RESULT_DAYS,
    }


@dataclass
class Row:
    """One line of the list, whatever kind of row it comes from."""

    what: str
    subject: str
    who: str
    started: dt.datetime | None
    percent: int | None
    status: str
    status_label: str
    link: str
    result: str
    error: str = ""


def _who(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _job_rows(request: HttpRequest) -> list[Row]:
    rows = []
    user: User = request.user  # type: ignore[assignment]  # signed in: staff_required
    jobs = jobs_list(business=_business(request), user=user, role=_role(request))
    for job in jobs[:LIST_SIZE]:
        has_file = bool(job.result_file) and job.status == JobStatus.DONE
        rows.append(
            Row(
                what=job_kind_label(job.kind),
                subject=job.subject,
                who=_who(job.created_by),
                started=job.created_at,
                percent=job.percent,
                status=job.status,
                status_label=str(job.get_status_display()),
                link=reverse("web:job_detail", args=[job.pk]),
                result=reverse("web:job_result", args=[job.pk]) if has_file else place_url(job),
                error=job.error,
            )
        )
    return rows


def _import_rows(request: HttpRequest) -> list[Row]:
    if not role_at_least(_role(request), Role.MANAGER):
        return []
    imports = ImportJob.objects.for_business(_business(request)).select_related("created_by")
    if _role(request) != Role.OWNER:
        imports = imports.filter(created_by=request.user)
    rows = []
    for job in imports.order_by("-id")[:LIST_SIZE]:
        percent = None
        if job.status == ImportStatus.DONE:
            percent = 100
        elif job.total_rows:
            percent = min(99, int(100 * job.next_row / job.total_rows))
        status = {
            ImportStatus.RUNNING: JobStatus.RUNNING,
            ImportStatus.DONE: JobStatus.DONE,
            ImportStatus.FAILED: JobStatus.FAILED,
        }.get(ImportStatus(job.status), JobStatus.QUEUED)
        link = reverse("web:import_detail", args=[job.pk])
        rows.append(
            Row(
                what=_("Customer import"),
                subject=job.file_name,
                who=_who(job.created_by),
                started=job.created_at,
                percent=percent,
                status=status,
                status_label=str(job.get_status_display()),
                link=link,
                result=link if job.status == ImportStatus.DONE else "",
            )
        )
    return rows


def _simulation_rows(request: HttpRequest) -> list[Row]:
    since = timezone.now() - dt.timedelta(days=RESULT_DAYS)
    simulations = (
        OfferSimulation.objects.for_business(_business(request))
        .filter(requested_at__gte=since)
        .select_related("promotion")
        .order_by("-requested_at")[:LIST_SIZE]
    )
    rows = []
    for simulation in simulations:
        status = {
            SimulationStatus.RUNNING: JobStatus.RUNNING,
            SimulationStatus.DONE: JobStatus.DONE,
            SimulationStatus.FAILED: JobStatus.FAILED,
        }.get(SimulationStatus(simulation.status), JobStatus.QUEUED)
        link = reverse("web:offer_detail", args=[simulation.promotion_id])
        rows.append(
            Row(
                what=_("Offer estimate"),
                subject=simulation.promotion.name,
                who="",
                started=simulation.requested_at,
                percent=100 if status == JobStatus.DONE else None,
                status=status,
                status_label=str(simulation.get_status_display()),
                link=link,
                result=link if status == JobStatus.DONE else "",
                error=simulation.error,
            )
        )
    return rows


@require_GET
@staff_required()
def job_list(request: HttpRequest) -> HttpResponse:
    rows = _job_rows(request) + _import_rows(request) + _simulation_rows(request)
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda row: row.started or far_past, reverse=True)
    running = any(row.status in (JobStatus.QUEUED, JobStatus.RUNNING) for row in rows)
    return render(
        request,
        "web/jobs/list.html",
        {"rows": rows[:LIST_SIZE], "polling": running, "days": RESULT_DAYS},
    )


@require_GET
@staff_required()
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_or_404(request, job_id)
    return render(request, "web/jobs/detail.html", status_context(job))


@require_GET
@staff_required()
def job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The partial the job's page polls until the job is done."""
    job = _job_or_404(request, job_id)
    return render(request, "web/jobs/_status.html", status_context(job))


@require_GET
@staff_required()
def job_result(request: HttpRequest, job_id: int) -> HttpResponse:
    """The result file, to the staff who may open it; 404 for anyone else."""
    job = _job_or_404(request, job_id)
    path = result_path(job)
    if path is None:
        raise Http404
    inline = job.result_type == "application/pdf"
    response = FileResponse(path.open("rb"), content_type=job.result_type)
    response["Content-Disposition"] = content_disposition_header(not inline, job.result_name) or ""
    response["Cache-Control"] = "private, no-store"  # personal data
    response["X-Content-Type-Options"] = "nosniff"
    # streamed from the file: staff_required's View type only names HttpResponse
    return response  # type: ignore[return-value]


@require_POST
@staff_required(Role.MANAGER)
def export_start(request: HttpRequest) -> HttpResponse:
    """The customer export (CSV or XLSX) as a background job: the file is written as the rows
    are read, however large the base; the job's page shows the progress, then the file."""
    from wateja.web.customers.import_views import ExportForm, PartnerForm

    business = _business(request)
    form = ExportForm(request.POST, business=business)
    if form.is_valid():
        filters = form.filters()
        try:
            customers_for_export(business, filters)  # a bad filter is said here
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            job = job_start(
                business=business,
                kind="customers.export",
                actor=request.user,  # type: ignore[arg-type]
                params={"format": form.cleaned_data["format"], "filters": filters},
                subject=", ".join(str(v) for v in filters.values() if v is not True),
            )
            return redirect("web:job_detail", job_id=job.pk)
    return render(
        request,
        "web/customers/imports/export.html",
        {"form": form, "partner_form": PartnerForm()},
        status=422,
    )
