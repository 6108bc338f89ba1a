"""Chromium on a 390 px phone, in Armenian: the demo's cashier turns on two-step sign-in from
the Security page (the code computed from the key shown on the page, as an authenticator app
would), keeps the recovery codes, logs out and signs in again with a code from the app. The
cashier turns it off again at the end, so the demo's other tests still sign in in one step."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _fits(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} scrolls sideways on a phone ({width}px)"


def _sign_in(page, url: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", "cashier")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def test_a_cashier_turns_on_two_step_sign_in_on_a_phone(demo_server, browser, screenshot_dir):
    url = demo_server["url"]
    context = browser.new_context(locale="hy-AM", viewport=PHONE)
    context.add_cookies([{"name": "wateja_language", "value": "hy", "url": url}])
    page = context.new_page()
    recovery: list[str] = []
    try:
        _sign_in(page, url)
        page.wait_for_url(f"{url}/")
        assert page.evaluate("document.documentElement.lang") == "hy"
        page.get_by_test_id("security-link").click()
        page.wait_for_url(f"{url}/settings/security/")
        page.get_by_test_id("two-step-start").click()
        secret_text = page.get_by_test_id("enrol-secret")
        secret_text.wait_for()
        assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret_text.inner_text())
        assert page.get_by_test_id("enrol-qr").locator("svg.qr-code").count() == 1
        _fits(page, "the set-up page")
        page.screenshot(path=str(screenshot_dir / "two-step-set-up-hy-phone.png"), full_page=True)

        totp = pyotp.TOTP(secret_text.inner_text().replace(" ", ""))
        page.get_by_test_id("enrol-code").fill(totp.now())
        page.get_by_test_id("enrol-submit").click()
        codes = page.get_by_test_id("recovery-code-list").locator("code")
        codes.first.wait_for()
        recovery = codes.all_inner_texts()
        assert len(recovery) == 10 and len(set(recovery)) == 10
        _fits(page, "the recovery codes")
        page.screenshot(path=str(screenshot_dir / "two-step-codes-hy-phone.png"), full_page=True)
        page.get_by_test_id("recovery-continue").click()
        page.wait_for_url(f"{url}/settings/security/")
        assert page.get_by_test_id("off-form").is_visible()

        with page.expect_navigation():
            page.locator("form[action='/logout/'] button").click()
        _sign_in(page, url)
        page.wait_for_url(f"{url}/login/code/")
        assert page.evaluate("document.documentElement.lang") == "hy"
        _fits(page, "the code step")
        # the set-up used this 30-second step's code: the app's next one (one step of drift)
        page.get_by_test_id("code-input").fill(totp.at(time.time() + 30))
        page.get_by_test_id("code-submit").click()
        page.wait_for_url(f"{url}/")
        assert page.get_by_test_id("signed-in-as").inner_text().startswith("cashier")
    finally:
        if recovery:  # back to one step for the other tests (a recovery code: no waiting)
            page.goto(f"{url}/settings/security/")
            if page.get_by_test_id("off-form").count():
                page.get_by_test_id("off-code").fill(recovery[-1])
                with page.expect_navigation():
                    page.get_by_test_id("off-submit").click()
                assert page.get_by_test_id("two-step-start").count() == 1
        context.close()
