"""Chromium on the demo: an Armenian customer answers the flower shop's workshop invitation
on a 390 px phone (the page in Armenian, one column, yes → her place is kept), and the café's
cashier checks a guest of next week's workshop in by typing the card number at the door: a
big welcome with the points, ready for the next card.

The invitation link is signed with the demo's own key, so one small step reads it where the
demo keeps its data: `wateja manage shell` on the demo's data directory prints the link of a
customer not yet answered and the card number of a workshop guest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.session import demo_page
from tests.helpers import wateja, wateja_env

pytestmark = pytest.mark.e2e

FACTS = """
import json
import re
from wateja.customers.models import CardStatus, Customer
from wateja.events.links import rsvp_token
from wateja.events.models import Event, Registration
from wateja.tenants.models import Business

flowers = Business.objects.get(slug="vardanots-flowers")
workshop = Event.objects.filter(business=flowers, kind="workshop").order_by("pk").first()
answered = Registration.objects.filter(event=workshop).exclude(status="invited")
guest = (
    Customer.objects.filter(business=flowers, erased_at__isnull=True, merged_into__isnull=True)
    .exclude(pk__in=answered.values("customer_id"))
    .order_by("pk")
    .first()
)
Customer.objects.filter(pk=guest.pk).update(language="hy")
cafe = Business.objects.get(slug="kahawa-corner")
cafe_workshop = Event.objects.filter(business=cafe, kind="workshop").order_by("pk").first()
going = (
    Registration.objects.filter(event=cafe_workshop, status="going", attended_at__isnull=True)
    .filter(customer__cards__status=CardStatus.ACTIVE)
    .order_by("pk")
    .first()
)
card = going.customer.cards.filter(status=CardStatus.ACTIVE).order_by("pk").first()
print(json.dumps({
    "rsvp_path": f"/e/{rsvp_token(workshop, guest)}/",
    "guest": guest.name,
    "cafe_event": cafe_workshop.pk,
    "card": card.number,
    "customer": going.customer.name,
}))
"""


def demo_facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    data_dirs = sorted(tmp_path_factory.getbasetemp().glob("demo*/demo/wateja.sqlite3"))
    assert data_dirs, "the demo server's data directory was not found"
    data_dir: Path = data_dirs[0].parent
    done = wateja("manage", "shell", "-c", FACTS, env=wateja_env(data_dir))
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_rsvp_in_armenian_on_a_phone_and_check_in_by_card(
    demo_server, browser, screenshot_dir, tmp_path_factory
) -> None:
    url = demo_server["url"]
    facts = demo_facts(tmp_path_factory)

    phone = browser.new_context(
        locale="hy-AM", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.goto(f"{url}{facts['rsvp_path']}")
    assert page.evaluate("document.documentElement.lang") == "hy"
    assert "Ծաղկեփնջի" in page.get_by_test_id("event-title").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "event-rsvp-hy.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_test_id("rsvp-yes").tap()
    state = page.get_by_test_id("rsvp-state")
    assert state.get_attribute("data-status") == "going"
    assert str(facts["guest"]) in state.inner_text()
    assert page.get_by_test_id("rsvp-no").is_visible()  # and she can give the place back
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "event-rsvp-hy-going.png"), full_page=True)
    phone.close()

    staff = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    door = demo_page(
        staff,
        url,
        f"/events/{facts['cafe_event']}/",
        username="cashier",
        password="cashier",
    )
    box = door.get_by_test_id("checkin-query")
    assert door.evaluate("document.activeElement && document.activeElement.id") == "checkin-query"
    box.fill(str(facts["card"]))
    box.press("Enter")
    for _ in range(100):
        if door.evaluate("!!document.querySelector('#checkin-result.ok, #checkin-result.failed')"):
            break
        door.wait_for_timeout(100)
    result = door.get_by_test_id("checkin-result")
    assert "ok" in (result.get_attribute("class") or "")
    assert str(facts["customer"]) in result.inner_text()
    assert "30 points" in result.inner_text()
    assert box.input_value() == ""  # ready for the next card
    door.screenshot(path=str(screenshot_dir / "event-check-in.png"), full_page=True)
    staff.close()


@pytest.mark.parametrize("language", ["sw", "hy"])
def test_the_event_screens_fit_a_phone(demo_server, browser, screenshot_dir, language) -> None:
    """The list, a past tasting (ratings, no-shows) and the form, on a 390 px phone: nothing
    wider than the screen, no raw value."""
    url = demo_server["url"]
    staff = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = demo_page(staff, url, "/events/", language=language, username="manager",
                     password="manager")  # fmt: skip
    tasting = page.locator("[data-testid=events-past] a").first.get_attribute("href")
    for path in ("/events/", tasting, "/events/new/"):
        page.goto(f"{url}{path}")
        text = page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        assert not re.search(r"\b(None|True|False)\b|\b[a-z]+_[a-z_]+\b", text), (path, text)
        name = path.strip("/").replace("/", "-") or "events"
        page.screenshot(path=str(screenshot_dir / f"{name}-{language}.png"), full_page=True)
    page.goto(f"{url}{tasting}")
    assert page.get_by_test_id("product-ratings").is_visible()
    assert "%" in page.get_by_test_id("event-figures").inner_text()  # the no-show rate
    staff.close()
