"""Chromium on the demo: the owner writes an SMS template on a phone and watches the server's
counter switch to UCS-2 and to two messages while typing Armenian; then builds a campaign on a
laptop, previews its reach and cost, and sends it."""

from __future__ import annotations

import random
import re

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e

ARMENIAN = "Բարև {name}, սուրճը 20% զեղչով է"  # with the opt-out line: one SMS (≤ 70)
ARMENIAN_MORE = "։ Սպասում ենք ձեզ ամեն օր, շնորհակալություն"  # over 70: two parts of 67


def _login(context, url):
    return demo_page(context, url, "/messages/")


def test_template_counter_live_then_campaign_preview_and_send(demo_server, browser, screenshot_dir):
    url = demo_server["url"]
    suffix = random.randrange(1000, 9999)
    template_name = f"Zeghch {suffix}"

    phone = browser.new_context(
        locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = _login(phone, url)
    page.get_by_test_id("new-template").click()
    page.get_by_test_id("template-form").wait_for()
    page.fill("input[name=name]", template_name)

    # Swahili, the café's own language, is open first: plain text is GSM-7
    page.get_by_test_id("v0-sw-body").fill("Habari {name}, kahawa ni 20% nafuu leo!")
    swahili = page.get_by_test_id("count-v0-sw-body")
    swahili.get_by_text("GSM-7").wait_for()
    assert "1 SMS" in swahili.inner_text() and "of 160 left" in swahili.inner_text()

    # Armenian: open its box and type; the server's count updates as the letters arrive
    page.locator("details.lang summary", has_text="Հայերեն").first.click()
    box = page.get_by_test_id("v0-hy-body")
    box.click()
    box.press_sequentially(ARMENIAN, delay=15)
    counter = page.get_by_test_id("count-v0-hy-body")
    counter.get_by_text("UCS-2").wait_for()
    page.wait_for_function(
        "el => /\\b1 SMS\\b/.test(el.textContent) && /of 70 left/.test(el.textContent)",
        arg=counter.element_handle(),
    )
    box.press_sequentially(ARMENIAN_MORE, delay=15)
    page.wait_for_function(
        "el => /\\b2 SMS\\b/.test(el.textContent) && /of 67 left/.test(el.textContent)",
        arg=counter.element_handle(),
    )
    assert "UCS-2" in counter.inner_text()

    # the placeholder palette inserts at the cursor, and the preview renders sample values
    page.get_by_role("button", name="{code}").click()
    assert box.input_value().endswith("{code}")
    page.wait_for_function(  # the preview section is refilled by htmx while typing
        "el => (el.querySelector('[data-testid=preview-A-hy]') || el).textContent"
        ".includes('KARIBU10')",
        arg=page.get_by_test_id("template-preview").element_handle(),
    )
    assert "Անի" in page.get_by_test_id("preview-A-hy").inner_text()  # {name}: sample name
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(
        path=str(screenshot_dir / "messaging-template-editor-phone.png"), full_page=True
    )

    page.get_by_test_id("save-template").click()
    page.get_by_text("Template saved.").wait_for()
    phone.close()

    laptop = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = _login(laptop, url)
    page.get_by_test_id("new-campaign").click()
    form = page.get_by_test_id("campaign-form")
    form.wait_for()
    page.fill("input[name=name]", f"E2E flash sale {suffix}")
    page.select_option("select[name=channel]", "sms")
    page.select_option("select[name=sms_template_id]", label=template_name)
    page.fill("input[name=offer]", "20% off")
    page.fill("input[name=code]", "FLASH20")
    page.get_by_test_id("save-campaign").click()

    reach = page.get_by_test_id("preview-sms")
    reach.wait_for(timeout=60_000)
    sms_reach = int(reach.inner_text())
    audience = int(page.get_by_test_id("preview-audience").inner_text())
    assert 0 < sms_reach <= audience
    cost = page.get_by_test_id("preview-cost").inner_text()
    assert re.search(r"\d", cost) and ("KES" in cost or "Ksh" in cost)
    assert int(page.get_by_test_id("preview-segments").inner_text()) >= sms_reach
    assert "Habari" in page.get_by_test_id("example-sms-sw").inner_text()
    page.screenshot(path=str(screenshot_dir / "messaging-campaign-preview.png"), full_page=True)

    page.get_by_test_id("send-now").click()
    page.get_by_test_id("confirm-yes").click()  # the confirmation page, not a JS dialog
    # the messages are written by a background job the demo's worker runs: the page says so
    # at once, shows the job's progress and then the campaign as sent
    page.get_by_text(
        re.compile("Campaign sent to the outbox.|The campaign's messages are being written")
    ).first.wait_for(timeout=60_000)
    for _ in range(60):
        if page.get_by_test_id("campaign-status").inner_text() == "Sent":
            break
        page.wait_for_timeout(1000)
        page.reload()
    assert page.get_by_test_id("campaign-status").inner_text() == "Sent"
    counts = page.get_by_test_id("campaign-counts").inner_text()
    assert str(audience) in counts
    page.get_by_test_id("campaign-results").wait_for()
    page.screenshot(path=str(screenshot_dir / "messaging-campaign-sent.png"), full_page=True)

    page.goto(f"{url}/messages/")
    assert f"E2E flash sale {suffix}" in page.get_by_test_id("campaigns").inner_text()
    page.screenshot(path=str(screenshot_dir / "messaging-home.png"), full_page=True)
    laptop.close()
