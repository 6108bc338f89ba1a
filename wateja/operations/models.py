"""Background jobs: long work a staff member started (an export, a printed list, a campaign's
preview or send, a filtered dashboard), with its progress, its status and, when done, its
result: a file in the data directory or a small JSON value. Rows and files are deleted
`expires_at` (RESULT_DAYS after they finished) by a periodic task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wateja.tenants.roles import Role
from wateja.tenants.scoping import BusinessOwned


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BackgroundJob(BusinessOwned):
    """One run of a registered job kind (`wateja.operations.background`)."""

    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    subject = models.CharField(max_length=200, blank=True, default="")  # e.g. a campaign's name
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # who may open the result: the role the screen that started it needs
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MANAGER)
    language = models.CharField(max_length=10, default="en")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    done_count = models.PositiveBigIntegerField(default=0)
    total_count = models.PositiveBigIntegerField(null=True, blank=True)
    result_name = models.CharField(max_length=200, blank=True, default="")
    result_file = models.CharField(max_length=200, blank=True, default="")  # under jobs dir
    result_type = models.CharField(max_length=100, blank=True, default="")
    result_size = models.PositiveBigIntegerField(default=0)
    result_data = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")  # a human sentence
    error_code = models.CharField(max_length=60, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["business", "created_by", "-id"], name="job_by_staff"),
            models.Index(fields=["expires_at"], name="job_expiry"),
        ]

    @property
    def percent(self) -> int | None:
        if self.status == JobStatus.DONE:
            return 100
        if not self.total_count:
            return None
        return min(99, int(100 * self.done_count / self.total_count))

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
