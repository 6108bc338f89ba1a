"""Chromium on the demo (with its real worker): a manager starts the printed customer list,
watches its progress on the job's page (htmx polling) and opens the PDF; the list of jobs
shows it, and the owner's list shows the demo's finished export."""

from __future__ import annotations

import re

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e


def test_manager_prints_the_customer_list_in_the_background(demo_server, browser):
    url = demo_server["url"]
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = demo_page(context, url, "/customers/", username="manager", password="manager")
    page.get_by_role("link", name="Print list (PDF)").click()
    page.wait_for_url(re.compile(r"/customers/list\.pdf$"))
    page.get_by_test_id("print-start").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    assert page.get_by_test_id("job-title").inner_text() == "Printed customer list"
    status = page.get_by_test_id("job-status")
    assert status.get_attribute("data-status") in ("queued", "running", "done")
    # the partial polls every 2 s until the worker has written the file
    opened = page.get_by_test_id("job-open")
    opened.wait_for(state="visible", timeout=240_000)
    assert page.get_by_test_id("job-status").get_attribute("data-status") == "done"
    href = opened.get_attribute("href")
    assert href and re.fullmatch(r"/jobs/\d+/result/", href)
    response = page.request.get(f"{url}{href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    with context.expect_page() as popup:
        opened.click()  # opens in a new tab
    assert popup.value.url.endswith(href)

    page.goto(f"{url}/jobs/")
    first = page.get_by_test_id("job-row").first
    assert "Printed customer list" in first.inner_text()
    assert first.get_attribute("data-status") == "done"
    assert first.get_by_test_id("job-result-link").get_attribute("href") == href
    context.close()

    owner = browser.new_context(locale="en-US")
    jobs = demo_page(owner, url, "/jobs/")
    rows = jobs.get_by_test_id("job-list").inner_text()
    assert "Customer export" in rows  # the demo's finished export, ready to open
    # another business's staff cannot open it
    other = browser.new_context(locale="en-US")
    florist = demo_page(other, url, "/jobs/", username="anahit", password="anahit",
                        business="Վարդանոց Flowers")  # fmt: skip
    assert florist.request.get(f"{url}{href}").status == 404
    owner.close()
    other.close()
