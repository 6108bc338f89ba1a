"""Chromium under the strict Content-Security-Policy (no inline script or style, no eval):
the main screens of the demo work and not one thing on them is blocked. Every
`securitypolicyviolation` event and every console error about the policy fails the test,
while the htmx parts are used: the dashboard, the till (a product scanned), a customer's
page, the rewards gallery and a recipe's live sentence, the message template editor (a
placeholder inserted, the preview redrawn), printing the end of day, copying a callback
address, the public join and card pages, Django admin and the API docs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e

LISTEN = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspSeen = (window.__cspSeen || 0) + 1;
  window.__cspViolation([event.violatedDirective, event.blockedURI,
                         (event.sourceFile || "") + ":" + event.lineNumber,
                         location.pathname].join(" "));
});
window.print = function () { window.__printed = (window.__printed || 0) + 1; };
"""


class Violations:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, text: str) -> None:
        self.found.append(text)

    def watch(self, context: Any) -> None:
        context.expose_function("__cspViolation", self.add)
        context.add_init_script(LISTEN)
        context.on("page", self.watch_page)

    def watch_page(self, page: Any) -> None:
        def on_console(message: Any) -> None:
            text = message.text
            if "Content Security Policy" in text or "Refused to" in text:
                self.found.append(f"console: {text} on {page.url}")

        page.on("console", on_console)


def _idle(page: Any) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


@pytest.fixture
def watched(browser):
    violations = Violations()
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    violations.watch(context)
    yield context, violations
    context.close()


def test_the_main_screens_run_under_the_policy(demo_server, watched):
    context, violations = watched
    url = demo_server["url"]
    page = demo_page(context, url, "/")
    _idle(page)
    policy = page.evaluate("fetch('/').then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    # the watch itself works: an inline style attribute is refused and reported
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_function("() => window.__cspSeen > 0")
    assert any("style-src" in found for found in violations.found), violations.found
    violations.found.clear()

    # the till: a product scanned, the cart redrawn by htmx
    page.goto(f"{url}/checkout/")
    _idle(page)
    scan = page.get_by_test_id("pos-scan")
    scan.fill("latte")
    with page.expect_response(lambda r: "/checkout/" in r.url):
        scan.press("Enter")
    _idle(page)

    # a customer's page, then their card page and the join page (public, no login)
    page.goto(f"{url}/customers/")
    _idle(page)
    search = page.get_by_test_id("customer-search")
    with page.expect_response(lambda r: "/customers/" in r.url):
        search.press_sequentially("a")
    _idle(page)
    first = page.evaluate(
        "[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
        ".find(h => /^\\/customers\\/\\d+\\/$/.test(h))"
    )
    page.goto(f"{url}{first}")
    _idle(page)
    card_link = page.get_by_test_id("card-page-link").get_attribute("href")

    # the rewards gallery and a recipe with its live sentence
    page.goto(f"{url}/rewards/new/")
    _idle(page)
    with page.expect_navigation():
        page.locator('[data-recipe="cashback"]').click()
    form = page.get_by_test_id("recipe-form")
    number = form.locator("input[type=text], input[type=number]").first
    with page.expect_response(lambda r: "/sentence/" in r.url):
        number.fill("7")
    _idle(page)
    assert page.get_by_test_id("sentence").inner_text().strip()

    # the message template editor: a placeholder button (template_editor.js), the preview
    page.goto(f"{url}/messages/templates/new/")
    _idle(page)
    box = page.locator("#template-form textarea").first
    box.click()
    box.fill("Hi ")
    page.locator("[data-placeholder=name]").first.click()
    assert "{name}" in box.input_value()
    page.get_by_test_id("template-preview").locator("h2").wait_for()
    _idle(page)

    # the callback addresses select themselves for copying (shell.js)
    page.goto(f"{url}/messages/settings/")
    address = page.locator("input[data-select-on-focus]").first
    address.focus()
    selected = page.evaluate(
        "() => { const el = document.activeElement; "
        "return el.selectionEnd - el.selectionStart === el.value.length && el.value.length > 0 }"
    )
    assert selected

    # the end of day prints from its button (shell.js)
    page.goto(f"{url}/till/shift/")
    page.locator("[data-print]").first.click()
    assert page.evaluate("window.__printed") == 1

    # Django admin and the API docs
    page.goto(f"{url}/admin/")
    _idle(page)
    page.goto(f"{url}/admin/auth/user/")
    _idle(page)
    page.goto(f"{url}/api/docs")
    page.locator(".swagger-ui").wait_for()
    _idle(page)

    # the customer's own pages, in a fresh context with no staff session
    public = context.browser.new_context(locale="sw-KE", viewport={"width": 390, "height": 844})
    violations.watch(public)
    card_page = public.new_page()
    card_page.goto(card_link)
    card_page.get_by_test_id("my-card-number").wait_for()
    card_page.goto(f"{url}/join/kahawa-corner/")
    card_page.get_by_test_id("join-form").wait_for()
    public.close()

    assert violations.found == []
