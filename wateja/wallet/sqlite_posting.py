"""The posting of an earn, an award, a spend or a hold on SQLite as a short run of plain
statements through one cursor: the steps of PostgreSQL's `wallet_post` function (migration
0005) in the same order, with the same answer, for the database that has no such functions.

The Python path of `wallet/services.py` builds model instances, a cursor per statement and
the ORM's SQL for each of its ten statements; here every statement is written out, values
are converted once, and the arithmetic that has a reference (`ledger.expiry_for`,
`ledger.rolling_expiry`) is called, not copied. tests/wallet/test_posting_differential.py
runs random operations through this path and the Python path and compares every balance,
lot and entry, as it does for the PostgreSQL function. `WATEJA_PG_POSTING=python` (the
setting `PG_POSTING`) keeps SQLite on the Python path too.

A refusal (insufficient balance, a key reused with another body, a closed wallet, an amount
over the maximum) is answered as {"error": code, "details": {...}} after what was written is
undone (the transaction, or the savepoint inside a caller's transaction).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import zoneinfo
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from wateja.core import ledger

if TYPE_CHECKING:
    from wateja.wallet.pg_posting import Request

_SETTINGS = (
    "SELECT ws.expiry_rule, ws.expiry_n, ws.expiry_date, ws.pending_days,"
    " ws.max_points_per_operation, ws.max_money_minor_per_operation, b.timezone"
    " FROM wallet_walletsettings ws JOIN tenants_business b ON b.id = ws.business_id"
    " WHERE ws.business_id = %s"
)
_OPERATION = (
    'INSERT INTO wallet_operation (business_id, "key", action, request_hash, result, actor_id,'
    " api_key_id, location_id, reason, reference, created_at)"
    " VALUES (%s, %s, %s, %s, '{}', %s, %s, %s, %s, %s, %s)"
    ' ON CONFLICT (business_id, "key") DO NOTHING RETURNING id'
)
_USED = (
    "SELECT id, action, request_hash, result FROM wallet_operation"
    ' WHERE business_id = %s AND "key" = %s'
)
# the customer's accounts (every kind: the result reports each balance) and the system one
_ACCOUNTS = (
    "SELECT id, customer_id, kind, balance, pending_debits, allow_negative FROM wallet_account"
    " WHERE business_id = %s AND customer_id = %s"
    " UNION ALL SELECT id, customer_id, kind, balance, pending_debits, allow_negative"
    " FROM wallet_account WHERE business_id = %s AND customer_id IS NULL AND system = %s"
    " AND kind = %s ORDER BY id"
)
_NEW_ACCOUNT = (
    "INSERT INTO wallet_account (business_id, customer_id, system, kind, balance,"
    " pending_debits, pending_credits, allow_negative, last_activity_at, created_at)"
    " VALUES (%s, %s, %s, %s, 0, 0, 0, %s, NULL, %s) ON CONFLICT DO NOTHING"
)
_EXPIRED_HOLDS = (
    "SELECT id, amount, debit_account_id, credit_account_id FROM wallet_transfer"
    " WHERE debit_account_id IN ({accounts}) AND status = 'pending' AND on_timeout = 'void'"
    " AND timeout_at < %s ORDER BY id"
)
_TRANSFER = (
    "INSERT INTO wallet_transfer (business_id, operation_id, debit_account_id,"
    " credit_account_id, amount, code, status, timeout_at, on_timeout, resolved_at,"
    " reverses_id, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s)"
    " RETURNING id"
)
_ENTRIES = (
    "INSERT INTO wallet_entry (business_id, account_id, transfer_id, amount, created_at)"
    " VALUES (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)"
)
_LOT = (
    "INSERT INTO wallet_lot (business_id, account_id, transfer_id, amount, remaining,"
    " earned_at, expires_at, expired_at) VALUES (%s, %s, %s, %s, %s, %s, %s, NULL)"
)
_LOTS = "SELECT id, remaining, expires_at FROM wallet_lot WHERE account_id = %s AND remaining > 0"


def _cursor() -> Any:
    """The bare sqlite3 cursor (Django's wrapper rewrites every statement's placeholders and
    runs its wrappers: a third of this path's cost), or Django's when queries are being
    logged (DEBUG, a test counting them), so that they still see every statement."""
    if connection.queries_logged:
        return connection.cursor()
    connection.ensure_connection()
    return _Bare(connection.connection.cursor())


@functools.lru_cache(maxsize=64)
def _qmark(sql: str) -> str:
    return sql.replace("%s", "?")


class _Bare:
    """sqlite3's cursor, taking the `%s` placeholders Django's cursor takes."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Any) -> Any:
        return self._cursor.execute(_qmark(sql), params)

    def executemany(self, sql: str, rows: Any) -> Any:
        return self._cursor.executemany(_qmark(sql), rows)


class _Refused(Exception):
    def __init__(self, code: str, details: dict[str, Any]) -> None:
        super().__init__(code)
        self.code, self.details = code, details


def post(request: Request) -> dict[str, Any]:
    """The posting's answer, as `wallet_post` gives it: {"replayed": False, "result": {...}},
    {"replayed": True, "operation_id", "action", "result"}, or {"error", "details"}."""
    cursor = _cursor()
    with connection.wrap_database_errors:  # sqlite3's errors as Django's, as its cursor does
        limits = _settings(cursor, request.business_id)
    maximum = limits[4] if request.kind == "points" else limits[5]
    if request.amount > maximum:
        return {"error": "invalid_amount", "details": {"max": maximum}}
    try:
        with transaction.atomic(), connection.wrap_database_errors:
            return _post(cursor, request, limits)
    except _Refused as refused:
        return {"error": refused.code, "details": refused.details}


def _settings(cursor: Any, business_id: int) -> tuple[Any, ...]:
    """The wallet settings with the business's time zone, created with the model's defaults
    on first use."""
    row = cursor.execute(_SETTINGS, [business_id]).fetchone()
    if row is None:
        from wateja.wallet.models import WalletSettings

        WalletSettings.objects.get_or_create(business_id=business_id)
        row = cursor.execute(_SETTINGS, [business_id]).fetchone()
    return tuple(row)


def _post(cursor: Any, r: Request, limits: tuple[Any, ...]) -> dict[str, Any]:
    stamp = connection.ops.adapt_datetimefield_value
    now = str(stamp(r.now))
    business = r.business_id
    found = cursor.execute(
        _OPERATION,
        [business, r.key, r.action, r.request_hash, r.actor_id, r.api_key_id, r.location_id,
         r.reason, r.reference, now],
    ).fetchone()  # fmt: skip
    if found is None:  # the key was used: the stored result, or a refusal
        old_id, old_action, old_hash, old_result = cursor.execute(
            _USED, [business, r.key]
        ).fetchone()
        if old_hash != r.request_hash:
            raise _Refused("idempotency_key_reused", {"operation_id": old_id})
        stored = json.loads(old_result) if isinstance(old_result, str) else old_result
        return {"replayed": True, "operation_id": old_id, "action": old_action, "result": stored}
    operation = found[0]
    if r.inactive:
        raise _Refused(r.inactive, {})

    credit_customer = r.action in ("earn", "award", "grant")
    system = (
        "redemption" if not credit_customer else "topup" if r.kind == "store_credit" else "issuance"
    )
    accounts = _accounts(cursor, r, system, now)
    mine = next(a for a in accounts if a[1] is not None and a[2] == r.kind)
    the_system = next(a for a in accounts if a[1] is None)
    balances = {a[0]: a[3] for a in accounts if a[1] is not None}
    pending_debits = mine[4] - _void_expired_holds(cursor, accounts, now).get(mine[0], 0)

    if credit_customer:
        days = limits[3] if r.pending_days is None else r.pending_days
        pending = days > 0
        timeout = r.now + dt.timedelta(days=days)
        on_timeout, code = "post", r.action if r.action in ("grant", "award") else "earn"
        debit, credit = the_system[0], mine[0]
    else:
        pending = bool(r.hold_minutes)
        timeout = r.now + dt.timedelta(minutes=r.hold_minutes or 0)
        on_timeout, code = "void", "spend"
        debit, credit = mine[0], the_system[0]
        available = mine[3] - pending_debits
        if not mine[5] and available < r.amount:
            raise _Refused(
                "insufficient_balance",
                {"available": max(available, 0), "wanted": r.amount, "kind": r.kind},
            )
    status = "pending" if pending else "posted"
    transfer = cursor.execute(
        _TRANSFER,
        [business, operation, debit, credit, r.amount, code, status,
         stamp(timeout) if pending else None, on_timeout if pending else "",
         None if pending else now, now],
    ).fetchone()[0]  # fmt: skip

    if pending:  # only reserved; system accounts keep no cached figures
        column = "pending_credits" if credit_customer else "pending_debits"
        cursor.execute(
            f"UPDATE wallet_account SET {column} = {column} + %s WHERE id = %s",  # noqa: S608
            [r.amount, mine[0]],
        )
    else:
        cursor.execute(
            _ENTRIES,
            [business, debit, transfer, -r.amount, now, business, credit, transfer, r.amount, now],
        )
        change = r.amount if credit_customer else -r.amount
        cursor.execute(
            "UPDATE wallet_account SET balance = balance + %s, last_activity_at = %s WHERE id = %s",
            [change, now, mine[0]],
        )
        balances[mine[0]] += change
        if credit_customer:
            _add_lot(cursor, r, limits, mine[0], transfer, balances[mine[0]], now)
        else:
            _consume_lots(cursor, r, mine[0], transfer)

    result = {
        "operation_id": operation,
        "action": r.action,
        "transfers": [
            {"id": transfer, "code": code, "amount": r.amount, "status": status, "kind": r.kind}
        ],
        "balances": {f"{r.customer_id}:{a[2]}": balances[a[0]] for a in accounts if a[1]},
        "notes": {},
    }
    cursor.execute(
        "UPDATE wallet_operation SET result = %s WHERE id = %s", [json.dumps(result), operation]
    )
    return {"replayed": False, "result": result}


def _accounts(cursor: Any, r: Request, system: str, now: str) -> list[Any]:
    """The customer's accounts and the system account, the missing ones created first."""
    params = [r.business_id, r.customer_id, r.business_id, system, r.kind]
    rows = cursor.execute(_ACCOUNTS, params).fetchall()
    has_mine = any(a[1] is not None and a[2] == r.kind for a in rows)
    has_system = any(a[1] is None for a in rows)
    if has_mine and has_system:
        return list(rows)
    if not has_mine:
        cursor.execute(_NEW_ACCOUNT, [r.business_id, r.customer_id, "", r.kind, False, now])
    if not has_system:
        cursor.execute(_NEW_ACCOUNT, [r.business_id, None, system, r.kind, True, now])
    return list(cursor.execute(_ACCOUNTS, params).fetchall())


def _void_expired_holds(cursor: Any, accounts: list[Any], now: str) -> dict[int, int]:
    """An expired hold stops holding at once (services._void_expired_holds): what the voided
    holds had reserved, by the customer's account."""
    holding = [a[0] for a in accounts if a[1] is not None and a[4] > 0]
    if not holding:
        return {}
    sql = _EXPIRED_HOLDS.format(accounts=", ".join(["%s"] * len(holding)))
    voided: dict[int, int] = {}
    for transfer, amount, debit, credit in cursor.execute(sql, [*holding, now]).fetchall():
        cursor.execute(
            "UPDATE wallet_account SET pending_debits = pending_debits - %s WHERE id = %s",
            [amount, debit],
        )
        cursor.execute(
            "UPDATE wallet_account SET pending_credits = pending_credits - %s"
            " WHERE id = %s AND customer_id IS NOT NULL",
            [amount, credit],
        )
        cursor.execute(
            "UPDATE wallet_transfer SET status = 'voided', resolved_at = %s WHERE id = %s",
            [now, transfer],
        )
        voided[debit] = voided.get(debit, 0) + amount
    return voided


def _add_lot(
    cursor: Any,
    r: Request,
    limits: tuple[Any, ...],
    account: int,
    transfer: int,
    balance: int,
    now: str,
) -> None:
    """A lot for a credit: it first pays back any debt, only the rest can be spent; points
    expire by the business's policy, and rolling expiry moves every open lot."""
    expires: dt.datetime | None = None
    rolled: dt.datetime | None = None
    if r.kind == "points":
        rule, n, fixed, _days, _max_points, _max_money, tz_name = limits
        policy = ledger.ExpiryPolicy(
            rule=ledger.ExpiryRule(rule),
            n=n,
            fixed_date=dt.date.fromisoformat(fixed) if isinstance(fixed, str) else fixed,
        )
        tz = zoneinfo.ZoneInfo(tz_name)
        expires = ledger.expiry_for(policy, r.now, tz)
        rolled = ledger.rolling_expiry(policy, r.now, tz)
    stamp = connection.ops.adapt_datetimefield_value
    cursor.execute(
        _LOT,
        [r.business_id, account, transfer, r.amount, min(r.amount, max(0, balance)), now,
         stamp(expires) if expires else None],
    )  # fmt: skip
    if rolled is not None:
        cursor.execute(
            "UPDATE wallet_lot SET expires_at = %s"
            " WHERE account_id = %s AND remaining > 0 AND expired_at IS NULL",
            [stamp(rolled), account],
        )


def _consume_lots(cursor: Any, r: Request, account: int, transfer: int) -> None:
    """Take the amount from the account's lots in `ledger.consume`'s order (as
    services._consume_lots does); beyond them is debt (a clawback below zero)."""
    views = [
        ledger.LotView(lot, remaining, _utc(expires_at))
        for lot, remaining, expires_at in cursor.execute(_LOTS, [account]).fetchall()
    ]
    take = min(r.amount, sum(v.remaining for v in views))
    if take <= 0:
        return
    uses = ledger.consume(views, take)
    cursor.executemany(
        "UPDATE wallet_lot SET remaining = remaining - %s WHERE id = %s",
        [(take, lot) for lot, take in uses],
    )
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(uses))
    cursor.execute(
        f"INSERT INTO wallet_lotuse (business_id, lot_id, transfer_id, amount) VALUES {rows}",  # noqa: S608
        [value for lot, take in uses for value in (r.business_id, lot, transfer, take)],
    )


def _utc(stored: dt.datetime | str | None) -> dt.datetime | None:
    """A datetime column as Django's SQLite connection reads it (naive UTC: its converter
    parses the declared type), aware."""
    if stored is None:
        return None
    naive = stored if isinstance(stored, dt.datetime) else dt.datetime.fromisoformat(stored)
    return naive.replace(tzinfo=dt.UTC)
