"""Rules for when and to whom a message goes, without Django: quiet hours, retry backoff,
deterministic holdout and variant assignment, and the keywords customers text back
(STOP in four languages, BALANCE/SALIO).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Literal
from zoneinfo import ZoneInfo

STOP_WORDS = frozenset(
    {
        # English
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT OUT",
        # Swahili: acha (stop), sitisha (suspend), ondoa (remove)
        "ACHA", "SITISHA", "ONDOA", "SIMAMISHA",
        # Russian: стоп, отписаться, отписка, хватит
        "СТОП", "ОТПИСАТЬСЯ", "ОТПИСКА", "ХВАТИТ",
        # Armenian: չեղարկել (cancel), դադարեցնել (stop), կանգ (stop)
        "ՉԵՂԱՐԿԵԼ", "ԴԱԴԱՐԵՑՆԵԼ", "ԿԱՆԳ", "STOP SMS",
    }
)  # fmt: skip
START_WORDS = frozenset({"START", "UNSTOP", "ANZA", "СТАРТ", "ՍԿՍԵԼ"})
BALANCE_WORDS = frozenset(
    {"BALANCE", "BAL", "POINTS", "SALIO", "POINTI", "БАЛАНС", "БАЛЛЫ", "ՄՆԱՑՈՐԴ", "ՄԻԱՎՈՐ"}
)

OFFER_WORDS = frozenset(
    {"OFFERS", "OFFER", "DEALS", "OFA", "OFFA", "PUNGUZO", "АКЦИИ", "АКЦИЯ", "ԱԿՑԻԱ", "ԱԿՑԻԱՆԵՐ",
     "ԶԵՂՉ", "ԶԵՂՉԵՐ", "ԱՌԱՋԱՐԿ", "ԱՌԱՋԱՐԿՆԵՐ", "ПРЕДЛОЖЕНИЯ"}
)  # fmt: skip
CARD_WORDS = frozenset({"CARD", "KADI", "КАРТА", "ՔԱՐՏ"})
# an answer to an invitation (events); "yes"/"no" mean nothing without one waiting
YES_WORDS = frozenset({"YES", "Y", "NDIO", "NDIYO", "ДА", "ԱՅՈ", "ԱՅՈ՛"})
NO_WORDS = frozenset({"NO", "N", "HAPANA", "НЕТ", "ՈՉ"})

Keyword = Literal["stop", "start", "balance", "offers", "card", "yes", "no", "unknown"]
# the commands a business may add its own words to (MessagingSettings.keywords)
EXTENSIBLE: tuple[Keyword, ...] = ("balance", "offers", "card", "yes", "no")
_WORDS: tuple[tuple[frozenset[str], Keyword], ...] = (
    (STOP_WORDS, "stop"),
    (START_WORDS, "start"),
    (BALANCE_WORDS, "balance"),
    (OFFER_WORDS, "offers"),
    (CARD_WORDS, "card"),
    (YES_WORDS, "yes"),
    (NO_WORDS, "no"),
)


def keyword_words(extra: Mapping[str, Sequence[str]] | None) -> dict[Keyword, frozenset[str]]:
    """A business's own words per command, normalised as an incoming text is; only the
    extensible commands (STOP and START stay the law's fixed words)."""
    words: dict[Keyword, frozenset[str]] = {}
    for keyword in EXTENSIBLE:
        given = (extra or {}).get(keyword) or ()
        normal = {_normalise(str(word)) for word in given}
        words[keyword] = frozenset(word for word in normal if word)
    return words


def _normalise(text: str) -> str:
    cleaned = unicodedata.normalize("NFKC", text).strip().strip(".!?,;:\"'").upper()
    return " ".join(cleaned.split())


def classify_inbound(text: str, extra: Mapping[str, Sequence[str]] | None = None) -> Keyword:
    """What an inbound SMS or chat message asks for. Only the first word (or the whole short
    message) counts, so "STOP please" stops but "don't stop sending me offers" does not. A chat
    bot's command counts as its word: "/balance" and "/balance@kahawa_bot" ask for the balance.
    `extra` holds a business's own words per command (see keyword_words); the built-in words
    win over them, so no business word can turn a STOP into something else."""
    normal = _normalise(text)
    if normal.startswith("/"):
        command, _space, rest = normal[1:].partition(" ")
        normal = f"{command.split('@', 1)[0]} {rest}".strip()
    if not normal:
        return "unknown"
    first = normal.split(" ", 1)[0].strip(".!?,;:")
    own = keyword_words(extra) if extra else {}
    for candidate in (normal, first):
        for words, keyword in _WORDS:
            if candidate in words:
                return keyword
        for keyword, words in own.items():
            if candidate in words:
                return keyword
    return "unknown"


def in_quiet_hours(local_time: dt.time, start: dt.time, end: dt.time) -> bool:
    """True inside [start, end); a window that crosses midnight (21:00–08:00) wraps."""
    if start == end:
        return False
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def next_send_time(now: dt.datetime, tz: ZoneInfo, start: dt.time, end: dt.time) -> dt.datetime:
    """`now` if it is outside quiet hours in `tz`, else the end of the quiet window (UTC).
    Quiet hours defer a message; they never drop it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time(), start, end):
        return now
    day = local.date()
    if start > end and local.time() >= start:
        day = day + dt.timedelta(days=1)
    resume = dt.datetime.combine(day, end, tzinfo=tz)
    return resume.astimezone(dt.UTC)


def retry_delay(attempt: int, *, base_seconds: int = 60, cap_seconds: int = 6 * 3600) -> int:
    """Seconds to wait after failed attempt number `attempt` (1-based): 1, 2, 4, 8 … minutes,
    capped."""
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    return int(min(cap_seconds, base_seconds * 2 ** (attempt - 1)))


def _bucket(salt: str, key: int | str) -> float:
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_holdout(salt: str, customer_id: int, percent: int) -> bool:
    """Whether a customer is in a campaign's holdout group: deterministic per (salt,
    customer), so re-running a campaign or a trigger keeps the same groups."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be 0..100")
    return _bucket(salt + ":holdout", customer_id) * 100 < percent


