"""Name similarity (core/contacts.py), the score behind stored duplicate pairs: the bounded
form (`at_least`) skips pairs by difflib's upper bounds, and must agree with the full
comparison on every pair that reaches the bound, in every script the product meets."""

from __future__ import annotations

from difflib import SequenceMatcher

from hypothesis import given, settings
from hypothesis import strategies as st

from wateja.core.contacts import name_key, name_similarity

LETTERS = "abcdeijkmnorsuwy ԱՆԻՊԵՏՐՈՍՅանիպետրոսյАНИПЕТРОСЯанипетрося-'"
names = st.text(alphabet=LETTERS, min_size=0, max_size=30)


@settings(max_examples=500, deadline=None)
@given(names, names, st.sampled_from([0.5, 0.8, 0.85, 0.9, 1.0]))
def test_the_bounded_score_is_the_full_score_whenever_it_reaches_the_bound(a, b, bound):
    full = name_similarity(a, b)
    bounded = name_similarity(a, b, at_least=bound)
    if full >= bound:
        assert bounded == full
    else:
        assert bounded in (0.0, full)  # below the bound: 0.0 when the quick bounds tell


def test_spellings_of_one_name_across_scripts_score_as_one():
    assert name_similarity("Ани Петросян", "Petrosyan Ani") == 1.0
    assert name_similarity("Ani  Petrosian", "Petrosyan Ani", at_least=0.85) >= 0.85
    assert name_similarity("Wanjiru Kamau", "Otieno Odhiambo", at_least=0.85) == 0.0
    plain = SequenceMatcher(None, name_key("Wanjiru Kamau"), name_key("Wanjiru Kamao")).ratio()
    assert name_similarity("Wanjiru Kamau", "Wanjiru Kamao", at_least=0.85) == plain
    assert name_similarity("", "Wanjiru") == 0.0
