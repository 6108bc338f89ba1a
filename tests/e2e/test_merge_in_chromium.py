"""Chromium on a phone, in Russian, as the demo's manager: two records of one person (the
same number under Kenya's and Tanzania's codes, points on the second) are found on the
duplicates page, compared side by side, merged after the confirmation, and the merge is undone
from the customer page; the points and the second phone go back where they were."""

from __future__ import annotations

import random
import re

import pytest

from tests.e2e.session import api, demo_page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _fits(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the {what} scrolls sideways on a phone ({width}px)"


def _points(server, customer_id):
    return api(server, "GET", f"/customers/{customer_id}/wallet")["balances"]["points"]["balance"]


def test_manager_compares_merges_and_undoes_on_a_phone_in_russian(
    demo_server, browser, screenshot_dir
):
    digits = f"{random.randrange(10_000_000, 99_999_999)}"
    keep = api(
        demo_server,
        "POST",
        "/customers",
        {"name": f"Zuhura Merge{digits}", "phone": f"07{digits}", "city": "Mombasa"},
    )
    drop = api(
        demo_server,
        "POST",
        "/customers",
        {"name": f"Merge{digits} Zuhura", "phone": f"+2557{digits}", "city": "Mombasa"},
    )
    api(
        demo_server,
        "POST",
        f"/customers/{drop['id']}/wallet/earn",
        {"amount": 120, "reason": "e2e merge"},
        key=f"e2e-merge-{digits}",
    )

    context = browser.new_context(locale="ru-RU", viewport=PHONE, is_mobile=True, has_touch=True)
    page = demo_page(
        context,
        demo_server["url"],
        "/customers/duplicates/",
        username="manager",
        password="manager",
        language="ru",
    )
    row = page.get_by_test_id("duplicate-pair").filter(has_text=f"Merge{digits}")
    row.wait_for()
    assert row.get_attribute("data-likelihood") == "certain"  # the same number
    assert not re.search(r"\b0\.\d+\b", row.inner_text()), "a raw score is shown"
    _fits(page, "duplicates page")
    page.screenshot(path=str(screenshot_dir / "merge-duplicates-ru-390.png"), full_page=True)

    with page.expect_navigation():
        row.get_by_test_id("compare").click()
    preview = page.get_by_test_id("merge-preview")
    preview.wait_for()
    text = preview.inner_text()
    assert f"Zuhura Merge{digits}" in text and f"Merge{digits} Zuhura" in text
    assert page.get_by_test_id("conflict").count() >= 2  # the names and the numbers differ
    assert "120" in text  # the second record's points, and the result's
    _fits(page, "comparison")
    page.screenshot(path=str(screenshot_dir / "merge-compare-ru-390.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_test_id("merge").click()
    page.get_by_test_id("confirm").wait_for()
    page.screenshot(path=str(screenshot_dir / "merge-confirm-ru-390.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_test_id("confirm-yes").click()
    page.wait_for_url(re.compile(rf"/customers/{keep['id']}/$"))
    notice = page.get_by_test_id("merge-notice")
    assert notice.is_visible()
    extra = page.get_by_test_id("extra-phones").inner_text().replace(" ", "")
    assert f"+2557{digits}" in extra.replace("\u00a0", "")
    assert _points(demo_server, keep["id"]) == 120
    _fits(page, "customer page")
    page.screenshot(path=str(screenshot_dir / "merge-done-ru-390.png"), full_page=True)

    with page.expect_navigation():
        notice.get_by_test_id("undo-merge").click()
    page.get_by_test_id("confirm").wait_for()
    with page.expect_navigation():
        page.get_by_test_id("confirm-yes").click()
    page.wait_for_url(re.compile(rf"/customers/{keep['id']}/$"))
    assert page.get_by_test_id("merge-notice").count() == 0
    page.screenshot(path=str(screenshot_dir / "merge-undone-ru-390.png"), full_page=True)
    restored = api(demo_server, "GET", f"/customers/{drop['id']}")
    assert restored["merged_into"] is None and restored["phone"] == f"+2557{digits}"
    assert (_points(demo_server, keep["id"]), _points(demo_server, drop["id"])) == (0, 120)

    page.goto(f"{demo_server['url']}/customers/duplicates/")
    merged = page.get_by_test_id("merge-row").filter(has_text=f"Merge{digits}")
    assert merged.count() == 1 and merged.get_by_test_id("undo-merge").count() == 0
    _fits(page, "duplicates page with the merge")
    context.close()
