"""The fast phone path gives exactly phonenumbers' answer: random numbers per country served
(and a few neighbours sharing country codes), written every way people write them, compared
with phonenumbers.parse / is_valid_number / format_number(E164). Pure Python, no database."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from wateja.core.contacts import InvalidPhone, normalize_phone
from wateja.core.phones_fast import fast_e164

# the countries the project serves, their neighbours, and regions that share a calling code
# (+7 RU/KZ, +1 US/CA/…, +44 GB/GG/IM/JE) or have tricky national prefixes (AR, MX, IT, BR)
REGIONS = ["KE", "TZ", "UG", "RW", "BI", "AM", "RU", "KZ", "US", "CA", "GB", "IM", "DE"]
REGIONS += ["AR", "MX", "IT", "BR", "IN", "NG", "ZA", "ET", "SO", "GE", "AZ"]
TYPES = [PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE]
SEPARATORS = ["", "", "", " ", "-", " - ", ".", "(", ")", "  "]


def reference(text: str, region: str) -> str | None:
    """phonenumbers' own answer, as normalize_phone always gave it."""
    cleaned = text.strip()
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        parsed = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def ours(text: str, region: str) -> str | None:
    try:
        return normalize_phone(text, region)
    except InvalidPhone:
        return None


def examples(region: str) -> list[str]:
    found = []
    for kind in TYPES:
        example = phonenumbers.example_number_for_type(region, kind)
        if example is not None:
            found.append(phonenumbers.national_significant_number(example))
    return found or ["712345678"]


@st.composite
def spellings(draw: st.DrawFn, region: str) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert metadata is not None
    code = str(metadata.country_code)
    digits = list(draw(st.sampled_from(examples(region))))
    for _ in range(draw(st.integers(0, len(digits)))):  # random digits in a real shape
        digits[draw(st.integers(0, len(digits) - 1))] = str(draw(st.integers(0, 9)))
    change = draw(st.sampled_from(["same", "same", "shorter", "longer", "random"]))
    if change == "shorter" and len(digits) > 1:
        digits.pop(draw(st.integers(0, len(digits) - 1)))
    elif change == "longer":
        digits.insert(draw(st.integers(0, len(digits))), str(draw(st.integers(0, 9))))
    elif change == "random":
        digits = list(draw(st.text("0123456789", min_size=1, max_size=20)))
    national = "".join(digits)
    prefix = metadata.national_prefix or "0"
    other = str(draw(st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE))))
    form = draw(
        st.sampled_from(
            [
                national,  # as dialled at home, without the trunk prefix
                prefix + national,  # with the leading 0 (8 in Russia…)
                "+" + code + national,
                "00" + code + national,
                code + national,  # the country code without +
                "+" + code + prefix + national,  # "+254 0712…"
                "+" + other + national,  # another country's code
                "0" + "0" + national,  # looks like an international prefix
                "810" + code + national,  # Russia's international prefix
                "011" + code + national,  # North America's
                "+0" + national,
            ]
        )
    )
    text = []
    for index, char in enumerate(form):
        if index and draw(st.integers(0, 5)) == 0:
            text.append(draw(st.sampled_from(SEPARATORS)))
        text.append(char)
    padding = draw(st.sampled_from(["", " ", "  "]))
    return padding + "".join(text) + padding


@pytest.mark.parametrize("region", REGIONS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_path_gives_phonenumbers_answer(region, data):
    text = data.draw(spellings(region))
    expected = reference(text, region)
    assert ours(text, region) == expected, text
    cleaned = text.strip()
    cleaned = "+" + cleaned[2:] if cleaned.startswith("00") else cleaned
    fast = fast_e164(cleaned, region)
    assert fast is None or fast == expected, text  # the fast path never invents a number


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("0712 345 678", "KE", "+254712345678"),
        ("+254712345678", "KE", "+254712345678"),
        ("254 712 345678", "KE", "+254712345678"),
        ("00254-712-345-678", "KE", "+254712345678"),
        ("0110 123456", "KE", "+254110123456"),
        ("8 (912) 345-67-89", "RU", "+79123456789"),
        ("+7 701 123 4567", "RU", "+77011234567"),  # Kazakhstan's mobile, +7 shared
        ("(415) 555-2671", "US", "+14155552671"),
        ("077 123456", "AM", "+37477123456"),
        ("0754 123 456", "TZ", "+255754123456"),
    ],
)
def test_common_spellings_take_the_fast_path(text, region, expected):
    cleaned = text.strip()
    cleaned = "+" + cleaned[2:] if cleaned.startswith("00") else cleaned
    assert reference(text, region) == expected
    assert fast_e164(cleaned, region) == expected
    assert normalize_phone(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("0712 345", "KE"),  # too short
        ("0712 345 678 9", "KE"),  # too long
        ("0212 345 678", "KE"),  # no such prefix
        ("+999 712 345678", "KE"),  # no such country code
        ("0712 345 678 ext. 12", "KE"),  # an extension: phonenumbers' path
        ("tel:+254-712-345-678", "KE"),
        ("٠٧١٢٣٤٥٦٧٨", "KE"),  # Arabic-Indic digits: phonenumbers' path
    ],
)
def test_other_spellings_and_bad_numbers_get_phonenumbers_verdict(text, region):
    assert ours(text, region) == reference(text, region)
