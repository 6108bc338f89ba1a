"""SMS encoding: GSM-7 or UCS-2, segment counting, splitting and cost.

An SMS is sent either in the GSM 03.38 default alphabet (GSM-7, 7-bit septets) or, as soon as one
character falls outside it, entirely in UCS-2 (UTF-16 code units). The limits are:

* GSM-7: 160 septets in a single SMS, 153 per part of a concatenated SMS;
* UCS-2: 70 code units in a single SMS, 67 per part.

(Each part of a concatenated SMS spends 6 bytes on the concatenation header.) A character of the
GSM-7 *extension table* (form feed ``^ { } \\ [ ~ ] | €``) is sent as ESC + character and costs
two septets; the pair is never split across parts. In UCS-2 a character outside the Basic
Multilingual Plane (most emoji) is a surrogate pair, costs two code units and is never split.
National language shift tables are not used.

What is here:

* `GSM7_BASIC` / `GSM7_EXTENSION` - the ETSI GSM 03.38 default alphabet and its extension table.
* `is_gsm7` - whether a text can be sent as GSM-7 exactly as it is.
* `normalize_for_gsm` - "smart encoding": replace typographic characters (curly quotes and
  apostrophes, dashes, ellipsis, Unicode spaces, bullets, primes) that would silently force
  UCS-2 with their GSM-7 equivalents; every other character is left unchanged.
* `prepare_sms` - the exact text that will be sent: the normalised text when normalising makes
  the message GSM-7, otherwise the text as written (see below).
* `sms_info` / `SmsInfo` - encoding, billed length, segments and room left in the last segment.
* `split_sms` - the parts as they would be sent.
* `cost_minor` - segments times a per-segment price in minor units.

Normalisation is applied only when it pays. If, after normalising, the text is still UCS-2 (for
example Armenian or Russian text, or text with an emoji), normalising cannot save anything - every
replacement is one BMP character for one or more - so the text is sent as written and Russian
«кавычки» or an Armenian ellipsis stay as the author typed them. Likewise in the rare case where
the GSM-7 form needs more segments (a text of 70 "…" is one UCS-2 SMS, but 210 septets). Hence,
with ``normalize=True``, ``"".join(split_sms(t)) == prepare_sms(t)``, which is
``normalize_for_gsm(t)`` whenever that is GSM-7 and no dearer, and ``t`` otherwise; and
normalising never raises the segment count.

The empty message is not sendable: it has 0 segments (and costs nothing); `split_sms` returns no
parts. This differs from carriers, which would bill an empty SMS as one segment, on purpose: the
editor must refuse to send it rather than price it.

This module imports only the standard library (no Django, no Wateja app).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "GSM7_MULTI_PART",
    "GSM7_SINGLE",
    "UCS2_MULTI_PART",
    "UCS2_SINGLE",
    "Encoding",
    "SmsInfo",
    "cost_minor",
    "is_gsm7",
    "normalize_for_gsm",
    "prepare_sms",
    "sms_info",
    "split_sms",
]

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_SINGLE: Final = 160
GSM7_MULTI_PART: Final = 153
UCS2_SINGLE: Final = 70
UCS2_MULTI_PART: Final = 67

_ESC: Final = "\x1b"

# The GSM 03.38 default alphabet in code order, 0x00-0x7F, as in the Unicode mapping file
# GSM0338.TXT. Position 0x1B is the escape to the extension table, not a character.
_GSM7_BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10-0x1F
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)

#: The 127 characters of the GSM 03.38 default alphabet (one septet each).
GSM7_BASIC: Final[frozenset[str]] = frozenset(_GSM7_BASIC_TABLE) - {_ESC}

# The extension table: Unicode character -> septet after ESC (0x1B).
_GSM7_EXTENSION_TABLE: Final[dict[str, int]] = {
    "\x0c": 0x0A,  # FORM FEED
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

#: The characters of the GSM 03.38 extension table (two septets each: ESC + character).
GSM7_EXTENSION: Final[frozenset[str]] = frozenset(_GSM7_EXTENSION_TABLE)

_GSM7_ALL: Final[frozenset[str]] = GSM7_BASIC | GSM7_EXTENSION

# "Smart encoding": typographic characters -> GSM-7 equivalents. Only punctuation, spaces and
# invisible formatting characters are here; letters (accented, Cyrillic, Armenian) never are.
_SMART_REPLACEMENTS: Final[dict[str, str]] = {
    # apostrophes and single quotes
    "\u2018": "'",  # LEFT SINGLE QUOTATION MARK
    "\u2019": "'",  # RIGHT SINGLE QUOTATION MARK
    "\u201a": "'",  # SINGLE LOW-9 QUOTATION MARK
    "\u201b": "'",  # SINGLE HIGH-REVERSED-9 QUOTATION MARK
    "\u2039": "'",  # SINGLE LEFT-POINTING ANGLE QUOTATION MARK
    "\u203a": "'",  # SINGLE RIGHT-POINTING ANGLE QUOTATION MARK
    "\u02bc": "'",  # MODIFIER LETTER APOSTROPHE
    "\u2032": "'",  # PRIME
    "\u00b4": "'",  # ACUTE ACCENT
    "`": "'",  # GRAVE ACCENT (not in GSM 03.38)
    # double quotes
    "\u201c": '"',  # LEFT DOUBLE QUOTATION MARK
    "\u201d": '"',  # RIGHT DOUBLE QUOTATION MARK
    "\u201e": '"',  # DOUBLE LOW-9 QUOTATION MARK
    "\u201f": '"',  # DOUBLE HIGH-REVERSED-9 QUOTATION MARK
    "\u00ab": '"',  # LEFT-POINTING DOUBLE ANGLE QUOTATION MARK
    "\u00bb": '"',  # RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK
    "\u2033": '"',  # DOUBLE PRIME
    # hyphens and dashes
    "\u2010": "-",  # HYPHEN
    "\u2011": "-",  # NON-BREAKING HYPHEN
    "\u2012": "-",  # FIGURE DASH
    "\u2013": "-",  # EN DASH
    "\u2014": "-",  # EM DASH
    "\u2015": "-",  # HORIZONTAL BAR
    "\u2212": "-",  # MINUS SIGN
    # other punctuation
    "\u2026": "...",  # HORIZONTAL ELLIPSIS
    "\u2022": "*",  # BULLET
    "\u2024": ".",  # ONE DOT LEADER
    "\u2044": "/",  # FRACTION SLASH
    "\u02c6": "^",  # MODIFIER LETTER CIRCUMFLEX ACCENT
    "\u02dc": "~",  # SMALL TILDE
    # spaces
    "\t": " ",  # CHARACTER TABULATION
    "\u00a0": " ",  # NO-BREAK SPACE
    "\u1680": " ",  # OGHAM SPACE MARK
    **{chr(cp): " " for cp in range(0x2000, 0x200B)},  # EN QUAD ... HAIR SPACE
    "\u2028": "\n",  # LINE SEPARATOR
    "\u2029": "\n",  # PARAGRAPH SEPARATOR
    "\u202f": " ",  # NARROW NO-BREAK SPACE
    "\u205f": " ",  # MEDIUM MATHEMATICAL SPACE
    "\u3000": " ",  # IDEOGRAPHIC SPACE
    # invisible characters: dropped
    "\u00ad": "",  # SOFT HYPHEN
    "\u200b": "",  # ZERO WIDTH SPACE
    "\u2060": "",  # WORD JOINER
    "\ufeff": "",  # ZERO WIDTH NO-BREAK SPACE (BOM)
}

_SMART_TRANSLATION: Final = str.maketrans(_SMART_REPLACEMENTS)


def normalize_for_gsm(text: str) -> str:
    """Replace typographic characters that would force UCS-2 with their GSM-7 equivalents.

    Curly quotes and apostrophes become ``'`` / ``"``, dashes ``-``, the ellipsis ``...``, Unicode
    spaces a plain space, the bullet ``*``; invisible zero-width characters are dropped. Every
    other character (letters in any script, emoji) is left unchanged, so the result is GSM-7 only
    if nothing else in the text forces UCS-2.
    """
    return text.translate(_SMART_TRANSLATION)


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` (as it is, not normalised) is in GSM-7."""
    return _GSM7_ALL.issuperset(text)


