"""Message templates: `{placeholder}` parsing, validation and rendering, without Django.

A template is plain text with placeholders in braces, e.g. "Habari {name}, una pointi
{balance}". `{{` and `}}` print literal braces. Unknown placeholders are refused when the
template is saved (`TemplateProblem` names them), so a send never fails on one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PLACEHOLDERS: tuple[str, ...] = (
    "name",  # the customer's first name (or full name)
    "balance",  # points balance
    "expiring_points",
    "expiry_date",
    "offer",
    "code",
    "shop",  # the business's name
    "support",  # support phone and e-mail
    "card",  # loyalty card number
    "link",  # tracked link (campaign link, card page, feedback page)
)

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class TemplateProblem(ValueError):
    """What is wrong with a template text: unknown placeholders or stray braces."""

    unknown: tuple[str, ...] = ()
    unbalanced: bool = False

    def __str__(self) -> str:
        if self.unknown:
            return "unknown placeholder(s): " + ", ".join("{" + n + "}" for n in self.unknown)
        return "unbalanced braces"


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in `text`, in order of first use; raises TemplateProblem
    on a lone `{` or `}`."""
    seen: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise TemplateProblem(unbalanced=True)
        name = match.group(1).strip()
        if name not in seen:
            seen.append(name)
    return seen


def check_template(text: str, allowed: Iterable[str] = PLACEHOLDERS) -> list[str]:
    """The placeholders of a valid template; TemplateProblem naming the unknown ones."""
    names = placeholders_in(text)
    allowed_set = set(allowed)
    unknown = tuple(n for n in names if n not in allowed_set)
    if unknown:
        raise TemplateProblem(unknown=unknown)
    return names


def render(text: str, values: Mapping[str, object], *, escape_html: bool = False) -> str:
    """`text` with each placeholder replaced by its value (missing ones become empty)."""

    def replace(match: re.Match[str]) -> str:
        brace = match.group(0)
        if brace == "{{":
            return "{"
        if brace == "}}":
            return "}"
        if match.group(1) is None:
            return brace
        value = values.get(match.group(1).strip(), "")
        shown = "" if value is None else str(value)
        return html.escape(shown) if escape_html else shown

    return _TOKEN.sub(replace, text)


def text_to_html(text: str) -> str:
    """A plain-text body as simple HTML paragraphs (already-rendered text, escaped here);
    bare http(s) links become anchors."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    parts = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph).replace("\n", "<br>")
        linked = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped)
        parts.append(f"<p>{linked}</p>")
    return "\n".join(parts)
