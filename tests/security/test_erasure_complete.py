"""Erasure leaves nothing of the person: asked through the API or confirmed on the customer's
page, every place the world of `privacy_world` filled (profile, merged record, contacts,
consents and their proof, timeline, merge records, messages, delivery reports, inbound SMS,
feedback, import reports and files, enrolment waiting for a code, staff's reasons) holds none
of her data any more; the other customers keep theirs, the totals stay, it happens once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client

from tests.security.privacy_world import PHONE, build_world, csv_bytes, markers_in, scan
from wateja.customers.importing import _side_file
from wateja.customers.models import (
    Card,
    Customer,
    CustomerContact,
    FileRemoval,
    ImportJob,
    Interaction,
    PendingEnrolment,
)
from wateja.messaging.models import Delivery, Feedback, InboundMessage, Message
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role
from wateja.wallet.services import balances


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _files_holding_her(media: Path) -> list[str]:
    return [str(p) for p in media.rglob("*") if p.is_file() and markers_in(p.read_bytes())]


def _side_rows(job: ImportJob, kind: str) -> list[str]:
    path = _side_file(job, kind)
    return path.read_text(encoding="utf-8-sig").splitlines() if path.exists() else []


def test_erasure_through_the_api_leaves_nothing_of_her_and_keeps_the_rest(business, api_for, media):
    world = build_world(business)
    person = world.person
    messages_before = list(
        Message.objects.filter(customer=person)
        .order_by("pk")
        .values_list("pk", "status", "segments", "cost_minor", "token")
    )
    points_before = balances(person)["points"]["balance"]
    assert scan() and _files_holding_her(media)  # the world holds her everywhere first
    assert _side_file(world.march, "run").exists()

    api = api_for(business, Role.MANAGER)
    response = api.post(f"/customers/{person.pk}/erase")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == f"Erased customer #{person.pk}" and body["erased"]
    assert scan() == []
    assert _files_holding_her(media) == []
    # her merged record is erased with her; her extra contacts and enrolment attempt are gone
    world.dropped.refresh_from_db()
    assert world.dropped.erased_at is not None and world.dropped.city == ""
    assert not CustomerContact.objects.filter(customer__in=[person, world.dropped]).exists()
    assert not PendingEnrolment.objects.filter(phone=PHONE).exists()
    # what the reports count stays: messages with their status and cost, points, the cards
    assert list(
        Message.objects.filter(customer=person)
        .order_by("pk")
        .values_list("pk", "status", "segments", "cost_minor")
    ) == [row[:4] for row in messages_before]
    assert balances(person)["points"]["balance"] == points_before
    assert Feedback.objects.get(customer=person).rating == 4
    assert set(Card.objects.filter(customer=person).values_list("status", flat=True)) == {"blocked"}
    # the import that created her and the one that named her lost their files, not the rest
    for job in (world.march, world.april):
        job.refresh_from_db()
        assert job.file_removed_reason == FileRemoval.ERASURE
        assert not (media / job.file_path).exists()
    assert (world.march.created_count, world.march.status) == (2, "done")
    run_rows = _side_rows(world.march, "run")
    assert [r.split(",")[0] for r in run_rows[1:]] == ["3"]  # Baraka's row stays, hers went
    assert "unknown-x" in run_rows[1]
    assert [w["value"] for w in world.march.report["run"]["warnings"]] == ["unknown-x"]
    assert world.april.report["run"]["errors"] == []
    # the others keep their data; Juma's timeline names the erased record, not her
    for name, customer in world.others.items():
        customer.refresh_from_db()
        assert customer.erased_at is None and customer.phone, name
    juma_lines = Interaction.objects.filter(customer=world.juma, event="customer_merge_undone")
    assert [i.data["name"] for i in juma_lines] == [f"Erased customer #{person.pk}"]
    assert f"#{person.pk}" in juma_lines[0].summary
    # old links and late reports no longer reach her
    assert Client().get(f"/f/{messages_before[0][4]}/").status_code == 404
    deliveries = Delivery.objects.count()
    for provider_id in world.provider_ids:
        assert world.hook("sms/delivery", id=provider_id, status="delivered").status_code == 200
    assert Delivery.objects.count() == deliveries
    # one audit event, and asking again changes nothing
    assert AuditEvent.objects.filter(action="customer.erase", object_id=str(person.pk)).count() == 1
    again = api.post(f"/customers/{person.pk}/erase")
    assert again.status_code == 200 and again.json() == body
    assert AuditEvent.objects.filter(action="customer.erase", object_id=str(person.pk)).count() == 1


def test_a_cashier_cannot_erase(business, api_for):
    world = build_world(business)
    response = api_for(business, Role.CASHIER).post(f"/customers/{world.person.pk}/erase")
    assert response.status_code == 403
    world.person.refresh_from_db()
    assert world.person.erased_at is None and markers_in(world.person.name)


def test_erasure_from_the_customer_page_after_typing_erase(business, staff_client, media):
    world = build_world(business)
    client = staff_client(business, Role.MANAGER)
    url = f"/customers/{world.person.pk}/erase/"

    unconfirmed = client.post(url, {"confirm": "erase me"}, follow=True)
    assert "Type ERASE to confirm." in unconfirmed.content.decode()
    world.person.refresh_from_db()
    assert world.person.erased_at is None

    done = client.post(url, {"confirm": "ERASE"}, follow=True)
    page = done.content.decode()
    assert done.status_code == 200
    assert (
        "The customer&#x27;s personal data was erased." in page
        or "personal data was erased" in page
    )
    assert f"Erased customer #{world.person.pk}" in page
    assert not markers_in(page)
    assert scan() == []
    assert _files_holding_her(media) == []
    assert not InboundMessage.objects.exclude(text="").filter(from_phone__contains="711000301")


def test_the_file_that_held_her_cannot_be_imported_again(business, api_for):
    world = build_world(business)
    api = api_for(business, Role.MANAGER)
    assert api.post(f"/customers/{world.person.pk}/erase").status_code == 200
    again = Client().post(
        "/api/v1/imports",
        {
            "file": io.BytesIO(
                csv_bytes(
                    [
                        ["Name", "Phone", "E-mail", "City", "Notes", "Gender", "SMS consent"],
                        ["Amina W", "0711000301", "", "", "", "", ""],
                        ["Neema Mushi", "0711000402", "", "Arusha", "", "", ""],
                    ]
                )
            )
        },
        headers=api.headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "file_erased"
    assert Customer.objects.filter(phone=PHONE).count() == 0


def test_the_import_page_says_the_file_was_removed_for_privacy(business, staff_client, api_for):
    world = build_world(business)
    assert api_for(business).post(f"/customers/{world.person.pk}/erase").status_code == 200
    client = staff_client(business, Role.MANAGER)
    page = client.get(f"/imports/{world.march.pk}/").content.decode()
    assert "because a customer in it asked for their data to be erased" in page
    assert not markers_in(page)
    # the problem report, without her rows, can still be downloaded until the retention ends
    problems = client.get(f"/imports/{world.march.pk}/problems.csv")
    assert problems.status_code == 200
    text = b"".join(problems.streaming_content).decode("utf-8-sig")
    assert "unknown-x" in text and not markers_in(text)
