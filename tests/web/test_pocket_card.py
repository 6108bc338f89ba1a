"""The pocket card `/my/<link>/`: each balance explained (to spend now, on its way and from
when, expiring and when), progress to the next stamp-card reward and tier, the offers open to
this customer, the history in plain words, the invitation (code, link, QR, share buttons), the
customer's own message choices (recorded as their consent), the language switch, and what
makes it installable and keeps it offline (manifest, icons, service worker)."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from wateja.catalog.services import product_save
from wateja.customers.links import card_link_rotate, card_page_url
from wateja.customers.models import Channel, Consent
from wateja.customers.selectors import has_consent
from wateja.customers.services import customer_create
from wateja.promotions.models import Tier
from wateja.promotions.recipes import recipe_save
from wateja.promotions.services import (
    promotion_save,
    promotion_set_status,
    referral_code_for,
    tier_save,
)
from wateja.wallet.services import points_earn, points_grant, wallet_settings_update

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}


@pytest.fixture
def customer(business):
    return customer_create(
        business=business, name="Achieng Otieno", phone="0722111222", email="a@example.com"
    )


def _path(customer) -> str:
    return urlsplit(card_page_url(customer.cards.get())).path


def _page(customer, client: Client | None = None, **headers: str) -> str:
    response = (client or Client()).get(_path(customer), headers=headers or EN)
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</section>", start)]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_the_balance_is_explained_available_pending_and_expiring(business, customer):
    wallet_settings_update(business=business, expiry_rule="days", expiry_n=30)
    points_grant(customer=customer, amount=1240, idempotency_key="g1", reason="welcome")
    points_earn(customer=customer, amount=40, idempotency_key="e1", pending_days=14)
    balance = _text(_section(_page(customer), "my-balance"))
    assert "1,240 points to spend now" in balance
    assert "Worth KES1,240.00 when you pay" in balance  # a point pays 100 minor units
    assert "40 points on their way" in balance
    in_14_days = (dt.datetime.now(dt.UTC) + dt.timedelta(days=14)).strftime("%Y")
    assert "yours to spend from" in balance and in_14_days in balance
    assert "1,240 points expire on" in balance and "spend them before" in balance


def test_a_new_member_sees_zero_and_an_empty_history_in_plain_words(customer):
    html = _page(customer)
    assert "0 points to spend now" in _text(_section(html, "my-balance"))
    assert "Nothing yet: your first purchase will show here." in _text(_section(html, "my-history"))
    assert "None" not in _text(html) and "{" not in _text(html)


def test_the_history_reads_in_plain_words_in_the_customers_language(business):
    swahili = customer_create(business=business, name="Baraka", phone="0733222111", language="sw")
    points_grant(customer=swahili, amount=50, idempotency_key="g1", reason="karibu")
    history = _text(_section(_page(swahili, Accept_Language="en"), "my-history"))
    assert "A gift from the shop" in history and "+50 points" in history
    html = Client().get(_path(swahili)).content.decode()  # no header: the customer's language
    assert '<html lang="sw">' in html


def test_stamp_card_progress_counts_visits_and_carried_stamps(business, customer):
    product_save(business=business, sku="COF", name="Coffee", price_minor=25_000)
    recipe_save(business=business, key="stamps", values={"visits": 10, "sku": "COF"}, activate=True)
    type(customer).objects.filter(pk=customer.pk).update(purchase_count=1, stamps_carried=2)
    progress = _section(_page(customer), "my-progress")
    text = _text(progress)
    assert "3 of 10 stamps" in text
    assert "7 visits to go to Coffee free." in text
    assert progress.count('class="stamp filled"') == 3 and progress.count('class="stamp"') == 7
    type(customer).objects.filter(pk=customer.pk).update(purchase_count=9, stamps_carried=0)
    assert "Your next visit fills the card: Coffee free!" in _text(_page(customer))


def test_tier_progress_says_how_much_more_to_spend(business, customer):
    tier_save(business=business, name="Silver", min_spend_minor=0)
    tier_save(business=business, name="Gold", min_spend_minor=500_000)
    text = _text(_section(_page(customer), "my-progress"))
    assert "Spend KES" in text and "5,000.00 more to reach Gold." in text
    Tier.objects.filter(business=business, name="Silver").delete()
    Tier.objects.filter(business=business).update(min_spend_minor=0)
    assert "You are at the top level" in _text(_page(customer))


def _offer(business, name: str, active: bool = True, **values):
    promotion = promotion_save(
        business=business, name=name, type="percent_off_order", params={"percent_bp": 1000},
        **values,
    )  # fmt: skip
    if active:
        promotion_set_status(promotion=promotion, status="active")


def test_the_offers_open_to_this_customer_are_listed_and_others_are_not(business, customer):
    _offer(business, "Tuesday treat")
    _offer(business, "Code only", requires_code=True)
    _offer(business, "Gold only", audience="tier", audience_values=["Gold"])
    _offer(business, "Draft idea", active=False)
    offers = _text(_section(_page(customer), "my-offers"))
    assert "Tuesday treat" in offers and "10%" in offers
    for hidden in ("Code only", "Gold only", "Draft idea"):
        assert hidden not in offers


def test_the_invitation_shows_code_link_qr_and_share_buttons(business, customer):
    code = referral_code_for(customer).code
    invite = _section(_page(customer), "my-card-invite")
    assert f'data-testid="referral-code">{code}<' in invite
    assert f"/join/{business.slug}/?ref={code}" in invite
    assert "<svg" in invite  # the QR code of the link
    for button in ("invite-whatsapp", "invite-sms", "invite-copy"):
        assert f'data-testid="{button}"' in invite
    assert "https://wa.me/?text=" in invite and 'href="sms:' in invite


def test_the_customer_sets_their_own_choices_recorded_as_consent(business, customer):
    client = Client()
    prefs = _section(_page(customer, client), "my-preferences")
    for channel in ("sms", "email", "public"):
        assert f'data-testid="pref-{channel}"' in prefs
    assert 'data-testid="pref-whatsapp"' not in prefs  # not linked
    url = _path(customer) + "preferences/"
    response = client.post(url, {"channel": ["sms", "public"]}, headers=EN)
    assert response.status_code == 302 and response["Location"].endswith("?saved=1#preferences")
    assert has_consent(customer, Channel.SMS) and has_consent(customer, Channel.PUBLIC)
    assert not has_consent(customer, Channel.EMAIL)
    row = Consent.objects.get(customer=customer, channel=Channel.PUBLIC)
    assert row.source == "web" and "Show my name in public" in row.text
    assert row.verification == {"method": "card_link"}
    again = client.get(response["Location"], headers=EN).content.decode()
    assert 'data-testid="preferences-saved"' in again
    assert re.search(r'value="public" checked', again)
    # the same choices again record nothing new; unticking all withdraws them
    client.post(url, {"channel": ["sms", "public"]})
    assert Consent.objects.filter(customer=customer).count() == 2
    client.post(url, {})
    assert not has_consent(customer, Channel.SMS) and not has_consent(customer, Channel.PUBLIC)
    assert Consent.objects.filter(customer=customer).count() == 4


def test_choices_cannot_be_posted_with_a_replaced_link(customer):
    path = _path(customer)
    card_link_rotate(card=customer.cards.get())
    response = Client().post(path + "preferences/", {"channel": ["sms"]})
    assert response.status_code == 410 and not Consent.objects.filter(customer=customer).exists()
    assert Client().get(path + "preferences/").status_code == 405


def test_the_language_switch_changes_the_card_language(customer):
    client = Client()
    html = _page(customer, client)
    for code in ("en", "sw", "hy", "ru"):
        assert f'data-testid="card-language-{code}"' in html
    response = client.post("/i18n/setlang/", {"language": "ru", "next": _path(customer)})
    assert response.status_code == 302 and response["Location"] == _path(customer)
    russian = client.get(_path(customer)).content.decode()
    assert '<html lang="ru">' in russian


def test_the_card_is_installable_manifest_icons_and_service_worker(business, customer):
    path = _path(customer)
    html = Client().get(path, headers=EN).content.decode()
    manifest_url = re.search(r'<link rel="manifest" href="([^"]+)"', html).group(1)
    assert manifest_url == path + "manifest.webmanifest"
    response = Client().get(manifest_url)
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == business.name and manifest["display"] == "standalone"
    assert manifest["start_url"] == path == manifest["scope"]
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        png = b"".join(Client().get(icon["src"]).streaming_content)
        assert png.startswith(b"\x89PNG")
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]
    worker = Client().get("/my/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"] == "application/javascript"
    assert worker["Service-Worker-Allowed"] == "/my/"
    assert b'addEventListener("fetch"' in worker.content
    assert 'src="/static/wateja/card.js"' in html and "<script>" not in html  # CSP: no inline


def test_an_expired_or_replaced_link_has_no_manifest_and_offers_a_new_link(business, customer):
    path = _path(customer)
    card_link_rotate(card=customer.cards.get())
    assert Client().get(path + "manifest.webmanifest").status_code == 404
    expired = Client().get(path, headers=EN)
    assert expired.status_code == 410
    assert f'href="/my/lost/{business.slug}/"' in expired.content.decode()
