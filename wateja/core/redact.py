"""Log lines without secrets or personal data: the tokens in callback and customer links
(/hooks/…/, /c2b/…/, /b2c/…/, /my/…/, /u/…/, /r/…/, /f/…/), passwords in URLs and phone
numbers are cut out of every line before it is written, whoever logs it (Django, the web
server, a provider SDK)."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/(hooks|my|u|r|f|c2b|b2c)/[A-Za-z0-9_\-.:~%]{6,}")
_BOT_TOKEN = re.compile(r"/bot\d+:[\w-]+")  # Telegram puts the bot's token in the path
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)[^/\s:@]+:[^/\s@]+@", re.I)
_PHONE = re.compile(r"(?<![\w/])\+?\d[\d \-]{7,16}\d(?![\w/])")


def _phone(match: re.Match[str]) -> str:
    digits = [ch for ch in match.group(0) if ch.isdigit()]
    if len(digits) < 9:  # amounts, ids and dates stay as they are
        return match.group(0)
    prefix = "+" if match.group(0).startswith("+") else ""
    return f"{prefix}{''.join(digits[:3])}…{''.join(digits[-2:])}"


def redact(text: str) -> str:
    text = _TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/…", text)
    text = _BOT_TOKEN.sub("/bot…", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}…@", text)
    return _PHONE.sub(_phone, text)


class RedactingFilter(logging.Filter):
    """A logging filter for every handler: the record's message, redacted, replaces it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
