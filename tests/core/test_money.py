"""Tests for wateja.core.money: pure Python, no Django, no database."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from babel.numbers import get_currency_precision
from hypothesis import given, settings
from hypothesis import strategies as st

from wateja.core.money import (
    CurrencyMismatch,
    InvalidAmount,
    Money,
    MoneyError,
    UnknownCurrency,
    allocate,
    currency_exponent,
    div_round,
    format_money,
    parse_money,
    percent_of,
)

NBSP = "\u00a0"
NNBSP = "\u202f"
LOCALES = ["en", "sw", "hy", "ru", "sw_KE", "hy_AM", "ru_RU", "en_KE"]
CURRENCIES = ["KES", "TZS", "AMD", "RUB", "USD", "JPY"]

# --------------------------------------------------------------------------------------------
# Currencies and errors


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("KES", 2), ("TZS", 2), ("AMD", 2), ("RUB", 2), ("USD", 2), ("EUR", 2), ("JPY", 0),
        ("UGX", 0), ("RWF", 0), ("CLP", 0), ("KWD", 3), ("BHD", 3), ("OMR", 3), ("JOD", 3),
        ("TND", 3), ("LYD", 3), ("IQD", 3), ("HUF", 2), ("IDR", 2), ("CLF", 4),
    ],
)  # fmt: skip
def test_currency_exponent_is_iso_4217(code: str, exponent: int) -> None:
    assert currency_exponent(code) == exponent


def test_explicit_table_wins_over_babel_display_precision() -> None:
    # babel (CLDR) says 0 for these; ISO 4217 (what we store) says 3 and 2.
    assert get_currency_precision("IQD") == 0
    assert currency_exponent("IQD") == 3
    assert get_currency_precision("HUF") == 0
    assert currency_exponent("HUF") == 2


def test_currency_not_in_table_falls_back_to_babel() -> None:
    assert currency_exponent("PEN") == 2
    assert currency_exponent("XAU") == get_currency_precision("XAU")


@pytest.mark.parametrize("code", ["kes", "Kes", "XYZ", "KESS", "KE", "", " KES", None, 404])
def test_unknown_currency(code: object) -> None:
    with pytest.raises(UnknownCurrency) as info:
        currency_exponent(code)  # type: ignore[arg-type]
    assert info.value.code == "unknown_currency"
    with pytest.raises(UnknownCurrency):
        Money(100, code)  # type: ignore[arg-type]


def test_error_codes_and_hierarchy() -> None:
    assert CurrencyMismatch.code == "currency_mismatch"
    assert UnknownCurrency.code == "unknown_currency"
    assert InvalidAmount.code == "invalid_amount"
    for error in (CurrencyMismatch, UnknownCurrency, InvalidAmount):
        assert issubclass(error, MoneyError)
        assert issubclass(error, ValueError)


# --------------------------------------------------------------------------------------------
# Money


@pytest.mark.parametrize("amount", [1.5, 1.0, True, False, "100", Decimal(100), None])
def test_money_amount_must_be_int(amount: object) -> None:
    with pytest.raises(InvalidAmount) as info:
        Money(amount, "KES")  # type: ignore[arg-type]
    assert info.value.code == "invalid_amount"


def test_money_is_frozen_and_hashable() -> None:
    money = Money(100, "KES")
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.amount_minor = 5  # type: ignore[misc]
    assert {Money(100, "KES"), Money(100, "KES"), Money(100, "TZS")} == {
        Money(100, "KES"),
        Money(100, "TZS"),
    }
    assert not hasattr(money, "__dict__")  # slots


def test_money_arithmetic_same_currency() -> None:
    a, b = Money(120050, "KES"), Money(50, "KES")
    assert a + b == Money(120100, "KES")
    assert a - b == Money(120000, "KES")
    assert b - a == Money(-120000, "KES")
    assert -a == Money(-120050, "KES")
    assert abs(Money(-5, "KES")) == Money(5, "KES")
    assert a * 3 == Money(360150, "KES")
    assert 3 * a == Money(360150, "KES")
    assert a * -1 == -a
    assert a * 0 == Money.zero("KES")


def test_money_refuses_other_currencies_and_types() -> None:
    kes, tzs = Money(100, "KES"), Money(100, "TZS")
    with pytest.raises(CurrencyMismatch) as info:
        _ = kes + tzs
    assert info.value.code == "currency_mismatch"
    with pytest.raises(CurrencyMismatch):
        _ = kes - tzs
    with pytest.raises(CurrencyMismatch):
        _ = kes < tzs
    with pytest.raises(CurrencyMismatch):
        _ = kes >= tzs
    assert kes != tzs  # equality across currencies is simply False
    with pytest.raises(TypeError):
        _ = kes + 100  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = kes * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = kes * True
    with pytest.raises(TypeError):
        _ = kes * kes  # type: ignore[operator]


def test_money_ordering() -> None:
    small, big = Money(-1, "USD"), Money(10, "USD")
    assert small < big
    assert small <= big
    assert big > small
    assert big >= small
    assert small <= Money(-1, "USD")
    assert not small > Money(-1, "USD")
    assert sorted([big, small, Money(0, "USD")]) == [small, Money(0, "USD"), big]
    assert max(small, big) == big


def test_money_zero() -> None:
    assert Money.zero("JPY") == Money(0, "JPY")
    assert Money.zero("JPY").is_zero()
    assert not Money(1, "JPY").is_zero()
    assert (Money(5, "KES") - Money(5, "KES")).is_zero()
    with pytest.raises(UnknownCurrency):
        Money.zero("ABC")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(120050, "KES"), "KES 1200.50"),
        (Money(5, "KES"), "KES 0.05"),
        (Money(-5, "KES"), "KES -0.05"),
        (Money(0, "TZS"), "TZS 0.00"),
        (Money(1200, "JPY"), "JPY 1200"),
        (Money(-1200, "JPY"), "JPY -1200"),
        (Money(1234, "KWD"), "KWD 1.234"),
        (Money(10**15, "AMD"), "AMD 10000000000000.00"),
    ],
)
def test_money_str(money: Money, text: str) -> None:
    assert str(money) == text


# --------------------------------------------------------------------------------------------
# allocate


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (1000, [5000, 3000, 2000], [500, 300, 200]),
        (5, [1, 1, 1, 1], [2, 1, 1, 1]),
        # 10 over 6:5 is 5.45 + 4.55: the unit goes to the larger weight, not the larger
        # remainder.
        (10, [6, 5], [6, 4]),
        # Ties between equal weights go to the earlier index.
        (10, [3, 1, 1, 1], [5, 2, 2, 1]),
        # A whole share (3) is never bumped, even though its weight is the largest.
        (6, [2, 1, 1], [3, 2, 1]),
        (10, [0, 1, 2], [0, 3, 7]),
        (1, [0, 5, 0], [0, 1, 0]),
        (7, [1], [7]),
        (0, [1, 2, 3], [0, 0, 0]),
        (0, [0, 0], [0, 0]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (-10, [6, 5], [-6, -4]),
        (2, [1, 1, 1, 1], [1, 1, 0, 0]),
    ],
)
def test_allocate_examples(total: int, weights: list[int], parts: list[int]) -> None:
    assert allocate(total, weights) == parts


@pytest.mark.parametrize(
    ("total", "weights"),
    [(5, []), (5, [0, 0]), (-1, [0]), (5, [1, -1]), (5, [1.5]), (5, [True]), (1.5, [1])],
)
def test_allocate_refuses(total: object, weights: list[object]) -> None:
    with pytest.raises(ValueError):  # InvalidAmount is a ValueError too
        allocate(total, weights)  # type: ignore[arg-type]


def test_money_allocate() -> None:
    assert Money(100, "KES").allocate([1, 1, 1]) == [
        Money(34, "KES"),
        Money(33, "KES"),
        Money(33, "KES"),
    ]
    assert Money(-5, "JPY").allocate([1, 1]) == [Money(-3, "JPY"), Money(-2, "JPY")]


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=-(10**15), max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12).filter(
        any
    ),
)
def test_allocate_sums_exactly_and_stays_within_one(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert abs(part - exact) < 1
        if exact.denominator == 1:
            assert part == exact
        if weight == 0:
            assert part == 0
    assert allocate(-total, weights) == [-part for part in parts]


# --------------------------------------------------------------------------------------------
# percent_of and div_round


@pytest.mark.parametrize(
    ("amount", "bp", "half_even", "half_up", "down", "up"),
    [
        (1000, 1500, 150, 150, 150, 150),  # 15% exactly
        (100, 50, 0, 1, 0, 1),  # 0.5: tie, even is 0
        (100, 150, 2, 2, 1, 2),  # 1.5: tie, even is 2
        (100, 250, 2, 3, 2, 3),  # 2.5: tie, even is 2
        (100, 140, 1, 1, 1, 2),  # 1.4
        (100, 160, 2, 2, 1, 2),  # 1.6
        (-100, 50, 0, -1, 0, -1),  # -0.5
        (-100, 150, -2, -2, -1, -2),  # -1.5
        (100, -250, -2, -3, -2, -3),  # -2.5 from a negative rate
        (12345, 1600, 1975, 1975, 1975, 1976),  # 1975.2
        (0, 1500, 0, 0, 0, 0),
        (10**18 + 1, 10_000, 10**18 + 1, 10**18 + 1, 10**18 + 1, 10**18 + 1),  # 100%, exact
    ],
)
def test_percent_of_rounding(
    amount: int, bp: int, half_even: int, half_up: int, down: int, up: int
) -> None:
    assert percent_of(amount, bp) == half_even  # the default
    assert percent_of(amount, bp, "half_even") == half_even
    assert percent_of(amount, bp, "half_up") == half_up
    assert percent_of(amount, bp, "down") == down
    assert percent_of(amount, bp, "up") == up


def test_percent_of_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="rounding"):
        percent_of(100, 50, "nearest")
    with pytest.raises(InvalidAmount):
        percent_of(100.0, 50)  # type: ignore[arg-type]
    with pytest.raises(ZeroDivisionError):
        div_round(1, 0)


_DECIMAL_MODES = {
    "half_even": ROUND_HALF_EVEN,
    "half_up": ROUND_HALF_UP,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
}


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=-(10**15), max_value=10**15),
    bp=st.integers(min_value=-20_000, max_value=20_000),
    mode=st.sampled_from(sorted(_DECIMAL_MODES)),
)
def test_percent_of_matches_decimal_rounding(amount: int, bp: int, mode: str) -> None:
    with localcontext() as ctx:
        ctx.prec = 60
        expected = (Decimal(amount) * bp / 10_000).quantize(
            Decimal(1), rounding=_DECIMAL_MODES[mode]
        )
    assert percent_of(amount, bp, mode) == int(expected)


def test_div_round_for_earn_rates() -> None:
    # 1 point per 100 KES (10_000 minor units): KES 1,299.99 earns 12 points.
    assert div_round(129_999, 10_000, "down") == 12
    assert div_round(-7, 2) == -4  # -3.5 -> even
    assert div_round(7, -2, "half_up") == -4
    assert div_round(6, 3, "up") == 2


# --------------------------------------------------------------------------------------------
# parse_money


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        # en: "." decimal, "," grouping
        ("1,200.50", "KES", "en", 120050),
        ("1 200", "KES", "en", 120000),
        ("1200", "KES", "en", 120000),
        ("1200.5", "KES", "en", 120050),
        ("KES 1,200", "KES", "en", 120000),
        ("1,200 KES", "KES", "en", 120000),
        ("kes1200", "KES", "en", 120000),
        ("  1,200.50\t", "KES", "en", 120050),
        ("-1,200.50", "KES", "en", -120050),
        ("+12", "KES", "en", 1200),
        ("-KES1,200.50", "KES", "en", -120050),
        ("KES -1,200.50", "KES", "en", -120050),
        ("Ksh 1,200", "KES", "en", 120000),
        ("$1,234,567.89", "USD", "en", 123456789),
        ("1,200,300", "KES", "en", 120030000),
        ("1 200,50", "KES", "en", 120050),  # rule 3b: "," + 2 digits is a decimal anywhere
        ("1.200,50", "KES", "en", 120050),
        ("0.05", "KES", "en", 5),
        ("007", "KES", "en", 700),
        ("¥1,200", "JPY", "en", 1200),
        ("1,200", "JPY", "en", 1200),  # JPY has no decimals: "," can only be grouping
        ("1.234", "KWD", "en", 1234),
        ("1,5", "KWD", "en", 1500),
        ("1,2345", "KWD", "en", 12345000),  # group sizes are not checked (en_IN uses 2)
        # sw: like en, Swahili symbols
        ("Ksh 1,200.50", "KES", "sw", 120050),
        (f"Ksh{NBSP}1,200.50", "KES", "sw", 120050),
        ("TSh 1,200", "TZS", "sw", 120000),
        ("1 200", "TZS", "sw", 120000),
        ("-TSh 5", "TZS", "sw_KE", -500),
        # ru / hy: "," decimal, NBSP or narrow NBSP grouping
        ("1 200,50", "RUB", "ru", 120050),
        (f"1{NBSP}200,50", "RUB", "ru", 120050),
        (f"1{NNBSP}200,50", "RUB", "ru", 120050),
        (f"1{NBSP}200,50{NBSP}₽", "RUB", "ru", 120050),
        ("1 200 руб.", "RUB", "ru", 120000),
        ("1200,5", "RUB", "ru_RU", 120050),
        ("1,200.50", "RUB", "ru", 120050),  # rule 3b
        ("1.5", "RUB", "ru", 150),
        ("1.200", "RUB", "ru", 120000),  # "." + 3 digits is grouping in ru
        ("-1 200,50 RUB", "RUB", "ru", -120050),
        (f"1{NBSP}200,50{NBSP}֏", "AMD", "hy", 120050),
        ("1 200 ֏", "AMD", "hy_AM", 120000),
        ("AMD 1 200,50", "AMD", "hy", 120050),
        ("1200", "AMD", "hy", 120000),
        # Digits of other scripts and bidi marks are tolerated.
        ("١٢٣", "KES", "en", 12300),
        ("\u200f-1,200.50", "KES", "en", -120050),
        ("KES 0,05-", "KES", "en", -5),  # trailing minus, as babel writes for "fy"
    ],
)
def test_parse_money_examples(text: str, currency: str, locale: str, minor: int) -> None:
    assert parse_money(text, currency, locale) == Money(minor, currency)


def test_parse_money_default_locale_is_en() -> None:
    assert parse_money("1,200.50", "KES") == Money(120050, "KES")


@pytest.mark.parametrize(
    ("text", "currency", "locale"),
    [
        ("", "KES", "en"),
        ("   ", "KES", "en"),
        ("abc", "KES", "en"),
        ("KES", "KES", "en"),
        ("-", "KES", "en"),
        ("1.005", "KES", "en"),  # more decimals than the currency has: never rounded
        ("1.5", "JPY", "en"),
        ("1.200", "KES", "en"),  # the locale decimal occurring once is always the decimal
        ("1,200", "RUB", "ru"),
        ("1.2345", "KWD", "en"),
        ("1.200,300", "KES", "en"),  # mixed grouping, no decimal: ambiguous
        ("1,,200", "KES", "en"),
        ("1.,200", "KES", "en"),
        (".50", "KES", "en"),
        ("1200.", "KES", "en"),
        ("--5", "KES", "en"),
        ("-5-", "KES", "en"),
        ("KES 5 KES", "KES", "en"),
        ("5 KES KES", "KES", "en"),
        ("1e5", "KES", "en"),
        ("1_000", "KES", "en"),
        ("12abc34", "KES", "en"),
        ("€5", "KES", "en"),
        ("Ksh 5", "TZS", "sw"),
        ("1" * 300, "KES", "en"),
    ],
)
def test_parse_money_refuses(text: str, currency: str, locale: str) -> None:
    with pytest.raises(InvalidAmount) as info:
        parse_money(text, currency, locale)
    assert info.value.code == "invalid_amount"


def test_parse_money_other_iso_code_is_a_mismatch() -> None:
    with pytest.raises(CurrencyMismatch) as info:
        parse_money("USD 5", "KES")
    assert info.value.code == "currency_mismatch"
    with pytest.raises(CurrencyMismatch):
        parse_money("1 200,50 rub", "AMD", "hy")


def test_parse_money_unknown_currency() -> None:
    with pytest.raises(UnknownCurrency):
        parse_money("5", "kes")


# --------------------------------------------------------------------------------------------
# format_money


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(120050, "KES"), "en", "KES1,200.50"),
        (Money(-120050, "KES"), "en", "-KES1,200.50"),
        (Money(120050, "KES"), "en_KE", "Ksh1,200.50"),
        (Money(120050, "KES"), "sw", f"Ksh{NBSP}1,200.50"),
        (Money(120050, "TZS"), "sw", f"TSh{NBSP}1,200.50"),
        (Money(120050, "USD"), "en", "$1,200.50"),
        (Money(120050, "RUB"), "ru", f"1{NBSP}200,50{NBSP}₽"),
        (Money(-120050, "RUB"), "ru_RU", f"-1{NBSP}200,50{NBSP}₽"),
        (Money(120050, "AMD"), "hy", f"1{NBSP}200,50{NBSP}֏"),
        (Money(5, "AMD"), "hy_AM", f"0,05{NBSP}֏"),
        (Money(0, "TZS"), "en", "TZS0.00"),
        (Money(120050, "JPY"), "en", "¥120,050"),  # no ".00" for JPY
        (Money(120050, "JPY"), "ru", f"120{NBSP}050{NBSP}¥"),
        (Money(1234, "KWD"), "en", "KWD1.234"),  # three decimals for KWD
        (Money(10**15, "KES"), "en", "KES10,000,000,000,000.00"),
    ],
)
def test_format_money_examples(money: Money, locale: str, text: str) -> None:
    assert format_money(money, locale) == text


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(120050, "KES"), "en", "1,200.50"),
        (Money(120050, "TZS"), "sw", "1,200.50"),
        (Money(120000, "AMD"), "hy", f"1{NBSP}200,00"),
        (Money(-120050, "RUB"), "ru", f"-1{NBSP}200,50"),
        (Money(7, "JPY"), "en", "7"),
    ],
)
def test_format_money_without_currency(money: Money, locale: str, text: str) -> None:
    assert format_money(money, locale, with_currency=False) == text


def test_format_money_uses_iso_exponent_not_babel_precision() -> None:
    assert format_money(Money(1500, "IQD"), "en") == "IQD1.500"
    assert format_money(Money(1500, "HUF"), "en", with_currency=False) == "15.00"


def test_format_money_handles_amounts_beyond_decimal_default_precision() -> None:
    huge = Money(10**40 + 7, "KES")
    assert format_money(huge, "en", with_currency=False).endswith(",000.07")
    assert parse_money(format_money(huge, "ru"), "KES", "ru") == huge


# --------------------------------------------------------------------------------------------
# Round trip: parse(format(m)) == m


@settings(max_examples=300, deadline=None)
@given(
    amount=st.one_of(
        st.integers(min_value=-(10**15), max_value=10**15),
        st.sampled_from([0, 1, -1, 99, 100, -100, 999_999, 10**15, -(10**15)]),
    ),
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(LOCALES),
    with_currency=st.booleans(),
)
def test_parse_reads_what_format_writes(
    amount: int, currency: str, locale: str, with_currency: bool
) -> None:
    money = Money(amount, currency)
    text = format_money(money, locale, with_currency=with_currency)
    assert parse_money(text, currency, locale) == money
