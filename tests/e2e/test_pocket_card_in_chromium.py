"""Chromium on a 390 px phone: the pocket card in Armenian and Russian, kept by its service
worker so that it still shows with the network off; and a referral through the card's shared
link (the friend opens the invitation, joins with the code texted to them, and the referrer's
customer page on the staff side shows the friend as brought by them)."""

from __future__ import annotations

import random
import time
from urllib.parse import urlsplit

import pytest

from tests.e2e.session import api, demo_page
from tests.e2e.test_join_in_chromium import texted_code

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _until(page, script: str, timeout: float = 30.0) -> object:
    """Poll `script` (an expression) until it is truthy; the CSP forbids wait_for_function's
    string evaluation."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never true: {script}")


def _card_links(demo_server) -> list[dict[str, object]]:
    items = api(demo_server, "GET", "/customers?limit=20")["items"]
    found = [c for c in items if c.get("card_page_url")]
    assert found, "the API gives every customer with a card their pocket card link"
    return found


def _local(demo_server, link: str) -> str:
    """The link on the demo's own address (it names WATEJA_PUBLIC_URL)."""
    parts = urlsplit(link)
    return demo_server["url"] + parts.path + (f"?{parts.query}" if parts.query else "")


def _switch_language(page, code: str) -> None:
    with page.expect_navigation():
        page.get_by_test_id(f"card-language-{code}").click()
    assert page.evaluate("document.documentElement.lang") == code


def test_the_pocket_card_in_armenian_and_russian_still_shows_offline(
    demo_server, browser, screenshot_dir
):
    customer = _card_links(demo_server)[0]
    context = browser.new_context(locale="hy-AM", **PHONE)
    page = context.new_page()
    page.goto(_local(demo_server, str(customer["card_page_url"])))
    number = page.get_by_test_id("my-card-number").inner_text()
    assert number.replace(" ", "") == customer["card_number"]
    for section in ("my-balance", "my-history", "my-card-invite", "my-preferences"):
        assert page.get_by_test_id(section).is_visible()
    assert page.get_by_test_id("referral-code").inner_text().strip()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    _switch_language(page, "hy")
    _until(page, "document.body.dataset.offlineReady === '1'")
    page.screenshot(path=str(screenshot_dir / "pocket-card-armenian.png"), full_page=True)
    _switch_language(page, "ru")
    _until(page, "document.body.dataset.swReady === '1'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "pocket-card-russian.png"), full_page=True)
    _until(page, "navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.reload()
    page.get_by_test_id("my-card-number").wait_for()
    assert page.get_by_test_id("my-card-number").inner_text() == number
    assert page.evaluate("document.documentElement.lang") == "ru"
    assert page.get_by_test_id("card-offline-note").is_visible()
    assert page.locator(".card-codes svg").count() == 2  # QR and barcode, drawn inline
    assert page.evaluate(
        "getComputedStyle(document.body).fontFamily !== '' && "
        "document.styleSheets.length > 0 && document.styleSheets[0].cssRules.length > 0"
    ), "the stylesheet comes from the cache too"
    page.screenshot(path=str(screenshot_dir / "pocket-card-offline-russian.png"), full_page=True)
    context.set_offline(False)
    page.reload()
    assert not page.get_by_test_id("card-offline-note").is_visible()
    context.close()


def test_a_friend_joins_through_the_cards_shared_link_and_counts_for_the_referrer(
    demo_server, browser, screenshot_dir
):
    url = demo_server["url"]
    referrer = _card_links(demo_server)[1]
    member = browser.new_context(locale="ru-RU", **PHONE)
    card = member.new_page()
    card.goto(_local(demo_server, str(referrer["card_page_url"])))
    code = card.get_by_test_id("referral-code").inner_text().strip()
    invite = card.get_by_test_id("invite-link").locator("a").get_attribute("href")
    assert invite and f"ref={code}" in invite
    assert "wa.me" in (card.get_by_test_id("invite-whatsapp").get_attribute("href") or "")
    member.close()

    friend_name = f"Неема Друг {random.randrange(1000, 9999)}"
    phone = f"0798 {random.randrange(100, 999)} {random.randrange(100, 999)}"
    friend = browser.new_context(locale="ru-RU", **PHONE)
    page = friend.new_page()
    page.goto(_local(demo_server, invite))
    page.fill("input[name=name]", friend_name)
    page.fill("input[name=phone]", phone)
    page.check("input[name=consent_sms]")
    page.get_by_test_id("join-form").locator("button[type=submit]").click()
    page.get_by_test_id("join-code-form").wait_for()
    page.get_by_test_id("join-code").fill(texted_code(browser, url, phone))
    page.get_by_test_id("join-code-form").locator("button[type=submit]").click()
    page.get_by_test_id("new-card-number").wait_for()
    friend.close()

    staff = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        page = demo_page(staff, url, f"/customers/{referrer['id']}/")
        assert page.get_by_test_id("customer-referral-code").inner_text().strip() == code
        assert friend_name in page.get_by_test_id("customer-friends-brought").inner_text()
        page.get_by_test_id("customer-friends-brought").get_by_text(friend_name).click()
        brought = page.get_by_test_id("customer-brought-by")
        brought.wait_for()
        assert str(referrer["name"]) in brought.inner_text()
        page.screenshot(path=str(screenshot_dir / "referral-brought-by.png"), full_page=True)
    finally:
        staff.close()
