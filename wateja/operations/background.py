"""Background jobs: start, progress, finish, fail, the result file, and cleanup.

A job kind is registered once (`job_kind_register`) with its translated label, the role that
may open its result and its handler. The handler gets the job and a `Progress`; it reports how
far it got and leaves its result with `result_file` (streamed into a 0600 file under
`$WATEJA_DATA_DIR/jobs/<business>/`) or `result_data` (a small JSON value). Screens start jobs
with `job_start`; the worker's entry (`register_runner`, registered by wateja.jobs) queues
them, so this module never imports the jobs layer. Without a runner a job runs at once.

A handler that raises a DomainError fails the job with its message; anything else fails it
with a plain sentence (the traceback goes to the log only, never to a screen).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from wateja.core.errors import DomainError, NotFound
from wateja.core.files import open_private, private_folder
from wateja.operations.models import BackgroundJob, JobStatus
from wateja.tenants.models import Business
from wateja.tenants.roles import Role, role_at_least
from wateja.tenants.scoping import get_owned

log = logging.getLogger(__name__)

RESULT_DAYS = int(os.environ.get("WATEJA_JOB_RESULT_DAYS", "7"))  # then deleted, nightly
STALE_AFTER = dt.timedelta(minutes=10)  # a running job silent this long is shown as stalled
PROGRESS_EVERY = dt.timedelta(seconds=1)  # progress written at most once a second


@dataclass(frozen=True)
class JobKind:
    kind: str
    label: str | Promise
    role: str
    handler: Callable[[BackgroundJob, Progress], None]


_kinds: dict[str, JobKind] = {}
_runner: Callable[[int], object] | None = None


def job_kind_register(
    kind: str,
    *,
    label: str | Promise,
    handler: Callable[[BackgroundJob, Progress], None],
    role: str = Role.MANAGER,
) -> None:
    """Make `kind` startable; registered by the app that runs it (its AppConfig.ready)."""
    _kinds[kind] = JobKind(kind, label, role, handler)


def job_kind_label(kind: str) -> str:
    found = _kinds.get(kind)
    return str(found.label) if found else _("Background work")


def register_runner(runner: Callable[[int], object]) -> None:
    """The worker's entry (wateja.jobs.background_tasks registers its Huey task here)."""
    global _runner  # one process-wide registration, like customers.importing
    _runner = runner


def results_dir(business_id: int) -> Path:
    return private_folder(Path(settings.DATA_DIR) / "jobs" / str(business_id))


# --------------------------------------------------------------------------------------------
# Starting


def job_start(
    *,
    business: Business,
    kind: str,
    actor: User | None,
    params: dict[str, Any] | None = None,
    subject: str = "",
    run_now: bool = False,
) -> BackgroundJob:
    """Record a job and queue it (or run it now: asked, or no worker entry registered)."""
    if kind not in _kinds:
        raise NotFound(_("This kind of work is unknown."), code="job_kind_unknown")
    job = BackgroundJob.objects.create(
        business=business,
        kind=kind,
        params=params or {},
        subject=subject[:200],
        role=_kinds[kind].role,
        language=translation.get_language() or business.default_language,
        created_by=actor,
    )
    if run_now or _runner is None:
        job_run(job.pk)
    else:
        _runner(job.pk)
    job.refresh_from_db()
    return job


# --------------------------------------------------------------------------------------------
# Running


class Progress:
    """What a handler reports while it works: `total` once known, then `advance`/`done` as it
    goes (written to the row at most once a second, and always at the end)."""

    def __init__(self, job: BackgroundJob) -> None:
        self.job = job
        self.count = 0
        self._written = timezone.now()

    def total(self, total: int | None) -> None:
        self.job.total_count = total
        BackgroundJob.objects.filter(pk=self.job.pk).update(total_count=total)

    def advance(self, by: int = 1) -> None:
        self.set(self.count + by)

    def set(self, count: int, *, force: bool = False) -> None:
        self.count = count
        now = timezone.now()
        if force or now - self._written >= PROGRESS_EVERY:
            self._written = now
            BackgroundJob.objects.filter(pk=self.job.pk).update(done_count=count, heartbeat_at=now)

    def counting(self, items: Iterable[Any]) -> Iterator[Any]:
        """`items`, advancing by one for each."""
        for item in items:
            yield item
            self.advance()


def job_run(job_id: int) -> BackgroundJob | None:
    """Run one queued job (the worker calls this); a job already claimed is left alone."""
    now = timezone.now()
    claimed = BackgroundJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    job: BackgroundJob = BackgroundJob.objects.select_related("business", "created_by").get(
        pk=job_id
    )
    found = _kinds.get(job.kind)
    progress = Progress(job)
    with translation.override(job.language), timezone.override(job.business.timezone):
        try:
            if found is None:
                raise NotFound(_("This kind of work is unknown."), code="job_kind_unknown")
            found.handler(job, progress)
        except DomainError as error:
            return _fail(job, str(error.message), error.code)
        except Exception:
            log.exception("background job %s (%s) failed", job.pk, job.kind)
            return _fail(
                job,
                _(
                    "Something went wrong while doing this. Please try again; if it happens "
                    "again, tell whoever looks after Wateja."
                ),
                "job_failed",
            )
    progress.set(progress.count, force=True)
    finished = timezone.now()
    BackgroundJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        finished_at=finished,
        expires_at=finished + dt.timedelta(days=RESULT_DAYS),
    )
    job.refresh_from_db()
    return job