def pick_variant(salt: str, customer_id: int, weights: Sequence[int]) -> int:
    """Index of the variant a customer gets, split by `weights` (e.g. [50, 50] for A/B),
    deterministic per (salt, customer)."""
    total = sum(w for w in weights if w > 0)
    if total <= 0:
        raise ValueError("at least one variant needs a positive weight")
    point = _bucket(salt + ":variant", customer_id) * total
    running = 0
    for index, weight in enumerate(weights):
        if weight <= 0:
            continue
        running += weight
        if point < running:
            return index
    return max(i for i, w in enumerate(weights) if w > 0)


FIRST_NAME_MAX = 20


def first_name(full_name: str) -> str:
    """What a greeting uses: the first word of the name ("Amina Wanjiru" → "Amina"), and only
    if it is a name. Anyone can type anything as their name on the public enrolment page, and
    the shop's sender id would carry it to a phone: so only letters (any script, with an inner
    apostrophe or hyphen: "O'Neil", "Anne-Marie"), at most 20 of them; a word with a digit, a
    dot, a slash or any other sign ("www.win.co", "0712…", "Click:") is no name and gives ""."""
    parts = unicodedata.normalize("NFC", full_name).split()
    if not parts:
        return ""
    word = parts[0].strip("'’-")
    if not word or len(word) > FIRST_NAME_MAX:
        return ""
    inner_ok = {"'", "’", "-"}
    if not all(ch.isalpha() or ch in inner_ok for ch in word):
        return ""
    if any(unicodedata.category(ch) in ("Cf", "Co", "Cn") for ch in word):
        return ""
    return word
