"""Money as integer minor units, with exact arithmetic, parsing, formatting and splitting.

Wateja never stores money as a float. An amount is an integer count of the currency's minor
unit (cents, senti, luma, kopecks), and the number of minor-unit digits (the *exponent*) is the
ISO 4217 one: KES, TZS, AMD, RUB and USD have 2, JPY and UGX have 0, KWD has 3. That exponent is
what we store and show, even where CLDR (and so babel) would show a different "cash" precision.

What is here:

* `Money` - an immutable amount in one currency; adding or comparing two currencies raises.
* `currency_exponent` - the ISO 4217 minor-unit exponent of a currency code.
* `parse_money` / `format_money` - read what a cashier types and show amounts per locale; for
  every amount and supported locale, ``parse_money(format_money(m, loc), m.currency, loc) == m``.
* `allocate` - split an integer total over weights so that the parts add up exactly (discounts
  over order lines, points over partners).
* `percent_of` / `div_round` - integer percentages and divisions with an explicit rounding mode.

Errors are `MoneyError` subclasses (which are `ValueError`) with a stable ``code`` string.

This module imports only the standard library and babel (no Django, no Wateja app).
"""

from __future__ import annotations

import decimal
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from babel import Locale
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
    list_currencies,
)

__all__ = [
    "ROUNDING_MODES",
    "CurrencyMismatch",
    "InvalidAmount",
    "Money",
    "MoneyError",
    "UnknownCurrency",
    "allocate",
    "currency_exponent",
    "div_round",
    "format_money",
    "parse_money",
    "percent_of",
]


# --------------------------------------------------------------------------------------------
# Errors


class MoneyError(ValueError):
    """Base class of every money error; ``code`` is stable and safe to show to API clients."""

    code: str = "money_error"


class CurrencyMismatch(MoneyError):
    """Two amounts in different currencies were added, subtracted or compared."""

    code = "currency_mismatch"


class UnknownCurrency(MoneyError):
    """The currency is not an upper-case three-letter ISO 4217 code that we know."""

    code = "unknown_currency"


class InvalidAmount(MoneyError):
    """The amount is not an integer, or the text cannot be read as an amount."""

    code = "invalid_amount"


# --------------------------------------------------------------------------------------------
# Currencies

