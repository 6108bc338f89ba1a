"""Uploaded customer files are kept IMPORT_RETENTION_DAYS days (30 unless set): the daily
task deletes older ones with their problem reports and the problem lists kept beside the
counts, keeps newer ones, and the screens and the API say the file was deleted instead of
offering a broken link. A finished import can still be undone; an unfinished one takes the
same file again. Enrolments that never got their SMS code go too."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from tests.security.privacy_world import csv_bytes
from wateja.customers.importing import (
    _side_file,
    import_preview,
    import_run,
    import_undo,
    import_upload,
)
from wateja.customers.models import (
    Customer,
    FileRemoval,
    ImportJob,
    ImportStatus,
    PendingEnrolment,
    PendingStatus,
)
from wateja.jobs.privacy_tasks import privacy_daily
from wateja.tenants.roles import Role

ROWS = [
    ["Name", "Phone", "Gender"],
    ["Amina Wanjiru", "0711000501", "sometimes"],  # imported without the gender: a warning
    ["Baraka Otieno", "0711000502", "male"],
    ["Baraka Again", "0711000502", ""],  # a duplicate in the file: a problem row
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _upload(business, rows=ROWS, name="customers.csv", *, days_ago=0, run=True):
    moment = timezone.now() - dt.timedelta(days=days_ago)
    with time_machine.travel(moment, tick=False):
        job, _created = import_upload(
            business=business, file_name=name, fileobj=io.BytesIO(csv_bytes(rows))
        )
        import_preview(job=job)
        if run:
            job = import_run(job=job)
    job.refresh_from_db()
    return job


def _files(job: ImportJob, media: Path) -> list[bool]:
    return [
        (media / job.file_path).exists(),
        _side_file(job, "preview").exists(),
        _side_file(job, "run").exists(),
    ]


def test_the_daily_task_deletes_files_older_than_30_days_and_keeps_newer_ones(business, media):
    old = _upload(business, days_ago=31)
    new_rows = [ROWS[0], ["Neema Mushi", "0711000503", "unknown"]]
    new = _upload(business, new_rows, "new.csv", days_ago=29)
    assert _files(old, media) == [True, True, True] == _files(new, media)
    assert old.report["run"]["warnings"] and old.report["preview"]["errors"]

    deleted = privacy_daily.call_local()

    assert deleted["import_files"] == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert _files(old, media) == [False, False, False]
    assert (old.file_removed_reason, old.report["file_removed_days"]) == (
        FileRemoval.RETENTION,
        30,
    )
    # the stored problem lists went with the file; the counts stay
    for part in ("preview", "run"):
        assert old.report[part]["errors"] == [] and old.report[part]["warnings"] == []
    assert (old.created_count, old.skipped_count, old.status) == (2, 1, ImportStatus.DONE)
    assert _files(new, media) == [True, True, True]
    assert new.file_removed_at is None and new.report["run"]["warnings"]
    # the next day the young file is 30 days old, and goes; nothing is done twice
    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=False):
        assert privacy_daily.call_local()["import_files"] == 1
        assert privacy_daily.call_local()["import_files"] == 0
    new.refresh_from_db()
    assert new.file_removed_reason == FileRemoval.RETENTION and not any(_files(new, media))


def test_the_retention_period_is_a_setting(business, settings, media):
    settings.IMPORT_RETENTION_DAYS = 7
    job = _upload(business, days_ago=8)
    assert privacy_daily.call_local()["import_files"] == 1
    job.refresh_from_db()
    assert job.report["file_removed_days"] == 7 and not any(_files(job, media))


def test_the_screens_and_the_api_say_the_file_was_deleted(business, staff_client, api_for):
    job = _upload(business, days_ago=40)
    privacy_daily.call_local()
    client = staff_client(business, Role.MANAGER)

    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "were deleted 30 days after the upload" in page
    assert "The import can still be undone" in page
    assert "problems.csv" not in page and "problems.xlsx" not in page
    listing = client.get("/imports/").content.decode()
    assert 'data-testid="file-deleted"' in listing
    # an old link to the problem report explains instead of failing
    answer = client.get(f"/imports/{job.pk}/problems.csv", follow=True)
    assert answer.status_code == 200
    assert "were deleted 30 days after the upload" in answer.content.decode()

    api = api_for(business, Role.MANAGER)
    shown = api.get(f"/imports/{job.pk}").json()
    assert shown["file_removed_reason"] == "retention" and shown["file_removed_at"]
    response = api.get(f"/imports/{job.pk}/errors.xlsx")
    assert response.status_code == 409
    assert response.json()["code"] == "file_removed"
    assert response.json()["details"] == {"days": 30}


def test_a_finished_import_can_still_be_undone_after_its_file_is_deleted(business):
    job = _upload(business, days_ago=31)
    privacy_daily.call_local()
    undo = import_undo(job=job)
    assert undo["removed"] == 2
    assert not Customer.objects.filter(import_job=job).exists()


def test_an_unfinished_import_says_so_and_takes_the_same_file_again(business, staff_client):
    job = _upload(business, days_ago=31, run=False)
    assert job.status == ImportStatus.PREVIEWED
    privacy_daily.call_local()
    job.refresh_from_db()
    client = staff_client(business, Role.MANAGER)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "upload the same file again" in page
    assert 'data-testid="import-run"' not in page
    refused = client.post(f"/imports/{job.pk}/run/", follow=True).content.decode()
    assert "were deleted 30 days after the upload" in refused
    assert not Customer.objects.exists()

    again, created = import_upload(
        business=business, file_name="customers.csv", fileobj=io.BytesIO(csv_bytes(ROWS))
    )
    assert (again.pk, created) == (job.pk, False)
    assert again.file_removed_at is None and again.file_removed_reason == ""
    done = import_run(job=again)
    assert (done.status, done.created_count) == (ImportStatus.DONE, 2)
    # its time starts again from the new upload: tonight's task leaves it
    assert privacy_daily.call_local()["import_files"] == 0


def test_enrolments_that_never_got_their_code_are_deleted_once_expired(business):
    now = timezone.now()

    def pending(phone, *, expires_in, status=PendingStatus.PENDING):
        return PendingEnrolment.objects.create(
            business=business,
            phone=phone,
            data={"name": "Amina"},
            code_digest="0" * 64,
            status=status,
            created_at=now - dt.timedelta(minutes=20),
            expires_at=now + dt.timedelta(minutes=expires_in),
        )

    expired = pending("+254711000601", expires_in=-5)
    void = pending("+254711000602", expires_in=-1, status=PendingStatus.VOID)
    waiting = pending("+254711000603", expires_in=5)
    verified = pending("+254711000604", expires_in=-5, status=PendingStatus.VERIFIED)

    assert privacy_daily.call_local()["pending_enrolments"] == 2

    left = set(PendingEnrolment.objects.values_list("pk", flat=True))
    assert left == {waiting.pk, verified.pk}
    assert expired.pk not in left and void.pk not in left


def test_the_task_is_scheduled_daily():
    from huey.contrib.djhuey import HUEY

    assert "wateja.jobs.privacy_tasks.privacy_daily" in HUEY._registry._registry
    moment = timezone.now().replace(hour=3, minute=45, second=0, microsecond=0)
    task = privacy_daily.task_class()
    runs = [m for m in range(24 * 60) if task.validate_datetime(moment + dt.timedelta(minutes=m))]
    assert runs == [0]  # once a day, at 03:45
