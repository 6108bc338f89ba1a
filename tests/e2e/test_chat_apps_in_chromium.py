"""Chromium on the demo, a 390 px phone in Armenian, the flower shop's owner: switches Viber off
and back to record-only on the messaging settings (the campaign form follows), builds a
campaign to each customer's preferred channel and reads its reach and cost per channel, then
writes a template and watches the Viber counter follow the typing. On the café (WhatsApp and
Telegram), naming the approved WhatsApp template turns WhatsApp's limit from 4,096 to 1,024."""

from __future__ import annotations

import random
import re

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e

FLOWERS = "Վարդանոց Flowers"
TEXT = "Գարնանային վարդեր, 20% զեղչ ամբողջ շաբաթ"


def _phone(browser):
    return browser.new_context(
        locale="hy-AM", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )


def _save_viber_mode(page, mode: str) -> None:
    page.select_option("select[name=viber_mode]", mode)
    with page.expect_navigation():
        page.get_by_test_id("save-settings").click()
    assert page.locator("select[name=viber_mode]").input_value() == mode


def _channels_offered(page, url: str) -> list[str]:
    page.goto(f"{url}/messages/campaigns/new/")
    return page.eval_on_selector_all(
        "select[name=channel] option", "options => options.map(o => o.value)"
    )


def test_owner_sets_viber_previews_per_channel_and_counts_on_viber(
    demo_server, browser, screenshot_dir
):
    url = demo_server["url"]
    suffix = random.randrange(1000, 9999)
    phone = _phone(browser)
    page = demo_page(phone, url, "/messages/settings/", business=FLOWERS, language="hy")

    # the settings: Viber's own section, what to paste, and its mode in words
    viber = page.get_by_test_id("chat-app-viber")
    viber.wait_for()
    assert page.locator("select[name=viber_mode]").input_value() == "outbox"
    assert page.get_by_test_id("hook-viber").input_value().endswith("/viber/")
    _save_viber_mode(page, "off")
    assert "viber" not in _channels_offered(page, url)

    page.goto(f"{url}/messages/settings/")
    _save_viber_mode(page, "outbox")
    chosen = page.locator("select[name=viber_mode] option:checked").inner_text()
    assert chosen == "Միայն գրանցում (մշակման համար)"  # "Record only", not its code
    assert "Viber" in page.get_by_test_id("chats-record-only").inner_text()
    page.get_by_test_id("chat-app-viber").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "chat-apps-settings-hy-phone.png"), full_page=True)

    # a campaign to each customer's preferred channel: reach and cost per channel
    assert "viber" in _channels_offered(page, url)
    page.fill("input[name=name]", f"Վարդեր Viber {suffix}")
    page.select_option("select[name=channel]", "preferred")
    page.select_option("select[name=sms_template_id]", label="Offer of the week")
    page.fill("input[name=offer]", "20% զեղչ")
    page.fill("input[name=code]", "VARD20")
    page.get_by_test_id("save-campaign").click()
    table = page.get_by_test_id("preview-channels")
    table.wait_for(timeout=60_000)
    rows = {
        app: page.get_by_test_id(f"preview-channel-{app}-customers")
        for app in ("sms", "email", "viber")
    }
    viber_customers = int(rows["viber"].inner_text())
    assert viber_customers >= 1, "the demo's Viber customers prefer Viber"
    assert int(rows["sms"].inner_text()) > viber_customers
    cost = page.get_by_test_id("preview-channel-viber-cost").inner_text()
    assert re.search(r"\d", cost) and ("AMD" in cost or "֏" in cost)
    assert "Viber" in page.get_by_test_id("preview-channel-viber").inner_text()
    total = page.get_by_test_id("preview-total").inner_text()
    assert re.search(r"\d", total)
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "chat-apps-campaign-preview-hy-phone.png"),
                    full_page=True)  # fmt: skip

    # the template editor: the Viber counter follows the Armenian text as it is typed
    page.goto(f"{url}/messages/templates/new/")
    page.get_by_test_id("template-form").wait_for()
    page.fill("input[name=name]", f"Գարուն {suffix}")
    box = page.get_by_test_id("v0-hy-body")
    box.click()
    box.press_sequentially(TEXT, delay=15)
    counter = page.get_by_test_id("count-v0-hy-body")
    viber_count = (
        "([el, n]) => { const v = el.querySelector('[data-testid=chat-count-viber]');"
        " return v !== null && v.dataset.length === String(n); }"
    )
    page.wait_for_function(viber_count, arg=[counter.element_handle(), len(TEXT)])
    viber = counter.get_by_test_id("chat-count-viber")
    assert viber.get_attribute("data-limit") == "7000"
    assert re.search(rf"\b{len(TEXT)}\b", viber.inner_text()) and "Viber" in viber.inner_text()
    assert "UCS-2" in counter.inner_text()  # the SMS counter beside it
    box.press_sequentially(" {name}", delay=15)
    # {name} is counted as a sample name, "Անի": a space and three letters more
    page.wait_for_function(viber_count, arg=[counter.element_handle(), len(TEXT) + 4])
    assert page.locator("input[name=whatsapp_name]").count() == 0  # no WhatsApp here
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "chat-apps-template-counters-hy-phone.png"),
                    full_page=True)  # fmt: skip
    phone.close()


def test_the_approved_whatsapp_name_sets_whatsapp_s_limit_as_it_is_typed(
    demo_server, browser, screenshot_dir
):
    phone = _phone(browser)
    page = demo_page(phone, demo_server["url"], "/messages/templates/new/", language="hy")
    page.get_by_test_id("template-form").wait_for()
    box = page.get_by_test_id("v0-sw-body")  # the café writes Swahili first
    box.click()
    box.press_sequentially("Habari {name}, kahawa ni bure leo", delay=10)
    counter = page.get_by_test_id("count-v0-sw-body")
    limit = (
        "([el, n]) => { const w = el.querySelector('[data-testid=chat-count-whatsapp]');"
        " return w !== null && w.dataset.limit === n; }"
    )
    page.wait_for_function(limit, arg=[counter.element_handle(), "4096"])  # free text
    assert counter.get_by_test_id("chat-count-telegram").get_attribute("data-limit") == "4096"
    page.fill("input[name=whatsapp_name]", "kahawa_bure")
    page.get_by_test_id("v0-sw-body").focus()  # leaving the name box recounts every text
    page.wait_for_function(limit, arg=[counter.element_handle(), "1024"])  # approved template
    assert "WhatsApp" in counter.get_by_test_id("chat-count-whatsapp").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "chat-apps-whatsapp-name-hy-phone.png"),
                    full_page=True)  # fmt: skip
    phone.close()
