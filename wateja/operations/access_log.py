"""The web server's own log lines (gunicorn's access and error logs, which Django's LOGGING
does not reach) pass through the same redaction as every other log line
(wateja.core.redact): the tokens in callback and customer links (/hooks/…/, /my/…/, /u/…/,
/r/…/, /f/…/) and phone numbers are cut out of the request line and the Referer before
anything is written. A request line is read decoded first, so a phone number typed into a
search box (`?q=%2B254712345678`) is found too."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

from gunicorn.glogging import Logger

from wateja.core.redact import redact

_PLUS_BETWEEN_DIGITS = re.compile(r"(?<=\d)\+(?=\d)")  # a space in a query string: 0712+345+678


def _decoded(text: str) -> str:
    """Percent-escapes undone, twice encoded ones too (a `next=` address in a redirect)."""
    for _round in range(3):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return _PLUS_BETWEEN_DIGITS.sub(" ", text)


class AccessLogFilter(logging.Filter):
    """Redacts a gunicorn log record: its message, decoded, without tokens or phones."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            return True
        decoded = _decoded(message)
        cleaned = redact(decoded)
        if cleaned != decoded:
            record.msg, record.args = cleaned, ()
        return True


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with AccessLogFilter on every handler of its access and error logs
    (`logger_class` in `wateja serve`)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        redacting = AccessLogFilter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(redacting)
