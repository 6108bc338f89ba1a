"""The chat apps on the staff screens, through Django's test client, and in the API: the owner
sets WhatsApp, Telegram and Viber in the messaging settings (keys masked, what to paste into
the provider shown, the bot told its address through a local Telegram stub); a manager sees
them read-only but changes the prices; a campaign offers only the apps switched on and its
preview has a table per channel; the template editor counts the wording against each app's
limit and checks the approved WhatsApp name; the customer page lists the linked chats and
the consents there. Every screen reads in Armenian and Russian with no raw code or None."""

from __future__ import annotations

import html
import re

import pytest

from tests.messaging.factories import NOON, email_template, person, sms_template
from tests.messaging.telegram_stub import TelegramStub
from wateja.customers.links import public_url
from wateja.customers.services import consent_record
from wateja.messaging.campaigns import campaign_save
from wateja.messaging.config import messaging_settings, messaging_settings_update
from wateja.messaging.messengers import chat_message, contact_unlink, link_code_issue
from wateja.messaging.models import MessagingSettings, Template
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}
VIBER_TOKEN = "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f"
RAW = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|_mode\b|_minor\b|\bno_consent\b|\bno_contact\b")


def _settings_form(**changes: str) -> dict[str, str]:
    """The settings form as the browser posts it, SMS recorded, the chat apps off."""
    form = {"sms_provider": "outbox", "sms_sender": "KAHAWA", "at_username": "",
            "at_api_key": "", "twilio_account_sid": "", "twilio_auth_token": "",
            "sms_price": "1.00", "email_provider": "outbox", "email_from": "",
            "quiet_start": "21:00", "quiet_end": "08:00", "cap_count": "3", "cap_days": "7",
            "rate_per_second": "20", "attribution_days": "7", "link_domains": "",
            "whatsapp_mode": "off", "whatsapp_phone_number_id": "", "whatsapp_number": "",
            "whatsapp_access_token": "", "whatsapp_app_secret": "", "whatsapp_price": "0.00",
            "telegram_mode": "off", "telegram_bot_token": "", "telegram_bot_username": "",
            "viber_mode": "off", "viber_auth_token": "", "viber_bot_uri": "",
            "viber_bot_name": "", "viber_price": "0.00"}  # fmt: skip
    form.update(changes)
    return form


def _section(page: str, testid: str, end: str = "section|fieldset|table|p|li|span") -> str:
    match = re.search(rf'data-testid="{testid}".*?</({end})>', page, re.S)
    assert match, f"{testid} not on the page"
    return match.group(0)


def _input_value(page: str, testid: str) -> str:
    match = re.search(rf'<input[^>]*value="([^"]*)"[^>]*data-testid="{testid}"', page)
    assert match, f"{testid} not on the page"
    return html.unescape(match.group(1))


