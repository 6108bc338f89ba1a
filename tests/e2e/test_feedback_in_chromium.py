"""Chromium on a 390 px phone: the café's customer rates a visit on 5 stars, the flower shop's
on 0–10 (in Armenian), a regular answers the café's survey; nothing overflows the screen.
Then the café's manager reads the feedback report on the same phone."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.e2e.session import demo_page

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1"


def _rows(tmp_path_factory: Any, sql: str) -> list[tuple[Any, ...]]:
    databases = list(tmp_path_factory.getbasetemp().glob("demo*/demo/wateja.sqlite3"))
    assert databases, "the demo's database"
    with sqlite3.connect(f"file:{databases[0]}?mode=ro", uri=True) as db:
        return list(db.execute(sql).fetchall())


@pytest.fixture(scope="module")
def links(demo_server, tmp_path_factory) -> dict[str, str]:
    """Per business, a feedback request not rated yet; and a survey message not answered (read
    from the demo's database: no staff screen shows a customer's own links)."""
    requests = _rows(
        tmp_path_factory,
        "select b.slug, m.token from messaging_message m"
        " join messaging_automation a on a.id = m.automation_id"
        " join tenants_business b on b.id = m.business_id"
        " left join messaging_feedback f on f.message_id = m.id"
        " where a.kind = 'feedback' and f.id is null and m.status not in ('skipped', 'holdout')"
        " order by m.id",
    )
    surveys = _rows(
        tmp_path_factory,
        "select b.slug, m.token from messaging_message m"
        " join messaging_campaign c on c.id = m.campaign_id"
        " join tenants_business b on b.id = m.business_id"
        " left join messaging_surveyanswer s on s.message_id = m.id"
        " where c.survey_id is not null and s.id is null and m.status != 'holdout'"
        " order by m.id",
    )
    found: dict[str, str] = {}
    for slug, token in requests:
        found.setdefault(f"rate:{slug}", token)
    for slug, token in surveys:
        found.setdefault(f"survey:{slug}", token)
    return found


def _fits(page: Any) -> None:
    assert page.evaluate(FITS), "the page is wider than the phone"


def test_a_customer_rates_on_five_stars_and_another_on_0_to_10_in_armenian(
    demo_server, browser, links, screenshot_dir
):
    context = browser.new_context(locale="en-KE", **PHONE)
    page = context.new_page()
    page.goto(f"{demo_server['url']}/f/{links['rate:kahawa-corner']}/")
    assert page.locator("input[name=rating]").count() == 5
    _fits(page)
    page.locator("label.rating-choice").nth(3).click()  # 4 stars
    page.fill("textarea[name=comment]", "Lovely chai")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.get_by_test_id("feedback").locator("h2").count() == 1
    assert page.locator("input[name=rating]").count() == 0  # the thank-you
    context.close()

    context = browser.new_context(locale="hy-AM", **PHONE)
    page = context.new_page()
    page.goto(f"{demo_server['url']}/f/{links['rate:vardanots-flowers']}/")
    assert page.evaluate("document.documentElement.lang") == "hy"
    assert page.locator("input[name=rating]").count() == 11
    assert page.get_by_test_id("rating-nps").is_visible()
    _fits(page)
    page.screenshot(path=str(screenshot_dir / "feedback-nps-390.png"), full_page=True)
    page.locator("label.rating-choice").nth(9).click()  # 9 of 10
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("input[name=rating]").count() == 0
    context.close()


def test_a_regular_answers_the_survey_on_the_phone(demo_server, browser, links):
    context = browser.new_context(locale="en-KE", **PHONE)
    page = context.new_page()
    page.goto(f"{demo_server['url']}/s/{links['survey:kahawa-corner']}/")
    questions = page.get_by_test_id("survey-question")
    assert questions.count() == 4
    _fits(page)
    questions.nth(0).locator("label.rating-choice").nth(4).click()
    questions.nth(1).locator("label.option").first.click()
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.get_by_test_id("survey-question").count() == 0  # the thank-you
    context.close()


def test_the_manager_reads_the_feedback_report_on_the_phone(demo_server, browser):
    context = browser.new_context(**PHONE)
    page = demo_page(
        context, demo_server["url"], "/feedback/", username="manager", password="manager"
    )
    count = int(page.get_by_test_id("feedback-count").inner_text().replace(",", ""))
    assert count > 0
    assert page.get_by_test_id("feedback-by-location").is_visible()
    _fits(page)
    page.goto(f"{demo_server['url']}/feedback/surveys/")
    assert page.get_by_test_id("survey-list").locator("a").count() >= 1
    _fits(page)
    context.close()