def prepare_sms(text: str, *, normalize: bool = True) -> str:
    """The exact text that will be sent.

    With ``normalize``, that is `normalize_for_gsm` of the text when the result is GSM-7 and
    needs no more segments than the text as written; otherwise it is the text as written.
    """
    if normalize:
        normalized = normalize_for_gsm(text)
        if normalized != text and is_gsm7(normalized):
            raw_segments = len(_pack(text, _encoding_of(text))[1])
            if len(_pack(normalized, "GSM-7")[1]) <= raw_segments:
                return normalized
    return text


@dataclass(frozen=True)
class SmsInfo:
    """How a text is sent and billed.

    ``characters`` counts the units billed: septets for GSM-7 (an extension character counts 2),
    UTF-16 code units for UCS-2 (a character outside the BMP, such as most emoji, counts 2).
    ``per_segment`` is the capacity of each segment (160/70 for a single SMS, 153/67 for parts of
    a concatenated one) and ``remaining_in_segment`` what still fits in the last segment without
    adding one. The empty text has 0 segments.
    """

    encoding: Encoding
    characters: int
    segments: int
    per_segment: int
    remaining_in_segment: int


def _unit_cost(char: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def _encoding_of(text: str) -> Encoding:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _limits(encoding: Encoding) -> tuple[int, int]:
    if encoding == "GSM-7":
        return GSM7_SINGLE, GSM7_MULTI_PART
    return UCS2_SINGLE, UCS2_MULTI_PART


def _pack(text: str, encoding: Encoding) -> tuple[int, list[tuple[str, int]]]:
    """Total units, and the parts with their unit counts (greedy; no unit pair is split)."""
    costs = [_unit_cost(char, encoding) for char in text]
    total = sum(costs)
    single, multi = _limits(encoding)
    if total <= single:
        return total, ([(text, total)] if text else [])
    parts: list[tuple[str, int]] = []
    start = 0
    used = 0
    for index, cost in enumerate(costs):
        if used + cost > multi:
            parts.append((text[start:index], used))
            start, used = index, 0
        used += cost
    parts.append((text[start:], used))
    return total, parts


def sms_info(text: str, *, normalize: bool = True) -> SmsInfo:
    """Encoding, billed length and segments of ``text`` (see `prepare_sms` for ``normalize``)."""
    sent = prepare_sms(text, normalize=normalize)
    encoding = _encoding_of(sent)
    total, parts = _pack(sent, encoding)
    single, multi = _limits(encoding)
    per_segment = single if len(parts) <= 1 else multi
    last_used = parts[-1][1] if parts else 0
    return SmsInfo(
        encoding=encoding,
        characters=total,
        segments=len(parts),
        per_segment=per_segment,
        remaining_in_segment=per_segment - last_used,
    )


def split_sms(text: str, *, normalize: bool = True) -> list[str]:
    """The parts of ``text`` as they would be sent; ``[]`` for the empty text.

    The parts join back to `prepare_sms` of the text. A GSM-7 extension character (ESC + char)
    and a UCS-2 surrogate pair always stay within one part.
    """
    sent = prepare_sms(text, normalize=normalize)
    _, parts = _pack(sent, _encoding_of(sent))
    return [part for part, _ in parts]


def cost_minor(text: str, price_per_segment_minor: int, *, normalize: bool = True) -> int:
    """What sending ``text`` to one recipient costs, in minor units: segments times the price."""
    if isinstance(price_per_segment_minor, bool) or not isinstance(price_per_segment_minor, int):
        raise TypeError("price_per_segment_minor must be an int of minor units")
    if price_per_segment_minor < 0:
        raise ValueError("price_per_segment_minor must not be negative")
    return sms_info(text, normalize=normalize).segments * price_per_segment_minor
