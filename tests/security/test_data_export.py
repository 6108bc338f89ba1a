"""A customer's data export (Kenya DPA s.26/s.38: access and portability) holds everything
the business keeps about them: profile and merged record, other phones and e-mails, cards,
consents with their proof, timeline, merges, the import rows that named them, enrolments
waiting for a code, what was done with their record, orders and refunds, wallet history,
payments, messages with their delivery reports, the SMS they sent and their ratings; through
the API, the JSON download and the PDF, for a manager only, audited, and nobody else's."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.security.privacy_world import IP, PHONE, PHONE_2, build_world, markers_in
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _by(rows, key, value):
    return [row for row in rows if row.get(key) == value]


def test_the_api_export_holds_every_part_of_her_data(business, api_for):
    world = build_world(business)
    api = api_for(business, Role.MANAGER)

    response = api.get(f"/customers/{world.person.pk}/export")

    assert response.status_code == 200
    data = response.json()
    profile = data["profile"]
    assert (profile["name"], profile["phone"], profile["email"]) == (
        "Zqx-name Amina",
        PHONE,
        "zqx-email@example.com",
    )
    assert (profile["gender"], profile["language"], profile["preferred_channel"]) == (
        "female",
        "sw",
        "sms",
    )
    assert [c["value"] for c in data["contacts"]] == [PHONE_2, "zqx-drop@example.com"]
    assert [r["name"] for r in data["merged_records"]] == ["Zqx-drop Amina"]
    web = _by(data["consents"], "source", "web")[0]
    assert (web["text"], web["ip_address"], web["user_agent"], web["language"]) == (
        "zqx-consent words",
        IP,
        "zqx-agent",
        "sw",
    )
    assert web["verification"] == {"method": "sms_code", "sent_to": PHONE}
    note = _by(data["interactions"], "summary", "zqx-summary")[0]
    assert (note["body"], note["reference"]) == ("zqx-body", "zqx-ref")
    merged = _by(data["merges"], "merged_record", world.dropped.pk)[0]
    assert merged["merged_profile"]["notes"] == "zqx-drop-notes"
    assert merged["profile_before"]["city"] == "Zqx-city"
    # messages: channel, address, subject, body, status and times
    email = _by(data["messages"], "channel", "email")[0]
    assert (email["to"], email["subject"], email["body"], email["status"]) == (
        "zqx-email@example.com",
        "zqx-subject",
        "zqx-email-body",
        "sent",
    )
    assert email["at"] and email["sent_at"]
    sms = _by(data["messages"], "body", "zqx-sms-body")[0]
    assert (sms["to"], sms["status"], sms["error"]) == (PHONE, "failed", "zqx-failure")
    card = next(m for m in data["messages"] if m["link"])
    assert "/my/" in card["link"] and card["clicked_at"]
    reports = _by(data["delivery_reports"], "message", sms["id"])
    assert [r["outcome"] for r in reports] == ["sent", "report:failed"] or sorted(
        r["outcome"] for r in reports
    ) == ["report:failed", "sent"]
    failed = _by(reports, "outcome", "report:failed")[0]
    assert failed["detail"] == "zqx-failure" and PHONE in json.dumps(failed["payload"])
    # the SMS she sent, from both her numbers, her chat messages, and her rating
    sms_in = [(i["from"], i["text"]) for i in data["inbound_sms"] if i["channel"] == "sms"]
    assert sms_in == [(PHONE, "zqx-inbound hello"), (PHONE_2, "zqx-inbound-2")]
    chats_in = [(i["channel"], i["text"]) for i in data["inbound_sms"] if i["channel"] != "sms"]
    assert [c for c, _text in chats_in] == ["telegram", "whatsapp", "whatsapp"]
    assert [(c["channel"], c["name"]) for c in data["chats"]] == [
        ("telegram", "Zqx-tg Amina"),
        ("whatsapp", "Zqx-wa Amina"),
    ]
    assert all(i["received_at"] for i in data["inbound_sms"])
    assert [(f["rating"], f["comment"]) for f in data["feedback"]] == [(4, "zqx-comment")]
    assert data["feedback"][0]["at"]
    # money: the wallet's reasons, the refund, the payment
    assert "zqx-grant-reason" in [h["reason"] for h in data["wallet"]["history"]]
    assert [(r["order"], r["amount_minor"], r["reason"]) for r in data["refunds"]] == [
        ("A-1", 5_000, "zqx-refund-reason")
    ]
    payment = data["payments"][0]
    assert (payment["payer_name"], payment["payer_phone"], payment["reference"]) == (
        "Zqx-payer Amina",
        PHONE,
        "QK12ABC345",
    )
    assert [(p["to"], p["amount_minor"], p["answer"]) for p in data["payouts"]] == [
        (PHONE, 10_000, "zqx-mpesa-said")
    ]
    # the imports that named her, the enrolment waiting for its code, the audit of her record
    assert {(i["file"], i["row"], i["value"]) for i in data["imports"]} == {
        ("march.csv", 2, "zqx-gender"),
        ("april.csv", 2, PHONE),
    }
    assert data["enrolments_waiting"][0]["form"] == {"name": "zqx-pending-name"}
    assert data["enrolments_waiting"][0]["ip_address"] == IP
    sent = data["sent_to_other_systems"][0]
    assert (sent["event"], sent["recipient"]) == ("customer.created", "crm.example.com")
    assert sent["data"]["customer"]["phone"] == PHONE and sent["error"] == "zqx-hook-error"
    grant = _by(data["audit"], "action", "wallet.grant")[0]
    assert grant["details"]["reason"] == "zqx-grant-reason"
    assert AuditEvent.objects.filter(
        action="customer.export", object_id=str(world.person.pk)
    ).exists()


def test_another_customers_export_holds_nothing_of_hers(business, api_for):
    world = build_world(business)
    api = api_for(business, Role.MANAGER)
    for name, other in world.others.items():
        data = api.get(f"/customers/{other.pk}/export").json()
        assert markers_in(json.dumps(data, ensure_ascii=False)) == [], name
    baraka = api.get(f"/customers/{world.others['baraka'].pk}/export").json()
    assert [(i["file"], i["value"]) for i in baraka["imports"]] == [("march.csv", "unknown-x")]


def test_the_web_download_and_the_pdf_for_a_manager_only(business, staff_client):
    world = build_world(business)
    manager = staff_client(business, Role.MANAGER)

    download = manager.get(f"/customers/{world.person.pk}/export.json")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    data = json.loads(download.content)
    assert {"messages", "inbound_sms", "feedback", "contacts", "merges", "payments"} <= set(data)
    assert [f["comment"] for f in data["feedback"]] == ["zqx-comment"]

    pdf = manager.get(f"/customers/{world.person.pk}/data-export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    for title in ("Messages sent to you", "SMS you sent", "Your ratings", "Payments"):
        assert title in text
    assert "zqx-comment" in text and "zqx-inbound hello" in text

    cashier = staff_client(business, Role.CASHIER)
    assert cashier.get(f"/customers/{world.person.pk}/export.json").status_code == 403
