"""Chromium on the demo: the café's running challenge on a 390 px phone — its public
leaderboard (no login, one column, the leaders who agreed named, the others as "Member ••NN",
a language switch) and the manager's challenge screens (list, leaderboard) without overflow."""

from __future__ import annotations

import pytest

from tests.e2e.session import api, demo_page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _fits(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_public_board_and_the_challenge_screens_on_a_phone(demo_server, browser):
    challenges = api(demo_server, "GET", "/challenges")["items"]
    running = [c for c in challenges if c["state"] == "running" and c["public"]]
    assert running, "the demo runs a public challenge"
    challenge = running[0]
    board = api(demo_server, "GET", f"/challenges/{challenge['id']}/leaderboard")
    assert board, "the demo's challenge has a leaderboard"

    public = browser.new_context(viewport=PHONE, locale="sw")
    page = public.new_page()
    page.goto(f"{demo_server['url']}/board/{challenge['public_slug']}/")
    assert page.locator("html").get_attribute("lang") == "sw"
    rows = page.locator("[data-testid=board-rows] li")
    assert rows.count() == min(len(board), 20)
    shown = page.locator("[data-testid=board-rows]").inner_text()
    assert any(row["name"] in shown for row in board), "some leaders agreed to be named"
    assert "••" in shown, "the others keep their place without their name"
    assert _fits(page)
    with page.expect_navigation():
        page.click("nav.langs button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    public.close()

    staff = browser.new_context(viewport=PHONE)
    page = demo_page(staff, demo_server["url"], "/rewards/challenges/")
    assert page.locator("[data-testid=challenges]").inner_text().count(challenge["name"]) == 1
    assert _fits(page)
    with page.expect_navigation():
        page.click(f"text={challenge['name']}")
    assert page.locator("[data-testid=leaderboard] tbody tr").count() >= 1
    assert page.locator("[data-testid=challenge-state]").inner_text() == "Running"
    assert _fits(page)
    staff.close()
