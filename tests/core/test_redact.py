"""Log lines lose their tokens, URL passwords and phone numbers; amounts and ids stay."""

from __future__ import annotations

import logging

import pytest

from wateja.core.redact import RedactingFilter, redact


@pytest.mark.parametrize(
    ("line", "kept", "gone"),
    [
        ('"POST /hooks/AbC123xyz_-9876/sms/inbound/ HTTP/1.1" 200', "/hooks/…/sms/inbound/",
         "AbC123xyz"),
        ("GET /my/Zx9-QQ3f7Lm2/ 200", "/my/…/", "Zx9-QQ3f7Lm2"),
        ("callback https://wateja:s3cr3tS3cr3t@shop.example/hooks/x", "https://…@shop.example",
         "s3cr3t"),
        ("SMS to +254712345678 failed", "+254…78", "712345678"),
        ("reply to 0712 345 678 queued", "071…78", "345 678"),
        ("order 12345 total 150000 on 2026-12-07", "order 12345 total 150000 on 2026-12-07", "…"),
    ],
)  # fmt: skip
def test_redact(line: str, kept: str, gone: str) -> None:
    cleaned = redact(line)
    assert kept in cleaned and gone not in cleaned


def test_the_filter_rewrites_the_record_with_its_arguments() -> None:
    record = logging.LogRecord(
        "x",
        logging.WARNING,
        __file__,
        1,
        "inbound from %s at %s",
        ("+254712345678", "/my/abcdefgh/"),
        None,
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "inbound from +254…78 at /my/…/"


def test_a_telegram_bot_token_in_a_request_path_is_hidden() -> None:
    line = 'https://api.telegram.org:443 "POST /bot7012345678:AAHk-x_Yz09/sendMessage HTTP/1.1" 200'
    cleaned = redact(line)
    assert "AAHk" not in cleaned and "7012345678" not in cleaned
    assert "/bot…/sendMessage" in cleaned
