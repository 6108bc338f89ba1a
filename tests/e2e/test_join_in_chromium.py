"""Chromium: a customer joins the café on a 390 px phone in Swahili. The café proves phones by
a one-time SMS code, and the demo records SMS instead of sending them, so the code is read
where staff see it: the "Latest SMS" list on the Messages page. A wrong code is refused and
counted; the right one shows the new card."""

from __future__ import annotations

import random
import re

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e


def texted_code(browser, url: str, phone: str) -> str:
    """The code last texted to `phone` (typed the Kenyan way, "0799 …"), as the café's owner
    reads it on the Messages page."""
    wanted = "254" + re.sub(r"\D", "", phone)[1:]
    staff = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        page = demo_page(staff, url, "/messages/")
        for item in page.get_by_test_id("recorded-sms").locator("li").all():
            to = re.sub(r"\D", "", item.locator("span").inner_text().split("·")[-1])
            found = re.search(r"\b(\d{6})\b", item.locator("p").inner_text())
            if to == wanted and found:
                return found.group(1)
    finally:
        staff.close()
    raise AssertionError(f"no code texted to {phone}")


def test_join_the_cafe_in_swahili_with_the_code_from_the_outbox(
    demo_server, browser, screenshot_dir
):
    url = demo_server["url"]
    phone = f"0799 {random.randrange(100, 999)} {random.randrange(100, 999)}"
    customer = browser.new_context(
        locale="sw-KE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = customer.new_page()
    page.goto(f"{url}/join/kahawa-corner/")
    assert page.evaluate("document.documentElement.lang") == "sw"
    page.fill("input[name=name]", "Baraka Mwangi")
    page.fill("input[name=phone]", phone)
    page.check("input[name=consent_sms]")
    page.get_by_test_id("join-form").locator("button[type=submit]").click()

    code_form = page.get_by_test_id("join-code-form")
    code_form.wait_for()
    assert "+254 799" in code_form.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "join-code-swahili.png"), full_page=True)

    code = texted_code(browser, url, phone)
    page.get_by_test_id("join-code").fill("000000" if code != "000000" else "111111")
    code_form.locator("button[type=submit]").click()
    page.get_by_test_id("code-error").wait_for()
    assert "4" in page.get_by_test_id("code-error").inner_text()  # four tries left

    page.get_by_test_id("join-code").fill(code)
    page.get_by_test_id("join-code-form").locator("button[type=submit]").click()
    card = page.get_by_test_id("new-card-number").inner_text().replace(" ", "")
    assert len(card) == 12 and card.isdigit()
    assert page.get_by_test_id("my-card-link").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "join-card-swahili.png"), full_page=True)
    customer.close()
