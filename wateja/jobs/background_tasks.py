"""Staff-started background jobs (wateja.operations.background): the Huey task that runs one,
the nightly cleanup of old results, and the job kinds whose work lives in the apps below the
screens: customer exports and printed lists, campaign previews and sends.

Thin: each handler calls the app's service and hands its output to the job's result."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from wateja.customers import printing
from wateja.customers.exporting import customers_export
from wateja.customers.segments import segment_customers
from wateja.messaging.campaigns import campaign_audience, campaign_enqueue, campaign_preview
from wateja.messaging.models import Campaign, CampaignStatus
from wateja.operations import background
from wateja.operations.models import BackgroundJob
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.tenants.services import audit_record

__all__ = ["background_job_run", "background_jobs_cleanup"]


@db_task()
def background_job_run(job_id: int) -> None:
    """Run one staff-started job (its progress and result are on its row)."""
    background.job_run(job_id)


@db_periodic_task(crontab(hour="4", minute="10"))
def background_jobs_cleanup() -> None:
    """Nightly: jobs whose results were kept long enough go, with their files."""
    background.jobs_cleanup()


# --------------------------------------------------------------------------------------------
# Handlers


def customers_export_job(job: BackgroundJob, progress: background.Progress) -> None:
    """params: {"format": "csv"|"xlsx", "filters": {...}}."""
    export = customers_export(
        business=job.business,
        fmt=job.params.get("format", "csv"),
        filters=job.params.get("filters") or None,
        actor=job.created_by,
        progress=progress.set,
    )
    progress.total(export.rows)
    background.result_write(
        job, name=export.filename, content_type=export.content_type, chunks=export.chunks
    )
    progress.set(export.rows or 0, force=True)


def customer_list_pdf_job(job: BackgroundJob, progress: background.Progress) -> None:
    """params: {"filters": {"city": …, "tag": …}}: the printed customer list, by name."""
    business = job.business
    filters: dict[str, Any] = job.params.get("filters") or {}
    customers = segment_customers(business, filters).order_by("name", "pk")
    total = customers.count()
    progress.total(total)
    content = printing.customer_list_pdf(
        business, progress.counting(customers.iterator(chunk_size=500)), filters=filters
    )
    background.result_write(
        job,
        name=f"customers-{business.slug}.pdf",
        content_type="application/pdf",
        chunks=[content],
    )
    audit_record(business=business, action="print.customer_list", object_type="business",
                 object_id=business.pk, actor=job.created_by,
                 details={"filters": filters, "rows": total})  # fmt: skip


def _campaign(job: BackgroundJob) -> Campaign:
    return get_owned(Campaign, job.business, pk=job.params.get("campaign_id"))


def campaign_preview_job(job: BackgroundJob, progress: background.Progress) -> None:
    """params: {"campaign_id": …}: reach per channel and consent, cost, rendered examples."""
    campaign = _campaign(job)
    progress.total(None)
    preview = campaign_preview(campaign, progress=progress.set)
    background.result_data(job, json.loads(json.dumps(preview, cls=DjangoJSONEncoder)))


def campaign_send_job(job: BackgroundJob, progress: background.Progress) -> None:
    """params: {"campaign_id": …}: the campaign (already marked sending by campaign_launch)
    written into the outbox in batches; a re-run adds only what is missing."""
    campaign = _campaign(job)
    if campaign.status != CampaignStatus.SENDING:
        return  # cancelled, or finished by an earlier run
    progress.total(campaign_audience(campaign).count())
    campaign = campaign_enqueue(campaign=campaign, progress=progress.set)
    background.result_data(job, {"counts": campaign.counts})
    progress.set(int(campaign.counts.get("audience", 0)), force=True)


background.job_kind_register(
    "customers.export", label=_("Customer export"), handler=customers_export_job
)
background.job_kind_register(
    "customers.print_list", label=_("Printed customer list"), handler=customer_list_pdf_job
)
background.job_kind_register(
    "campaign.preview",
    label=_("Campaign reach and cost"),
    handler=campaign_preview_job,
    role=Role.VIEWER,
)
background.job_kind_register(
    "campaign.send", label=_("Campaign sending"), handler=campaign_send_job
)
background.register_runner(background_job_run)
