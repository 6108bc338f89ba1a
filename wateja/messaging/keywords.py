"""A business's own words customers text for a command ("PROMO" for the offers, "SAWA" for
yes), added to the built-in ones of wateja.core.sending. Kept in MessagingSettings.keywords as
{"offers": ["PROMO"], ...}; changed only here, validated and audited.

STOP and START stay the law's fixed words: no own word may be one of them, and no word may mean
two commands (a built-in word of another command counts too), so a text always means one thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wateja.core.errors import ValidationFailed
from wateja.core.sending import (
    BALANCE_WORDS,
    CARD_WORDS,
    EXTENSIBLE,
    NO_WORDS,
    OFFER_WORDS,
    START_WORDS,
    STOP_WORDS,
    YES_WORDS,
    keyword_words,
)
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import MessagingSettings
from wateja.tenants.models import Business
from wateja.tenants.services import audit_record

__all__ = [
    "BUILT_IN",
    "COMMAND_LABELS",
    "MAX_WORDS",
    "MAX_WORD_LENGTH",
    "keywords_update",
    "own_keywords",
    "split_words",
]

MAX_WORDS = 10  # per command
MAX_WORD_LENGTH = 30

BUILT_IN: dict[str, frozenset[str]] = {
    "balance": BALANCE_WORDS,
    "offers": OFFER_WORDS,
    "card": CARD_WORDS,
    "yes": YES_WORDS,
    "no": NO_WORDS,
}

COMMAND_LABELS = {
    "balance": gettext_lazy("Balance of points"),
    "offers": gettext_lazy("Current offers"),
    "card": gettext_lazy("Link to the loyalty card"),
    "yes": gettext_lazy("Yes to an invitation"),
    "no": gettext_lazy("No to an invitation"),
}


def split_words(text: str) -> list[str]:
    """Comma-separated words as typed into a box, each cleaned like an incoming text and in
    capitals; empty ones and repeats dropped, order kept."""
    words: list[str] = []
    for part in str(text or "").replace("\n", ",").replace(";", ",").split(","):
        normal = keyword_words({"offers": [part]})["offers"]
        for word in normal:
            if word not in words:
                words.append(word)
    return words


def own_keywords(business: Business | int) -> dict[str, list[str]]:
    """The business's own words per command (only the extensible commands, only lists of
    words), ready for classify_inbound(text, extra=...)."""
    business_id = business if isinstance(business, int) else business.pk
    stored = (
        MessagingSettings.objects.filter(business_id=business_id)
        .values_list("keywords", flat=True)
        .first()
    )
    return _clean(stored)


def _clean(stored: object) -> dict[str, list[str]]:
    if not isinstance(stored, Mapping):
        return {}
    clean: dict[str, list[str]] = {}
    for command in EXTENSIBLE:
        words = stored.get(command)
        if isinstance(words, list | tuple):
            clean[command] = [str(word) for word in words if isinstance(word, str) and word]
    return {command: words for command, words in clean.items() if words}


@transaction.atomic
def keywords_update(
    *,
    business: Business,
    words: Mapping[str, str | Sequence[str]],
    actor: User | None = None,
) -> dict[str, list[str]]:
    """Replace the business's own words: `words` maps a command (balance, offers, card, yes,
    no) to its words, a list or comma-separated text; a command left out keeps no own word.
    Raises ValidationFailed with the box of each problem. Audited when anything changes."""
    errors: dict[str, object] = {}
    chosen: dict[str, list[str]] = {}
    for command, given in words.items():
        if command not in EXTENSIBLE:
            errors[command] = _("Unknown command.")
            continue
        listed = split_words(given if isinstance(given, str) else ",".join(map(str, given)))
        chosen[command] = listed
    owner_of: dict[str, str] = {}
    for command in EXTENSIBLE:
        listed = chosen.get(command, [])
        if len(listed) > MAX_WORDS:
            errors[command] = _("At most %(count)s words.") % {"count": MAX_WORDS}
            continue
        for word in listed:
            problem = _word_problem(word, command, owner_of)
            if problem:
                errors.setdefault(command, problem)
            owner_of.setdefault(word, command)
    if errors:
        raise ValidationFailed.fields(_("Some words cannot be used."), errors)
    row = messaging_settings(business)
    before = _clean(row.keywords)
    after: dict[str, list[str]] = {
        command: chosen[command] for command in EXTENSIBLE if chosen.get(command)
    }
    if after != before:
        row.keywords = after
        row.save(update_fields=["keywords"])
        audit_record(
            business=business,
            action="messaging.keywords",
            object_type="messaging_settings",
            object_id=row.pk,
            actor=actor,
            details={"before": before, "after": after},
        )
    return after


def _word_problem(word: str, command: str, owner_of: Mapping[str, str]) -> str:
    if len(word) > MAX_WORD_LENGTH:
        return _("“%(word)s” is too long: at most %(count)s characters.") % {
            "word": word,
            "count": MAX_WORD_LENGTH,
        }
    if word.startswith("/"):
        return _("“%(word)s”: write the word without the slash.") % {"word": word}
    if word in STOP_WORDS or word in START_WORDS:
        return _("“%(word)s” already stops or restarts messages; it cannot mean anything else.") % {
            "word": word
        }
    for other, built_in in BUILT_IN.items():
        if other != command and word in built_in:
            return _("“%(word)s” already means: %(command)s.") % {
                "word": word,
                "command": COMMAND_LABELS[other],
            }
    if owner_of.get(word, command) != command:
        return _("“%(word)s” is used for two commands: %(command)s.") % {
            "word": word,
            "command": COMMAND_LABELS[owner_of[word]],
        }
    return ""
