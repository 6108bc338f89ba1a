"""Chromium: a customer enrols on the public page on a phone in Swahili (proving the phone with
the code texted to it); the cashier finds them by typing their phone number (a cashier's
search needs the whole number) and prints the card."""

from __future__ import annotations

import random
import subprocess
import urllib.request

import pytest

from tests.e2e.test_join_in_chromium import texted_code

pytestmark = pytest.mark.e2e


def test_enrol_on_phone_in_swahili_then_cashier_finds_and_prints(
    demo_server, browser, screenshot_dir, tmp_path
):
    url = demo_server["url"]
    phone_tail = f"{random.randrange(100, 999)} {random.randrange(100, 999)}"
    phone = f"0799 {phone_tail}"

    customer = browser.new_context(
        locale="sw-KE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = customer.new_page()
    page.goto(f"{url}/join/kahawa-corner/")
    assert page.evaluate("document.documentElement.lang") == "sw"
    page.fill("input[name=name]", "Neema Wairimu")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=city]", "Nairobi")
    page.check("input[name=consent_sms]")
    page.screenshot(path=str(screenshot_dir / "join-swahili-form.png"), full_page=True)
    page.get_by_test_id("join-form").locator("button[type=submit]").click()
    page.get_by_test_id("join-code").fill(texted_code(browser, url, phone))
    page.get_by_test_id("join-code-form").locator("button[type=submit]").click()
    card = page.get_by_test_id("new-card-number").inner_text().replace(" ", "")
    assert len(card) == 12 and card.isdigit()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.screenshot(path=str(screenshot_dir / "join-swahili-card.png"), full_page=True)
    customer.close()

    staff = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", "cashier")
    page.click("button[type=submit]")
    page.goto(f"{url}/customers/")
    page.get_by_test_id("customer-search").press_sequentially(phone)
    results = page.get_by_test_id("customer-results")
    results.get_by_text("Neema Wairimu").wait_for()
    page.get_by_text("Neema Wairimu").click()
    page.get_by_test_id("card-number").wait_for()
    assert page.get_by_test_id("card-number").inner_text().replace(" ", "") == card
    page.screenshot(path=str(screenshot_dir / "customer-page.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_test_id("print-card").click()
    pdf = tmp_path / "card.pdf"
    download_info.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert " ".join([card[0:4], card[4:8], card[8:12]]) in text
    staff.close()
    assert urllib.request.urlopen(f"{url}/api/v1/health").status == 200
