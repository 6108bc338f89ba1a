"""Logging in to the demo in a browser context (as the demo owner, or another of its staff), on
a business and in a language, landing on a given page; and calling the demo's API."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def api(server: dict[str, str], method: str, path: str, body: Any = None, key: str = "") -> Any:
    """The demo's JSON API with its key: the answer's body."""
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


def demo_page(
    context: Any,
    url: str,
    path: str,
    *,
    business: str = "Kahawa Corner Café",
    language: str = "en",
    username: str = "demo",
    password: str = "demo",
) -> Any:
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
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
