"""Signed webhook bodies: a good signature passes, anything changed, stale or unsigned fails."""

from __future__ import annotations

import pytest

from wateja.core.signatures import BadSignature, signature_header, signature_verify

BODY = b'{"reference": "TX1", "amount": "200.00"}'
NOW = 1_800_000_000


def test_a_body_signed_with_the_secret_passes():
    signature_verify(["s3cret"], signature_header("s3cret", NOW, BODY), BODY, NOW + 10)


def test_during_a_rotation_either_secret_passes():
    header = signature_header("old", NOW, BODY)
    signature_verify(["new", "old"], header, BODY, NOW)


@pytest.mark.parametrize(
    ("header", "body", "now"),
    [
        (signature_header("s3cret", NOW, BODY), BODY + b" ", NOW),  # body changed
        (signature_header("other", NOW, BODY), BODY, NOW),  # wrong secret
        (signature_header("s3cret", NOW, BODY), BODY, NOW + 301),  # replayed later
        (signature_header("s3cret", NOW + 400, BODY), BODY, NOW),  # from the future
        ("", BODY, NOW),
        ("t=abc,v1=00", BODY, NOW),
        (f"t={NOW}", BODY, NOW),
    ],
)
def test_anything_else_is_refused(header, body, now):
    with pytest.raises(BadSignature):
        signature_verify(["s3cret"], header, body, now)


def test_an_empty_secret_never_verifies():
    with pytest.raises(BadSignature):
        signature_verify([""], signature_header("", NOW, BODY), BODY, NOW)
