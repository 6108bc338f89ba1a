"""Chromium on the demo, on a phone: the cashier opens "Hand over our contacts" from the till
and shows the vCard QR (no sideways scrolling at 390 px); the manager changes the keywords
customers can text in the messaging settings section htmx loads, and a STOP word is refused
there with its reason."""

from __future__ import annotations

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e


def _phone(browser):
    return browser.new_context(
        locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )


def test_the_contacts_qr_from_the_till_on_a_phone(demo_server, browser, screenshot_dir):
    context = _phone(browser)
    page = demo_page(context, demo_server["url"], "/checkout/")
    link = page.get_by_test_id("pos-handover")  # above the till (its pay bar is fixed)
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_test_id("handover-qr").wait_for()
    assert page.locator("[data-testid=handover-qr] svg.qr-code").count() == 1
    width = page.evaluate(
        "document.querySelector('[data-testid=handover-qr] svg').getBoundingClientRect().width"
    )
    assert width >= 250  # big enough to scan across the counter
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert "Kahawa" in page.get_by_test_id("handover-name").inner_text()
    page.screenshot(path=str(screenshot_dir / "handover-contacts-phone.png"), full_page=True)
    context.close()


def test_the_keywords_section_saves_and_refuses_a_stop_word(demo_server, browser, screenshot_dir):
    context = _phone(browser)
    page = demo_page(context, demo_server["url"], "/messages/settings/")
    offers = page.get_by_test_id("keywords-offers")
    offers.wait_for()  # htmx replaced the link with the form
    assert "PROMO" in offers.input_value()  # the café's own word in the demo
    offers.fill("PROMO, ZAWADI")
    page.get_by_test_id("keywords-save").click()
    page.get_by_test_id("keywords-saved").wait_for()
    assert page.get_by_test_id("keywords-offers").input_value() == "PROMO, ZAWADI"

    page.get_by_test_id("keywords-card").fill("stop")
    page.get_by_test_id("keywords-save").click()
    error = page.get_by_test_id("keywords-error-card")
    error.wait_for()
    assert "STOP" in error.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "keywords-settings-phone.png"), full_page=True)
    page.reload()
    page.get_by_test_id("keywords-offers").wait_for()
    assert page.get_by_test_id("keywords-card").input_value() == ""  # the refused word not kept
    context.close()
