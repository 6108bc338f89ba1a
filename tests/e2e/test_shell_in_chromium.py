"""Chromium logs into the demo as its owner, switches to Swahili and sees the translated
navigation; the shell is usable on a phone-sized screen."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def _login(page, url: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_owner_switches_to_swahili(demo_server, browser, screenshot_dir):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _login(page, demo_server["url"])
    page.select_option("#language-switch", "en")
    page.wait_for_load_state("load")
    nav = page.get_by_test_id("mainnav")
    assert "Settings" in nav.inner_text()
    page.select_option("#language-switch", "sw")
    page.wait_for_function("document.documentElement.lang === 'sw'")
    text = page.get_by_test_id("mainnav").inner_text()
    assert "Mipangilio" in text and "Ripoti" in text
    assert "Settings" not in text
    page.screenshot(path=str(screenshot_dir / "shell-swahili.png"), full_page=True)
    context.close()


def test_business_switcher_and_phone_layout(demo_server, browser, screenshot_dir):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    _login(page, demo_server["url"])
    page.select_option("#language-switch", "en")
    page.wait_for_load_state("load")
    assert not page.get_by_test_id("mainnav").is_visible()
    page.click("label.menu-button")
    assert page.get_by_test_id("mainnav").is_visible()
    page.select_option("#business-switch", label="Վարդանոց Flowers")
    page.wait_for_function("document.querySelector('h1').textContent.includes('Վարդանոց')")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(screenshot_dir / "shell-phone.png"), full_page=True)
    context.close()
