"""Chromium on the demo, on a phone and a laptop: cashiers share one till by switching with
their PIN, a cashier's navigation has only what a cashier can open, and the owner's staff
screen fits the screen."""

from __future__ import annotations

import re

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e

SCREENS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}


def _fits(page, width: int, what: str) -> None:
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{what} scrolls sideways at {width}px ({scrolled}px)"


def _english(page) -> None:
    if page.locator("#language-switch").input_value() != "en":
        with page.expect_navigation():  # the switcher submits itself
            page.select_option("#language-switch", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")


def _nav_text(page, screen: str) -> str:
    if screen == "phone":
        assert not page.get_by_test_id("mainnav").is_visible()  # behind the menu button
        page.click("label.menu-button")
    nav = page.get_by_test_id("mainnav")
    assert nav.is_visible()
    return str(nav.inner_text())


@pytest.mark.parametrize("screen", list(SCREENS))
def test_cashiers_switch_at_a_shared_till(demo_server, browser, screenshot_dir, screen):
    size = SCREENS[screen]
    url = demo_server["url"]
    context = browser.new_context(locale="en-US", viewport=size)
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", "cashier")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/checkout/")
    _english(page)
    assert page.get_by_test_id("signed-in-as").inner_text().startswith("cashier")

    nav = _nav_text(page, screen)
    assert "Checkout" in nav and "Customers" in nav
    assert "Settings" not in nav and "Reports" not in nav
    _fits(page, size["width"], "the till")
    page.screenshot(path=str(screenshot_dir / f"staff-till-cashier-{screen}.png"), full_page=True)

    page.get_by_test_id("switch-cashier").click()
    page.wait_for_url(re.compile(r".*/till/switch/\?next=/checkout/$"))
    pin = page.get_by_test_id("till-switch-pin")
    assert pin.evaluate("element => element === document.activeElement")  # type at once
    if screen == "phone":  # a wrong PIN first: the message and the tries left
        pin.fill("1111")
        page.get_by_test_id("till-switch-submit").click()
        error = page.get_by_test_id("till-switch-error")
        error.wait_for()
        assert error.inner_text() == "Wrong PIN; 4 tries left."
        _fits(page, size["width"], "the PIN form with an error")
        page.screenshot(path=str(screenshot_dir / f"staff-pin-wrong-{screen}.png"), full_page=True)
        pin = page.get_by_test_id("till-switch-pin")
    pin.fill("3691")
    _fits(page, size["width"], "the PIN form")
    page.screenshot(path=str(screenshot_dir / f"staff-pin-form-{screen}.png"), full_page=True)
    page.get_by_test_id("till-switch-submit").click()
    page.wait_for_url(f"{url}/checkout/")

    assert page.get_by_test_id("signed-in-as").inner_text().startswith("Wanjiru")
    assert "Wanjiru is signed in." in page.locator(".flash").inner_text()
    assert "Settings" not in _nav_text(page, screen)
    _fits(page, size["width"], "the till after the switch")
    page.screenshot(path=str(screenshot_dir / f"staff-till-wanjiru-{screen}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_owner_staff_screen_fits(demo_server, browser, screenshot_dir, screen):
    size = SCREENS[screen]
    context = browser.new_context(locale="en-US", viewport=size)
    page = demo_page(context, demo_server["url"], "/settings/staff/")
    rows = page.get_by_test_id("staff-list")
    assert "Wanjiru" in rows.inner_text() and "Cashier" in rows.inner_text()
    _fits(page, size["width"], "the staff list")
    page.screenshot(path=str(screenshot_dir / f"staff-list-{screen}.png"), full_page=True)

    form = page.get_by_test_id("staff-add")
    form.locator("input[name=name]").fill("Juma Hamisi")
    form.locator("input[name=username]").fill(f"juma-{screen}")
    form.locator("input[name=password]").fill("123")
    form.locator("button[type=submit]").click()
    page.get_by_test_id("error-password").wait_for()
    assert "too short" in page.get_by_test_id("error-password").inner_text()
    _fits(page, size["width"], "the staff form with an error")
    page.get_by_test_id("error-password").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / f"staff-add-error-{screen}.png"))

    page.get_by_role("link", name="Wanjiru").click()
    page.get_by_test_id("staff-facts").wait_for()
    _fits(page, size["width"], "a staff member's page")
    page.screenshot(path=str(screenshot_dir / f"staff-member-{screen}.png"), full_page=True)
    page.get_by_test_id("staff-deactivate").click()
    page.get_by_test_id("staff-confirm").wait_for()
    assert "Deactivate Wanjiru?" in page.get_by_test_id("staff-confirm").inner_text()
    _fits(page, size["width"], "the confirmation")
    page.screenshot(path=str(screenshot_dir / f"staff-confirm-{screen}.png"), full_page=True)
    context.close()  # not confirmed: the demo's Wanjiru stays active for the till test
