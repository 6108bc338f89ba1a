"""Translation catalogues: compile .po to .mo without system tools, and list the messages the
code and templates ask for (what Django's makemessages would extract), for completeness checks."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
LANGUAGES = ("en", "sw", "hy", "ru")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
}


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def compile_catalogues(force: bool = False) -> list[Path]:
    """Write each language's .mo when its .po is newer; returns the files written."""
    written = []
    for language in LANGUAGES:
        po = po_path(language)
        mo = po.with_suffix(".mo")
        if not po.exists():
            continue
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=language)
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        written.append(mo)
    return written


def _template_source_as_python(path: Path) -> str:
    from django.utils.translation.template import templatize

    text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    # templatize keeps the template's indentation, which Python's tokenizer may reject
    return "\n".join(line.lstrip() for line in text.splitlines())


def extract_message_ids() -> set[str]:
    """Every msgid (singular; plural forms joined with NUL) used in Python code and templates."""
    ids: set[str] = set()
    sources = [(p, p.read_text(encoding="utf-8")) for p in PACKAGE_DIR.rglob("*.py")]
    sources += [
        (p, _template_source_as_python(p)) for p in PACKAGE_DIR.rglob("templates/**/*.html")
    ]
    for path, text in sources:
        if "/migrations/" in str(path):
            continue
        for _lineno, _func, message, _comments in extract_python(
            io.BytesIO(text.encode("utf-8")), KEYWORDS, [], {"encoding": "utf-8"}
        ):
            if isinstance(message, tuple):
                ids.add("\x00".join(m for m in message if m))
            elif message:
                ids.add(str(message))
    return ids


PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\w*\}")


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text or ""))
