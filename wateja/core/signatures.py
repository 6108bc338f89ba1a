"""Signed webhook bodies, both ways: HMAC-SHA256 over "<timestamp>.<raw body>", sent as
`t=<unix seconds>,v1=<hex digest>` in one header. The receiver recomputes the digest with the
shared secret and refuses a timestamp older than the tolerance, so a captured request cannot be
replayed later. Several `v1=` values may be given while a secret is being rotated."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

TOLERANCE_SECONDS = 300
ROTATION_OVERLAP = dt.timedelta(hours=24)  # the previous secret still signs this long


class BadSignature(ValueError):
    """The signature header is missing, malformed, stale or does not match."""


def secrets_in_force(
    current: str, previous: str, rotated_at: dt.datetime | None, now: dt.datetime
) -> list[str]:
    """The secrets that sign now: the current one, and the previous one for ROTATION_OVERLAP
    after a rotation, so the other side can switch."""
    recent = rotated_at is not None and now - rotated_at < ROTATION_OVERLAP
    return [current, previous] if previous and recent else [current]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def signature_verify(
    secrets: list[str],
    header: str,
    body: bytes,
    now: int,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Return when `header` signs `body` with one of `secrets` within `tolerance` seconds of
    `now`; raise BadSignature otherwise."""
    timestamp: int | None = None
    given: list[str] = []
    for part in header.split(","):
        name, _eq, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            given.append(value)
    if timestamp is None or not given:
        raise BadSignature("no t= and v1= in the signature header")
    if abs(now - timestamp) > tolerance:
        raise BadSignature("the signature's timestamp is too old or in the future")
    for secret in secrets:
        if not secret:
            continue
        expected = signature(secret, timestamp, body)
        if any(hmac.compare_digest(expected, value) for value in given):
            return
    raise BadSignature("the signature does not match")
