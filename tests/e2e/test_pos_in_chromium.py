"""Chromium at the till: a full sale with a promo code and points redemption on the demo."""

from __future__ import annotations

import json
import random
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def _api(server, method, path, body=None, key=None):
    headers = {"Authorization": f"Bearer {server['api_key']}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(
        f"{server['url']}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
        method=method,
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_full_sale_with_code_and_points(demo_server, browser, screenshot_dir):
    phone = f"0798{random.randrange(100000, 999999)}"
    customer = _api(demo_server, "POST", "/customers", {"name": "Baraka Till", "phone": phone})
    _api(
        demo_server,
        "POST",
        f"/customers/{customer['id']}/wallet/earn",
        {"amount": 300, "reason": "opening balance"},
        key=f"e2e-{phone}",
    )

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{demo_server['url']}/login/")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", "cashier")
    page.click("button[type=submit]")
    page.goto(f"{demo_server['url']}/checkout/")
    page.select_option("#language-switch", "en")
    page.wait_for_load_state("load")
    page.get_by_test_id("pos-customer").fill(phone)
    page.get_by_test_id("sku-0").fill("latte")
    page.get_by_test_id("qty-0").fill("4")
    page.get_by_test_id("price-0").fill("280")
    page.get_by_test_id("pos-codes").fill("KARIBU")
    page.get_by_test_id("pos-points").fill("100")
    page.get_by_test_id("pos-check").click()
    payable = page.get_by_test_id("pos-payable")
    payable.wait_for()
    # 4 × 280 = 1,120.00; KARIBU −100.00 → 1,020.00; 100 points = 100.00 → 920.00
    assert "920.00" in payable.inner_text()
    assert "Baraka Till" in page.get_by_test_id("pos-customer-found").inner_text()
    page.screenshot(path=str(screenshot_dir / "pos-evaluated.png"), full_page=True)
    page.get_by_test_id("pos-complete").click()
    page.get_by_test_id("receipt").wait_for()
    assert "920.00" in page.get_by_test_id("receipt-total").inner_text()
    page.screenshot(path=str(screenshot_dir / "pos-receipt.png"), full_page=True)
    wallet = _api(demo_server, "GET", f"/customers/{customer['id']}/wallet")
    # 300 − 100 paid + 9 earned on the 920.00 paid in money
    assert wallet["balances"]["points"]["balance"] == 300 - 100 + 9
    context.close()