def _fail(job: BackgroundJob, message: str, code: str) -> BackgroundJob:
    _remove_file(job)
    finished = timezone.now()
    BackgroundJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        error=message[:500],
        error_code=code[:60],
        finished_at=finished,
        expires_at=finished + dt.timedelta(days=RESULT_DAYS),
        result_file="",
        result_size=0,
    )
    job.refresh_from_db()
    return job


@contextmanager
def result_file(job: BackgroundJob, *, name: str, content_type: str) -> Iterator[IO[bytes]]:
    """A binary file to write the job's result into; recorded on the job when the block ends
    without an error (removed otherwise)."""
    folder = results_dir(job.business_id)
    stored = f"{job.pk}-{secrets.token_hex(8)}{Path(name).suffix[:10]}"
    path = folder / stored
    try:
        with open_private(path, "wb") as handle:
            yield handle
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    job.result_file, job.result_name = stored, name[:200]
    job.result_type, job.result_size = content_type[:100], path.stat().st_size
    BackgroundJob.objects.filter(pk=job.pk).update(
        result_file=job.result_file,
        result_name=job.result_name,
        result_type=job.result_type,
        result_size=job.result_size,
    )


def result_write(
    job: BackgroundJob, *, name: str, content_type: str, chunks: Iterable[bytes]
) -> None:
    """Stream `chunks` into the job's result file."""
    with result_file(job, name=name, content_type=content_type) as handle:
        for chunk in chunks:
            handle.write(chunk)


def result_data(job: BackgroundJob, data: dict[str, Any]) -> None:
    """A small JSON result shown on a screen (counts, a preview)."""
    job.result_data = data
    BackgroundJob.objects.filter(pk=job.pk).update(result_data=data)


# --------------------------------------------------------------------------------------------
# Reading


def job_visible(job: BackgroundJob, *, role: str) -> bool:
    return role_at_least(role, job.role)


def jobs_list(*, business: Business, user: User, role: str) -> QuerySet[BackgroundJob]:
    """The jobs a staff member sees: the ones they started (owners: everyone's)."""
    jobs = BackgroundJob.objects.for_business(business).select_related("created_by")
    if role != Role.OWNER:
        jobs = jobs.filter(created_by=user)
    allowed = [r for r in Role.values if role_at_least(role, r)]
    return jobs.filter(role__in=allowed)


def job_get(*, business: Business, job_id: int, role: str) -> BackgroundJob:
    """One of the business's jobs the role may see, or NotFound (another business's too)."""
    job = get_owned(BackgroundJob, business, pk=job_id)
    if not job_visible(job, role=role):
        raise NotFound(_("Background job not found."), code="not_found")
    return job


def job_stalled(job: BackgroundJob, now: dt.datetime | None = None) -> bool:
    if job.status != JobStatus.RUNNING:
        return False
    seen = job.heartbeat_at or job.started_at or job.created_at
    return (now or timezone.now()) - seen > STALE_AFTER


def result_path(job: BackgroundJob) -> Path | None:
    """The result file on disk, when the job finished with one that still exists."""
    if job.status != JobStatus.DONE or not job.result_file:
        return None
    path = Path(settings.DATA_DIR) / "jobs" / str(job.business_id) / job.result_file
    return path if path.is_file() else None


def latest_job(
    *, business: Business, kind: str, params: dict[str, Any], since: dt.datetime | None = None
) -> BackgroundJob | None:
    """The newest job of `kind` with exactly these parameters (e.g. the dashboard's last run
    for one filter), whoever started it."""
    jobs = BackgroundJob.objects.for_business(business).filter(kind=kind, params=params)
    if since is not None:
        jobs = jobs.filter(created_at__gte=since)
    return jobs.order_by("-id").first()


# --------------------------------------------------------------------------------------------
# Cleanup


def _remove_file(job: BackgroundJob) -> None:
    if job.result_file:
        path = Path(settings.DATA_DIR) / "jobs" / str(job.business_id) / job.result_file
        path.unlink(missing_ok=True)


def jobs_cleanup(*, now: dt.datetime | None = None) -> int:
    """Delete the jobs whose keeping time is over, with their files; returns how many."""
    now = now or timezone.now()
    due = BackgroundJob.objects.filter(Q(expires_at__lte=now))
    removed = 0
    for job in due.only("pk", "business_id", "result_file").iterator(chunk_size=500):
        _remove_file(job)
        job.delete()
        removed += 1
    return removed


PERSONAL_KINDS = ("customers.export", "customers.print_list", "campaign.preview")


def jobs_erase(customer: Any) -> None:
    """A customer is erased (customers.hooks): every kept result that may show customers —
    exports, printed lists, campaign previews with rendered samples — of that business goes
    at once, files and rows (the staff can run them again)."""
    jobs = BackgroundJob.objects.filter(business_id=customer.business_id, kind__in=PERSONAL_KINDS)
    for job in jobs.only("pk", "business_id", "result_file").iterator(chunk_size=500):
        _remove_file(job)
    jobs.delete()