# ISO 4217 minor-unit exponents. This table wins over babel: CLDR's "digits" are sometimes a
# display/cash precision (babel says 0 for IQD, HUF, IDR, COP, ... where ISO 4217 says 3 or 2).
_ISO_EXPONENTS: dict[str, int] = {
    # East Africa and the markets Wateja is built for first.
    "KES": 2, "TZS": 2, "UGX": 0, "RWF": 0, "BIF": 0, "ETB": 2, "SSP": 2, "SOS": 2, "DJF": 0,
    "CDF": 2, "MWK": 2, "ZMW": 2, "MZN": 2, "MGA": 2, "KMF": 0, "SDG": 2,
    "AMD": 2, "RUB": 2, "GEL": 2, "AZN": 2, "KZT": 2, "UZS": 2, "UAH": 2, "BYN": 2,
    # Widely used elsewhere.
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CNY": 2, "HKD": 2,
    "SGD": 2, "INR": 2, "PKR": 2, "BDT": 2, "LKR": 2, "ZAR": 2, "NGN": 2, "GHS": 2, "EGP": 2,
    "MAD": 2, "BWP": 2, "AED": 2, "SAR": 2, "QAR": 2, "ILS": 2, "TRY": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "BRL": 2, "MXN": 2, "ARS": 2, "COP": 2, "PHP": 2,
    "THB": 2, "MYR": 2, "IDR": 2, "TWD": 2, "LBP": 2, "IRR": 2, "SYP": 2, "ALL": 2, "MMK": 2,
    "LAK": 2, "YER": 2, "AFN": 2, "KPW": 2,
    # Zero-decimal currencies.
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "PYG": 0, "ISK": 0, "VUV": 0, "GNF": 0,
    "XAF": 0, "XOF": 0, "XPF": 0,
    # Three and four decimals.
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip

_CODE_RE = re.compile(r"[A-Z]{3}")


# the largest amount a sale, a price or a threshold may hold: 10^11 in units of any currency,
# far above any real one, far below what the database's integers and JSON numbers carry
MAX_AMOUNT_MINOR = 10**13


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(_ISO_EXPONENTS) | frozenset(list_currencies())


def _check_currency(code: object) -> str:
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        raise UnknownCurrency(f"currency must be an upper-case ISO 4217 code, got {code!r}")
    if code not in _known_currencies():
        raise UnknownCurrency(f"unknown currency {code!r}")
    return code


def currency_exponent(code: str) -> int:
    """Return the ISO 4217 minor-unit exponent of ``code`` (KES 2, JPY 0, KWD 3).

    Raises `UnknownCurrency` for anything that is not a known upper-case ISO 4217 code.
    """
    _check_currency(code)
    exponent = _ISO_EXPONENTS.get(code)
    if exponent is None:
        exponent = int(get_currency_precision(code))
    return exponent


def _check_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(f"{what} must be an int, got {type(value).__name__}")
    return value


# --------------------------------------------------------------------------------------------
# Money


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of ``currency`` as an integer number of minor units (``Money(120050, "KES")``
    is KES 1,200.50).

    Immutable and hashable. ``+``, ``-`` and ordering work only within one currency (otherwise
    `CurrencyMismatch`); ``==`` between currencies is simply False. Multiply by an int only.
    """

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        _check_int(self.amount_minor, "amount_minor")
        _check_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``."""
        return cls(0, currency)

    @property
    def exponent(self) -> int:
        """The currency's ISO 4217 minor-unit exponent."""
        return currency_exponent(self.currency)

    def is_zero(self) -> bool:
        return self.amount_minor == 0

    def _same(self, other: Money, op: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot {op} {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.amount_minor), self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.amount_minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount_minor < other.amount_minor

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount_minor >= other.amount_minor

    def __str__(self) -> str:
        """Locale-free text, e.g. ``KES 1200.50``, ``KES -0.05``, ``JPY 1200``."""
        exponent = self.exponent
        sign = "-" if self.amount_minor < 0 else ""
        major, minor = divmod(abs(self.amount_minor), 10**exponent)
        if exponent == 0:
            return f"{self.currency} {sign}{major}"
        return f"{self.currency} {sign}{major}.{minor:0{exponent}d}"

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split this amount over ``weights`` exactly; see `allocate`."""
        return [Money(part, self.currency) for part in allocate(self.amount_minor, weights)]


# --------------------------------------------------------------------------------------------
# Integer arithmetic: allocation, percentages, rounding

ROUNDING_MODES: tuple[str, ...] = ("half_even", "half_up", "down", "up")


def div_round(numerator: int, denominator: int, rounding: str = "half_even") -> int:
    """Divide two ints and round the quotient to an int, with integer arithmetic only.

    ``rounding`` follows the `decimal` module's meaning: ``"half_even"`` (banker's rounding),
    ``"half_up"`` (ties away from zero), ``"down"`` (towards zero), ``"up"`` (away from zero).
    """
    if type(numerator) is not int:  # exact ints (the usual case) need no further check
        _check_int(numerator, "numerator")
    if type(denominator) is not int:
        _check_int(denominator, "denominator")
    if rounding not in ROUNDING_MODES:
        raise ValueError(f"rounding must be one of {ROUNDING_MODES}, got {rounding!r}")
    if denominator == 0:
        raise ZeroDivisionError("div_round by zero")
    negative = (numerator < 0) != (denominator < 0)
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    if remainder:
        twice = 2 * remainder
        den = abs(denominator)
        if (
            rounding == "up"
            or (rounding == "half_up" and twice >= den)
            or (rounding == "half_even" and (twice > den or (twice == den and quotient % 2 == 1)))
        ):
            quotient += 1
    return -quotient if negative else quotient


def percent_of(amount_minor: int, basis_points: int, rounding: str = "half_even") -> int:
    """Return ``amount_minor * basis_points / 10_000`` rounded to an int (1500 bp = 15%).

    Rounding modes as in `div_round`; negative amounts round symmetrically (``"down"`` is
    towards zero, ``"up"`` away from zero).
    """
    if type(amount_minor) is not int:  # exact ints (the usual case) need no further check
        _check_int(amount_minor, "amount_minor")
    if type(basis_points) is not int:
        _check_int(basis_points, "basis_points")
    product = amount_minor * basis_points
    if product >= 0 and rounding == "half_even":  # the common case, as `div_round` does it
        quotient, remainder = divmod(product, 10_000)
        if remainder > 5_000 or (remainder == 5_000 and quotient % 2 == 1):
            quotient += 1
        return quotient
    return div_round(product, 10_000, rounding)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` in proportion, so that the parts sum exactly to ``total``.

    Each part first gets the floor of its exact share (``total * w / sum(weights)``). The
    leftover units (fewer than the number of parts whose share is not whole) go one each to the
    parts whose share is not whole, largest weight first, ties to the earlier index. So every
    part is within 1 of its exact share, a whole share is never changed and a zero weight gets
    0. A negative total is split like its absolute value, with every part negated.

    Raises `ValueError` for empty weights, a negative or non-int weight, or all-zero weights with
    a non-zero total (all-zero weights with a zero total give all zeros).
    """
    if type(total) is not int:
        _check_int(total, "total")
    if len(weights) == 0:
        raise ValueError("allocate needs at least one weight")
    # fast path: plain non-negative ints (the usual case); otherwise check one by one, so the
    # first bad weight is the one reported
    if len(set(map(type, weights))) != 1 or type(weights[0]) is not int or min(weights) < 0:
        for weight in weights:
            if isinstance(weight, bool) or not isinstance(weight, int):
                raise ValueError(f"weights must be ints, got {weight!r}")
            if weight < 0:
                raise ValueError(f"weights must not be negative, got {weight}")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total == 0:
            return [0] * len(weights)
        raise ValueError("cannot allocate a non-zero total over weights that are all zero")
    if total < 0:
        return [-part for part in allocate(-total, weights)]

    parts = [total * weight // weight_sum for weight in weights]
    leftover = total - sum(parts)
    if not leftover:  # every share was whole
        return parts
    fractional = [index for index, weight in enumerate(weights) if (total * weight) % weight_sum]
    # largest weight first; the sort is stable (also reversed), so ties keep the earlier index
    fractional.sort(key=weights.__getitem__, reverse=True)
    for index in fractional[:leftover]:
        parts[index] += 1
    return parts


# --------------------------------------------------------------------------------------------
# Locales: formatting

# Locales whose currency symbols parse_money accepts in any locale, so "Ksh 1,200" reads in en.
_SYMBOL_LOCALES = ("en", "sw", "sw_KE", "sw_TZ", "hy", "ru")

# Common ways of writing a currency that CLDR does not list for our locales.
_EXTRA_SYMBOLS: dict[str, tuple[str, ...]] = {
    "KES": ("KSh", "Ksh", "KShs", "Kshs", "Sh", "Shs"),
    "TZS": ("TSh", "TShs", "Sh", "Shs"),
    "UGX": ("USh", "UShs"),
    "AMD": ("֏", "դր.", "դր"),
    "RUB": ("₽", "руб.", "руб", "р."),
    "USD": ("$", "US$"),
    "EUR": ("€",),
    "GBP": ("£",),
    "JPY": ("¥", "JP¥", "円"),
}

_MAX_TEXT = 200


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _as_decimal(amount_minor: int, exponent: int) -> decimal.Decimal:
    # Built from a string, so exact whatever the context precision is.
    return decimal.Decimal(f"{amount_minor}E-{exponent}")


def format_money(money: Money, locale: str = "en", *, with_currency: bool = True) -> str:
    """Format ``money`` for ``locale`` with exactly the ISO 4217 number of fraction digits.

    ``format_money(Money(120050, "KES"), "en")`` is ``"KES1,200.50"``; in ``sw`` it is
    ``"Ksh\\xa01,200.50"``; in ``ru`` ``Money(120050, "RUB")`` is ``"1\\xa0200,50\\xa0₽"``.
    With ``with_currency=False`` only the number is written (``"1,200.50"``). Raises babel's
    ``UnknownLocaleError`` (or ``ValueError``) for an unknown locale.
    """
    loc = _locale(locale)
    exponent = money.exponent
    value = _as_decimal(money.amount_minor, exponent)
    # babel quantizes in the current decimal context; give it room for any int we may hold.
    with decimal.localcontext() as ctx:
        ctx.prec = max(28, len(str(abs(money.amount_minor))) + 10)
        if with_currency:
            pattern = _pattern(locale, True, exponent)
            return str(
                format_currency(
                    value, money.currency, format=pattern, locale=loc, currency_digits=False
                )
            )
        return str(format_decimal(value, format=_pattern(locale, False, exponent), locale=loc))


@lru_cache(maxsize=256)
def _pattern(locale: str, with_currency: bool, exponent: int) -> NumberPattern:
    """The locale's standard currency (or decimal) pattern with exactly ``exponent`` decimals."""
    loc = _locale(locale)
    formats = loc.currency_formats if with_currency else loc.decimal_formats
    key = "standard" if with_currency else None
    base = formats[key]
    return NumberPattern(
        base.pattern,
        base.prefix,
        base.suffix,
        base.grouping,
        base.int_prec,
        (exponent, exponent),
        base.exp_prec,
        base.exp_plus,
        base.number_pattern,
    )


# --------------------------------------------------------------------------------------------
# Locales: parsing

_APOSTROPHES = frozenset("'\u2019")


def _is_space(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Zs"


@dataclass(frozen=True, slots=True)
class _Symbols:
    decimal: str
    group: str
    minus: frozenset[str]
    plus: frozenset[str]


@lru_cache(maxsize=64)
def _symbols(locale: str) -> _Symbols:
    loc = _locale(locale)
    return _Symbols(
        decimal=str(get_decimal_symbol(loc)),
        group=str(get_group_symbol(loc)),
        minus=frozenset({"-", "\u2212", str(get_minus_sign_symbol(loc))}),
        plus=frozenset({"+", str(get_plus_sign_symbol(loc))}),
    )


@lru_cache(maxsize=512)
def _currency_tokens(currency: str, locale: str) -> frozenset[str]:
    """Case-folded spellings of ``currency`` that parse_money accepts around a number."""
    tokens = {currency, *_EXTRA_SYMBOLS.get(currency, ())}
    for name in (locale, *_SYMBOL_LOCALES):
        tokens.add(str(get_currency_symbol(currency, _locale(name))))
    return frozenset(_squash(token).casefold() for token in tokens if token)


def _squash(text: str) -> str:
    """Drop spaces and invisible format characters (bidi marks, zero-width spaces)."""
    return "".join(ch for ch in text if not _is_space(ch) and unicodedata.category(ch) != "Cf")


def _ascii_digits(text: str) -> str:
    out = []
    for ch in text:
        digit = unicodedata.decimal(ch, None) if not ch.isascii() else None
        out.append(str(digit) if digit is not None else ch)
    return "".join(out)


# Everything before the first digit, the number from first to last digit, everything after.
_SPLIT_RE = re.compile(r"(?P<pre>[^0-9]*)(?P<num>[0-9](?:.*[0-9])?)(?P<post>[^0-9]*)", re.DOTALL)


def parse_money(text: str, currency: str, locale: str = "en") -> Money:
    """Read an amount typed by a person (or written by `format_money`) as ``Money``.

    The rule, applied in this order:

    1. Around the number, spaces and invisible marks are ignored. There may be one currency
       token before or after it: the ISO code (any case) or a symbol of that currency (``Ksh``,
       ``TSh``, ``֏``, ``₽``, ``$``, ``¥``...); a different ISO code raises `CurrencyMismatch`.
       There may be one sign (``-``, ``+``, ``−`` or the locale's): before or after a leading
       token (``-KES 5``, ``KES -5``), or at the very end (``5-``, ``KES 5-``, as in ``fy``).
    2. The number must start and end with a digit. Spaces of any kind (incl. NBSP U+00A0 and
       narrow NBSP U+202F) and apostrophes inside it are digit grouping and are dropped. The
       other separators are ``.``, ``,`` and the locale's decimal and group symbols; two
       separators may not touch.
    3. The last separator is the decimal point if it occurs once, the separators before it
       (if any) are all one other character, and either (a) it is the locale's decimal symbol,
       or (b) it is ``.`` or ``,`` followed by 1 to ``exponent`` digits.
       So in ``en`` "1.200,50" is 1200.50, and in ``ru`` "1,200.50" and "1.5" are read too.
    4. Otherwise every separator is grouping and must be the same character ("1,200,300" is
       an integer; "1.200,300" is ambiguous and refused).

    More fraction digits than the currency's exponent raise `InvalidAmount` (no silent
    rounding: "1.005" KES, "1.5" JPY, and in ``en`` "1.200" KES). Empty text or any other
    character raises `InvalidAmount`; an unknown currency raises `UnknownCurrency`.
    """
    exponent = currency_exponent(currency)
    if not isinstance(text, str):
        raise InvalidAmount(f"amount text must be a str, got {type(text).__name__}")
    if len(text) > _MAX_TEXT:
        raise InvalidAmount("amount text is too long")
    symbols = _symbols(locale)
    match = _SPLIT_RE.fullmatch(_ascii_digits(text))
    if match is None:
        raise InvalidAmount(f"no amount in {text!r}")
    negative = _parse_affixes(match["pre"], match["post"], currency, locale, symbols, text)
    minor = _parse_number(match["num"], exponent, symbols, text)
    return Money(-minor if negative else minor, currency)


def _parse_affixes(
    pre: str, post: str, currency: str, locale: str, symbols: _Symbols, text: str
) -> bool:
    """Check the text around the number; return True when it carries a minus sign."""
    pre, post = _squash(pre), _squash(post)
    signs = symbols.minus | symbols.plus
    sign = ""
    if pre[:1] in signs:
        sign, pre = pre[0], pre[1:]
    elif pre[-1:] in signs:
        sign, pre = pre[-1], pre[:-1]
    elif post[-1:] in signs:
        sign, post = post[-1], post[:-1]
    if pre and post:
        raise InvalidAmount(f"more than one currency token in {text!r}")
    token = pre or post
    if token and token.casefold() not in _currency_tokens(currency, locale):
        if token.upper() != currency and token.upper() in _known_currencies():
            raise CurrencyMismatch(f"{text!r} is in {token.upper()}, expected {currency}")
        raise InvalidAmount(f"cannot read {text!r} as an amount of {currency}")
    return sign in symbols.minus


def _parse_number(num: str, exponent: int, symbols: _Symbols, text: str) -> int:
    """Read digits and separators (rules 2-4 of `parse_money`) as minor units."""
    num = "".join(ch for ch in num if not (_is_space(ch) or ch in _APOSTROPHES))
    separators = {".", ","}
    for symbol in (symbols.decimal, symbols.group):
        if len(symbol) == 1 and not _is_space(symbol) and symbol not in _APOSTROPHES:
            separators.add(symbol)
    positions = []
    for index, ch in enumerate(num):
        if ch in separators:
            positions.append(index)
        elif not ("0" <= ch <= "9"):
            raise InvalidAmount(f"unexpected character {ch!r} in {text!r}")
    if any(b - a == 1 for a, b in pairwise(positions)):
        raise InvalidAmount(f"separators next to each other in {text!r}")

    fraction = ""
    if positions:
        last = positions[-1]
        mark, head, tail = num[last], num[:last], num[last + 1 :]
        head_marks = {ch for ch in head if ch in separators}
        # The mark occurs once and any grouping before it uses a single other character.
        is_decimal = mark not in head_marks and len(head_marks) <= 1
        if is_decimal and mark != symbols.decimal:
            is_decimal = mark in ".," and 1 <= len(tail) <= exponent
        if is_decimal:
            integer, fraction = head, tail
        else:
            if len(head_marks | {mark}) != 1:
                raise InvalidAmount(f"ambiguous separators in {text!r}")
            integer = num
        if len(fraction) > exponent:
            raise InvalidAmount(
                f"{text!r} has {len(fraction)} decimals; the currency allows {exponent}"
            )
        integer = "".join(ch for ch in integer if ch not in separators)
    else:
        integer = num
    scale: int = 10**exponent
    return int(integer) * scale + int(fraction.ljust(exponent, "0") or "0")
