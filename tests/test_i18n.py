"""Every catalogue (sw, hy, ru, en) has every message the code uses, translated, with the
same placeholders."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from wateja.i18n import LANGUAGES, extract_message_ids, placeholders, po_path


def _catalog(language: str):
    with po_path(language).open("rb") as f:
        return read_po(f, locale=language)


def _key(message) -> str:
    return "\x00".join(message.id) if isinstance(message.id, tuple) else message.id


@pytest.fixture(scope="module")
def used_ids() -> set[str]:
    ids = extract_message_ids()
    assert len(ids) > 50
    return ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_every_message(language, used_ids):
    present = {_key(m) for m in _catalog(language) if m.id}
    missing = sorted(used_ids - present)
    assert not missing, f"{language} misses {missing[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_same_placeholders(language):
    problems = []
    for message in _catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(("untranslated", ids[0]))
            continue
        wanted = placeholders(ids[-1])
        for text in strings:
            found = placeholders(text)
            # a plural form may drop the count placeholder (e.g. "one staff member")
            if found != wanted and not (len(ids) > 1 and set(found) <= set(wanted)):
                problems.append(("placeholders", ids[0], text))
    assert not problems, f"{language}: {problems[:10]}"
