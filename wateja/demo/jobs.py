"""Demo data: one finished background job in the owner's "Your jobs" list (a customer export,
its file ready to open), so the screen shows what a result looks like."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import translation

from wateja.operations.background import job_start
from wateja.operations.models import BackgroundJob
from wateja.tenants.models import Business


def seed_jobs(business: Business, owner: User) -> BackgroundJob:
    with translation.override(business.default_language):
        return job_start(
            business=business,
            kind="customers.export",
            actor=owner,
            params={"format": "xlsx", "filters": {}},
            run_now=True,
        )
