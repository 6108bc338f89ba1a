"""The dashboard draws the week still running as unfinished (lighter, dashed, "so far"), not as
a drop, and a share of the points issued that passes 100 says why, with its counts, where it
stands. Same café and clock as tests/web/test_dashboard.py (31 March 2026, Nairobi)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.web import test_dashboard
from wateja.wallet.services import balance_spend, points_earn

# the dashboard tests' café, clock and owner
at = test_dashboard.at
cafe = test_dashboard.cafe
clock = test_dashboard.clock
owner = test_dashboard.owner

SVG = "{http://www.w3.org/2000/svg}"


def _chart(html: str, chart_id: str) -> ET.Element:
    for markup in re.findall(r"<svg\b.*?</svg>", html, re.S):
        root = ET.fromstring(markup)
        if root.get("data-chart") == chart_id:
            return root
    raise AssertionError(f"no {chart_id}")


def test_the_running_week_is_drawn_as_so_far_and_a_cut_week_as_part(owner):
    html = owner.get("/reports/", {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    for chart_id in ("chart-revenue", "chart-points"):
        svg = _chart(html, chart_id)
        groups = [g for g in svg.iter(f"{SVG}g") if "bar" in (g.get("class") or "").split()]
        partial = [g for g in groups if "partial" in (g.get("class") or "")]
        # 1 March is a Sunday (a week cut by the period), 30-31 March the week still running
        assert [g.get("data-index") for g in partial] == ["0", str(len(groups) - 1)]
        assert all(g.get("fill-opacity") == ".45" for g in partial)
        notes = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "partial-note"]
        assert notes == ["partial", "so far"]
        titles = [t.text or "" for g in partial for t in g.iter(f"{SVG}title")]
        assert titles and all(t.endswith(("(partial)", "(so far)")) for t in titles)
    whole = _chart(html, "chart-revenue").findall(f".//{SVG}g[@data-index='1']")
    assert whole and whole[0].get("class") == "bar"  # a whole week drawn as before


def test_a_redemption_rate_above_100_is_explained_with_its_counts(owner, cafe):
    # 100 points earned on 20 March (before the period) are spent in it, with 50 earned in it
    points_earn(customer=cafe.A, amount=50, idempotency_key="a-earn-2", now=at(3, 27))
    balance_spend(customer=cafe.A, amount=100, idempotency_key="a-spend-2", now=at(3, 28))
    html = owner.get("/reports/", {"start": "2026-03-26", "end": "2026-03-31"}).content.decode()
    note = re.search(r'data-testid="note-redemption_rate"[^>]*>(.*?)</p>', html, re.S)
    assert note, "no explanation beside the rate"
    assert "Above 100: 100 points against 50 issued in the period" in note.group(1)


def test_a_rate_under_100_has_no_such_note(owner):
    html = owner.get("/reports/", {"start": "2026-03-01", "end": "2026-03-31"}).content.decode()
    assert 'data-testid="note-redemption_rate"' not in html
