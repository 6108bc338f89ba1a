"""Logging in to the demo in a browser context, as the demo owner, on a business and in a
language, landing on a given page."""

from __future__ import annotations

from typing import Any


def demo_page(
    context: Any,
    url: str,
    path: str,
    *,
    business: str = "Kahawa Corner Café",
    language: str = "en",
) -> Any:
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    switch = page.locator("#business-switch")
    if switch.count() and business not in switch.locator("option:checked").inner_text():
        with page.expect_navigation():  # the switcher submits itself
            switch.select_option(label=business)
    page.goto(f"{url}{path}")
    if page.locator("#language-switch").input_value() != language:
        with page.expect_navigation():
            page.select_option("#language-switch", language)
    page.wait_for_function(f"document.documentElement.lang === '{language}'")
    return page
