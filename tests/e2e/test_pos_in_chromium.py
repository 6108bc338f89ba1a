"""Chromium at the till: a full sale with a promo code and points redemption on the demo."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest

from tests.e2e.session import api, demo_page

pytestmark = pytest.mark.e2e


def _till(context, server):
    """The till of the café, as its cashier, in English."""
    return demo_page(context, server["url"], "/checkout/", username="cashier", password="cashier")


_TUESDAY = 1


def _cafe_weekday() -> int:
    """Today's weekday where the demo café is: its offers follow the local calendar."""
    return dt.datetime.now(zoneinfo.ZoneInfo("Africa/Nairobi")).weekday()


class Counted:
    """A page whose every click, filled field and key press counts as one action; each one
    that asks the server waits for its answer to be on the page."""

    def __init__(self, page):
        self.page, self.actions = page, 0

    def _settled(self):
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
        )

    def fill(self, testid, text):
        self.page.get_by_test_id(testid).fill(text)
        self.actions += 1

    def press(self, testid, key):
        with self.page.expect_response(lambda r: "/checkout/" in r.url):
            self.page.get_by_test_id(testid).press(key)
        self._settled()
        self.actions += 1

    def click(self, testid):
        with self.page.expect_response(lambda r: "/checkout/" in r.url):
            self.page.get_by_test_id(testid).click()
        self._settled()
        self.actions += 1


@pytest.mark.parametrize(("device", "viewport"), [("phone", (390, 844)), ("laptop", (1366, 768))])
def test_a_known_customer_buys_two_items_with_a_code_and_all_points_in_few_actions(
    demo_server, browser, screenshot_dir, device, viewport
):
    phone = f"0798{random.randrange(100000, 999999)}"
    customer = api(demo_server, "POST", "/customers", {"name": "Baraka Till", "phone": phone})
    api(
        demo_server,
        "POST",
        f"/customers/{customer['id']}/wallet/earn",
        {"amount": 300, "reason": "opening balance"},
        key=f"e2e-{phone}",
    )
    width, height = viewport
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": height})
    page = _till(context, demo_server)

    till = Counted(page)
    till.fill("pos-scan", "pilau")  # the cursor starts in the scan box
    till.press("pos-scan", "Enter")
    till.fill("pos-scan", "SALAD")
    till.press("pos-scan", "Enter")
    till.fill("pos-customer", phone[-6:])  # any part of the phone number
    till.press("pos-customer", "Enter")
    till.fill("pos-codes", "karibu")
    till.press("pos-codes", "Enter")  # Enter recalculates, it never completes
    assert not page.url.endswith("/receipt/")
    till.click("pos-use-all")
    payable = page.get_by_test_id("pos-payable").inner_text()
    # pilau 650.00 + salad 450.00 = 1,100.00; the lunch combo −220.00 and KARIBU −100.00
    # → 780.00; the 300 points pay 300.00 → 480.00
    assert "480.00" in payable
    assert "Baraka Till" in page.get_by_test_id("pos-customer-found").inner_text()
    assert page.get_by_test_id("pos-pay").is_visible()  # the total and the button stay in view
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(screenshot_dir / f"till-{device}.png"), full_page=False)
    sale_days = {_cafe_weekday()}
    with page.expect_navigation():
        page.keyboard.press("F9")
    sale_days.add(_cafe_weekday())
    till.actions += 1
    assert till.actions <= 12, till.actions
    page.get_by_test_id("receipt").wait_for()
    assert "480.00" in page.get_by_test_id("receipt-total").inner_text()
    page.screenshot(path=str(screenshot_dir / f"till-receipt-{device}.png"), full_page=True)
    wallet = api(demo_server, "GET", f"/customers/{customer['id']}/wallet")
    # 300 − 300 paid + 4 earned on the 480.00 paid in money (1 point per 100 KES); the demo's
    # "Double points Tuesdays" makes it 9 (960 KES worth, rounded down) on a Tuesday in Nairobi
    assert wallet["balances"]["points"]["balance"] in {9 if d == _TUESDAY else 4 for d in sale_days}
    context.close()


