"""Messaging over the API: templates (unknown placeholder → 422 naming it), SMS length,
campaign preview/launch/results, automations, a customer's messages, settings with masked
secrets, roles."""

from __future__ import annotations

import time_machine

from tests.messaging.factories import NOON, person
from wateja.messaging.worker import outbox_send_due
from wateja.tenants.roles import Role

SMS_TEMPLATE = {
    "name": "Offer",
    "channel": "sms",
    "variants": [
        {
            "label": "A",
            "texts": {"en": {"body": "Hi {name}, {offer}"}, "hy": {"body": "Բարև {name}"}},
        },
        {"label": "B", "weight": 2, "texts": {"en": {"body": "Hello {name}! {offer}"}}},
    ],
}


def test_template_crud_and_unknown_placeholder(api) -> None:
    created = api.post("/templates", SMS_TEMPLATE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert [v["label"] for v in body["variants"]] == ["A", "B"]

    bad = api.post(
        "/templates",
        {
            "name": "Bad",
            "channel": "sms",
            "variants": [{"texts": {"sw": {"body": "Salio {salio}"}}}],
        },
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    assert "{salio}" in bad.json()["details"]["fields"]["variants.0.texts.sw.body"][0]

    changed = api.put(
        f"/templates/{body['id']}",
        {**SMS_TEMPLATE, "variants": [{"label": "A", "texts": {"en": {"body": "Only A {name}"}}}]},
    )
    assert changed.status_code == 200
    assert [(v["label"], v["is_active"]) for v in changed.json()["variants"]] == [
        ("A", True), ("B", False)
    ]  # fmt: skip
    assert api.get("/templates").json()[0]["name"] == "Offer"


def test_sms_info_counts_segments_and_encoding(api) -> None:
    swahili = api.post("/sms/info", {"text": "Habari Amina, karibu tena! " * 6}).json()
    assert (swahili["encoding"], swahili["segments"], swahili["per_segment"]) == ("GSM-7", 2, 153)
    armenian = api.post("/sms/info", {"text": "Բարև Անի, " * 7}).json()
    assert (armenian["encoding"], armenian["segments"], armenian["per_segment"]) == ("UCS-2", 1, 70)
    curly = api.post("/sms/info", {"text": "Karibu Mama’s café — asante"}).json()
    assert curly["encoding"] == "UCS-2" or curly["text"] == "Karibu Mama's café - asante"


def test_campaign_preview_launch_results(api, business) -> None:
    template = api.post("/templates", SMS_TEMPLATE).json()
    for i in range(4):
        person(business, f"Customer {i}")
    person(business, "No Consent", sms=False)
    campaign = api.post(
        "/campaigns",
        {"name": "Weekend", "channel": "sms", "sms_template_id": template["id"], "offer": "-10%"},
    ).json()

    preview = api.post(f"/campaigns/{campaign['id']}/preview").json()
    assert preview["audience"] == 5
    assert preview["sms"] == 4
    assert preview["skipped"] == {"no_consent": 1}
    assert preview["cost_minor"] == preview["sms_segments"] * 100

    with time_machine.travel(NOON, tick=False):  # midday in Nairobi: no quiet hours
        launched = api.post(f"/campaigns/{campaign['id']}/launch", {})
        assert launched.status_code == 200, launched.content
        assert launched.json()["status"] == "sent"
        assert api.post(f"/campaigns/{campaign['id']}/launch", {}).status_code == 409
        outbox_send_due()
    results = api.get(f"/campaigns/{campaign['id']}/results").json()
    assert results["sent"] == 4
    assert sum(v["sent"] for v in results["variants"]) == 4
    assert [c["name"] for c in api.get("/campaigns").json()["items"]] == ["Weekend"]


def test_automation_create_change_and_results(api) -> None:
    template = api.post("/templates", {**SMS_TEMPLATE, "name": "Birthday"}).json()
    created = api.post("/automations", {"kind": "birthday", "sms_template_id": template["id"]})
    assert created.status_code == 200, created.content
    automation = created.json()
    changed = api.patch(f"/automations/{automation['id']}", {"is_active": False, "offer": "Cake"})
    assert (changed.json()["is_active"], changed.json()["offer"]) == (False, "Cake")
    assert api.get(f"/automations/{automation['id']}/results").json()["sent"] == 0
    assert api.post("/automations", {"kind": "nonsense"}).status_code == 422


def test_single_message_to_a_customer_and_the_log(api, business) -> None:
    template = api.post(
        "/templates",
        {"name": "Receipt", "channel": "sms", "purpose": "service",
         "variants": [{"texts": {"en": {"body": "Thanks {name}, card {card}"}}}]},
    ).json()  # fmt: skip
    customer = person(business, sms=None)
    sent = api.post(f"/customers/{customer.pk}/messages", {"template_id": template["id"]})
    assert sent.status_code == 201
    assert sent.json() == {"queued": 1}
    log = api.get(f"/customers/{customer.pk}/messages").json()["items"]
    assert log[0]["body"].startswith("Thanks Amina, card ")
    assert log[0]["purpose"] == "service"


def test_settings_mask_secrets_and_need_the_owner(api, api_for, business) -> None:
    changed = api.patch(
        "/messaging/settings",
        {"sms_provider": "africastalking", "at_username": "kahawa",
         "at_api_key": "atsk_secret_1234", "sms_sender": "KAHAWA", "quiet_start": "22:00",
         "cap_count": 2},
    )  # fmt: skip
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["at_api_key"] == "••••1234"
    assert body["quiet_start"] == "22:00"
    assert body["callbacks"]["ussd"].endswith("/ussd/")
    manager = api_for(business, Role.MANAGER)
    assert manager.patch("/messaging/settings", {"cap_count": 4}).status_code == 200
    refused = manager.patch("/messaging/settings", {"at_api_key": "stolen-key"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "owner_required"
    assert manager.get("/messaging/settings").json()["at_api_key"] == "••••1234"
    bad = api.patch("/messaging/settings", {"sms_provider": "twilio"})
    assert bad.status_code == 422
    assert "twilio_auth_token" in bad.json()["details"]["fields"]


def test_cashier_cannot_create_campaigns(api_for, business) -> None:
    cashier = api_for(business, Role.CASHIER)
    assert cashier.post("/templates", SMS_TEMPLATE).status_code == 403