def _visible(page: str) -> str:
    """The words a person reads: no tags, attributes, scripts or styles."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _chats_on(business, **extra):
    values = {"telegram_mode": "outbox", "telegram_bot_username": "kahawa_bot",
              "whatsapp_mode": "outbox", "whatsapp_number": "+254700111222",
              "whatsapp_price_minor": 150, "viber_mode": "outbox", "viber_bot_uri": "kahawa",
              "viber_price_minor": 200}  # fmt: skip
    values.update(extra)
    return messaging_settings_update(business=business, **values)


def _link(business, customer, channel, chat, name=""):
    code = link_code_issue(customer, channel, now=NOON).code
    chat_message(
        business=business,
        channel=channel,
        external_id=chat,
        text=f"/start {code}",
        display_name=name,
        now=NOON,
    )


# --- settings ---------------------------------------------------------------------------------


def test_owner_switches_the_chat_apps_on_and_sees_what_to_paste(business, staff_client):
    client = staff_client(business, Role.OWNER)
    row = messaging_settings(business)
    page = client.get("/messages/settings/", headers=EN).content.decode()
    for app in ("whatsapp", "telegram", "viber"):
        assert f'data-testid="chat-app-{app}"' in page
        assert _input_value(page, f"hook-{app}") == public_url(f"/hooks/{row.hook_token}/{app}/")
    assert _input_value(page, "whatsapp-verify-token") == row.whatsapp_verify_token
    assert 'data-testid="connect-telegram"' not in page  # no token saved yet

    # WhatsApp switched on for real without its keys: refused, next to the field
    refused = client.post(
        "/messages/settings/",
        _settings_form(whatsapp_mode="live", viber_mode="outbox"),
        headers=EN,
    )
    assert refused.status_code == 200
    error = _section(refused.content.decode(), "error-whatsapp_access_token", "p")
    assert "access token" in error
    assert MessagingSettings.objects.get(business=business).viber_mode == "off"

    saved = client.post(
        "/messages/settings/",
        _settings_form(viber_mode="outbox", viber_auth_token=VIBER_TOKEN, viber_bot_uri="kahawa",
                       viber_bot_name="Kahawa", viber_price="12.50",
                       telegram_bot_username="https://t.me/kahawa_bot"),
        headers=EN,
    )  # fmt: skip
    assert saved.status_code == 302, saved.content.decode()[:2000]
    row.refresh_from_db()
    assert (row.viber_mode, row.viber_auth_token, row.viber_bot_uri) == (
        "outbox",
        VIBER_TOKEN,
        "kahawa",
    )
    assert row.viber_price_minor == 1250 and row.telegram_bot_username == "kahawa_bot"
    page = client.get("/messages/settings/", headers=EN).content.decode()
    assert VIBER_TOKEN not in page
    assert "••••c51f" in _section(page, "saved-viber_auth_token", "span")
    assert 'data-testid="connect-viber"' in page
    assert "Viber" in _section(page, "chats-record-only", "p")

    # a blank key keeps the saved one; "forget" clears only that app's keys
    client.post("/messages/settings/", _settings_form(viber_mode="outbox", viber_bot_uri="kahawa"))
    row.refresh_from_db()
    assert row.viber_auth_token == VIBER_TOKEN
    client.post(
        "/messages/settings/",
        _settings_form(viber_mode="outbox", viber_bot_uri="kahawa", forget_viber="on"),
    )
    row.refresh_from_db()
    assert row.viber_auth_token == "" and row.viber_mode == "outbox"


def test_a_manager_sees_the_chat_apps_read_only_and_changes_their_prices(business, staff_client):
    _chats_on(business, telegram_bot_token="123456:AAE-secret-token")
    manager = staff_client(business, Role.MANAGER)
    row = messaging_settings(business)
    page = manager.get("/messages/settings/", headers=EN).content.decode()
    for name in ("whatsapp_mode", "telegram_bot_token", "viber_bot_uri", "forget_viber"):
        assert re.search(rf'name="{name}"[^>]*disabled', page), name
    assert not re.search(r'name="viber_price"[^>]*disabled', page)
    assert row.hook_token not in page and "…" in _input_value(page, "hook-telegram")
    assert _input_value(page, "whatsapp-verify-token") == row.whatsapp_verify_token[:4] + "…"
    assert 'data-testid="connect-telegram"' not in page  # telling Telegram is the owner's

    response = manager.post(
        "/messages/settings/",
        _settings_form(telegram_mode="live", telegram_bot_token="999:stolen", viber_price="9.00",
                       whatsapp_price="2.00"),
    )  # fmt: skip
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.telegram_mode, row.telegram_bot_token) == ("outbox", "123456:AAE-secret-token")
    assert (row.viber_price_minor, row.whatsapp_price_minor) == (900, 200)
    assert manager.post("/messages/settings/chat/telegram/connect/").status_code == 403


def test_the_owner_tells_telegram_the_bot_s_address(business, staff_client, settings):
    settings.PUBLIC_URL = "https://wateja.example"
    owner = staff_client(business, Role.OWNER)
    with TelegramStub() as stub:
        row = _chats_on(business, telegram_bot_token=stub.token)
        MessagingSettings.objects.filter(pk=row.pk).update(telegram_api_base=stub.url)
        page = owner.get("/messages/settings/", headers=EN).content.decode()
        assert 'data-testid="connect-telegram"' in page
        done = owner.post("/messages/settings/chat/telegram/connect/", headers=EN, follow=True)
        assert "Telegram now sends the bot" in done.content.decode()
        request = stub.calls("setWebhook")[-1]
        assert request.json["url"] == f"https://wateja.example/hooks/{row.hook_token}/telegram/"
        assert request.json["secret_token"] == row.telegram_secret

        MessagingSettings.objects.filter(pk=row.pk).update(telegram_bot_token="999:wrong")
        wrong = owner.post("/messages/settings/chat/telegram/connect/", headers=EN, follow=True)
        assert "does not know this bot token" in wrong.content.decode()
    assert owner.post("/messages/settings/chat/whatsapp/connect/").status_code == 404
    assert owner.get("/messages/settings/chat/telegram/connect/").status_code == 405


# --- campaigns ----------------------------------------------------------------------------


def test_a_campaign_offers_only_the_chat_apps_switched_on(business, staff_client):
    template = sms_template(business)
    client = staff_client(business, Role.MANAGER)

    def channels(page: str) -> list[str]:
        select = _section(page, "campaign-form", "form")
        select = re.search(r'<select name="channel".*?</select>', select, re.S).group(0)
        return re.findall(r'<option value="([^"]+)"', select)

    page = client.get("/messages/campaigns/new/", headers=EN).content.decode()
    assert channels(page) == ["preferred", "sms", "email", "both"]
    messaging_settings_update(business=business, viber_mode="outbox", viber_bot_uri="kahawa")
    page = client.get("/messages/campaigns/new/", headers=EN).content.decode()
    assert channels(page) == ["preferred", "sms", "email", "both", "viber"]
    assert "A chat message that cannot be delivered goes by SMS" in page
    assert "also goes on Viber" in page

    refused = client.post(
        "/messages/campaigns/new/",
        {"name": "On Telegram", "channel": "telegram", "sms_template_id": str(template.pk),
         "holdout_percent": "0"},
        headers=EN,
    )  # fmt: skip
    assert refused.status_code == 200
    assert 'data-testid="error-channel"' in refused.content.decode()


def test_the_preview_shows_reach_and_cost_per_channel(business, staff_client):
    _chats_on(business)
    person(business, "Sms Only")
    on_viber = person(business, "Ani Viber", preferred_channel="viber")
    _link(business, on_viber, "viber", "vIbEr0001==")
    on_telegram = person(business, "Tele Gram", preferred_channel="telegram")
    _link(business, on_telegram, "telegram", "5550001")
    campaign = campaign_save(
        business=business,
        name="Chats",
        channel="preferred",
        sms_template_id=sms_template(business).pk,
        offer="20%",
    )
    client = staff_client(business, Role.MANAGER)
    part = client.get(f"/messages/campaigns/{campaign.pk}/preview/", headers=EN).content.decode()
    table = _section(part, "preview-channels", "table")
    for app, customers in (("sms", "1"), ("whatsapp", "0"), ("telegram", "1"), ("viber", "1")):
        cell = _section(table, f"preview-channel-{app}-customers", "td")
        assert f">{customers}<" in cell, app
    assert "KES2.00" in _section(table, "preview-channel-viber-cost", "td")
    assert "free" in _section(table, "preview-channel-telegram-cost", "td")
    assert "KES3.00" in _section(table, "preview-total", "td")  # 1 SMS segment + 1 Viber
    assert "24 hours" not in table  # nobody on WhatsApp: no note
    example = _section(part, "example-whatsapp-en", "article")
    assert "WhatsApp, Telegram, Viber" in example and "Reply STOP" not in example


# --- template editor ------------------------------------------------------------------------


def test_the_editor_counts_the_wording_on_each_chat_app(business, staff_client):
    client = staff_client(business, Role.MANAGER)

    def count(**params: str) -> str:
        params = {"language": "en", "purpose": "service", **params}
        response = client.get("/messages/sms-count/", params, headers=EN)
        assert response.status_code == 200
        return response.content.decode()

    assert "chat-limits" not in count(text="Hello {name}")  # no chat app: SMS only
    _chats_on(business)
    plain = count(text="Hello there")
    assert "WhatsApp: 11 of 4,096 characters" in _section(plain, "chat-count-whatsapp", "span")
    assert "Telegram: 11 of 4,096 characters" in plain
    assert "Viber: 11 of 7,000 characters" in plain
    approved = count(text="Hello there", whatsapp_name="hello_there")
    assert "of 1,024 characters" in _section(approved, "chat-count-whatsapp", "span")
    long = count(text="x" * 2000 + " {name}", whatsapp_name="long_one")
    whatsapp = _section(long, "chat-count-whatsapp", "span")
    assert 'class="warn"' in whatsapp and "too long" in whatsapp
    assert "too long" not in _section(long, "chat-count-telegram", "span")
    # the box's own field as htmx sends it, with the WhatsApp name included
    box = count(**{"v0-sw-body": "Habari {name}", "whatsapp_name": "karibu"})
    assert "WhatsApp (approved template): 12 of 1,024" in box  # {name}: "Amina"


def test_the_approved_whatsapp_name_is_checked_and_saved(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    form = {"name": "Karibu", "channel": "sms", "purpose": "marketing", "variant_count": "1",
            "v0-label": "A", "v0-weight": "1", "v0-en-body": "Hi {name}, {offer}"}  # fmt: skip
    assert 'name="whatsapp_name"' not in client.get("/messages/templates/new/").content.decode()
    _chats_on(business)
    page = client.get("/messages/templates/new/", headers=EN).content.decode()
    assert 'name="whatsapp_name"' in page and 'data-testid="whatsapp-name"' in page

    bad = client.post("/messages/templates/new/", {**form, "whatsapp_name": "Karibu Offer!"},
                      headers=EN)  # fmt: skip
    assert bad.status_code == 200
    assert "lowercase letters, digits and underscores" in bad.content.decode()
    assert not Template.objects.filter(business=business).exists()

    saved = client.post("/messages/templates/new/", {**form, "whatsapp_name": " karibu_offer "})
    assert saved.status_code == 302
    template = Template.objects.get(business=business)
    assert template.whatsapp_name == "karibu_offer"
    page = client.get(saved["Location"], headers=EN).content.decode()
    assert 'value="karibu_offer"' in page
    assert "of 1,024 characters" in _section(page, "count-v0-en-body", "p")
    # its box shows for SMS only; an e-mail template has none
    assert re.search(r'<label class="sms-only" data-testid="whatsapp-name"', page)
    letter = email_template(business)
    page = client.get(f"/messages/templates/{letter.pk}/", headers=EN).content.decode()
    assert 'name="whatsapp_name"' not in page


# --- customer page ----------------------------------------------------------------------------


def test_the_customer_page_lists_linked_chats_and_their_consents(business, staff_client):
    _chats_on(business)
    customer = person(business, "Amina Wanjiru", preferred_channel="telegram")
    _link(business, customer, "telegram", "5550001", name="Amina W")
    _link(business, customer, "viber", "vIbEr0001==", name="Амина")
    contact_unlink(business=business, channel="viber", external_id="vIbEr0001==", now=NOON)
    client = staff_client(business, Role.CASHIER)
    page = client.get(f"/customers/{customer.pk}/", headers=EN).content.decode()
    chats = _section(page, "customer-chats", "section")
    telegram = _section(chats, "chat-telegram", "li")
    assert "Amina W" in telegram and "since" in telegram
    assert "agreed" in _section(telegram, "consent-telegram", "span")
    assert "Withdraw" in telegram and 'value="telegram"' in telegram
    viber = _section(chats, "chat-viber", "li")
    assert "Амина" in viber and "left on" in viber
    assert "no" in _section(viber, "consent-viber", "span") and "Withdraw" not in viber
    assert "not linked" in _section(chats, "chat-whatsapp", "li")
    assert re.search(r"Preferred channel</dt><dd>Telegram</dd>", page)


# --- Armenian and Russian ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["hy", "ru"])
def test_the_chat_app_screens_read_without_raw_codes(business, staff_client, language):
    _chats_on(business, telegram_bot_token="123456:AAE-secret-token")
    customer = person(business, "Anahit", language=language, preferred_channel="viber")
    _link(business, customer, "viber", "vIbEr0001==", name="Անահիտ")
    chat_message(business=business, channel="viber", external_id="vIbEr0001==",
                 text="Ակցիաներ", now=NOON)  # fmt: skip
    consent_record(customer=customer, channel="whatsapp", granted=False, text="")
    template = sms_template(business, hy="Բարև {name}, {offer}", ru="Привет, {name}! {offer}")
    campaign = campaign_save(business=business, name="Վարդեր", channel="preferred",
                             sms_template_id=template.pk, offer="20%")  # fmt: skip
    client = staff_client(business, Role.OWNER)
    client.cookies["wateja_language"] = language
    pages = {
        "settings": "/messages/settings/",
        "home": "/messages/",
        "campaign": f"/messages/campaigns/{campaign.pk}/",
        "preview": f"/messages/campaigns/{campaign.pk}/preview/",
        "new campaign": "/messages/campaigns/new/",
        "template": f"/messages/templates/{template.pk}/",
        "counter": "/messages/sms-count/",
        "customer": f"/customers/{customer.pk}/",
    }
    counter = {"language": language, "text": "Բարև {name}", "whatsapp_name": "a_b"}
    for name, path in pages.items():
        response = client.get(path, counter if path.endswith("sms-count/") else None)
        assert response.status_code == 200, name
        text = _visible(response.content.decode())
        assert not RAW.search(text), (name, RAW.search(text))
        # the apps by their names, never their codes, and the modes in words
        assert not re.search(r"\b(whatsapp|telegram|viber|outbox|live)\b", text), name
    settings_page = client.get("/messages/settings/").content.decode()
    selected = re.search(r'name="viber_mode".*?<option value="outbox"[^>]*selected>([^<]+)<',
                         settings_page, re.S)  # fmt: skip
    expected = {"hy": "Միայն գրանցում (մշակման համար)", "ru": "Только запись (для разработки)"}
    assert selected and selected.group(1) == expected[language]
    home = client.get("/messages/").content.decode()
    assert "Viber" in _section(home, "chat-messages", "ul")


# --- the same through the API -------------------------------------------------------------------


def test_the_api_shows_the_chat_apps_masked_and_refuses_with_typed_errors(business, api, api_for):
    changed = api.patch(
        "/messaging/settings",
        {"telegram_mode": "live", "telegram_bot_token": "123456:AAE-secret-token",
         "telegram_bot_username": "kahawa_bot", "viber_mode": "outbox",
         "viber_bot_uri": "kahawa", "viber_price_minor": 1250, "whatsapp_price_minor": 150},
    )  # fmt: skip
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert body["telegram_bot_token"] == "••••oken" and body["telegram_mode"] == "live"
    assert (body["viber_price_minor"], body["whatsapp_price_minor"]) == (1250, 150)
    row = messaging_settings(business)
    for app in ("whatsapp", "telegram", "viber"):
        assert body["callbacks"][app] == public_url(f"/hooks/{row.hook_token}/{app}/")
    assert body["whatsapp_verify_token"] == row.whatsapp_verify_token
    assert "123456:AAE-secret-token" not in api.get("/messaging/settings").content.decode()

    unknown = api.patch("/messaging/settings", {"viber_mode": "sometimes"})
    assert unknown.status_code == 422 and "viber_mode" in unknown.json()["details"]["fields"]
    keyless = api.patch("/messaging/settings", {"whatsapp_mode": "live"})
    assert keyless.status_code == 422
    assert "whatsapp_access_token" in keyless.json()["details"]["fields"]
    assert api.patch("/messaging/settings", {"viber_price_minor": -1}).status_code == 422
    assert api.patch("/messaging/settings", {"viber_mode": None}).status_code == 422
    assert api.patch("/messaging/settings", {"viber_bot": "x"}).status_code == 422  # unknown

    manager = api_for(business, Role.MANAGER)
    refused = manager.patch("/messaging/settings", {"telegram_bot_token": "999:stolen"})
    assert refused.status_code == 403 and refused.json()["code"] == "owner_required"
    assert manager.patch("/messaging/settings", {"viber_price_minor": 900}).status_code == 200
    # null clears the username, but Telegram is live and needs it
    assert api.patch("/messaging/settings", {"telegram_bot_username": None}).status_code == 422
    cleared = api.patch("/messaging/settings", {"telegram_mode": "off",
                                                "telegram_bot_username": None})  # fmt: skip
    assert cleared.status_code == 200 and cleared.json()["telegram_bot_username"] == ""
    row.refresh_from_db()
    assert (row.viber_price_minor, row.telegram_bot_token) == (900, "123456:AAE-secret-token")


def test_the_api_checks_and_keeps_the_approved_whatsapp_name(business, api):
    template = {"name": "Karibu", "channel": "sms",
                "variants": [{"label": "A", "texts": {"en": {"body": "Hi {name}"}}}]}  # fmt: skip
    bad = api.post("/templates", {**template, "whatsapp_name": "Karibu Offer"})
    assert bad.status_code == 422
    assert "lowercase" in bad.json()["details"]["fields"]["whatsapp_name"][0]
    email = {**template, "name": "Letter", "channel": "email", "whatsapp_name": "letter"}
    email["variants"] = [{"texts": {"en": {"subject": "Hi", "body": "Hi {name}"}}}]
    assert api.post("/templates", email).status_code == 422
    created = api.post("/templates", {**template, "whatsapp_name": "karibu_offer"})
    assert created.status_code == 201 and created.json()["whatsapp_name"] == "karibu_offer"
    path = f"/templates/{created.json()['id']}"
    kept = api.put(path, template)  # left out: kept
    assert kept.status_code == 200 and kept.json()["whatsapp_name"] == "karibu_offer"
    assert api.put(path, {**template, "whatsapp_name": ""}).json()["whatsapp_name"] == ""


def test_the_api_preview_has_the_channels_in_the_caller_s_language(business, api_for):
    _chats_on(business)
    on_viber = person(business, "Ani", preferred_channel="viber")
    _link(business, on_viber, "viber", "vIbEr0001==")
    person(business, "Mail Only", sms=None, email=True)
    campaign = campaign_save(business=business, name="Chats", channel="preferred",
                             sms_template_id=sms_template(business).pk, offer="20%",
                             email_template_id=email_template(business).pk)  # fmt: skip
    api = api_for(business, Role.MANAGER, language="hy")
    preview = api.post(f"/campaigns/{campaign.pk}/preview").json()
    channels = {c["channel"]: c for c in preview["channels"]}
    assert channels["email"]["label"] == "Էլ. փոստ" and channels["viber"]["label"] == "Viber"
    assert (channels["viber"]["customers"], channels["viber"]["cost_minor"]) == (1, 200)
    assert preview["cost_minor"] == 200 and preview["viber"] == 1 and preview["email"] == 1
