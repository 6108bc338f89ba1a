"""Chromium on a phone: a sale paid partly with points (through the demo's API), then the demo
cashier opens its receipt, goes to the order, refunds one line with a reason and sees the
points given back, then the end of day with the refund; the receipt prints on 58 mm without
buttons; no page is wider than the phone."""

from __future__ import annotations

import random
import re

import pytest

from tests.e2e.session import api, demo_page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _points(server, customer_id):
    wallet = api(server, "GET", f"/customers/{customer_id}/wallet")
    return wallet["balances"]["points"]["balance"]


def _fits(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the {what} scrolls sideways on a phone ({width}px)"


def test_cashier_refunds_one_line_from_the_receipt_on_a_phone(demo_server, browser, screenshot_dir):
    phone = f"0797{random.randrange(100000, 999999)}"
    customer = api(demo_server, "POST", "/customers", {"name": "Zawadi Refund", "phone": phone})
    api(
        demo_server,
        "POST",
        f"/customers/{customer['id']}/wallet/earn",
        {"amount": 300, "reason": "opening balance"},
        key=f"e2e-refund-{phone}",
    )
    sale = {
        "customer": {"id": customer["id"]},
        "currency": "KES",
        "lines": [
            {"sku": "e2e-latte", "name": "Latte", "quantity": 2, "unit_price_minor": 25_000},
            {"sku": "e2e-cake", "name": "Cake", "quantity": 1, "unit_price_minor": 50_000},
        ],
        "points_to_spend": 100,
    }
    key = f"e2e-refund-sale-{phone}"
    api(demo_server, "POST", "/checkout/reserve", sale, key=key)
    order = api(demo_server, "POST", f"/checkout/{key}/commit")
    assert order["payment"]["points"] == 100
    before = _points(demo_server, customer["id"])

    context = browser.new_context(locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True)
    page = demo_page(
        context,
        demo_server["url"],
        f"/orders/{order['id']}/receipt/",
        username="cashier",
        password="cashier",
    )
    receipt = page.get_by_test_id("receipt")
    receipt.wait_for()
    assert "2 × 250.00 = 500.00" in receipt.inner_text()
    assert re.search(
        r"\d{1,2} \w{3} \d{4}, \d{2}:\d{2}", page.get_by_test_id("receipt-time").inner_text()
    )
    _fits(page, "receipt")
    page.screenshot(path=str(screenshot_dir / "refund-receipt-phone.png"), full_page=True)

    page.get_by_test_id("paper-58").click()
    page.wait_for_url(re.compile(r"paper=58"))
    page.emulate_media(media="print")
    assert page.get_by_test_id("receipt").is_visible()
    visible = page.locator("button:visible, a.button:visible, nav:visible, form:visible").count()
    assert visible == 0, "the printed receipt shows buttons, forms or navigation"
    width_mm = page.evaluate(
        "document.querySelector('[data-testid=receipt]').getBoundingClientRect().width * 25.4 / 96"
    )
    assert 47 <= width_mm <= 49  # the 48 mm printable on 58 mm paper
    overflow = page.evaluate(
        "(() => { const r = document.querySelector('[data-testid=receipt]');"
        " return r.scrollWidth - r.clientWidth; })()"
    )
    assert overflow <= 1, f"the printed receipt is {overflow}px wider than its paper"
    page.screenshot(path=str(screenshot_dir / "refund-receipt-print-58.png"), full_page=True)
    page.emulate_media(media="screen")

    page.get_by_test_id("receipt-order").click()
    form = page.get_by_test_id("refund-form")
    form.wait_for()
    _fits(page, "order page")
    page.get_by_test_id("refund-by-line").check()
    page.get_by_test_id("refund-qty-0").fill("1")
    page.get_by_test_id("refund-reason").fill("Spilt on the counter")
    page.get_by_test_id("refund-submit").click()
    done = page.get_by_test_id("refund-done")
    done.wait_for()
    assert "The refund is done." in done.inner_text()
    given = int(page.get_by_test_id("moves-points-back").first.inner_text().replace(",", ""))
    taken_box = done.get_by_test_id("moves-points-taken")
    taken = int(taken_box.inner_text().replace(",", "")) if taken_box.count() else 0
    # one latte of 1,000.00: a quarter of the 100 points paid come back
    assert given == 25
    assert _points(demo_server, customer["id"]) == before + given - taken
    assert "Spilt on the counter" in page.get_by_test_id("refunds").inner_text()
    _fits(page, "order page after the refund")
    page.screenshot(path=str(screenshot_dir / "refund-done-phone.png"), full_page=True)

    page.goto(f"{demo_server['url']}/till/shift/")
    shift = page.get_by_test_id("shift-total")
    shift.wait_for()
    refunds = int(shift.locator("[data-figure=refunds]").inner_text().replace(",", ""))
    assert refunds >= 1 and "cashier" in page.get_by_test_id("shift").inner_text()
    _fits(page, "end of day")
    page.screenshot(path=str(screenshot_dir / "shift-phone.png"), full_page=True)
    context.close()
