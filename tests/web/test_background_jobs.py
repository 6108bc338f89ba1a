"""Background jobs through the screens (Django test client, Huey immediate): an export and a
printed list are started, their page polls a partial and then opens the result; a campaign is
sent by a job; another business's staff and lower roles get 404; a failed job shows a plain
sentence, never a traceback; old results are deleted; imports show in the same list."""

from __future__ import annotations

import csv
import datetime as dt
import io

import time_machine
from django.utils import timezone

from tests.messaging.factories import NOON, person, sms_template
from wateja.customers.models import ImportJob, ImportStatus
from wateja.customers.services import customer_create
from wateja.jobs.background_tasks import background_job_run
from wateja.messaging.campaigns import campaign_save
from wateja.messaging.models import Campaign, CampaignStatus, Message
from wateja.operations.background import jobs_cleanup, result_path
from wateja.operations.models import BackgroundJob, JobStatus
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}
HTMX = {**EN, "HX-Request": "true"}


def _customers(business, *names: str) -> None:
    for number, name in enumerate(names, start=1):
        customer_create(business=business, name=name, phone=f"+2547120000{number:02d}")


def _start_export(client, **fields: str):
    response = client.post("/jobs/export/customers/", {"format": "csv", **fields}, headers=EN)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_an_export_runs_as_a_job_and_its_file_opens_from_the_jobs_list(business, staff_client):
    _customers(business, "Amina Wanjiru", "Baraka Otieno", "Ольга Иванова")
    client = staff_client(business, Role.MANAGER)
    form = client.get("/exports/customers/", headers=EN).content.decode()
    assert 'action="/jobs/export/customers/"' in form and 'method="post"' in form

    page_url = _start_export(client)
    job = BackgroundJob.objects.get(business=business)
    assert page_url == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE and job.done_count == job.total_count == 3
    page = client.get(page_url, headers=EN).content.decode()
    assert "Customer export" in page and 'data-testid="job-open"' in page
    assert "hx-trigger" not in page  # done: nothing polls

    response = client.get(f"/jobs/{job.pk}/result/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    names = sorted(row[1] for row in list(csv.reader(io.StringIO(text)))[1:])
    assert names == ["Amina Wanjiru", "Baraka Otieno", "Ольга Иванова"]
    assert AuditEvent.objects.get(action="customers.export").details["rows"] == 3

    listing = client.get("/jobs/", headers=EN).content.decode()
    assert "Customer export" in listing and f'href="/jobs/{job.pk}/result/"' in listing


def test_the_file_lives_in_the_data_dir_readable_by_its_owner_only(business, staff_client):
    _customers(business, "Amina Wanjiru")
    _start_export(staff_client(business, Role.MANAGER), format="xlsx")
    job = BackgroundJob.objects.get(business=business)
    path = result_path(job)
    assert path is not None and path.suffix == ".xlsx"
    assert path.stat().st_mode & 0o777 == 0o600
    assert job.result_name.endswith(".xlsx")


def test_another_business_and_lower_roles_cannot_open_a_result(
    business, other_business, staff_client
):
    _customers(business, "Amina Wanjiru")
    _start_export(staff_client(business, Role.MANAGER))
    job = BackgroundJob.objects.get(business=business)
    for client in (
        staff_client(other_business, Role.OWNER),  # another business's owner
        staff_client(business, Role.CASHIER),  # this business, a role that may not export
        staff_client(business, Role.VIEWER),
    ):
        for path in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/status/", f"/jobs/{job.pk}/result/"):
            assert client.get(path).status_code == 404, path
        assert "Customer export" not in client.get("/jobs/", headers=EN).content.decode()
    assert staff_client(business, Role.OWNER).get(f"/jobs/{job.pk}/result/").status_code == 200


def test_the_result_is_never_served_without_signing_in(business, staff_client, client):
    _customers(business, "Amina Wanjiru")
    _start_export(staff_client(business, Role.MANAGER))
    job = BackgroundJob.objects.get(business=business)
    response = client.get(f"/jobs/{job.pk}/result/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_while_queued_the_partial_polls_then_shows_the_result(business, staff_client):
    _customers(business, "Amina Wanjiru", "Baraka Otieno")
    client = staff_client(business, Role.MANAGER)
    manager = client.get("/jobs/").wsgi_request.user
    job = BackgroundJob.objects.create(
        business=business,
        kind="customers.print_list",
        params={"filters": {}},
        created_by=manager,
        language="en",
    )  # what the screen records before the worker picks it up
    partial = client.get(f"/jobs/{job.pk}/status/", headers=HTMX).content.decode()
    assert f'hx-get="/jobs/{job.pk}/status/"' in partial and 'hx-trigger="every 2s"' in partial
    assert 'data-status="queued"' in partial and 'data-testid="job-no-worker"' in partial
    listing = client.get("/jobs/", headers=EN).content.decode()
    assert "Printed customer list" in listing and 'hx-trigger="every 2s"' in listing

    background_job_run.call_local(job.pk)  # what the worker does
    partial = client.get(f"/jobs/{job.pk}/status/", headers=HTMX).content.decode()
    assert "hx-trigger" not in partial and 'data-status="done"' in partial
    assert f'href="/jobs/{job.pk}/result/"' in partial
    job.refresh_from_db()
    assert job.done_count == job.total_count == 2
    assert client.get(f"/jobs/{job.pk}/result/")["Content-Type"] == "application/pdf"


def test_a_failed_job_shows_a_plain_sentence_never_a_traceback(business, staff_client, monkeypatch):
    _customers(business, "Amina Wanjiru")

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /srv/wateja/printing.py line 42")

    monkeypatch.setattr("wateja.customers.printing.customer_list_pdf", broken)
    client = staff_client(business, Role.MANAGER)
    started = client.post("/customers/list.pdf", {"city": ""}, headers=EN)
    job = BackgroundJob.objects.get(business=business)
    assert started["Location"] == f"/jobs/{job.pk}/"
    assert job.status == JobStatus.FAILED and job.error_code == "job_failed"
    page = client.get(started["Location"], headers=EN).content.decode()
    assert "Something went wrong while doing this" in page
    for leak in ("Traceback", "RuntimeError", "secret internals", "printing.py"):
        assert leak not in page
    assert client.get(f"/jobs/{job.pk}/result/").status_code == 404
    assert job.result_file == "" and result_path(job) is None  # nothing half-written kept


def test_a_bad_filter_is_said_on_the_form_not_in_a_job(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    response = client.post("/jobs/export/customers/", {"format": "pdf"}, headers=EN)
    assert response.status_code == 422
    assert not BackgroundJob.objects.exists()


def test_results_are_deleted_after_the_keeping_time(business, staff_client):
    _customers(business, "Amina Wanjiru")
    _start_export(staff_client(business, Role.MANAGER))
    job = BackgroundJob.objects.get(business=business)
    path = result_path(job)
    assert path is not None and path.exists()
    assert jobs_cleanup() == 0  # still within its days
    assert jobs_cleanup(now=job.expires_at + dt.timedelta(minutes=1)) == 1
    assert not path.exists() and not BackgroundJob.objects.exists()


def test_send_now_runs_as_a_job_and_the_campaign_moves_as_before(business, staff_client):
    template = sms_template(business, "Offer")
    person(business, "Amina Wanjiru", language="sw")
    person(business, "Baraka Otieno", language="en")
    with time_machine.travel(NOON, tick=False):
        campaign = campaign_save(
            business=business, name="Black Friday", channel="sms", sms_template_id=template.pk,
            offer="20% off",
        )  # fmt: skip
        client = staff_client(business, Role.MANAGER)
        response = client.post(
            f"/messages/campaigns/{campaign.pk}/send/", {"action": "now", "confirmed": "1"}
        )
        assert response.status_code == 302
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.SENT
        assert Message.objects.filter(campaign=campaign).count() == 2
        job = BackgroundJob.objects.get(business=business, kind="campaign.send")
        assert job.status == JobStatus.DONE and job.done_count == job.total_count == 2
        assert job.result_data["counts"]["queued"] == 2
        listing = client.get("/jobs/", headers=EN).content.decode()
        assert "Campaign sending" in listing and "Black Friday" in listing
        assert f'href="/messages/campaigns/{campaign.pk}/"' in listing


def test_a_send_job_run_twice_sends_nothing_twice(business, staff_client):
    template = sms_template(business, "Offer")
    person(business, "Amina Wanjiru")
    with time_machine.travel(NOON, tick=False):
        campaign = campaign_save(
            business=business, name="Again", channel="sms", sms_template_id=template.pk, offer="x"
        )
        client = staff_client(business, Role.MANAGER)
        client.post(f"/messages/campaigns/{campaign.pk}/send/", {"action": "now", "confirmed": "1"})
        job = BackgroundJob.objects.get(kind="campaign.send")
        BackgroundJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
        background_job_run.call_local(job.pk)
        assert Message.objects.filter(campaign=campaign).count() == 1


def test_the_campaign_preview_partial_polls_its_job_until_counted(business, staff_client):
    template = sms_template(business, "Offer")
    person(business, "Amina Wanjiru")
    campaign = campaign_save(
        business=business, name="Preview", channel="sms", sms_template_id=template.pk, offer="x"
    )
    client = staff_client(business, Role.VIEWER)
    user = client.get("/jobs/").wsgi_request.user
    job = BackgroundJob.objects.create(
        business=business, kind="campaign.preview", params={"campaign_id": campaign.pk},
        role=Role.VIEWER, created_by=user, language="en",
    )  # fmt: skip
    url = f"/messages/campaigns/{campaign.pk}/preview/?job={job.pk}"
    partial = client.get(url, headers=HTMX).content.decode()
    assert 'data-testid="preview-job"' in partial and 'hx-trigger="every 2s"' in partial
    # opening the page again while it counts follows the same job
    again = client.get(f"/messages/campaigns/{campaign.pk}/preview/", headers=HTMX)
    assert f"?job={job.pk}" in again.content.decode()
    assert BackgroundJob.objects.filter(kind="campaign.preview").count() == 1
    background_job_run.call_local(job.pk)
    partial = client.get(url, headers=HTMX).content.decode()
    assert 'data-testid="preview-audience">1<' in partial and "hx-trigger" not in partial
    # a job of another campaign, or another business's, is not shown here
    other = campaign_save(
        business=business, name="Other", channel="sms", sms_template_id=template.pk, offer="x"
    )
    assert client.get(f"/messages/campaigns/{other.pk}/preview/?job={job.pk}").status_code == 404


def test_imports_show_in_the_same_list(business, staff_client):
    client = staff_client(business, Role.OWNER)
    ImportJob.objects.create(
        business=business, file_name="wateja.xlsx", file_path="x", file_sha256="0" * 64,
        file_format="xlsx", status=ImportStatus.RUNNING, total_rows=200, next_row=50,
    )  # fmt: skip
    listing = client.get("/jobs/", headers=EN).content.decode()
    assert "wateja.xlsx" in listing and 'value="25"' in listing
    assert 'hx-trigger="every 2s"' in listing  # still running: the list refreshes


def test_job_times_are_stored_in_utc(business, staff_client):
    _customers(business, "Amina Wanjiru")
    _start_export(staff_client(business, Role.MANAGER))
    job = BackgroundJob.objects.get(business=business)
    assert job.finished_at is not None and job.finished_at <= timezone.now()
    assert job.finished_at.utcoffset() == dt.timedelta(0)


def test_a_segment_dashboard_is_computed_by_a_job_and_shown_with_its_time(
    business, other_business, staff_client
):
    from wateja.customers.segments import segment_save

    _customers(business, "Amina Wanjiru")
    everyone = segment_save(business=business, name="Everyone", filters={})
    client = staff_client(business, Role.MANAGER)
    page = client.get("/reports/", {"segment": everyone.pk}, headers=EN).content.decode()
    job = BackgroundJob.objects.get(business=business, kind="reports.dashboard")
    assert job.status == JobStatus.DONE and job.subject == "Segment: Everyone"
    assert 'data-testid="dash-computed-at"' in page and 'data-testid="headline"' in page
    assert 'data-testid="section-revenue"' in page
    client.get("/reports/", {"segment": everyone.pk}, headers=EN)
    assert BackgroundJob.objects.filter(kind="reports.dashboard").count() == 1  # reused
    client.get("/reports/", {"segment": everyone.pk, "recompute": "1"}, headers=EN)
    assert BackgroundJob.objects.filter(kind="reports.dashboard").count() == 2
    # the unfiltered dashboard stays immediate: no job
    page = client.get("/reports/", headers=EN).content.decode()
    assert 'data-testid="dash-computed-at"' not in page and 'data-testid="headline"' in page
    assert BackgroundJob.objects.filter(kind="reports.dashboard").count() == 2

    # while a job runs, the figures part polls it
    waiting = BackgroundJob.objects.filter(kind="reports.dashboard").order_by("-id").first()
    BackgroundJob.objects.filter(pk=waiting.pk).update(status=JobStatus.QUEUED)
    page = client.get("/reports/", {"segment": everyone.pk}, headers=EN).content.decode()
    assert 'data-testid="dash-computing"' in page and 'hx-trigger="every 2s"' in page
    assert f"job={waiting.pk}" in page
    background_job_run.call_local(waiting.pk)
    query = {**waiting.params["query"], "job": waiting.pk}
    partial = client.get("/reports/figures/", query, headers=HTMX).content.decode()
    assert 'data-testid="dash-computed-at"' in partial and "hx-trigger" not in partial
    # another business's staff cannot read it
    stranger = staff_client(other_business, Role.OWNER)
    assert stranger.get("/reports/figures/", query).status_code == 404


def test_erasing_a_customer_deletes_kept_results_that_may_show_them(business, staff_client):
    from wateja.customers.models import Customer
    from wateja.customers.privacy import customer_erase

    _customers(business, "Amina Wanjiru")
    _start_export(staff_client(business, Role.MANAGER))
    job = BackgroundJob.objects.get(business=business)
    path = result_path(job)
    assert path is not None
    customer_erase(customer=Customer.objects.get(business=business))
    assert not path.exists() and not BackgroundJob.objects.filter(pk=job.pk).exists()
