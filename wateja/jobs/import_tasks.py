"""Background import of big customer spreadsheets (thin: calls customers.importing)."""

from __future__ import annotations

from django.utils import translation
from huey.contrib.djhuey import db_task

from wateja.customers.importing import import_run, register_background_runner
from wateja.customers.models import ImportJob

__all__ = ["import_job_run"]


@db_task()
def import_job_run(job_id: int) -> None:
    """Run (or resume) one import; its messages are written in the business's language."""
    job = ImportJob.objects.select_related("business", "created_by").filter(pk=job_id).first()
    if job is None:
        return
    with translation.override(job.business.default_language):
        import_run(job=job)


register_background_runner(import_job_run)
