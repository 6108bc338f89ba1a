"""A fast path for reading phone numbers that gives exactly what phonenumbers gives.

`phonenumbers.parse` + `is_valid_number` + `format_number(E164)` cost ~20 µs a number, most of
it in handling every way a number can be written (letters, extensions, RFC 3966, wide digits)
and looking patterns up by their text on every call. A spreadsheet import reads millions of
numbers written the plain way: digits with spaces, dashes, dots or brackets, perhaps a leading
"+". For those, `fast_e164` follows phonenumbers' own algorithm step by step (country code
from the "+" or from the default region's code, national prefix stripping with its transform
rule, the length checks, the region of a shared country code, the number-type patterns) with
the same metadata, its patterns compiled once.

The fast path is one-sided: it answers only with a valid number's E.164 form, and says None
whenever the text is not in the plain shape, starts with an international dialling prefix, or
is not (by its reading) valid; the caller then asks phonenumbers, whose answer is final. So an
invalid number always gets phonenumbers' own verdict, and a valid one gets the same E.164 text
(checked by a differential test over random numbers per country and, with
``benchmarks/import_customers.py --check-phones``, over every number of the benchmark file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
from phonenumbers.phonemetadata import REGION_CODE_FOR_NON_GEO_ENTITY, PhoneNumberDesc

__all__ = ["fast_e164"]

# digits (a "+" or an opening bracket first, perhaps) with separators phonenumbers strips and
# that cannot start an extension, a second number or an RFC 3966 part; the last one a digit
_PLAIN = re.compile(r"[+(]?[0-9](?:[0-9 .()\-]*[0-9])?")
_SEPARATORS = str.maketrans("", "", " .()-")
_MIN_NSN = 2  # phonenumbers' _MIN_LENGTH_FOR_NSN
_MAX_NSN = 17  # _MAX_LENGTH_FOR_NSN
_MAX_INPUT = 250  # _MAX_INPUT_STRING_LENGTH
_MAX_COUNTRY_CODE = 3


@dataclass(frozen=True)
class _Desc:
    """A PhoneNumberDesc: its possible lengths and its pattern, compiled."""

    lengths: frozenset[int]
    pattern: re.Pattern[str] | None

    def matches(self, nsn: str) -> bool:  # _is_number_matching_desc
        if self.lengths and len(nsn) not in self.lengths:
            return False
        return self.pattern is not None and self.pattern.fullmatch(nsn) is not None


def _pattern(text: str | None) -> re.Pattern[str] | None:
    return re.compile(text) if text else None


def _desc(desc: PhoneNumberDesc | None) -> _Desc | None:
    if desc is None:
        return None
    return _Desc(frozenset(desc.possible_length or ()), _pattern(desc.national_number_pattern))


@dataclass(frozen=True)
class _Plan:
    """What the fast path needs of one region's metadata."""

    country_code: int
    international_prefix: re.Pattern[str] | None
    national_prefix: re.Pattern[str] | None
    transform_rule: str | None
    general: _Desc | None
    general_pattern: re.Pattern[str] | None
    lengths: tuple[int, ...]  # general_desc.possible_length, sorted as phonenumbers keeps it
    local_lengths: tuple[int, ...]
    types: tuple[_Desc, ...]  # any match (with the general one) makes the number valid
    leading_digits: re.Pattern[str] | None

    def general_match(self, number: str) -> bool:  # _match_national_number(general_desc)
        pattern = self.general_pattern
        return pattern is not None and pattern.fullmatch(number) is not None

    def strip_national_prefix(self, number: str) -> str:
        """_maybe_strip_national_prefix_carrier_code, without the carrier code."""
        prefix = self.national_prefix
        if not number or prefix is None:
            return number
        match = prefix.match(number)
        if not match:
            return number
        viable = self.general_match(number)
        groups = match.groups()
        rule = self.transform_rule
        if not rule or groups[len(groups) - 1] is None:
            stripped = number[match.end() :]
        else:
            stripped = prefix.sub(rule, number, count=1)
        if viable and not self.general_match(stripped):
            return number
        return stripped

    def length_result(self, number: str) -> str:
        """_test_number_length for the UNKNOWN type (the general description)."""
        if self.general is None:
            return "invalid_length"
        size = len(number)
        if size in self.local_lengths:
            return "local_only"
        lengths = self.lengths
        if lengths[0] == size:
            return "possible"
        if lengths[0] > size:
            return "too_short"
        if lengths[-1] < size:
            return "too_long"
        return "possible" if size in lengths[1:] else "invalid_length"

    def valid(self, nsn: str) -> bool:
        """_number_type_helper(nsn) != UNKNOWN."""
        if self.general is None or not self.general.matches(nsn):
            return False
        return any(desc.matches(nsn) for desc in self.types)


