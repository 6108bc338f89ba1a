"""The dashboard's SVG charts, without a database: well-formed, labelled for screen readers,
every text escaped, values where they belong, gaps for missing values, a message for no data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from wateja.web.reports.charts import PALETTE, Series, bar_chart, heatmap, line_chart, nice_ticks

NS = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)
    assert root.tag == f"{NS}svg"
    return root


def titles(root: ET.Element, tag: str) -> list[str]:
    return [el.findtext(f"{NS}title") or "" for el in root.iter(f"{NS}{tag}")]


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{NS}text")]


# --------------------------------------------------------------------------------------------
# Ticks


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 87, [0, 25, 50, 75, 100]),
        (0, 100, [0, 25, 50, 75, 100]),
        (0, 4, [0, 1, 2, 3, 4]),
        (0, 1234, [0, 500, 1000, 1500]),
        (-300, 900, [-500, 0, 500, 1000]),
    ],
)
def test_nice_ticks_are_round_and_cover_the_range(low, high, expected):
    assert nice_ticks(low, high) == expected


def test_nice_ticks_of_a_flat_range_still_make_an_axis():
    ticks = nice_ticks(0, 0)
    assert ticks[0] == 0 and ticks[-1] > 0
    ticks = nice_ticks(50, 50)
    assert ticks[0] <= 50 <= ticks[-1] and len(ticks) >= 2


# --------------------------------------------------------------------------------------------
# Line chart


def test_line_chart_is_an_accessible_scalable_image():
    root = parse(
        line_chart(
            chart_id="retention",
            title="Retention curve",
            description="Share buying again",
            labels=["0", "1", "2"],
            series=[Series("Bought again", [100, 60.5, 42])],
        )
    )
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 480 240"
    assert root.get("width") is None and root.get("height") is None  # sized by its box
    assert root.get("aria-labelledby") == "retention-title retention-desc"
    assert root.find(f"{NS}title").get("id") == "retention-title"
    assert root.find(f"{NS}title").text == "Retention curve"
    assert root.find(f"{NS}desc").text == "Share buying again"


def test_line_chart_draws_a_dot_per_value_with_its_exact_value():
    root = parse(
        line_chart(
            chart_id="c",
            title="T",
            labels=["Jan", "Feb", "Mar"],
            series=[Series("Bought again", [100, 60.5, 42])],
            value_format=lambda v: f"{v:.1f} %",
        )
    )
    assert titles(root, "circle") == [
        "Jan · Bought again: 100.0 %",
        "Feb · Bought again: 60.5 %",
        "Mar · Bought again: 42.0 %",
    ]
    ys = [float(c.get("cy")) for c in root.iter(f"{NS}circle")]
    assert ys[0] < ys[1] < ys[2]  # higher values are drawn higher up
    xs = [float(c.get("cx")) for c in root.iter(f"{NS}circle")]
    assert xs == sorted(xs)
    assert len(list(root.iter(f"{NS}polyline"))) == 1


def test_a_missing_value_breaks_the_line():
    root = parse(
        line_chart(
            chart_id="c",
            title="T",
            labels=list("abcde"),
            series=[Series("S", [1, 2, None, 4, 5])],
        )
    )
    assert len(list(root.iter(f"{NS}circle"))) == 4
    assert len(list(root.iter(f"{NS}polyline"))) == 2


def test_several_series_get_a_legend_and_their_colours():
    root = parse(
        line_chart(
            chart_id="c",
            title="T",
            labels=["a", "b"],
            series=[Series("One", [1, 2]), Series("Two", [2, 1], "#123456")],
        )
    )
    legend = root.find(f"{NS}g[@class='legend']")
    assert [t.text for t in legend.iter(f"{NS}text")] == ["One", "Two"]
    strokes = [p.get("stroke") for p in root.iter(f"{NS}polyline")]
    assert strokes == [PALETTE[0], "#123456"]


def test_text_is_escaped_everywhere():
    evil = '<script>alert("x")</script> & Co'
    markup = line_chart(
        chart_id="c",
        title=evil,
        description=evil,
        labels=[evil, "b"],
        series=[Series(evil, [1, 2])],
    )
    assert "<script>" not in markup
    root = parse(markup)
    assert root.find(f"{NS}title").text == evil
    assert evil in texts(root)
    assert not list(root.iter(f"{NS}script"))


def test_no_data_gives_a_message_instead_of_a_chart():
    for values in ([], [None, None]):
        root = parse(
            line_chart(
                chart_id="c",
                title="T",
                labels=["a", "b"][: len(values)],
                series=[Series("S", values)],
                empty_text="Not enough data",
            )
        )
        assert "Not enough data" in texts(root)
        assert not list(root.iter(f"{NS}circle"))


def test_percentages_keep_the_full_scale():
    root = parse(
        line_chart(
            chart_id="c",
            title="T",
            labels=["a", "b"],
            series=[Series("S", [10, 20])],
            y_max=100,
            tick_format=lambda v: f"{v:.0f}%",
        )
    )
    axis = root.find(f"{NS}g[@class='axis y']")
    assert [t.text for t in axis.iter(f"{NS}text")] == ["0%", "25%", "50%", "75%", "100%"]


def test_crowded_labels_are_thinned_out():
    labels = [f"Day {n}" for n in range(1, 61)]
    root = parse(
        line_chart(chart_id="c", title="T", labels=labels, series=[Series("S", range(60))])
    )
    shown = [t.text for t in root.find(f"{NS}g[@class='axis x']").iter(f"{NS}text")]
    assert 2 <= len(shown) < 20
    assert shown[0] == "Day 1"
    assert len(titles(root, "circle")) == 60  # every value is still there


@pytest.mark.parametrize("chart_id", ["", "Has Space", "x" * 60, 'a"><script>'])
def test_chart_ids_must_be_slugs(chart_id):
    with pytest.raises(ValueError, match="chart id"):
        line_chart(chart_id=chart_id, title="T", labels=["a"], series=[Series("S", [1])])


def test_colours_must_be_hex_codes():
    with pytest.raises(ValueError, match="colour"):
        line_chart(
            chart_id="c", title="T", labels=["a"], series=[Series("S", [1], 'red" onload="x')]
        )


# --------------------------------------------------------------------------------------------
# Bar chart


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]


def test_stacked_bars_stack_and_say_their_values():
    root = parse(
        bar_chart(
            chart_id="revenue",
            title="Revenue",
            labels=["Week 1", "Week 2"],
            series=[Series("Members", [300, 100]), Series("Others", [100, 0])],
            value_format=lambda v: f"KES {v:,.0f}",
        )
    )
    bars = _bars(root)
    assert [b.findtext(f"{NS}title") for b in bars] == [
        "Week 1 · Members: KES 300",
        "Week 1 · Others: KES 100",
        "Week 2 · Members: KES 100",
        "Week 2 · Others: KES 0",
    ]
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == pytest.approx(3 * heights[1], rel=0.02)
    assert heights[3] == 0
    # the second layer sits on the first: same x, right above it
    first, second = bars[0], bars[1]
    assert first.get("x") == second.get("x")
    assert float(second.get("y")) + float(second.get("height")) == pytest.approx(
        float(first.get("y")), abs=0.2
    )


def test_grouped_bars_stand_side_by_side():
    root = parse(
        bar_chart(
            chart_id="points",
            title="Points",
            labels=["a", "b", "c"],
            series=[Series("Issued", [5, 6, 7]), Series("Redeemed", [1, 2, 3])],
            stacked=False,
        )
    )
    bars = _bars(root)
    assert len(bars) == 6
    assert float(bars[0].get("x")) < float(bars[1].get("x")) < float(bars[2].get("x"))
    assert {b.get("fill") for b in bars} == {PALETTE[0], PALETTE[1]}


def test_negative_bars_hang_below_zero():
    root = parse(
        bar_chart(chart_id="c", title="T", labels=["a", "b"], series=[Series("S", [100, -50])])
    )
    up, down = _bars(root)
    zero = next(
        float(line.get("y1"))
        for line in root.iter(f"{NS}line")
        if line.get("stroke") != "#dde2ea"  # the zero line, not a grid line
    )
    assert float(up.get("y")) + float(up.get("height")) == pytest.approx(zero, abs=0.2)
    assert float(down.get("y")) == pytest.approx(zero, abs=0.2)


def test_bars_of_nothing_give_a_message():
    root = parse(
        bar_chart(
            chart_id="c",
            title="T",
            labels=["a", "b"],
            series=[Series("S", [0, 0])],
            empty_text="No sales in this period.",
        )
    )
    assert "No sales in this period." in texts(root)
    assert not _bars(root)


# --------------------------------------------------------------------------------------------
# Heatmap


def test_heatmap_shades_by_value_and_leaves_young_cohorts_short():
    root = parse(
        heatmap(
            chart_id="cohorts",
            title="Cohorts",
            row_labels=["Jan 2026", "Feb 2026"],
            column_labels=["0", "1", "2"],
            values=[[100, 50, None], [100, 25]],
            cell_text=[["100", "50", ""], ["100", "25"]],
            max_value=100,
        )
    )
    cells = [g.find(f"{NS}rect") for g in root.iter(f"{NS}g") if g.get("class") == "cell"]
    assert len(cells) == 5  # February has no month 2 yet
    fills = [c.get("fill") for c in cells]
    assert fills[0] == PALETTE[0]  # 100 %: the full colour
    assert fills[2] == "#eef1f5"  # no value: grey

    def darkness(fill: str) -> int:
        return sum(int(fill[i : i + 2], 16) for i in (1, 3, 5))

    assert darkness(fills[0]) < darkness(fills[1]) < darkness(fills[4])  # 100 > 50 > 25
    assert "Jan 2026" in texts(root) and "Feb 2026" in texts(root)
    assert "50" in texts(root)
    assert titles(root, "rect")[1] == "Jan 2026 · 1: 50"


def test_heatmap_uses_given_hover_titles():
    root = parse(
        heatmap(
            chart_id="h",
            title="T",
            row_labels=["Jan"],
            column_labels=["0"],
            values=[[40]],
            cell_titles=[["Jan, month 0: 40 % (2 of 5)"]],
        )
    )
    assert titles(root, "rect") == ["Jan, month 0: 40 % (2 of 5)"]


def test_heatmap_without_values_says_so():
    root = parse(
        heatmap(
            chart_id="h",
            title="T",
            row_labels=[],
            column_labels=["0"],
            values=[],
            empty_text="Not enough data",
        )
    )
    assert texts(root) == ["Not enough data"]
