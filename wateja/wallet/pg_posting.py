"""The posting of an earn, an award, a spend or a hold in one round trip on PostgreSQL: the
`wallet_post` PL/pgSQL function (migration 0005_posting_function) does what the Python path of
`wallet/services.py` does — the operation under its idempotency key, the accounts, the lock,
expired holds voided, the balance check, the transfer, its entries, the balance, the lots
(soonest expiry first, rolling expiry) and the stored result — in one statement.

`wateja/core/ledger.py` stays the reference for the arithmetic; the Python path uses it, and
tests/wallet/test_posting_differential.py runs random operations through both paths and
compares every balance, lot and entry. On SQLite the same steps run as plain statements
(`wallet/sqlite_posting.py`), under the same test. `WATEJA_PG_POSTING=python` (or the setting
`PG_POSTING`) keeps both databases on the Python path.

Outside a transaction the call runs in autocommit: one statement, one round trip, no BEGIN or
COMMIT. A refusal (insufficient balance, a key reused with another body, a closed wallet, an
amount over the maximum) comes back as JSON after the function has undone what it wrote, so
the caller's transaction stays usable and the service raises its usual typed error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

from wateja.wallet import sqlite_posting
from wateja.wallet.statements import posting_cursor

FUNCTION = "function"
PYTHON = "python"

CALL = (
    "SELECT wallet_post(%s::bigint, %s::bigint, %s::text, %s::text, %s::text, %s::text,"
    " %s::text, %s::bigint, %s::integer, %s::integer, %s::integer, %s::bigint, %s::bigint,"
    " %s::text, %s::text, %s::timestamptz)"
)


def mode() -> str:
    """`function` or `python`: the setting PG_POSTING, else WATEJA_PG_POSTING (default
    function)."""
    chosen = getattr(settings, "PG_POSTING", None) or os.environ.get("WATEJA_PG_POSTING")
    return PYTHON if chosen == PYTHON else FUNCTION


def enabled() -> bool:
    """True when this operation posts in one pass: the PostgreSQL function, or on SQLite its
    steps as plain statements (`wallet/sqlite_posting.py`)."""
    return connection.vendor in ("postgresql", "sqlite") and mode() == FUNCTION


@dataclass(frozen=True, slots=True)
class Request:
    """One earn, award, spend or hold, checked by the service, ready to post."""

    business_id: int
    customer_id: int
    inactive: str  # "" or the refusal's code
    key: str
    action: str
    request_hash: str
    kind: str
    amount: int
    pending_days: int | None
    hold_minutes: int | None
    actor_id: int | None
    api_key_id: int | None
    location_id: int | None
    reason: str
    reference: str
    now: dt.datetime


def post(request: Request) -> dict[str, Any]:
    """Run the function; its answer: {"replayed": bool, "result": {...}} (and, replayed,
    "operation_id" and "action"), or {"error": code, "details": {...}}."""
    if connection.vendor == "sqlite":
        return sqlite_posting.post(request)
    cursor = posting_cursor()
    cursor.execute(
        CALL,
        [
            request.business_id,
            request.customer_id,
            request.inactive,
            request.key,
            request.action,
            request.request_hash,
            request.kind,
            request.amount,
            request.pending_days,
            request.hold_minutes,
            request.actor_id,
            request.api_key_id,
            request.location_id,
            request.reason,
            request.reference,
            request.now,
        ],
    )
    answer = cursor.fetchone()[0]
    if isinstance(answer, str):  # a client-side binding cursor returns jsonb as text
        answer = json.loads(answer)
    return answer  # type: ignore[no-any-return]
