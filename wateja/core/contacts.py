"""Normalising contact details: phone numbers to E.164 (using the business's country as the
default region), e-mail addresses, and names for duplicate detection."""

from __future__ import annotations

import functools
import re
import unicodedata
from difflib import SequenceMatcher

import phonenumbers

from wateja.core.phones_fast import fast_e164


class ContactError(ValueError):
    code = "invalid_contact"


class InvalidPhone(ContactError):
    code = "invalid_phone"


class InvalidEmail(ContactError):
    code = "invalid_email"


# lenient by design: the real test of an address is a delivered message
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\"]{2,}$")


def normalize_phone(text: str, region: str) -> str:
    """E.164 form of `text` read as a number of `region` (e.g. "0712 345 678", KE →
    "+254712345678"); raises InvalidPhone for anything that is not a valid number."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidPhone("empty phone number")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    region = region.upper()
    fast = fast_e164(cleaned, region)  # plain spellings of valid numbers, ~10x faster
    if fast is not None:
        return fast
    return slow_normalize_phone(cleaned, region, text)


def slow_normalize_phone(cleaned: str, region: str, text: str | None = None) -> str:
    """phonenumbers' own reading of `cleaned` (trimmed, "00" turned into "+") in `region`
    (upper case): the reference the fast path is held to."""
    try:
        parsed = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(str(error)) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(f"not a valid number: {text if text is not None else cleaned!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_region(e164: str) -> str:
    """The country (ISO 3166 alpha-2) a number belongs to: "+254712345678" → "KE"; "" when
    it cannot be told."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


def last_digits(number: str, count: int = 4) -> str:
    """What a channel that anyone holding the phone can read says of a card: its last digits."""
    digits = phone_digits(number)
    return digits[-count:] if digits else ""


def phone_digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def format_phone(e164: str) -> str:
    """International format for display: +254 712 345678."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(text: str) -> str:
    """Lower-cased, trimmed address; raises InvalidEmail when it cannot be an address."""
    cleaned = text.strip().lower()
    if not _EMAIL.match(cleaned) or len(cleaned) > 254:
        raise InvalidEmail(f"not an e-mail address: {text!r}")
    return cleaned


_TRANSLIT = str.maketrans(
    {
        # Cyrillic
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
        # Armenian
        "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "y",
        "թ": "t", "ժ": "zh", "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h",
        "ձ": "dz", "ղ": "gh", "ճ": "ch", "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "ո": "o",
        "չ": "ch", "պ": "p", "ջ": "j", "ռ": "r", "ս": "s", "վ": "v", "տ": "t", "ր": "r",
        "ց": "ts", "ւ": "v", "փ": "p", "ք": "k", "օ": "o", "ֆ": "f", "և": "ev",
    }
)  # fmt: skip


def name_key(name: str) -> str:
    """A spelling-insensitive form of a name: lower case, Latin letters, sorted words, so
    "Ани Петросян", "Petrosyan Ani" and "ani  petrosian" come close."""
    text = unicodedata.normalize("NFKD", name.casefold()).translate(_TRANSLIT)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(sorted(words))


@functools.lru_cache(maxsize=8192)
def _name_key_cached(name: str) -> str:
    return name_key(name)  # a duplicate sweep compares each name with its ~16 neighbours


def name_similarity(a: str, b: str, *, at_least: float = 0.0) -> float:
    """0..1 similarity of two names after `name_key`. With `at_least`, a pair that cannot
    reach it answers 0.0 from difflib's cheap upper bounds, without the full comparison."""
    key_a, key_b = _name_key_cached(a), _name_key_cached(b)
    if not key_a or not key_b:
        return 0.0
    if key_a == key_b:
        return 1.0
    matcher = SequenceMatcher(None, key_a, key_b)
    if at_least and (matcher.real_quick_ratio() < at_least or matcher.quick_ratio() < at_least):
        return 0.0
    return matcher.ratio()