def _plan(metadata: PhoneMetadata) -> _Plan:
    general = metadata.general_desc
    kinds = [
        metadata.mobile if not metadata.same_mobile_and_fixed_line_pattern else None,
        metadata.fixed_line,
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
    ]
    types = tuple(d for d in (_desc(kind) for kind in kinds) if d is not None)
    return _Plan(
        country_code=int(metadata.country_code or 0),
        international_prefix=_pattern(metadata.international_prefix),
        national_prefix=_pattern(metadata.national_prefix_for_parsing),
        transform_rule=metadata.national_prefix_transform_rule or None,
        general=_desc(general),
        general_pattern=_pattern(general.national_number_pattern if general else None),
        lengths=tuple(general.possible_length or ()) if general else (),
        local_lengths=tuple(general.possible_length_local_only or ()) if general else (),
        types=types,
        leading_digits=_pattern(metadata.leading_digits),
    )


@lru_cache(maxsize=512)
def _region_plan(region: str) -> _Plan | None:
    metadata = PhoneMetadata.metadata_for_region(region, None)
    return _plan(metadata) if metadata is not None else None


@lru_cache(maxsize=512)
def _code_plan(country_code: int, region: str) -> _Plan | None:
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    return _plan(metadata) if metadata is not None else None


def _number_region(country_code: int, nsn: str) -> str | None:
    """region_code_for_number: the one region of the code, or the first of its regions whose
    leading digits match (or, without leading digits, whose patterns the number fits)."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return None
    if len(regions) == 1:
        return regions[0]
    for region in regions:
        plan = _region_plan(region.upper())
        if plan is None:
            continue
        if plan.leading_digits is not None:
            if plan.leading_digits.match(nsn):
                return region
        elif plan.valid(nsn):
            return region
    return None


def fast_e164(text: str, region: str) -> str | None:
    """The E.164 form of `text` (already trimmed, "00" already turned into "+") read as a
    number of `region` (upper case), when it is a valid number written the plain way; None
    when phonenumbers must decide (other spellings, or not valid by this reading)."""
    if len(text) > _MAX_INPUT or not _PLAIN.fullmatch(text):
        return None
    default = _region_plan(region)
    if default is None:
        return None
    digits = text.translate(_SEPARATORS)
    if digits[0] == "+":
        digits = digits[1:]
        if len(digits) <= _MIN_NSN or digits[0] == "0":
            return None  # too short after the "+", or phonenumbers' retry without it
        for size in range(1, min(len(digits), _MAX_COUNTRY_CODE) + 1):
            if int(digits[:size]) in COUNTRY_CODE_TO_REGION_CODE:
                country_code, national = int(digits[:size]), digits[size:]
                extracted = True
                break
        else:
            return None
    else:
        if default.international_prefix is not None and default.international_prefix.match(digits):
            return None  # an international dialling prefix (or what may look like one)
        country_code, national, extracted = default.country_code, digits, False
        code = str(default.country_code)
        if digits.startswith(code):
            rest = default.strip_national_prefix(digits[len(code) :])
            if (not default.general_match(digits) and default.general_match(rest)) or (
                default.length_result(digits) == "too_long"
            ):
                national, extracted = rest, True
    # phonenumbers keeps the default region's metadata unless a country code was read that
    # belongs (first) to another region
    main = COUNTRY_CODE_TO_REGION_CODE.get(country_code, ("ZZ",))[0]
    plan = _code_plan(country_code, main) if extracted and main != region else default
    if plan is None or len(national) < _MIN_NSN:
        return None
    stripped = plan.strip_national_prefix(national)
    if plan.length_result(stripped) not in ("too_short", "local_only", "invalid_length"):
        national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return None
    number_region = _number_region(country_code, national)
    if number_region is None:
        return None
    if number_region == REGION_CODE_FOR_NON_GEO_ENTITY:
        check = _code_plan(country_code, number_region)
    else:
        check = _region_plan(number_region.upper())
        if check is None or check.country_code != country_code:
            return None
    if check is None or not check.valid(national):
        return None
    return f"+{country_code}{national}"
