"""Chromium on the demo: a café customer opens their pocket card on a 390 px phone in Russian
and taps "in Telegram"; the deep link to the café's bot (@kahawa_demo_bot, record-only in the
demo) carries a one-time code, which comes back to the café's Telegram webhook as
``/start <code>`` the way Telegram posts it. The card then says it is linked, and the owner's
Messages page lists the bot's answer with the customer's balance.

The demo exposes neither its data directory nor the bot's webhook secret, so one small step
reads them where the demo keeps them: `wateja manage shell` on the demo's own data directory
(its database and its key for stored secrets) prints the café's hook token and Telegram
secret, and a customer's card page address."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.session import demo_page
from tests.helpers import wateja, wateja_env

pytestmark = pytest.mark.e2e

CAFE_SLUG = "kahawa-corner"
FACTS = f"""
import json
from wateja.customers.links import card_page_token
from wateja.customers.models import CardStatus, Customer
from wateja.messaging.config import messaging_settings, messaging_settings_update
from wateja.messaging.models import MessengerContact
from wateja.tenants.models import Business
from wateja.wallet.models import Kind
from wateja.wallet.services import balances

cafe = Business.objects.get(slug="{CAFE_SLUG}")
row = messaging_settings(cafe)
if row.telegram_mode == "off" or not row.telegram_bot_username:  # before the demo had a bot
    row = messaging_settings_update(
        business=cafe, telegram_mode="outbox", telegram_bot_username="kahawa_demo_bot"
    )
on_telegram = MessengerContact.objects.filter(business=cafe, channel="telegram")
customer = (
    Customer.objects.filter(
        business=cafe, erased_at__isnull=True, is_blocked=False, cards__status=CardStatus.ACTIVE
    )
    .exclude(pk__in=on_telegram.values("customer_id"))
    .order_by("id")
    .first()
)
card = customer.cards.get(status=CardStatus.ACTIVE)
print(json.dumps({{
    "hook_token": row.hook_token,
    "secret": row.telegram_secret,
    "bot": row.telegram_bot_username,
    "card_path": f"/my/{{card_page_token(card)}}/",
    "customer": customer.name,
    "points": balances(customer).get(Kind.POINTS, {{}}).get("balance", 0),
}}))
"""


def demo_facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The café's Telegram hook token and secret and a customer's card page, read from the
    demo's data directory (the `demo_server` fixture's, in this test process's temp dir)."""
    data_dirs = sorted(tmp_path_factory.getbasetemp().glob("demo*/demo/wateja.sqlite3"))
    assert data_dirs, "the demo server's data directory was not found"
    data_dir: Path = data_dirs[0].parent
    done = wateja("manage", "shell", "-c", FACTS, env=wateja_env(data_dir))
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def telegram_posts(url: str, facts: dict[str, object], text: str) -> dict[str, object]:
    """What Telegram posts to the webhook when the customer's app sends `text` to the bot."""
    update = {
        "update_id": 910_000_001,
        "message": {
            "message_id": 1,
            "from": {"id": 7_700_100_200, "is_bot": False, "first_name": "Olga",
                     "language_code": "ru"},
            "chat": {"id": 7_700_100_200, "first_name": "Olga", "type": "private"},
            "date": 1_796_000_000,
            "text": text,
        },
    }  # fmt: skip
    request = urllib.request.Request(
        f"{url}/hooks/{facts['hook_token']}/telegram/",
        data=json.dumps(update).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": str(facts["secret"]),
        },
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return dict(json.loads(response.read()))


def test_a_customer_links_telegram_from_the_pocket_card_in_russian(
    demo_server, browser, screenshot_dir, tmp_path_factory
) -> None:
    url = demo_server["url"]
    facts = demo_facts(tmp_path_factory)
    phone = browser.new_context(
        locale="ru-RU", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    deep_links: list[str] = []

    def to_telegram(route) -> None:  # the phone would open the Telegram app here
        answer = route.fetch(max_redirects=0)
        deep_links.append(answer.headers["location"])
        route.fulfill(status=200, content_type="text/html", body="<p>Telegram</p>")

    page.route("**/chat/telegram/", to_telegram)
    page.goto(f"{url}{facts['card_path']}")
    assert page.evaluate("document.documentElement.lang") == "ru"
    button = page.get_by_test_id("chat-link-telegram")
    assert button.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "telegram-card-button-ru.png"), full_page=True)

    button.tap()
    page.wait_for_url("**/chat/telegram/")
    target = urlsplit(deep_links[0])
    assert (target.scheme, target.netloc, target.path) == ("https", "t.me", f"/{facts['bot']}")
    payload = parse_qs(target.query)["start"][0]

    assert telegram_posts(url, facts, f"/start {payload}") == {"outcome": "read"}

    page.goto(f"{url}{facts['card_path']}")
    page.get_by_test_id("chat-linked-telegram").wait_for()
    assert "Telegram ✓" in page.get_by_test_id("chat-linked-telegram").inner_text()
    assert page.get_by_test_id("chat-link-telegram").count() == 0
    page.screenshot(path=str(screenshot_dir / "telegram-card-linked-ru.png"), full_page=True)
    phone.close()

    staff = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    messages = demo_page(staff, url, "/messages/")
    replies = messages.get_by_test_id("chat-messages").locator("li", has_text=facts["customer"])
    reply = replies.first.inner_text()
    assert "Telegram" in reply and str(facts["points"]) in reply
    messages.screenshot(path=str(screenshot_dir / "telegram-reply-in-outbox.png"), full_page=True)
    staff.close()
