"""Messaging screens through Django's test client: a manager writes a template (errors next to
the right box), the SMS counter answers from the server, a campaign is previewed with its reach
and cost, sent and its results shown; automations and settings are saved; a cashier can look
but not change; another business's ids are 404; the customer page lists the messages."""

from __future__ import annotations

import datetime as dt
import re

import time_machine

from tests.messaging.factories import NOON, person, sms_template
from wateja.messaging.attribution import attribution_run
from wateja.messaging.campaigns import campaign_save
from wateja.messaging.models import (
    Automation,
    Campaign,
    CampaignStatus,
    Message,
    MessagingSettings,
    Template,
)
from wateja.messaging.worker import outbox_send_due
from wateja.orders.models import Order
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}


def _template_form(**boxes: str) -> dict[str, str]:
    form = {"name": "Karibu", "channel": "sms", "purpose": "marketing", "variant_count": "1",
            "v0-label": "A", "v0-weight": "1"}  # fmt: skip
    form.update(boxes)
    return form


def _section(page: str, testid: str, end: str = "section|dl|p|table|article|li") -> str:
    match = re.search(rf'data-testid="{testid}".*?</({end})>', page, re.S)
    assert match, f"{testid} not on the page"
    return match.group(0)


# --- templates -------------------------------------------------------------------------------