def test_the_till_keeps_what_was_typed_when_the_server_is_away(demo_server, browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768})
    page = _till(context, demo_server)
    page.get_by_test_id("pos-scan").fill("latte")
    page.get_by_test_id("pos-scan").press("Enter")
    page.get_by_test_id("line-0").wait_for()
    # the scan's own recalculation must be back before the server goes away, or its late
    # answer redraws the form over what is typed next (seen once in CI)
    for _tick in range(50):
        if not page.evaluate("!!document.querySelector('.htmx-request')"):
            break
        page.wait_for_timeout(100)
    page.route("**/checkout/**", lambda route: route.abort())
    page.get_by_test_id("pos-codes").fill("KARIBU")
    page.get_by_test_id("pos-codes").press("Enter")
    page.get_by_test_id("till-offline").wait_for(state="visible")
    assert page.get_by_test_id("pos-codes").input_value() == "KARIBU"
    assert page.get_by_test_id("line-0").is_visible()
    page.unroute("**/checkout/**")
    with page.expect_response(lambda r: "/checkout/evaluate/" in r.url):
        page.get_by_role("button", name="Try again").click()
    page.get_by_test_id("till-offline").wait_for(state="hidden")
    assert "KARIBU" in page.get_by_test_id("pos-codes").input_value()
    context.close()


def test_a_code_typed_while_the_scan_is_answered_stays_in_the_code_box(demo_server, browser):
    """The cashier scans and goes straight on to the code box: the scan's answer lands in the
    middle of the word, and the rest of the word must not end up in the scan box."""
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768})
    page = _till(context, demo_server)
    page.evaluate("htmx.config.defaultSwapDelay = 400")  # a slow line: the answer lands late
    page.get_by_test_id("pos-scan").fill("latte")
    with page.expect_response(lambda r: "/checkout/" in r.url):
        page.get_by_test_id("pos-scan").press("Enter")
    page.get_by_test_id("pos-codes").click()
    page.keyboard.type("KA")
    Counted(page)._settled()  # the answer is on screen: the cursor must still be in the box
    page.keyboard.type("RIBU")
    assert page.get_by_test_id("pos-codes").input_value() == "KARIBU"
    assert page.get_by_test_id("pos-scan").input_value() == ""
    assert page.get_by_test_id("line-0").is_visible()
    context.close()


def test_a_weighed_sale_gets_the_gift_by_weight(demo_server, browser, screenshot_dir):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = _till(context, demo_server)
    till = Counted(page)
    till.fill("pos-scan", "beans-loose")
    till.press("pos-scan", "Enter")
    assert "Weigh the item" in page.get_by_test_id("till").inner_text()
    till.fill("grams-0", "1250")
    till.press("grams-0", "Enter")
    # 1.25 kg × KES 2,200.00 per kg = 2,750.00, and 1.2 kg or more brings the gift
    assert "2,750.00" in page.get_by_test_id("pos-payable").inner_text()
    assert "Gift" in page.get_by_test_id("pos-reasons").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "till-weighed-phone.png"), full_page=False)
    with page.expect_navigation():
        page.get_by_test_id("pos-complete").click()
    page.get_by_test_id("receipt").wait_for()
    assert "2,750.00" in page.get_by_test_id("receipt-total").inner_text()
    context.close()


@pytest.mark.parametrize(("device", "viewport"), [("phone", (390, 844)), ("laptop", (1366, 768))])
def test_the_cashier_voids_the_sale_just_made(
    demo_server, browser, screenshot_dir, device, viewport
):
    width, height = viewport
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": height})
    page = _till(context, demo_server)
    till = Counted(page)
    till.fill("pos-scan", "espresso")
    till.press("pos-scan", "Enter")
    with page.expect_navigation():
        page.get_by_test_id("pos-complete").click()
    page.get_by_test_id("receipt").wait_for()
    with page.expect_navigation():
        page.get_by_role("link", name="Refund or void").click()
    page.get_by_test_id("void-reason").fill("rang up twice")
    with page.expect_navigation():
        page.get_by_test_id("void-submit").click()
    assert page.get_by_test_id("void-confirm").is_visible()  # nothing is voided before this
    with page.expect_navigation():
        page.get_by_test_id("void-confirm-yes").click()
    assert page.get_by_test_id("order-status").inner_text() == "Voided"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(screenshot_dir / f"till-void-{device}.png"), full_page=True)
    context.close()
