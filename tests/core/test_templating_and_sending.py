"""Pure messaging rules: placeholders, quiet hours, backoff, holdout and variant split,
inbound keywords."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from wateja.core.sending import (
    classify_inbound,
    first_name,
    in_holdout,
    in_quiet_hours,
    next_send_time,
    pick_variant,
    retry_delay,
)
from wateja.core.templating import (
    TemplateProblem,
    check_template,
    placeholders_in,
    render,
    text_to_html,
)

NAIROBI = ZoneInfo("Africa/Nairobi")  # UTC+3, no daylight saving


def test_placeholders_are_listed_once_in_order_of_use() -> None:
    assert placeholders_in("Hi {name}, {balance} pts; {name} again {{literal}}") == [
        "name",
        "balance",
    ]


def test_unknown_placeholder_is_named() -> None:
    with pytest.raises(TemplateProblem) as problem:
        check_template("Habari {name}, salio {salio} {code}")
    assert problem.value.unknown == ("salio",)
    assert "{salio}" in str(problem.value)


def test_a_lone_brace_is_refused() -> None:
    with pytest.raises(TemplateProblem) as problem:
        check_template("50% off {name")
    assert problem.value.unbalanced


def test_render_fills_values_keeps_literal_braces_and_escapes_for_html() -> None:
    values = {"name": "Amina", "shop": "Kahawa <Corner>"}
    assert render("{{x}} {name} at {shop}", values) == "{x} Amina at Kahawa <Corner>"
    assert render("{shop}", values, escape_html=True) == "Kahawa &lt;Corner&gt;"
    assert render("{code}", values) == ""


def test_text_to_html_makes_paragraphs_and_links() -> None:
    html = text_to_html("Hello <b>\n\nSee https://x.example/a?b=1")
    assert html == (
        "<p>Hello &lt;b&gt;</p>\n"
        '<p>See <a href="https://x.example/a?b=1">https://x.example/a?b=1</a></p>'
    )


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [("20:59", False), ("21:00", True), ("23:30", True), ("03:00", True), ("07:59", True),
     ("08:00", False), ("12:00", False)],
)  # fmt: skip
def test_quiet_hours_across_midnight(clock: str, quiet: bool) -> None:
    assert in_quiet_hours(dt.time.fromisoformat(clock), dt.time(21), dt.time(8)) is quiet


def test_quiet_hours_within_a_day_and_empty_window() -> None:
    assert in_quiet_hours(dt.time(13), dt.time(12), dt.time(14))
    assert not in_quiet_hours(dt.time(15), dt.time(12), dt.time(14))
    assert not in_quiet_hours(dt.time(3), dt.time(8), dt.time(8))


def test_a_message_at_night_waits_for_the_morning_in_the_business_timezone() -> None:
    late = dt.datetime(2026, 11, 27, 19, 30, tzinfo=dt.UTC)  # 22:30 in Nairobi
    assert next_send_time(late, NAIROBI, dt.time(21), dt.time(8)) == dt.datetime(
        2026, 11, 28, 5, 0, tzinfo=dt.UTC
    )
    early = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # 05:00 in Nairobi
    assert next_send_time(early, NAIROBI, dt.time(21), dt.time(8)) == dt.datetime(
        2026, 11, 27, 5, 0, tzinfo=dt.UTC
    )
    noon = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    assert next_send_time(noon, NAIROBI, dt.time(21), dt.time(8)) == noon


def test_next_send_time_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError):
        next_send_time(dt.datetime(2026, 1, 1), NAIROBI, dt.time(21), dt.time(8))


def test_retry_delay_doubles_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(20) == 6 * 3600
    with pytest.raises(ValueError):
        retry_delay(0)


def test_holdout_is_deterministic_and_near_its_share() -> None:
    members = [c for c in range(10_000) if in_holdout("campaign:7", c, 10)]
    assert 900 <= len(members) <= 1100
    assert members == [c for c in range(10_000) if in_holdout("campaign:7", c, 10)]
    assert not any(in_holdout("campaign:7", c, 0) for c in range(1000))
    assert all(in_holdout("campaign:7", c, 100) for c in range(1000))
    with pytest.raises(ValueError):
        in_holdout("x", 1, 101)


def test_variant_split_follows_weights_and_skips_zero() -> None:
    split = Counter(pick_variant("t:1", c, [70, 30, 0]) for c in range(10_000))
    assert set(split) == {0, 1}
    assert 6700 <= split[0] <= 7300
    assert pick_variant("t:1", 42, [1, 1]) == pick_variant("t:1", 42, [1, 1])
    with pytest.raises(ValueError):
        pick_variant("t:1", 1, [0, 0])


@pytest.mark.parametrize(
    ("text", "keyword"),
    [("STOP", "stop"), ("stop.", "stop"), ("Acha", "stop"), ("СТОП", "stop"), ("стоп", "stop"),
     ("ՉԵՂԱՐԿԵԼ", "stop"), ("չեղարկել", "stop"), ("Stop please", "stop"),
     ("SALIO", "balance"), ("balance?", "balance"), ("Баланс", "balance"),
     ("START", "start"), ("anza", "start"),
     ("OFA", "offers"), ("offers", "offers"), ("Акции", "offers"), ("առաջարկ", "offers"),
     ("Ակցիաներ", "offers"), ("KADI", "card"), ("Карта", "card"),
     ("/balance", "balance"), ("/balance@kahawa_bot", "balance"), ("/offers now", "offers"),
     ("/", "unknown"), ("/start Ab12_cd", "start"),
     ("don't stop sending offers", "unknown"), ("", "unknown"), ("Asante sana", "unknown")],
)  # fmt: skip
def test_inbound_keywords_in_four_languages(text: str, keyword: str) -> None:
    assert classify_inbound(text) == keyword


def test_first_name() -> None:
    assert first_name("  Amina Wanjiru ") == "Amina"
    assert first_name("") == ""


@pytest.mark.parametrize(
    ("typed", "greeted"),
    [("Ануш Петросян", "Ануш"), ("Անահիտ", "Անահիտ"), ("O'Neil", "O'Neil"),
     ("Anne-Marie Otieno", "Anne-Marie"), ("Zuhura", "Zuhura"),
     ("www.win-prize.co Claim now", ""), ("Click:http://x.co", ""), ("0712345678", ""),
     ("M-Pesa2 reversal", ""), ("Winner!!! send", ""), ("A" * 21, ""), ("A" * 20, "A" * 20),
     ("'quoted'", "quoted"), ("Amina\u200bX", "")],
)  # fmt: skip
def test_a_typed_name_reaches_a_message_only_as_a_clean_first_name(
    typed: str, greeted: str
) -> None:
    assert first_name(typed) == greeted
