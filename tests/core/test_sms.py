"""Tests for wateja.core.sms: pure Python, no Django, no database."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wateja.core import sms
from wateja.core.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsInfo,
    cost_minor,
    is_gsm7,
    normalize_for_gsm,
    prepare_sms,
    sms_info,
    split_sms,
)

EMOJI = "😀"  # U+1F600: a surrogate pair in UTF-16
SWAHILI = "Habari Wanjiku! Una pointi 120."
ARMENIAN = "Բարև Անահիտ"
RUSSIAN = "Привет, Ольга"


def septets(text: str) -> int:
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- the alphabet -------------------------------------------------------------------------------


def test_basic_alphabet_is_the_127_characters_of_gsm_03_38_in_code_order() -> None:
    table = sms._GSM7_BASIC_TABLE
    assert len(table) == 128 and table[0x1B] == "\x1b"
    assert len(GSM7_BASIC) == 127 and "\x1b" not in GSM7_BASIC
    assert table[0x00] == "@" and table[0x02] == "$" and table[0x11] == "_"
    assert table[0x24] == "¤" and table[0x40] == "¡" and table[0x60] == "¿"
    assert table[0x41:0x5B] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert table[0x61:0x7B] == "abcdefghijklmnopqrstuvwxyz"
    assert table[0x30:0x3A] == "0123456789"
    for char in "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà":
        assert char in GSM7_BASIC


def test_extension_table_is_form_feed_and_the_nine_symbols() -> None:
    assert frozenset("\x0c^{}\\[~]|€") == GSM7_EXTENSION
    assert not GSM7_EXTENSION & GSM7_BASIC


@pytest.mark.parametrize(
    "text",
    ["", SWAHILI, "Karibu tena, Ali. Bei: KES 1,200.00 @ duka la Mama Njeri", "€[]{}|~^\\\x0c"],
)
def test_gsm_texts_are_gsm7(text: str) -> None:
    assert is_gsm7(text)


@pytest.mark.parametrize(
    "text", [ARMENIAN, RUSSIAN, EMOJI, "Habari’", "ç", "á", "`", "\t", "\x1b", "Ё", "Ա"]
)
def test_texts_with_any_other_character_are_not_gsm7(text: str) -> None:
    assert not is_gsm7(text)


# --- smart encoding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Asante, ni mteja wetu’s", "Asante, ni mteja wetu's"),
        ("‘ndiyo’ ‚ ‛", "'ndiyo' ' '"),
        ("“Karibu” „tena“", '"Karibu" "tena"'),
        ("10–20 — bei", "10-20 - bei"),
        ("Subiri…", "Subiri..."),
        ("KES\u00a0200 na\u202fzaidi\u2009sasa\u2007x\u3000y", "KES 200 na zaidi sasa x y"),
        ("• maziwa", "* maziwa"),
        ("5′ 6″", "5' 6\""),
        ("a\u200bb\ufeff", "ab"),
    ],
)
def test_normalize_replaces_typographic_characters(raw: str, expected: str) -> None:
    assert normalize_for_gsm(raw) == expected
    assert is_gsm7(normalize_for_gsm(raw))


@pytest.mark.parametrize("text", [ARMENIAN, RUSSIAN, EMOJI, "ç á Ё", SWAHILI, "€ [x]"])
def test_normalize_leaves_every_other_character_unchanged(text: str) -> None:
    assert normalize_for_gsm(text) == text


def test_typographic_apostrophe_in_swahili_is_normalised_to_gsm7() -> None:
    text = "Habari Wanjiku! Pointi za mteja’s zimeongezeka."
    info = sms_info(text)
    assert info.encoding == "GSM-7" and info.segments == 1
    assert split_sms(text) == [text.replace("’", "'")]
    raw = sms_info(text, normalize=False)
    assert raw.encoding == "UCS-2" and raw.characters == len(text)


def test_normalisation_is_not_applied_when_it_would_cost_more_segments() -> None:
    text = "…" * 70  # one UCS-2 SMS, but 210 septets (two GSM-7 parts) once normalised
    assert sms_info(text) == SmsInfo("UCS-2", 70, 1, 70, 0)
    assert split_sms(text) == [text]
    short = "Subiri…"
    assert split_sms(short) == ["Subiri..."]


def test_normalisation_is_not_applied_when_the_text_stays_ucs2() -> None:
    text = "Привет, Ольга… «Скидка» — 10%"
    assert prepare_sms(text) == text
    assert "".join(split_sms(text)) == text
    assert sms_info(text).characters == len(text)


# --- GSM-7 counting ----------------------------------------------------------------------------


def test_swahili_greeting_is_one_gsm7_segment() -> None:
    assert sms_info(SWAHILI) == SmsInfo(
        encoding="GSM-7",
        characters=len(SWAHILI),
        segments=1,
        per_segment=160,
        remaining_in_segment=160 - len(SWAHILI),
    )


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(1, 1, 159), (160, 1, 0), (161, 2, 153 - 8), (306, 2, 0), (307, 3, 152), (459, 3, 0)],
)
def test_gsm7_segment_boundaries(length: int, segments: int, remaining: int) -> None:
    text = ("Habari " * 70)[:length]
    info = sms_info(text)
    assert info.encoding == "GSM-7" and info.characters == length
    assert info.segments == segments and info.remaining_in_segment == remaining
    assert info.per_segment == (160 if segments == 1 else 153)


def test_161_gsm_characters_split_153_plus_8() -> None:
    parts = split_sms("a" * 161)
    assert [len(part) for part in parts] == [153, 8]


def test_extension_characters_count_two_septets() -> None:
    assert sms_info("€" * 80) == SmsInfo("GSM-7", 160, 1, 160, 0)
    info = sms_info("€" * 81)
    assert info.characters == 162 and info.segments == 2
    assert [len(part) for part in split_sms("€" * 81)] == [76, 5]  # 152 + 10 septets


def test_escape_pair_never_splits_across_parts() -> None:
    text = "a" * 152 + "€" + "b" * 10  # the euro would take septets 153 and 154
    parts = split_sms(text)
    assert parts == ["a" * 152, "€" + "b" * 10]
    assert sms_info(text).segments == 2
    assert sms_info(text).remaining_in_segment == 153 - 12


def test_escape_pair_that_exactly_fills_a_part_stays_in_it() -> None:
    text = "a" * 151 + "€" + "b" * 10
    assert split_sms(text) == ["a" * 151 + "€", "b" * 10]


# --- UCS-2 counting ----------------------------------------------------------------------------


@pytest.mark.parametrize("word", [ARMENIAN, RUSSIAN])
def test_armenian_and_russian_are_ucs2(word: str) -> None:
    info = sms_info(word)
    assert info.encoding == "UCS-2" and info.segments == 1 and info.per_segment == 70
    assert info.characters == len(word)


@pytest.mark.parametrize("word", [ARMENIAN, RUSSIAN])
@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(70, 1, 0), (71, 2, 67 - 4), (134, 2, 0), (135, 3, 66)],
)
def test_ucs2_segment_boundaries(word: str, length: int, segments: int, remaining: int) -> None:
    text = ((word + " ") * 20)[:length]
    info = sms_info(text)
    assert info.encoding == "UCS-2" and info.characters == length
    assert info.segments == segments and info.remaining_in_segment == remaining
    assert info.per_segment == (70 if segments == 1 else 67)


def test_71_ucs2_characters_split_67_plus_4() -> None:
    assert [len(part) for part in split_sms("Ж" * 71)] == [67, 4]


def test_emoji_counts_two_code_units() -> None:
    info = sms_info("Asante " + EMOJI)
    assert info.encoding == "UCS-2" and info.characters == 9
    assert sms_info(EMOJI * 35).segments == 1
    assert sms_info(EMOJI * 36).segments == 2


def test_emoji_is_never_split_across_parts() -> None:
    text = "Ж" * 66 + EMOJI + "Ж" * 10  # the emoji would take code units 67 and 68
    parts = split_sms(text)
    assert parts == ["Ж" * 66, EMOJI + "Ж" * 10]
    assert sms_info(text).segments == 2


# --- empty text and cost -----------------------------------------------------------------------


def test_empty_text_is_zero_segments_and_not_sendable() -> None:
    assert sms_info("") == SmsInfo("GSM-7", 0, 0, 160, 160)
    assert split_sms("") == []
    assert cost_minor("", 80) == 0
    assert sms_info("\u200b").segments == 0  # only invisible characters


def test_cost_is_segments_times_price() -> None:
    assert cost_minor(SWAHILI, 80) == 80
    assert cost_minor("a" * 161, 80) == 160
    assert cost_minor("Ж" * 135, 80) == 240
    assert cost_minor("Asante’", 80) == 80
    assert cost_minor("Asante’" * 23, 80, normalize=False) == 3 * 80


def test_cost_refuses_a_negative_or_non_integer_price() -> None:
    with pytest.raises(ValueError):
        cost_minor(SWAHILI, -1)
    with pytest.raises(TypeError):
        cost_minor(SWAHILI, 0.8)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cost_minor(SWAHILI, True)


def test_sms_info_is_immutable() -> None:
    info = sms_info(SWAHILI)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.segments = 2  # type: ignore[misc]


# --- properties --------------------------------------------------------------------------------

_ALPHABET = (
    sorted(GSM7_BASIC)
    + sorted(GSM7_EXTENSION) * 3
    + list("’‘“”–—…•′\u00a0\u202f\u2009\u200b")
    + list("ԱբգՀЖжЁё")
    + [EMOJI, "\U0001f1f0", "\U0001f1ea", "ç", "\t"]
)
texts = st.one_of(
    st.text(alphabet=st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION)), max_size=500),
    st.text(alphabet=st.sampled_from(_ALPHABET), max_size=400),
    st.text(max_size=200),
)


def _fits(parts: list[str], info: SmsInfo) -> bool:
    measure = septets if info.encoding == "GSM-7" else utf16_units
    limit = info.per_segment
    return all(0 < measure(part) <= limit for part in parts)


@settings(max_examples=150, deadline=None)
@given(text=texts, normalize=st.booleans())
def test_split_parts_join_back_fit_and_match_segments(text: str, normalize: bool) -> None:
    parts = split_sms(text, normalize=normalize)
    info = sms_info(text, normalize=normalize)
    sent = prepare_sms(text, normalize=normalize)
    assert "".join(parts) == sent
    assert info.segments == len(parts)
    assert _fits(parts, info)
    measure = septets if info.encoding == "GSM-7" else utf16_units
    assert info.characters == measure(sent)
    assert info.encoding == ("GSM-7" if is_gsm7(sent) else "UCS-2")
    if parts:
        assert info.remaining_in_segment == info.per_segment - measure(parts[-1])
    # packing is greedy: the next part's first character would not have fitted
    for part, following in itertools.pairwise(parts):
        assert measure(part) + measure(following[0]) > info.per_segment


@settings(max_examples=100, deadline=None)
@given(text=texts)
def test_normalised_text_is_gsm7_or_the_original_is_kept(text: str) -> None:
    sent = prepare_sms(text)
    assert sent in (text, normalize_for_gsm(text))
    if sent != text:
        assert is_gsm7(sent)
    assert normalize_for_gsm(normalize_for_gsm(text)) == normalize_for_gsm(text)
    assert sms_info(text).segments <= sms_info(text, normalize=False).segments