def test_manager_writes_a_template_in_two_languages(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    assert client.get("/messages/templates/new/", headers=EN).status_code == 200
    response = client.post(
        "/messages/templates/new/",
        _template_form(
            **{
                "v0-sw-body": "Habari {name}, una pointi {balance}",
                "v0-hy-body": "Բարև {name}, դուք ունեք {balance} միավոր",
            }
        ),
        headers=EN,
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    template = Template.objects.get(business=business, name="Karibu")
    variant = template.variants.get()
    assert set(variant.texts) == {"sw", "hy"}
    assert variant.texts["sw"]["body"] == "Habari {name}, una pointi {balance}"
    page = client.get(response["Location"], headers=EN).content.decode()
    assert "Habari {name}, una pointi {balance}" in page
    # the saved counter is drawn with the page: Armenian is UCS-2
    assert "UCS-2" in _section(page, "count-v0-hy-body")
    home = client.get("/messages/", headers=EN).content.decode()
    assert "Karibu" in _section(home, "templates")


def test_unknown_placeholder_is_shown_next_to_its_box_and_nothing_is_saved(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    response = client.post(
        "/messages/templates/new/",
        _template_form(**{"v0-en-body": "Hi {name}", "v0-sw-body": "Habari {name}, salio {salio}"}),
        headers=EN,
    )
    assert response.status_code == 200
    page = response.content.decode()
    error = re.search(r'data-testid="error-v0-sw-body">([^<]*)<', page)
    assert error and "{salio}" in error.group(1)
    assert 'data-testid="error-v0-en-body"' not in page
    assert "Habari {name}, salio {salio}" in page  # what was typed stays
    assert not Template.objects.filter(business=business).exists()


def test_second_variant_is_added_and_saved_with_its_share(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    page = client.post(
        "/messages/templates/new/",
        _template_form(**{"v0-en-body": "Hi {name}", "add_variant": "1"}),
        headers=EN,
    ).content.decode()
    assert 'name="v1-en-body"' in page and 'value="2"' in page  # variant_count
    form = _template_form(**{"v0-en-body": "Hi {name}", "variant_count": "2", "v1-label": "B",
                             "v1-weight": "3", "v1-en-body": "Hello {name}!"})  # fmt: skip
    assert client.post("/messages/templates/new/", form).status_code == 302
    template = Template.objects.get(business=business)
    assert [(v.label, v.weight) for v in template.variants.order_by("label")] == [
        ("A", 1),
        ("B", 3),
    ]


def test_sms_counter_is_computed_on_the_server(business, staff_client):
    client = staff_client(business, Role.MANAGER)

    def count(text: str, language: str, purpose: str = "service") -> str:
        params = {"text": text, "language": language, "purpose": purpose}
        response = client.get("/messages/sms-count/", params, headers=EN)
        assert response.status_code == 200
        return response.content.decode()

    armenian = count("Բարև, շնորհակալություն գնումի համար", "hy")
    assert "UCS-2" in armenian and 'data-per-segment="70"' in armenian
    assert "1 SMS" in armenian
    swahili = count("Habari, asante kwa kununua", "sw")
    assert "GSM-7" in swahili and 'data-per-segment="160"' in swahili
    russian = count("Здравствуйте! " * 6, "ru")  # 84 characters: two parts of 67
    assert "UCS-2" in russian and 'data-per-segment="67"' in russian and "2 SMS" in russian
    # the box's own field, as htmx sends it on keyup
    box = client.get(
        "/messages/sms-count/", {"v1-hy-body": "Բարև", "purpose": "service"}, headers=EN
    ).content.decode()
    assert "UCS-2" in box and "4 characters" in box
    # a stray emoji in Swahili text is named as the reason for UCS-2
    emoji = count("Habari 🎉", "sw")
    assert "UCS-2" in emoji and "🎉" in emoji


def test_preview_renders_each_language_with_sample_values(business, staff_client):
    client = staff_client(business, Role.CASHIER)  # looking is allowed
    page = client.post(
        "/messages/templates/preview/",
        _template_form(
            **{
                "v0-sw-body": "Habari {name}, una pointi {balance}",
                "v0-ru-body": "Привет, {name}!",
                "v0-en-body": "Hi {nme}",
            }
        ),
        headers=EN,
    ).content.decode()
    swahili = _section(page, "preview-A-sw", "article")
    assert "Habari Amina, una pointi 250" in swahili and "GSM-7" in swahili
    assert "Привет, Анна!" in _section(page, "preview-A-ru")
    assert "{nme}" in _section(page, "preview-A-en")  # the problem, not a rendering


# --- campaigns -------------------------------------------------------------------------------


def test_campaign_is_built_previewed_sent_and_measured(business, staff_client):
    template = sms_template(business, "Offer")
    buyer = person(business, "Amina Wanjiru", language="sw")
    person(business, "Baraka Otieno", language="en")
    person(business, "Chiku No", sms=False)
    with time_machine.travel(NOON, tick=False):
        client = staff_client(business, Role.MANAGER)
        response = client.post(
            "/messages/campaigns/new/",
            {"name": "Black Friday", "segment_id": "", "channel": "sms",
             "sms_template_id": str(template.pk), "email_template_id": "",
             "offer": "20% off", "code": "BF20", "link_url": "", "holdout_percent": "0"},
            headers=EN,
        )  # fmt: skip
        assert response.status_code == 302, response.content.decode()[:3000]
        campaign = Campaign.objects.get(business=business, name="Black Friday")
        assert campaign.status == CampaignStatus.DRAFT
        detail = client.get(response["Location"], headers=EN).content.decode()
        assert f"/messages/campaigns/{campaign.pk}/preview/" in detail

        preview = client.get(f"/messages/campaigns/{campaign.pk}/preview/", headers=EN)
        page = preview.content.decode()
        assert re.search(r'data-testid="preview-audience">3<', page)
        assert re.search(r'data-testid="preview-sms">2<', page)
        assert "No consent for this channel" in _section(page, "preview-skipped")
        assert "2.00" in _section(page, "preview-cost")  # 2 SMS × 1 segment × KES 1.00
        assert "Habari Amina, 20% off" in _section(page, "example-sms-sw", "article")
        assert "Hi Baraka, 20% off" in _section(page, "example-sms-en", "article")

        send = f"/messages/campaigns/{campaign.pk}/send/"
        asked = client.post(send, {"action": "now"}, headers=EN)  # a page asks first
        assert 'data-testid="confirm"' in asked.content.decode()
        assert not Message.objects.filter(campaign=campaign).exists()
        sent = client.post(send, {"action": "now", "confirmed": "1"})
        assert sent.status_code == 302
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.SENT
        assert Message.objects.filter(campaign=campaign).count() == 2
        outbox_send_due(now=NOON)
    Order.objects.create(
        business=business, customer=buyer, number="BF-1", currency="KES",
        subtotal_minor=120_000, total_minor=120_000, placed_at=NOON + dt.timedelta(days=1),
    )  # fmt: skip
    attribution_run(business=business, now=NOON + dt.timedelta(days=2))

    with time_machine.travel(NOON + dt.timedelta(days=2), tick=False):  # the session still valid
        page = client.get(f"/messages/campaigns/{campaign.pk}/", headers=EN).content.decode()
        campaigns = client.get("/messages/").content.decode()
    results = _section(page, "results", "section")
    assert re.search(r'data-testid="result-sent">2<', results)
    assert "1 customer (1 orders)" in results
    assert "1,200.00" in _section(page, "result-revenue")
    assert "Black Friday" in _section(campaigns, "campaigns")


def test_campaign_is_scheduled_in_local_time_then_cancelled(business, staff_client):
    template = sms_template(business)
    campaign = campaign_save(
        business=business, name="New year", channel="sms", sms_template_id=template.pk
    )
    client = staff_client(business, Role.MANAGER)
    past = client.post(
        f"/messages/campaigns/{campaign.pk}/send/",
        {"action": "schedule", "at": "2020-01-01T10:00"},
        headers=EN,
    )
    assert past.status_code == 200
    assert "Pick a time in the future." in past.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT

    response = client.post(
        f"/messages/campaigns/{campaign.pk}/send/", {"action": "schedule", "at": "2030-01-01T10:00"}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    # 10:00 in Nairobi (UTC+3) is 07:00 UTC
    assert campaign.scheduled_at == dt.datetime(2030, 1, 1, 7, 0, tzinfo=dt.UTC)
    page = client.get(f"/messages/campaigns/{campaign.pk}/", headers=EN).content.decode()
    assert 'data-testid="scheduled"' in page and 'data-testid="cancel-campaign"' in page
    asked = client.post(f"/messages/campaigns/{campaign.pk}/cancel/", headers=EN)
    assert "Yes, cancel the campaign" in asked.content.decode()
    campaign.refresh_from_db()
    assert campaign.status != CampaignStatus.CANCELLED
    client.post(f"/messages/campaigns/{campaign.pk}/cancel/", {"confirmed": "1"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED


def test_campaign_without_a_template_shows_the_services_error(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    response = client.post(
        "/messages/campaigns/new/",
        {"name": "Empty", "channel": "sms", "holdout_percent": "0"},
        headers=EN,
    )
    assert response.status_code == 200
    assert 'data-testid="error-sms_template_id"' in response.content.decode()
    assert not Campaign.objects.exists()


# --- automations and settings ----------------------------------------------------------------


def test_automation_is_saved_toggled_and_listed(business, staff_client):
    template = sms_template(business, "Birthday")
    client = staff_client(business, Role.MANAGER)
    page = client.get("/messages/automations/birthday/", headers=EN).content.decode()
    assert "Not set up yet" in page and 'name="delay_hours"' not in page  # a daily kind
    assert 'name="days"' in client.get("/messages/automations/win_back/").content.decode()
    response = client.post(
        "/messages/automations/birthday/",
        {"is_active": "on", "channel": "sms", "sms_template_id": str(template.pk),
         "offer": "A free cake", "code": "", "holdout_percent": "10"},
        headers=EN,
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    automation = Automation.objects.get(business=business, kind="birthday")
    assert automation.is_active and automation.offer == "A free cake"
    assert automation.holdout_percent == 10 and automation.sms_template == template
    home = client.get("/messages/", headers=EN).content.decode()
    row = _section(home, "automations", "table")
    assert 'data-testid="automation-birthday"' in row and "Birthday" in row
    client.post("/messages/automations/birthday/toggle/", {"active": "0"})
    automation.refresh_from_db()
    assert not automation.is_active
    assert client.get("/messages/automations/no_such_kind/").status_code == 404


def test_automation_without_template_is_refused_on_the_form(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    response = client.post(
        "/messages/automations/welcome/",
        {"is_active": "on", "channel": "sms", "delay_hours": "0", "holdout_percent": "0"},
        headers=EN,
    )
    assert response.status_code == 200
    assert 'data-testid="error-sms_template_id"' in response.content.decode()
    assert not Automation.objects.exists()


def _settings_form(**changes: str) -> dict[str, str]:
    form = {"sms_provider": "africastalking", "sms_sender": "KAHAWA", "at_username": "kahawa",
            "at_api_key": "atsk_0123456789abcdefSECRET", "twilio_account_sid": "",
            "twilio_auth_token": "", "sms_price": "0.80", "email_provider": "outbox",
            "email_from": "", "quiet_start": "21:30", "quiet_end": "07:30", "cap_count": "2",
            "cap_days": "7", "rate_per_second": "10", "attribution_days": "5"}  # fmt: skip
    form.update(changes)
    return form


def test_settings_are_saved_and_the_secret_is_never_shown(business, staff_client):
    client = staff_client(business, Role.OWNER)
    page = client.get("/messages/settings/", headers=EN).content.decode()
    hooks = _section(page, "hooks", "section")
    for kind in ("sms/inbound", "sms/delivery", "sms/optout", "ussd"):
        assert f"/{kind}/" in hooks
    response = client.post("/messages/settings/", _settings_form(), headers=EN)
    assert response.status_code == 302, response.content.decode()[:3000]
    row = MessagingSettings.objects.get(business=business)
    assert row.at_api_key == "atsk_0123456789abcdefSECRET"
    assert row.sms_price_minor == 80 and row.quiet_start == dt.time(21, 30)
    assert (row.cap_count, row.attribution_days) == (2, 5)
    page = client.get("/messages/settings/", headers=EN).content.decode()
    assert "atsk_0123456789abcdefSECRET" not in page and "CRET" in page  # masked: ••••CRET
    # a blank secret keeps the saved one
    client.post("/messages/settings/", _settings_form(at_api_key="", sms_price="1.20"))
    row.refresh_from_db()
    assert row.at_api_key == "atsk_0123456789abcdefSECRET" and row.sms_price_minor == 120
    # the service's rule shows on the form: Africa's Talking needs its key
    bad = client.post(
        "/messages/settings/",
        _settings_form(at_api_key="", forget_secrets="on"),
        headers=EN,
    ).content.decode()
    assert 'data-testid="error-at_api_key"' in bad
    row.refresh_from_db()
    assert row.at_api_key == "atsk_0123456789abcdefSECRET"


# --- roles, tenancy, customer page -----------------------------------------------------------


def test_cashier_can_look_but_not_change(business, staff_client):
    template = sms_template(business)
    campaign = campaign_save(
        business=business, name="Look only", channel="sms", sms_template_id=template.pk
    )
    client = staff_client(business, Role.CASHIER)
    assert client.get("/messages/").status_code == 200
    assert client.get(f"/messages/templates/{template.pk}/").status_code == 200
    assert client.get(f"/messages/campaigns/{campaign.pk}/").status_code == 200
    assert client.get("/messages/automations/welcome/").status_code == 200
    assert client.get("/messages/templates/new/").status_code == 403
    assert client.get("/messages/campaigns/new/").status_code == 403
    assert client.get("/messages/settings/").status_code == 403
    assert client.post(f"/messages/templates/{template.pk}/", _template_form()).status_code == 403
    send, cancel = (
        f"/messages/campaigns/{campaign.pk}/send/",
        f"/messages/campaigns/{campaign.pk}/cancel/",
    )
    assert client.post(send, {"action": "now"}).status_code == 403
    assert client.post(cancel).status_code == 403
    assert client.post("/messages/automations/welcome/", {"channel": "sms"}).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert not Automation.objects.exists()


def test_another_business_ids_are_404(business, other_business, staff_client):
    template = sms_template(other_business)
    campaign = campaign_save(
        business=other_business, name="Theirs", channel="sms", sms_template_id=template.pk
    )
    client = staff_client(business, Role.OWNER)
    assert client.get(f"/messages/templates/{template.pk}/").status_code == 404
    assert client.post(f"/messages/templates/{template.pk}/", _template_form()).status_code == 404
    assert client.get(f"/messages/campaigns/{campaign.pk}/").status_code == 404
    assert client.get(f"/messages/campaigns/{campaign.pk}/preview/").status_code == 404
    send, cancel = (
        f"/messages/campaigns/{campaign.pk}/send/",
        f"/messages/campaigns/{campaign.pk}/cancel/",
    )
    assert client.post(send, {"action": "now"}).status_code == 404
    assert client.post(cancel).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    # their template is not offered, and naming it is refused
    mine = client.post(
        "/messages/campaigns/new/",
        {"name": "Sneaky", "channel": "sms", "sms_template_id": str(template.pk),
         "holdout_percent": "0"},
    )  # fmt: skip
    assert mine.status_code == 200
    assert not Campaign.objects.filter(business=business).exists()


def test_customer_page_lists_the_customers_messages(business, staff_client):
    template = sms_template(business)
    customer = person(business, "Amina Wanjiru", language="sw")
    campaign = campaign_save(
        business=business, name="Karibu tena", channel="sms", sms_template_id=template.pk,
        offer="Chai bure", code="CHAI",
    )  # fmt: skip
    with time_machine.travel(NOON, tick=False):
        client = staff_client(business, Role.CASHIER)
        from wateja.messaging.campaigns import campaign_launch

        campaign_launch(campaign=campaign)
        outbox_send_due(now=NOON)
        message = Message.objects.get(campaign=campaign)
        Message.objects.filter(pk=message.pk).update(clicked_at=NOON + dt.timedelta(hours=1))
        page = client.get(f"/customers/{customer.pk}/", headers=EN).content.decode()
    log = _section(page, "message-log", "ol")
    assert "Karibu tena" in log and "SMS" in log and "Sent" in log and "clicked" in log
    assert "Habari Amina, Chai bure" in log


def test_a_manager_changes_limits_but_not_the_providers_keys(business, staff_client):
    owner = staff_client(business, Role.OWNER)
    owner.post("/messages/settings/", _settings_form(), headers=EN)
    manager = staff_client(business, Role.MANAGER)
    page = manager.get("/messages/settings/", headers=EN).content.decode()
    # the provider, its keys and the sender id are the owner's: a manager sees them read-only
    for name in ("sms_provider", "at_api_key", "sms_sender", "link_domains"):
        assert re.search(rf'name="{name}"[^>]*disabled', page), name
    saved = manager.post(
        "/messages/settings/",
        _settings_form(at_api_key="atsk_other_key_9999", sms_sender="FAKE", cap_count="4"),
    )
    assert saved.status_code == 302
    row = MessagingSettings.objects.get(business=business)
    assert row.at_api_key == "atsk_0123456789abcdefSECRET" and row.sms_sender == "KAHAWA"
    assert row.cap_count == 4
