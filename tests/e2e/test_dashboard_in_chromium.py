"""Chromium on the demo: the owner opens Reports on a laptop and sees the headline numbers and
every chart drawn (server-side SVG, no script, no network), narrows it to a location, picks
the last 12 months, downloads a table and the monthly PDF; on a phone the dashboard fits the
screen; the flower shop's dashboard renders in Armenian; a period in the future is answered
with a message."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e

CHARTS = ("revenue", "points", "retention", "cohorts", "campaigns")
HEADLINE = ("revenue_minor", "orders", "average_order_minor", "retention_rate")


def _login(context, url: str, business: str = "Kahawa Corner Café", language: str = "en"):
    return demo_page(context, url, "/reports/", business=business, language=language)


def _charts_drawn(page) -> None:
    for key in CHARTS:
        chart = page.locator(f"svg.chart[data-chart=chart-{key}]")
        chart.wait_for(state="visible")
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 80, key
    # real marks, not only an empty message
    assert page.locator("[data-chart=chart-revenue] g.bar rect").count() > 0
    assert page.locator("[data-chart=chart-retention] circle").count() > 1
    assert page.locator("[data-chart=chart-cohorts] g.cell rect").count() > 10


def _headline(page) -> dict[str, str]:
    values = {}
    for key in HEADLINE:
        text = page.get_by_test_id(f"value-{key}").inner_text().strip()
        assert text and re.search(r"\d", text), f"{key} is empty: {text!r}"
        values[key] = text
    return values


def test_owner_reads_the_dashboard_on_a_laptop(demo_server, browser, screenshot_dir):
    url = demo_server["url"]
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = _login(context, url)
    assert page.title().startswith("Reports")
    _charts_drawn(page)
    values = _headline(page)
    assert "KES" in values["revenue_minor"] or "Ksh" in values["revenue_minor"]
    assert page.get_by_test_id("change-revenue_minor").is_visible()  # against the period before
    assert "What customers paid" in page.get_by_test_id("figure-revenue_minor").inner_text()
    assert not page.locator("script:not([src])").count()  # the charts need no script
    # a bar's exact value on hover comes from its SVG <title>
    title = page.locator("[data-chart=chart-revenue] g.bar rect title").first.text_content()
    assert "Members" in title and re.search(r"\d", title)
    page.screenshot(path=str(screenshot_dir / "dashboard-laptop.png"), full_page=True)

    # one location
    page.select_option("[data-testid=filter-location]", label="Westlands")
    page.get_by_test_id("filter-apply").click()
    page.wait_for_load_state("load")
    assert "Location: Westlands" in page.get_by_test_id("period").inner_text()
    _charts_drawn(page)
    location_orders = int(re.sub(r"\D", "", page.get_by_test_id("value-orders").inner_text()))
    all_orders = int(re.sub(r"\D", "", values["orders"]))
    assert 0 < location_orders < all_orders

    # the last 12 months, by month
    page.get_by_role("link", name="Last 12 months").click()
    page.wait_for_load_state("load")
    assert "(365 days)" in page.get_by_test_id("period").inner_text()
    assert "Location: Westlands" in page.get_by_test_id("period").inner_text()  # kept
    _charts_drawn(page)
    assert page.locator("[data-chart=chart-revenue] g.bar").count() >= 12
    page.screenshot(path=str(screenshot_dir / "dashboard-12-months.png"), full_page=True)

    # downloads with the same filters
    href = page.get_by_test_id("export-revenue-csv").get_attribute("href")
    # the page is in English by the browser's Accept-Language, which API requests don't send
    response = context.request.get(f"{url}{href}", headers={"Accept-Language": "en"})
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.body().decode("utf-8-sig"))))
    assert len(rows) >= 12 and "Revenue (KES)" in rows[0]
    query = page.evaluate(
        "new URLSearchParams(new FormData("
        "document.querySelector('[data-testid=monthly-pdf-form]'))).toString()"
    )
    assert "month=" in query and "location=" in query
    pdf = context.request.get(f"{url}/reports/monthly.pdf?{query}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    context.close()


def test_dashboard_fits_a_phone(demo_server, browser, screenshot_dir):
    context = browser.new_context(
        locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = _login(context, demo_server["url"])
    _charts_drawn(page)
    _headline(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dashboard scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(screenshot_dir / "dashboard-phone.png"), full_page=True)
    context.close()


def test_flower_shop_dashboard_in_armenian(demo_server, browser, screenshot_dir):
    context = browser.new_context(locale="hy-AM", viewport={"width": 1280, "height": 900})
    page = _login(context, demo_server["url"], business="Վարդանոց Flowers", language="hy")
    _charts_drawn(page)
    values = _headline(page)
    assert "֏" in values["revenue_minor"] or "AMD" in values["revenue_minor"]
    page.screenshot(path=str(screenshot_dir / "dashboard-flowers-hy.png"), full_page=True)
    context.close()


def test_a_future_period_gets_a_message_not_an_error_page(demo_server, browser, screenshot_dir):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = _login(context, demo_server["url"])
    response = page.goto(f"{demo_server['url']}/reports/?start=2999-01-01&end=2999-01-31")
    assert response.status == 422
    error = page.get_by_test_id("dashboard-error")
    assert "reaches into the future" in error.inner_text()
    assert page.locator("[data-testid=filter-start][aria-invalid=true]").count() == 1
    page.screenshot(path=str(screenshot_dir / "dashboard-bad-period.png"), full_page=True)
    page.goto(f"{demo_server['url']}/reports/?start=2026-02-10&end=2026-02-01")
    assert "comes before its start" in page.get_by_test_id("dashboard-error").inner_text()
    context.close()
