"""Wallet use cases: earn, spend, hold/post/void, adjust, gift, top-up, cash out, expire,
refund and merge. Each is one transaction over locked accounts and one idempotent Operation.

Locking: the customer accounts an operation touches are locked with SELECT … FOR UPDATE in
ascending id order (no deadlocks) on PostgreSQL — earn, spend, adjust, gift, top-up and
payout lock every account of their customers in one statement (`_hold`); system accounts are
never locked (`_lock`). On SQLite the IMMEDIATE transaction holds the write lock. Balances
are checked after the lock, so two tills can never spend the same points.

On PostgreSQL an earn, an award, a spend and a hold are posted by the `wallet_post` function
in one round trip (`pg_posting`); its arithmetic is kept equal to this module's Python path
(which uses `core/ledger.py`) by tests/wallet/test_posting_differential.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import threading
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wateja.core import ledger
from wateja.core.errors import Conflict, DomainError, ValidationFailed
from wateja.core.money import percent_of
from wateja.customers.merging import current_merge, merge_record_part, merge_undo_step
from wateja.customers.models import Customer, CustomerMerge
from wateja.tenants.models import ApiKey, Business
from wateja.tenants.services import audit_record
from wateja.wallet import manual, pg_posting
from wateja.wallet.models import (
    MONEY_KINDS,
    TRANSFER_LABELS,
    Account,
    ClawbackPolicy,
    Entry,
    Kind,
    Lot,
    LotUse,
    Operation,
    SystemAccount,
    Transfer,
    TransferStatus,
    WalletSettings,
)
from wateja.wallet.references import reference_problems
from wateja.wallet.statements import (
    db_value,
    execute,
    fetch,
    for_update,
    insert,
    insert_returning_pk,
)


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class AmountInvalid(ValidationFailed):
    code = "invalid_amount"


class WalletNotAllowed(DomainError):
    code = "not_allowed"
    status = 409


# ---------------------------------------------------------------- settings and accounts


_op_cache = threading.local()
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _operation(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """A public service: its own settings memo for its duration, none after it, so nothing
    read in one operation (or outside any) is reused by the next one in this thread."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        outer = getattr(_op_cache, "values", None)
        _op_cache.values = {}
        try:
            return func(*args, **kwargs)
        finally:
            _op_cache.values = outer

    return wrapper


def _cached(key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
    """Per-operation memo: settings and time zones do not change inside one operation, so
    they are read once; outside an operation every call reads the database."""
    store = getattr(_op_cache, "values", None)
    if store is None:
        return load()
    if key not in store:
        store[key] = load()
    return store[key]


def wallet_settings(business: Business | int) -> WalletSettings:
    business_id = business if isinstance(business, int) else business.pk
    found: WalletSettings = _cached(("settings", business_id), lambda: _load_settings(business_id))
    return found


def _load_settings(business_id: int) -> WalletSettings:
    """The business's wallet settings, created with the defaults on first use. The business's
    time zone comes in the same statement (as `timezone_name`), for the expiry arithmetic."""
    found = fetch(
        WalletSettings,
        "SELECT s.*, b.timezone AS timezone_name FROM wallet_walletsettings s"
        " JOIN tenants_business b ON b.id = s.business_id WHERE s.business_id = %s",
        [business_id],
    )
    if found:
        return found[0]
    try:
        with transaction.atomic():
            return WalletSettings.objects.create(business_id=business_id)
    except IntegrityError:
        return WalletSettings.objects.get(business_id=business_id)


def _expiry_context(business_id: int) -> tuple[ledger.ExpiryPolicy, zoneinfo.ZoneInfo]:
    def load() -> tuple[ledger.ExpiryPolicy, zoneinfo.ZoneInfo]:
        settings_row = wallet_settings(business_id)
        tz_name = getattr(settings_row, "timezone_name", None)
        if tz_name is None:  # a row just created, or one not read by `_load_settings`
            tz_name = (
                Business.objects.filter(pk=business_id).values_list("timezone", flat=True).get()
            )
        return expiry_policy(settings_row), zoneinfo.ZoneInfo(tz_name)

    return _cached(("expiry", business_id), load)  # type: ignore[no-any-return]


def expiry_policy(settings_row: WalletSettings) -> ledger.ExpiryPolicy:
    return ledger.ExpiryPolicy(
        rule=ledger.ExpiryRule(settings_row.expiry_rule),
        n=settings_row.expiry_n,
        fixed_date=settings_row.expiry_date,
    )


def customer_account(customer: Customer, kind: str) -> Account:
    accounts, _systems = _ensure_accounts(customer.business_id, customers=[(customer.pk, kind)])
    return accounts[(customer.pk, kind)]


def system_account(business_id: int, system: str, kind: str) -> Account:
    return _ensure_accounts(business_id, systems=[(system, kind)])[1][(system, kind)]


_CustomerAccounts = dict[tuple[int | None, str], Account]  # by (customer id, kind)
_SystemAccounts = dict[tuple[str, str], Account]  # by (system, kind)


def _ensure_accounts(
    business_id: int,
    *,
    customers: Iterable[tuple[int, str]] = (),
    systems: Iterable[tuple[str, str]] = (),
) -> tuple[_CustomerAccounts, _SystemAccounts]:
    """The business's accounts for these (customer id, kind) and (system, kind) pairs, read
    without locks in one statement, after creating the missing ones. No row lock may be held
    while an account is created: an INSERT waits for a concurrent INSERT of the same account,
    and that one could be waiting for the lock."""
    customers, systems = sorted(set(customers)), sorted(set(systems))
    by_customer, by_system = _read_accounts(business_id, customers, systems)
    missing = [
        Account(business_id=business_id, customer_id=customer_id, kind=kind)
        for customer_id, kind in customers
        if (customer_id, kind) not in by_customer
    ] + [
        Account(business_id=business_id, system=system, kind=kind, allow_negative=True)
        for system, kind in systems
        if (system, kind) not in by_system
    ]
    if not missing:
        return by_customer, by_system
    _create_accounts(missing)
    return _read_accounts(business_id, customers, systems)


def _read_accounts(
    business_id: int, customers: list[tuple[int, str]], systems: list[tuple[str, str]]
) -> tuple[_CustomerAccounts, _SystemAccounts]:
    """Every account of the customers named in `customers` and the system accounts in
    `systems`, in one SELECT (no locks), in id order. One branch of a UNION ALL per lookup, so
    that each is an index lookup: with an OR, SQLite without statistics scans all of the
    business's accounts."""
    branches: list[str] = []
    params: list[Any] = []
    customer_ids = sorted({customer_id for customer_id, _kind in customers})
    if customer_ids:
        marks = ", ".join(["%s"] * len(customer_ids))
        branches.append(f"customer_id IN ({marks})")
        params += [business_id, *customer_ids]
    for system, kind in systems:
        branches.append("customer_id IS NULL AND system = %s AND kind = %s")
        params += [business_id, system, kind]
    if not branches:
        return {}, {}
    sql = " UNION ALL ".join(
        f"SELECT * FROM wallet_account WHERE business_id = %s AND {where}"  # noqa: S608
        for where in branches
    )
    sql += " ORDER BY id"
    by_customer: _CustomerAccounts = {}
    by_system: _SystemAccounts = {}
    for account in fetch(Account, sql, params):
        if account.customer_id is None:
            by_system[(account.system, account.kind)] = account
        else:
            by_customer[(account.customer_id, account.kind)] = account
    return by_customer, by_system


def _create_accounts(accounts: list[Account]) -> None:
    """INSERT the accounts, skipping any that a concurrent transaction created meanwhile (the
    unique constraints per customer/system and kind); the caller reads them back."""
    Account.objects.bulk_create(accounts, ignore_conflicts=True)


@dataclass
class _Held:
    """The accounts one operation posts to: every account of its customers, locked, and the
    system accounts it needs (not locked)."""

    customers: _CustomerAccounts
    systems: _SystemAccounts

    def customer(self, customer: Customer, kind: str) -> Account:
        return self.customers[(customer.pk, kind)]

    def system(self, system: str, kind: str) -> Account:
        return self.systems[(system, kind)]

    @property
    def by_pk(self) -> dict[int, Account]:
        """What `_transfer` takes: the accounts by id."""
        return {a.pk: a for a in (*self.customers.values(), *self.systems.values())}


def _hold(
    business_id: int,
    *,
    customers: Iterable[tuple[Customer, str]],
    systems: Iterable[tuple[str, str]],
    now: dt.datetime | None = None,
) -> _Held:
    """Two statements once the accounts exist (one on SQLite): a read of the system accounts
    and of the customers' accounts, which shows whether one is missing (it is then created,
    before any lock), and the customer accounts locked (see `_lock_customers`). Before: a read
    of each account, then a locking read of the customer ones."""
    wanted = [(c.pk, kind) for c, kind in customers]
    unlocked, system_accounts = _ensure_accounts(business_id, customers=wanted, systems=systems)
    if not connection.features.has_select_for_update:
        # SQLite: the IMMEDIATE transaction keeps every other writer out until it ends, so
        # what was just read cannot change meanwhile; it is as good as a locked read
        held = _Held(customers=unlocked, systems=system_accounts)
    else:
        held = _Held(
            systems=system_accounts,
            customers=_lock_customers(business_id, sorted({c for c, _kind in wanted})),
        )
    _void_expired_holds(held, now or timezone.now())
    return held


def _expired_holds(account_ids: Iterable[int], now: dt.datetime) -> QuerySet[Transfer]:
    """Holds on these accounts whose time ran out (they no longer count, voided or not)."""
    return Transfer.objects.filter(
        debit_account_id__in=list(account_ids),
        status=TransferStatus.PENDING,
        on_timeout="void",
        timeout_at__lt=now,
    )


def _void_expired_holds(held: _Held, now: dt.datetime) -> None:
    """An expired hold stops holding at once: the operation that finds one voids it before it
    checks the balance, so a spend never waits for the worker."""
    holding = {a.pk: a for a in held.customers.values() if a.pending_debits > 0}
    if not holding:
        return
    for transfer in _expired_holds(holding, now).order_by("id"):
        _resolve_pending(transfer, post=False, now=now)
        holding[transfer.debit_account_id].pending_debits -= transfer.amount


def _lock_customers(business_id: int, customer_ids: list[int]) -> _CustomerAccounts:
    """Every account of these customers, locked in ascending id order (so two operations never
    wait for each other in a cycle) by one SELECT … FOR UPDATE. All kinds are locked, not only
    the ones the operation posts to: its result reports every balance of its customers, read
    here under the lock rather than again at the end."""
    marks = ", ".join(["%s"] * len(customer_ids))
    rows = fetch(
        Account,
        "SELECT * FROM wallet_account"  # noqa: S608 - placeholders only
        f" WHERE business_id = %s AND customer_id IN ({marks}) ORDER BY id{for_update()}",
        [business_id, *customer_ids],
    )
    return {(a.customer_id, a.kind): a for a in rows}


def _lock(accounts: Iterable[Account]) -> dict[int, Account]:
    """Customer accounts locked in id order, and system accounts as given: a system account
    is on every transfer of its kind, so locking or updating its row would make every till
    wait for every other. Its balance is the sum of its entries (see `system_balance`)."""
    given = {a.pk: a for a in accounts}
    customer_ids = sorted(pk for pk, a in given.items() if a.customer_id is not None)
    locked = {
        a.pk: a
        for a in Account.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk")
    }
    return {**{pk: a for pk, a in given.items() if a.customer_id is None}, **locked}


def _cached_add(
    account: Account,
    *,
    balance: int = 0,
    pending_debits: int = 0,
    pending_credits: int = 0,
    activity_at: dt.datetime | None = None,
) -> None:
    """Keep a customer account's cached figures in step: add the deltas in one UPDATE (and
    set its last activity); system accounts keep none."""
    if account.customer_id is None:
        return
    deltas = {
        "balance": balance,
        "pending_debits": pending_debits,
        "pending_credits": pending_credits,
    }
    sets = [f"{column} = {column} + %s" for column, delta in deltas.items() if delta]
    params: list[Any] = [delta for delta in deltas.values() if delta]
    if activity_at is not None:
        sets.append("last_activity_at = %s")
        params.append(db_value(Account, "last_activity_at", activity_at))
    if sets:
        sql = f"UPDATE wallet_account SET {', '.join(sets)} WHERE id = %s"  # noqa: S608
        execute(sql, [*params, account.pk])


def system_balance(account: Account) -> int:
    return int(Entry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0)


# ---------------------------------------------------------------- operations (idempotency)


@dataclass
class Posting:
    """What an operation did: its transfers and the customer balances after it."""

    operation_id: int
    action: str
    transfers: list[dict[str, Any]] = field(default_factory=list)
    balances: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "action": self.action,
            "transfers": self.transfers,
            "balances": self.balances,
            "notes": self.notes,
        }


CLIENT_KEY_PREFIX = "client:"
CLIENT_KEY_MAX = 150  # leaves room for the prefixes and suffixes of derived keys (200 stored)


def client_key(key: str) -> str:
    """A key a client sent (the API's Idempotency-Key), in its own namespace: no client key
    can ever name an operation the product runs for itself (the expiry of a lot, a
    checkout's points), whatever it looks like."""
    return f"{CLIENT_KEY_PREFIX}{key}"


def operation_posting(business: Business, key: str) -> Posting | None:
    """The stored result of the operation with this key, as a replay (None if none)."""
    found = Operation.objects.filter(business=business, key=key).first()
    if found is None:
        return None
    stored = found.result or {}
    return Posting(
        operation_id=found.pk,
        action=found.action,
        transfers=stored.get("transfers", []),
        balances=stored.get("balances", {}),
        notes=stored.get("notes", {}),
        replayed=True,
    )


def _request_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _begin(
    business_id: int,
    key: str,
    action: str,
    payload: dict[str, Any],
    *,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
    reason: str = "",
    reference: str = "",
) -> tuple[Operation, Posting | None]:
    """The new Operation, or the stored result if this key was already used for the same
    request. Another request under the same key raises IdempotencyKeyReused."""
    key = _checked_key(key)
    digest = _request_hash({"action": action, **payload})
    operation = Operation(
        business_id=business_id,
        key=key,
        action=action,
        request_hash=digest,
        actor=actor if actor is not None and actor.is_authenticated else None,
        api_key=api_key,
        location_id=location_id,
        reason=reason,
        reference=reference,
    )
    if not _insert_unless_key_used(operation):
        existing = Operation.objects.get(business_id=business_id, key=key)
        if existing.request_hash != digest:
            raise _key_reused(existing.pk) from None
        return existing, _replayed(existing.pk, existing.action, existing.result)
    return operation, None


def _checked_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"idempotency_key": _("Send an Idempotency-Key of 1 to 200 characters.")},
        )
    return key


def _key_reused(operation_id: int) -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        _("This Idempotency-Key was already used for a different request."),
        details={"operation_id": operation_id},
    )


def _replayed(operation_id: int, action: str, stored: dict[str, Any] | None) -> Posting:
    """The stored result of an operation, as a replay."""
    stored = stored or {}
    return Posting(
        operation_id=operation_id,
        action=action,
        transfers=stored.get("transfers", []),
        balances=stored.get("balances", {}),
        notes=stored.get("notes", {}),
        replayed=True,
    )


def _insert_unless_key_used(operation: Operation) -> bool:
    """INSERT the operation unless its business already used its key; True if inserted (its
    pk is then set), False if the key was taken.

    One statement — INSERT … ON CONFLICT (business_id, key) DO NOTHING RETURNING id — instead
    of a savepoint, the INSERT and the savepoint's release or rollback. On PostgreSQL an
    uncommitted insert of the same key makes it wait for that transaction; if it commits, no
    row comes back and the caller reads the winner's result. SQLite runs the same SQL, and
    its IMMEDIATE transactions never overlap."""
    return insert_returning_pk(operation, on_conflict="ON CONFLICT (business_id, key) DO NOTHING")


def _finish_held(operation: Operation, posting: Posting, held: _Held) -> Posting:
    """Store the result, with the balances of the operation's customers taken from the locked
    accounts, which `_transfer` kept up to date (no second read)."""
    for (customer_id, kind), account in held.customers.items():
        posting.balances[f"{customer_id}:{kind}"] = account.balance
    operation.result = posting.as_dict()
    execute(
        "UPDATE wallet_operation SET result = %s WHERE id = %s",
        [db_value(Operation, "result", operation.result), operation.pk],
    )
    return posting


def _finish(operation: Operation, posting: Posting, customers: Iterable[Customer]) -> Posting:
    ids = [c.pk for c in customers]
    for customer_id, kind, balance in Account.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "kind", "balance"
    ):
        posting.balances[f"{customer_id}:{kind}"] = balance
    operation.result = posting.as_dict()
    operation.save(update_fields=["result"])
    return posting


# ---------------------------------------------------------------- the posting primitive


def _inactive_code(customer: Customer) -> str:
    """Why this customer's wallet takes no operation ("" if it does)."""
    if customer.erased_at is not None or customer.merged_into_id is not None:
        return "customer_inactive"
    if customer.is_blocked:
        return "customer_blocked"
    return ""


def _check_customer_active(customer: Customer) -> None:
    code = _inactive_code(customer)
    if code == "customer_inactive":
        raise WalletNotAllowed(
            _("This customer was erased or merged; the wallet is closed."), code="customer_inactive"
        )
    if code == "customer_blocked":
        raise WalletNotAllowed(_("This customer is blocked."), code="customer_blocked")


def _insufficient(available: int, wanted: int, kind: str) -> InsufficientBalance:
    shown = max(available, 0)
    return InsufficientBalance(
        _("Not enough balance: %(available)s available, %(wanted)s needed.")
        % {"available": shown, "wanted": wanted},
        details={"available": shown, "wanted": wanted, "kind": kind},
    )


def _transfer(
    operation: Operation,
    posting: Posting,
    locked: dict[int, Account],
    debit: Account,
    credit: Account,
    amount: int,
    code: str,
    *,
    pending: bool = False,
    timeout_at: dt.datetime | None = None,
    on_timeout: str = "",
    reverses: Transfer | None = None,
    allow_negative: bool = False,
    lot_expiry: dt.datetime | bool | None = True,
    now: dt.datetime | None = None,
) -> Transfer:
    """Move `amount` from `debit` to `credit` (both locked). Posted transfers write two
    entries, update both balances, consume lots of a debited customer account and create a
    lot on a credited one; pending ones only reserve. `lot_expiry=True` means "by policy"."""
    now = now or timezone.now()
    debit, credit = locked[debit.pk], locked[credit.pk]
    if amount <= 0:
        raise AmountInvalid(_("The amount must be more than zero."))
    if not (debit.allow_negative or allow_negative) and debit.available < amount:
        raise _insufficient(debit.available, amount, debit.kind)
    transfer = Transfer(
        business_id=debit.business_id,
        operation=operation,
        debit_account=debit,
        credit_account=credit,
        amount=amount,
        code=code,
        status=TransferStatus.PENDING if pending else TransferStatus.POSTED,
        timeout_at=timeout_at if pending else None,
        on_timeout=on_timeout if pending else "",
        reverses=reverses,
        resolved_at=None if pending else now,
    )
    insert_returning_pk(transfer)
    if pending:
        debit.pending_debits += amount
        credit.pending_credits += amount
        _cached_add(debit, pending_debits=amount)
        _cached_add(credit, pending_credits=amount)
    else:
        _apply_posted(transfer, debit, credit, lot_expiry=lot_expiry, now=now)
    posting.transfers.append(
        {
            "id": transfer.pk,
            "code": code,
            "amount": amount,
            "status": transfer.status,
            "kind": debit.kind if debit.kind == credit.kind else f"{debit.kind}>{credit.kind}",
        }
    )
    return transfer


def _apply_posted(
    transfer: Transfer,
    debit: Account,
    credit: Account,
    *,
    lot_expiry: dt.datetime | bool | None,
    now: dt.datetime,
) -> None:
    amount, business_id = transfer.amount, transfer.business_id
    insert(
        Entry(business_id=business_id, account=debit, transfer=transfer, amount=-amount),
        Entry(business_id=business_id, account=credit, transfer=transfer, amount=amount),
    )
    debit.balance -= amount
    credit.balance += amount
    _cached_add(debit, balance=-amount, activity_at=now)
    _cached_add(credit, balance=amount, activity_at=now)
    if debit.customer_id:
        _consume_lots(transfer, debit, amount)
    if credit.customer_id:
        _add_lot(transfer, credit, amount, lot_expiry, now)


def _consume_lots(transfer: Transfer, account: Account, amount: int) -> None:
    lots = fetch(
        Lot, "SELECT * FROM wallet_lot WHERE account_id = %s AND remaining > 0", [account.pk]
    )
    views = [ledger.LotView(lot.pk, lot.remaining, lot.expires_at) for lot in lots]
    available = sum(v.remaining for v in views)
    take = min(amount, available)  # beyond the lots is debt (clawback to negative)
    if take <= 0:
        return
    taken = ledger.consume(views, take)
    _take_from_lots(taken)
    insert(
        *(
            LotUse(business_id=transfer.business_id, lot_id=lot_id, transfer=transfer, amount=part)
            for lot_id, part in taken
        )
    )


def _take_from_lots(taken: list[tuple[int, int]]) -> None:
    """Lower each lot's remainder by its part, in one UPDATE however many lots a spend takes
    from; a lot holding less than its part is left alone, and then the count is short."""
    cases = " ".join(["WHEN %s THEN %s"] * len(taken))
    enough = " OR ".join(["(id = %s AND remaining >= %s)"] * len(taken))
    pairs = list(itertools.chain.from_iterable(taken))
    updated = execute(
        f"UPDATE wallet_lot SET remaining = remaining - CASE id {cases} END"  # noqa: S608
        f" WHERE {enough}",
        [*pairs, *pairs],
    )
    if updated != len(taken):  # pragma: no cover - the account lock makes this impossible
        raise Conflict(_("The balance changed meanwhile; try again."), code="lot_conflict")


def _add_lot(
    transfer: Transfer,
    account: Account,
    amount: int,
    lot_expiry: dt.datetime | bool | None,
    now: dt.datetime,
) -> None:
    # a credit first pays back any debt (negative balance); only the rest can be spent
    spendable = min(amount, max(0, account.balance))
    if lot_expiry is True:
        expires = _policy_expiry(account, now)
    elif lot_expiry is False:
        expires = None
    else:
        expires = lot_expiry
    insert(
        Lot(
            business_id=transfer.business_id,
            account=account,
            transfer=transfer,
            amount=amount,
            remaining=spendable,
            earned_at=now,
            expires_at=expires,
        )
    )
    if account.kind == Kind.POINTS:
        _roll_expiry(account, now)


def _policy_expiry(account: Account, now: dt.datetime) -> dt.datetime | None:
    if account.kind != Kind.POINTS:
        return None  # money does not expire
    policy, tz = _expiry_context(account.business_id)
    return ledger.expiry_for(policy, now, tz)


def _roll_expiry(account: Account, now: dt.datetime) -> None:
    """Rolling expiry: any activity moves every open lot's expiry to N days from now."""
    policy, tz = _expiry_context(account.business_id)
    until = ledger.rolling_expiry(policy, now, tz)
    if until is not None:
        Lot.objects.filter(account=account, remaining__gt=0, expired_at__isnull=True).update(
            expires_at=until
        )


def _resolve_pending(transfer: Transfer, post: bool, now: dt.datetime) -> None:
    locked = _lock([transfer.debit_account, transfer.credit_account])
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != TransferStatus.PENDING:
        return
    debit, credit = locked[transfer.debit_account_id], locked[transfer.credit_account_id]
    _cached_add(debit, pending_debits=-transfer.amount)
    _cached_add(credit, pending_credits=-transfer.amount)
    debit.pending_debits -= transfer.amount
    credit.pending_credits -= transfer.amount
    transfer.status = TransferStatus.POSTED if post else TransferStatus.VOIDED
    transfer.resolved_at = now
    transfer.save(update_fields=["status", "resolved_at"])
    if post:
        _apply_posted(transfer, debit, credit, lot_expiry=True, now=now)


# ---------------------------------------------------------------- public operations


def _amount(business: Business | int, kind: str, amount: object) -> int:
    limits = wallet_settings(business)
    maximum = (
        limits.max_money_minor_per_operation
        if kind in MONEY_KINDS
        else limits.max_points_per_operation
    )
    try:
        return ledger.check_amount(amount, maximum)
    except ledger.InvalidAmount:
        raise _amount_invalid(maximum) from None


def _amount_invalid(maximum: int) -> ValidationFailed:
    return AmountInvalid.fields(
        _("The amount is not valid."),
        {"amount": _("Enter a whole number from 1 to %(max)s.") % {"max": maximum}},
    )


def _kind(kind: str) -> str:
    if kind not in Kind.values:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"kind": _("Unknown.")})
    return kind


ISSUER: dict[str, str] = {
    Kind.POINTS: SystemAccount.ISSUANCE,
    Kind.CASHBACK: SystemAccount.ISSUANCE,
    Kind.STORE_CREDIT: SystemAccount.TOPUP,
    Kind.BONUS_CREDIT: SystemAccount.ISSUANCE,
}


@_operation
def points_earn(
    *,
    customer: Customer,
    amount: int,
    idempotency_key: str,
    kind: str = Kind.POINTS,
    reason: str = "",
    reference: str = "",
    pending_days: int | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
    now: dt.datetime | None = None,
) -> Posting:
    """Credit points (or cashback) that a sale earned. With a return window the credit stays
    pending and posts itself when the window ends. Value given by hand is `points_grant`."""
    return _earn(
        customer=customer,
        amount=amount,
        idempotency_key=idempotency_key,
        kind=kind,
        action="earn",
        reason=reason,
        reference=reference,
        pending_days=pending_days,
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        now=now,
    )


@_operation
@transaction.atomic
def points_grant(
    *,
    customer: Customer,
    amount: int,
    idempotency_key: str,
    reason: str,
    kind: str = Kind.POINTS,
    reference: str = "",
    pending_days: int | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
    now: dt.datetime | None = None,
) -> Posting:
    """Points or cashback given by hand, outside a sale: a manager's action with a reason,
    within the daily limit, audited. A refund of an order never takes a grant back."""
    business = customer.business
    reason = manual.reason_required(reason)
    manual.manager_required(business, actor, api_key)
    now = now or timezone.now()
    posting = _earn(
        customer=customer,
        amount=amount,
        idempotency_key=idempotency_key,
        kind=kind,
        action="grant",
        reason=reason,
        reference=reference,
        pending_days=0 if pending_days is None else pending_days,
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        now=now,
        limit_check=True,
    )
    if not posting.replayed:
        manual.manual_audit(
            business=business,
            action="wallet.grant",
            customer_id=customer.pk,
            actor=actor,
            api_key=api_key,
            reason=reason,
            operation_id=posting.operation_id,
            kind=kind,
            amount=amount,
        )
    return posting


@_operation
def points_award(
    *,
    customer: Customer,
    amount: int,
    idempotency_key: str,
    reason: str,
    reference: str,
    kind: str = Kind.POINTS,
    actor: User | None = None,
    location_id: int | None = None,
    now: dt.datetime | None = None,
) -> Posting:
    """Points a program's own rule gives outside a sale: coming to an event, a place in a
    challenge, a surprise gift. A manager set the rule up (audited where it was saved); the
    award names it in `reference` ("event:12", "challenge:3") and its key makes it once per
    customer and rule. Posted at once, outside the daily limit of grants by hand; a refund of
    an order never takes it back."""
    return _earn(
        customer=customer,
        amount=amount,
        idempotency_key=idempotency_key,
        kind=kind,
        action="award",
        reason=reason,
        reference=reference,
        pending_days=0,
        actor=actor,
        location_id=location_id,
        now=now,
    )


def _earn(
    *,
    customer: Customer,
    amount: int,
    idempotency_key: str,
    kind: str,
    action: str,
    reason: str,
    reference: str,
    pending_days: int | None,
    actor: User | None,
    location_id: int | None,
    now: dt.datetime | None,
    api_key: ApiKey | None = None,
    limit_check: bool = False,
) -> Posting:
    """Credit the customer: through the PostgreSQL function in one round trip, or the
    Python path in one transaction (a grant, with its daily limit, is always the Python path,
    inside the grant's own transaction)."""
    kind = _kind(kind)
    if kind not in (Kind.POINTS, Kind.CASHBACK):
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"kind": _("Earn points or cashback only.")}
        )
    posting_args: dict[str, Any] = {
        "customer": customer,
        "amount": amount,
        "idempotency_key": idempotency_key,
        "kind": kind,
        "action": action,
        "reason": reason,
        "reference": reference,
        "pending_days": pending_days,
        "actor": actor,
        "api_key": api_key,
        "location_id": location_id,
        "now": now,
    }
    if limit_check:
        return _earn_posting(**posting_args, limit_check=True)
    if pg_posting.enabled():
        return _post_by_function(**posting_args, hold_minutes=None)
    with transaction.atomic():
        return _earn_posting(**posting_args)


def _earn_posting(
    *,
    customer: Customer,
    amount: int,
    idempotency_key: str,
    kind: str,
    action: str,
    reason: str,
    reference: str,
    pending_days: int | None,
    actor: User | None,
    location_id: int | None,
    now: dt.datetime | None,
    api_key: ApiKey | None = None,
    limit_check: bool = False,
) -> Posting:
    """The Python path of a credit, inside the caller's transaction."""
    business_id = customer.business_id
    amount = _amount(business_id, kind, amount)
    now = now or timezone.now()
    operation, replay = _begin(
        business_id,
        idempotency_key,
        action,
        {"customer": customer.pk, "amount": amount, "kind": kind, "reference": reference},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        reason=reason,
        reference=reference,
    )
    if replay:
        return replay
    _check_customer_active(customer)
    held = _hold(business_id, customers=[(customer, kind)], systems=[(ISSUER[kind], kind)], now=now)
    if limit_check:  # under the lock of the customer's accounts
        manual.daily_limit_check(
            business=customer.business,
            limits=wallet_settings(business_id),
            actor=actor,
            api_key=api_key,
            kind=kind,
            amount=amount,
            now=now,
        )
    days = wallet_settings(business_id).pending_days if pending_days is None else pending_days
    posting = Posting(operation_id=operation.pk, action=action)
    _transfer(
        operation,
        posting,
        held.by_pk,
        held.system(ISSUER[kind], kind),
        held.customer(customer, kind),
        amount,
        action if action in ("grant", "award") else "earn",
        pending=days > 0,
        timeout_at=now + dt.timedelta(days=days) if days > 0 else None,
        on_timeout="post",
        now=now,
    )
    return _finish_held(operation, posting, held)


@_operation
def balance_spend(
    *,
    customer: Customer,
    amount: int,
    idempotency_key: str,
    kind: str = Kind.POINTS,
    reference: str = "",
    hold_minutes: int | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
    now: dt.datetime | None = None,
) -> Posting:
    """Spend from a customer's balance (points at checkout, store credit, cashback). With
    `hold_minutes` it only reserves the amount until posted, voided or timed out."""
    kind = _kind(kind)
    if pg_posting.enabled():
        return _post_by_function(
            customer=customer,
            amount=amount,
            idempotency_key=idempotency_key,
            kind=kind,
            action="hold" if hold_minutes else "spend",
            reason="",
            reference=reference,
            pending_days=None,
            hold_minutes=hold_minutes,
            actor=actor,
            api_key=api_key,
            location_id=location_id,
            now=now,
        )
    with transaction.atomic():
        return _spend_posting(
            customer=customer,
            amount=amount,
            idempotency_key=idempotency_key,
            kind=kind,
            reference=reference,
            hold_minutes=hold_minutes,
            actor=actor,
            api_key=api_key,
            location_id=location_id,
            now=now,
        )


def _spend_posting(
    *,
    customer: Customer,
    amount: int,
    idempotency_key: str,
    kind: str,
    reference: str,
    hold_minutes: int | None,
    actor: User | None,
    api_key: ApiKey | None,
    location_id: int | None,
    now: dt.datetime | None,
) -> Posting:
    """The Python path of a spend or hold, inside the caller's transaction."""
    business_id = customer.business_id
    amount = _amount(business_id, kind, amount)
    now = now or timezone.now()
    operation, replay = _begin(
        business_id,
        idempotency_key,
        "hold" if hold_minutes else "spend",
        {"customer": customer.pk, "amount": amount, "kind": kind, "reference": reference},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        reference=reference,
    )
    if replay:
        return replay
    _check_customer_active(customer)
    redemption = (SystemAccount.REDEMPTION, kind)
    held = _hold(business_id, customers=[(customer, kind)], systems=[redemption], now=now)
    posting = Posting(operation_id=operation.pk, action=operation.action)
    _transfer(
        operation,
        posting,
        held.by_pk,
        held.customer(customer, kind),
        held.system(*redemption),
        amount,
        "spend",
        pending=bool(hold_minutes),
        timeout_at=now + dt.timedelta(minutes=hold_minutes) if hold_minutes else None,
        on_timeout="void",
        now=now,
    )
    return _finish_held(operation, posting, held)


def _post_by_function(
    *,
    customer: Customer,
    amount: object,
    idempotency_key: str,
    kind: str,
    action: str,
    reason: str,
    reference: str,
    pending_days: int | None,
    hold_minutes: int | None,
    actor: User | None,
    api_key: ApiKey | None,
    location_id: int | None,
    now: dt.datetime | None,
) -> Posting:
    """An earn, award, spend or hold through the PostgreSQL function (`pg_posting`): the
    same checks, in the same order, and the same typed errors as the Python path. Only a
    refused request reads the settings here (for the message's maximum)."""
    business_id = customer.business_id
    try:
        checked = ledger.check_amount(amount)
    except ledger.InvalidAmount:
        _amount(business_id, kind, amount)  # raises, with the business's maximum
        raise
    try:
        key = _checked_key(idempotency_key)
    except ValidationFailed:
        _amount(business_id, kind, checked)  # an amount over the maximum is reported first
        raise
    payload = {"customer": customer.pk, "amount": checked, "kind": kind, "reference": reference}
    answer = pg_posting.post(
        pg_posting.Request(
            business_id=business_id,
            customer_id=customer.pk,
            inactive=_inactive_code(customer),
            key=key,
            action=action,
            request_hash=_request_hash({"action": action, **payload}),
            kind=kind,
            amount=checked,
            pending_days=pending_days,
            hold_minutes=hold_minutes,
            actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
            api_key_id=api_key.pk if api_key is not None else None,
            location_id=location_id,
            reason=reason,
            reference=reference,
            now=now or timezone.now(),
        )
    )
    error = answer.get("error")
    if error is not None:
        details = answer.get("details") or {}
        if error == "invalid_amount":
            raise _amount_invalid(details["max"])
        if error == "idempotency_key_reused":
            raise _key_reused(details["operation_id"])
        if error == "insufficient_balance":
            raise _insufficient(details["available"], details["wanted"], details["kind"])
        _check_customer_active(customer)  # customer_inactive, customer_blocked
        raise AssertionError(f"wallet_post answered an unknown error {error!r}")
    if answer["replayed"]:
        return _replayed(answer["operation_id"], answer["action"], answer["result"])
    result = answer["result"]
    return Posting(
        operation_id=result["operation_id"],
        action=result["action"],
        transfers=result["transfers"],
        balances=result["balances"],
        notes=result["notes"],
    )


@_operation
@transaction.atomic
def pending_resolve(
    *,
    business: Business,
    operation_key: str,
    post: bool,
    now: dt.datetime | None = None,
    reason: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Posting:
    """Post or void every pending transfer of an earlier operation (a checkout hold, or
    points waiting for the return window). Resolving twice changes nothing. Posting points
    before their return window ends is a manager's action with a reason, audited."""
    operation = Operation.objects.filter(business=business, key=operation_key).first()
    if operation is None:
        raise DomainError(_("No operation with this key."), code="not_found", status=404)
    now = now or timezone.now()
    pending = list(operation.transfers.filter(status=TransferStatus.PENDING))
    early = [
        t
        for t in pending
        if post and t.on_timeout == "post" and t.timeout_at is not None and t.timeout_at > now
    ]
    if early:
        reason = manual.reason_required(reason)
        manual.manager_required(business, actor, api_key)
        audit_record(
            business=business,
            action="wallet.post_early",
            object_type="operation",
            object_id=operation.pk,
            actor=actor,
            api_key=api_key,
            details={
                "amount": sum(t.amount for t in early),
                "reason": reason,
                "window_ended_at": min(t.timeout_at for t in early).isoformat(),
            },
        )
    if post and any(
        t.on_timeout == "void" and t.timeout_at is not None and t.timeout_at < now for t in pending
    ):
        raise Conflict(
            _("This hold has expired and no longer holds anything; spend again."),
            code="hold_expired",
        )
    for transfer in pending:
        _resolve_pending(transfer, post, now)
    posting = Posting(operation_id=operation.pk, action=operation.action)
    posting.transfers = [
        {"id": t.pk, "code": t.code, "amount": t.amount, "status": t.status}
        for t in operation.transfers.all()
    ]
    customers = Customer.objects.filter(
        accounts__in=[
            a for t in operation.transfers.all() for a in (t.debit_account_id, t.credit_account_id)
        ]
    ).distinct()
    return _finish(operation, posting, customers)


@_operation
def pending_timeouts(*, business: Business, now: dt.datetime | None = None) -> int:
    """Resolve pending transfers whose time is up: earned points post, holds are voided."""
    now = now or timezone.now()
    due = Transfer.objects.filter(
        business=business, status=TransferStatus.PENDING, timeout_at__lte=now
    ).order_by("id")
    count = 0
    for transfer in due:
        with transaction.atomic():
            _resolve_pending(transfer, transfer.on_timeout == "post", now)
        count += 1
    return count


@_operation
@transaction.atomic
def balance_adjust(
    *,
    customer: Customer,
    amount: int,
    idempotency_key: str,
    reason: str,
    kind: str = Kind.POINTS,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
    now: dt.datetime | None = None,
) -> Posting:
    """A manager's correction: positive credits, negative debits. A reason is required, the
    change is audited and credits count toward the manager's daily limit."""
    kind = _kind(kind)
    business = customer.business
    if not reason or not reason.strip():
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"reason": _("Say why the balance changes.")}
        )
    manual.manager_required(business, actor, api_key)
    now = now or timezone.now()
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise AmountInvalid.fields(
            _("The amount is not valid."), {"amount": _("Enter a non-zero whole number.")}
        )
    size = _amount(business, kind, abs(amount))
    operation, replay = _begin(
        business.pk,
        idempotency_key,
        "adjust",
        {"customer": customer.pk, "amount": amount, "kind": kind, "reason": reason},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        reason=reason,
    )
    if replay:
        return replay
    _check_customer_active(customer)
    held = _hold(
        business.pk,
        customers=[(customer, kind)],
        systems=[(SystemAccount.ADJUSTMENT, kind)],
        now=now,
    )
    if amount > 0:
        manual.daily_limit_check(
            business=business,
            limits=wallet_settings(business),
            actor=actor,
            api_key=api_key,
            kind=kind,
            amount=size,
            now=now,
        )
    system, account = held.system(SystemAccount.ADJUSTMENT, kind), held.customer(customer, kind)
    posting = Posting(operation_id=operation.pk, action="adjust")
    debit, credit = (system, account) if amount > 0 else (account, system)
    _transfer(operation, posting, held.by_pk, debit, credit, size, "adjust")
    manual.manual_audit(
        business=business,
        action="wallet.adjust",
        customer_id=customer.pk,
        actor=actor,
        api_key=api_key,
        reason=reason,
        operation_id=operation.pk,
        kind=kind,
        amount=amount,
    )
    return _finish_held(operation, posting, held)


@_operation
@transaction.atomic
def points_gift(
    *,
    sender: Customer,
    receiver: Customer,
    amount: int,
    idempotency_key: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
) -> Posting:
    business = sender.business
    if not wallet_settings(business).allow_gifting:
        raise WalletNotAllowed(_("This program does not allow gifting points."), code="gifting_off")
    if sender.business_id != receiver.business_id or sender.pk == receiver.pk:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"receiver": _("Choose another customer.")}
        )
    amount = _amount(business, Kind.POINTS, amount)
    operation, replay = _begin(
        business.pk,
        idempotency_key,
        "gift",
        {"from": sender.pk, "to": receiver.pk, "amount": amount},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
    )
    if replay:
        return replay
    _check_customer_active(sender)
    _check_customer_active(receiver)
    held = _hold(
        business.pk, customers=[(sender, Kind.POINTS), (receiver, Kind.POINTS)], systems=[]
    )
    source, target = held.customer(sender, Kind.POINTS), held.customer(receiver, Kind.POINTS)
    posting = Posting(operation_id=operation.pk, action="gift")
    _transfer(operation, posting, held.by_pk, source, target, amount, "gift")
    return _finish_held(operation, posting, held)


@_operation
@transaction.atomic
def store_credit_topup(
    *,
    customer: Customer,
    amount_minor: int,
    idempotency_key: str,
    bonus_bp: int | None = None,
    reference: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Posting:
    """A prepaid top-up: the money paid becomes store credit, and the program's bonus
    (e.g. 5% → 500 on 10,000) is credited apart as bonus credit, which is never paid out.
    A bonus other than the program's is value given by hand: a manager's, with a reason,
    within the daily limit, audited."""
    business = customer.business
    amount = _amount(business, Kind.STORE_CREDIT, amount_minor)
    own_rate = wallet_settings(business).topup_bonus_bp
    rate = own_rate if bonus_bp is None else bonus_bp
    if not 0 <= rate <= 10_000:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"bonus_bp": _("Between 0 and 10000.")}
        )
    chosen = rate != own_rate
    if chosen:
        reason = manual.reason_required(reason)
        manual.manager_required(business, actor, api_key)
    now = now or timezone.now()
    operation, replay = _begin(
        business.pk,
        idempotency_key,
        "topup",
        {"customer": customer.pk, "amount": amount, "bonus_bp": rate, "reference": reference},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        reason=reason if chosen else "",
        reference=reference,
    )
    if replay:
        return replay
    _check_customer_active(customer)
    paid_in = (SystemAccount.TOPUP, Kind.STORE_CREDIT)
    bonus_source = (SystemAccount.ISSUANCE, Kind.BONUS_CREDIT)
    held = _hold(
        business.pk,
        customers=[(customer, Kind.STORE_CREDIT), (customer, Kind.BONUS_CREDIT)],
        systems=[paid_in, bonus_source],
        now=now,
    )
    credit, bonus = (
        held.customer(customer, Kind.STORE_CREDIT),
        held.customer(customer, Kind.BONUS_CREDIT),
    )
    posting = Posting(operation_id=operation.pk, action="topup")
    _transfer(operation, posting, held.by_pk, held.system(*paid_in), credit, amount, "topup")
    bonus_amount = percent_of(amount, rate, "down")
    if bonus_amount > 0:
        if chosen:
            manual.daily_limit_check(
                business=business,
                limits=wallet_settings(business),
                actor=actor,
                api_key=api_key,
                kind=Kind.BONUS_CREDIT,
                amount=bonus_amount,
                now=now,
            )
        source = held.system(*bonus_source)
        _transfer(operation, posting, held.by_pk, source, bonus, bonus_amount, "topup_bonus")
    posting.notes = {"bonus": bonus_amount}
    if chosen:
        manual.manual_audit(
            business=business,
            action="wallet.topup_bonus",
            customer_id=customer.pk,
            actor=actor,
            api_key=api_key,
            reason=reason,
            operation_id=operation.pk,
            bonus_bp=rate,
            program_bp=own_rate,
            bonus=bonus_amount,
        )
    return _finish_held(operation, posting, held)


@_operation
@transaction.atomic
def cashback_payout(
    *,
    customer: Customer,
    amount_minor: int,
    idempotency_key: str,
    reference: str = "",
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
    hold_minutes: int | None = None,
) -> Posting:
    """Cashback is money: pay it out (e.g. to M-Pesa). Points and bonus credit cannot.
    With `hold_minutes` the amount is only held while the payment provider works: posted
    when it confirms (`pending_resolve`), voided when it fails or does not answer in time."""
    return _to_system(
        customer=customer,
        kind=Kind.CASHBACK,
        amount=amount_minor,
        idempotency_key=idempotency_key,
        action="payout",
        system=SystemAccount.PAYOUT,
        payload={"reference": reference, "hold_minutes": hold_minutes},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        reference=reference,
        hold_minutes=hold_minutes,
    )


def _to_system(
    *,
    customer: Customer,
    kind: str,
    amount: int,
    idempotency_key: str,
    action: str,
    system: str,
    payload: dict[str, Any],
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
    reason: str = "",
    reference: str = "",
    hold_minutes: int | None = None,
) -> Posting:
    """One transfer from a customer's balance to a system account (payout, donation), as an
    idempotent operation named `action`: posted, or with `hold_minutes` pending until resolved
    (voided when the time is up)."""
    business = customer.business
    amount = _amount(business, kind, amount)
    operation, replay = _begin(
        business.pk,
        idempotency_key,
        action,
        {"customer": customer.pk, "amount": amount, **payload},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        reason=reason,
        reference=reference,
    )
    if replay:
        return replay
    _check_customer_active(customer)
    held = _hold(business.pk, customers=[(customer, kind)], systems=[(system, kind)])
    source, target = held.customer(customer, kind), held.system(system, kind)
    posting = Posting(operation_id=operation.pk, action=action)
    now = timezone.now()
    _transfer(
        operation,
        posting,
        held.by_pk,
        source,
        target,
        amount,
        action,
        pending=bool(hold_minutes),
        timeout_at=now + dt.timedelta(minutes=hold_minutes) if hold_minutes else None,
        on_timeout="void",
        now=now,
    )
    return _finish_held(operation, posting, held)


@_operation
def expire_due(*, business: Business, now: dt.datetime | None = None) -> int:
    """Post the unspent remainder of every lot whose expiry has passed, exactly once per lot
    (the lot's own idempotency key guards a rerun). Returns the lots expired."""
    now = now or timezone.now()
    due = Lot.objects.filter(
        business=business, expires_at__lte=now, expired_at__isnull=True
    ).order_by("expires_at", "id")
    count = 0
    for lot_id in due.values_list("id", flat=True):
        with transaction.atomic():
            account = Account.objects.get(lots__pk=lot_id)
            target = system_account(business.pk, SystemAccount.EXPIRY, account.kind)
            locked = _lock([account, target])  # accounts first, then the lot, as spends do
            lot = Lot.objects.select_for_update().get(pk=lot_id)
            if lot.expired_at is not None:
                continue
            held = locked[account.pk]
            if held.available < min(lot.remaining, max(held.balance, 0)):
                continue  # an open hold counts on these points: expire them once it resolves
            operation, replay = _begin(
                business.pk, f"expire:lot:{lot.pk}", "expire", {"lot": lot.pk}
            )
            if replay is None and lot.remaining > 0:
                posting = Posting(operation_id=operation.pk, action="expire")
                amount = min(lot.remaining, max(locked[account.pk].balance, 0))
                if amount > 0:
                    transfer = Transfer.objects.create(
                        business_id=business.pk,
                        operation=operation,
                        debit_account=account,
                        credit_account=target,
                        amount=amount,
                        code="expire",
                        status=TransferStatus.POSTED,
                        resolved_at=now,
                    )
                    Entry.objects.bulk_create(
                        [
                            Entry(
                                business_id=business.pk,
                                account=account,
                                transfer=transfer,
                                amount=-amount,
                            ),
                            Entry(
                                business_id=business.pk,
                                account=target,
                                transfer=transfer,
                                amount=amount,
                            ),
                        ]
                    )
                    _cached_add(account, balance=-amount)
                    _cached_add(target, balance=amount)
                    LotUse.objects.create(
                        business_id=business.pk, lot=lot, transfer=transfer, amount=amount
                    )
                    posting.transfers.append(
                        {"id": transfer.pk, "code": "expire", "amount": amount}
                    )
                posting.notes = {"lot": lot.pk}
                operation.result = posting.as_dict()
                operation.save(update_fields=["result"])
            Lot.objects.filter(pk=lot.pk).update(remaining=0, expired_at=now)
            count += 1
    return count


# ---------------------------------------------------------------- refunds


@_operation
@transaction.atomic
def order_refund_reverse(
    *,
    business: Business,
    order_reference: str,
    refund_key: str,
    refunded_before: int,
    refunded_now: int,
    order_total: int,
    now: dt.datetime | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
) -> Posting:
    """Reverse, in proportion to the refunded amount, what an order earned (all its earn
    operations) and give back what it spent (its spend operations). Cumulative arithmetic
    keeps partial refunds exact; the refund key makes it happen once (the same key for
    another order or amount is refused). If earned points were already spent, the
    program's clawback policy decides. Whatever the figures, no original transfer is ever
    given back or taken back beyond its own amount.

    The figures come from the server's own order record (orders.refunds.order_refund, under
    the order's lock), never from a client."""
    now = now or timezone.now()
    operation, replay = _begin(
        business.pk,
        refund_key,
        "refund",
        {"reference": order_reference, "amount": refunded_now},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        reference=order_reference,
    )
    if replay:
        return replay
    try:
        ledger.refund_delta(1, refunded_before, refunded_now, order_total)
    except ledger.LedgerError:
        raise AmountInvalid.fields(
            _("The amount is not valid."), {"amount": _("The refund is more than was paid.")}
        ) from None
    posting = Posting(operation_id=operation.pk, action="refund")
    customers: set[int] = set()
    related = list(
        Transfer.objects.filter(
            business=business,
            operation__reference=order_reference,
            operation__action__in=["earn", "spend", "hold"],
            code__in=["earn", "spend"],
            reverses__isnull=True,
        )
        .select_related("debit_account", "credit_account")
        .order_by("id")
    )
    policy = wallet_settings(business).clawback
    touched = {
        a.pk: a
        for t in related
        for a in (_current_account(t.debit_account), _current_account(t.credit_account))
    }
    if policy == ClawbackPolicy.OTHER_BALANCE and any(t.code == "earn" for t in related):
        for t in related:
            account = _current_account(t.credit_account)
            if t.code == "earn" and account.customer_id:
                owner = Customer.objects.get(pk=account.customer_id)
                cashback = customer_account(owner, Kind.CASHBACK)
                touched[cashback.pk] = cashback
        issuer = system_account(business.pk, SystemAccount.ISSUANCE, Kind.CASHBACK)
        touched[issuer.pk] = issuer
    _lock(touched.values())  # every account the refund touches, at once, in ascending id order
    for original in related:
        delta = ledger.refund_delta(original.amount, refunded_before, refunded_now, order_total)
        if delta == 0:
            continue
        if original.code == "earn":
            customers.add(_current_account(original.credit_account).customer_id or 0)
            cumulative = ledger.refund_delta(
                original.amount, 0, refunded_before + refunded_now, order_total
            )
            _reverse_earn(operation, posting, original, delta, cumulative, policy, now)
        elif original.status == TransferStatus.POSTED:
            customers.add(_current_account(original.debit_account).customer_id or 0)
            _give_back(operation, posting, original, delta, now)
    return _finish(operation, posting, Customer.objects.filter(pk__in=customers))


def _current_account(account: Account) -> Account:
    """Where a customer account's business goes now: a merged customer's account stands for
    the same kind of account of the customer it was merged into."""
    if not account.customer_id:
        return account
    customer = Customer.objects.get(pk=account.customer_id)
    if customer.merged_into_id is None:
        return account
    while customer.merged_into_id is not None:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer_account(customer, account.kind)


def _reverse_earn(
    operation: Operation,
    posting: Posting,
    original: Transfer,
    delta: int,
    cumulative: int,
    policy: str,
    now: dt.datetime,
) -> None:
    """Take back `delta` of what `original` earned (`cumulative` over all refunds so far)."""
    source = _current_account(original.credit_account)  # customer → issuer
    target = original.debit_account
    delta = min(delta, original.amount - _already(original, "refund_reverse"))
    if delta <= 0:
        return
    chain = [original, *original.reversals.filter(code="earn_remainder").order_by("id")]
    current = chain[-1]
    if current.status == TransferStatus.PENDING:
        # not yet available: replace the pending credit by a smaller one, nothing to take back
        _resolve_pending(current, post=False, now=now)
        remainder = original.amount - cumulative
        if remainder > 0:
            locked = _lock([source, target])
            _transfer(
                operation,
                posting,
                locked,
                target,
                source,
                remainder,
                "earn_remainder",
                pending=True,
                timeout_at=original.timeout_at,
                on_timeout="post",
                reverses=original,
                now=now,
            )
        posting.notes["pending_reduced"] = posting.notes.get("pending_reduced", 0) + delta
        return
    if current.status != TransferStatus.POSTED:
        return
    locked = _lock([source, target])
    available = max(locked[source.pk].available, 0)
    take = delta
    if delta > available and policy != ClawbackPolicy.NEGATIVE:
        take = available
    if take > 0:
        _transfer(
            operation,
            posting,
            locked,
            source,
            target,
            take,
            "refund_reverse",
            reverses=original,
            allow_negative=policy == ClawbackPolicy.NEGATIVE,
            now=now,
        )
    shortfall = delta - take
    if shortfall and policy == ClawbackPolicy.OTHER_BALANCE and source.customer_id:
        customer = Customer.objects.get(pk=source.customer_id)
        cashback = customer_account(customer, Kind.CASHBACK)
        issuer = system_account(source.business_id, SystemAccount.ISSUANCE, Kind.CASHBACK)
        locked = _lock([cashback, issuer])
        value = shortfall * wallet_settings(customer.business).point_value_minor
        from_cashback = min(value, max(locked[cashback.pk].available, 0))
        if from_cashback > 0:
            _transfer(
                operation,
                posting,
                locked,
                cashback,
                issuer,
                from_cashback,
                "refund_reverse_cashback",
            )
        posting.notes["taken_from_cashback_minor"] = from_cashback
    if shortfall:
        posting.notes["absorbed_points"] = posting.notes.get("absorbed_points", 0) + shortfall


def _already(original: Transfer, code: str) -> int:
    """How much of `original` earlier refunds took back (refund_reverse) or gave back
    (refund_return)."""
    done = original.reversals.filter(code=code).aggregate(total=Sum("amount"))
    return int(done["total"] or 0)


def _give_back(
    operation: Operation, posting: Posting, original: Transfer, delta: int, now: dt.datetime
) -> None:
    """Return `delta` of what `original` spent, into lots with the spent lots' expiry
    (latest-expiring first, the reverse of how they were consumed)."""
    customer_acc, redemption = _current_account(original.debit_account), original.credit_account
    if original.status == TransferStatus.PENDING:
        _resolve_pending(original, post=False, now=now)
        posting.notes["hold_voided"] = original.pk
        return
    locked = _lock([customer_acc, redemption])
    uses = list(original.lot_uses.select_related("lot").order_by("-lot__expires_at", "-id"))
    returned_before = _already(original, "refund_return")
    # skip what earlier refunds already gave back, then refill in reverse order; never more
    # than was spent
    skip, left = returned_before, min(delta, original.amount - returned_before)
    for use in uses:
        part = use.amount
        if skip >= part:
            skip -= part
            continue
        part -= skip
        skip = 0
        give = min(part, left)
        if give <= 0:
            break
        # an already expired lot's points come back expired: the next expiry run takes them
        expiry = use.lot.expires_at
        _transfer(
            operation,
            posting,
            locked,
            redemption,
            customer_acc,
            give,
            "refund_return",
            reverses=original,
            lot_expiry=expiry,
            now=now,
        )
        left -= give
    if left > 0:  # spends before lots existed (or money kinds): plain credit back
        _transfer(
            operation,
            posting,
            locked,
            redemption,
            customer_acc,
            left,
            "refund_return",
            reverses=original,
            now=now,
        )


# ---------------------------------------------------------------- merge, export, checks


@_operation
def wallet_merge(keep: Customer, drop: Customer) -> None:
    """Customer merge step: move every balance and its lots (with their expiry) from `drop`
    to `keep`; a negative balance (debt) moves too."""
    now = timezone.now()
    # `keep`'s accounts for every kind `drop` has are created first, then both customers'
    # accounts are locked at once in ascending id order, before anything moves: other
    # operations lock all of a customer's accounts in one go (`_lock_customers`), so creating
    # or locking them here one kind at a time could make the two wait for each other.
    record = current_merge(keep, drop)
    operations: list[int] = []
    kinds = Account.objects.filter(customer=drop).values_list("kind", flat=True)
    _ensure_accounts(keep.business_id, customers=[(keep.pk, kind) for kind in kinds])
    _lock(Account.objects.filter(customer__in=[keep, drop]))
    for account in Account.objects.filter(customer=drop).order_by("pk"):
        target = customer_account(keep, account.kind)
        pending = list(
            Transfer.objects.filter(status=TransferStatus.PENDING)
            .filter(Q(debit_account=account) | Q(credit_account=account))
            .select_related("debit_account", "credit_account")
            .order_by("id")
        )
        _lock([account, target, *(t.debit_account for t in pending)])
        # a checkout held on the dropped customer cannot complete: release what it reserved
        for hold in [t for t in pending if t.debit_account_id == account.pk]:
            _resolve_pending(hold, post=False, now=now)
        waiting = [t for t in pending if t.credit_account_id == account.pk]
        locked = _lock([account, target, *(t.debit_account for t in waiting)])
        source = locked[account.pk]
        if source.balance == 0 and not waiting:
            continue
        # a merge that was undone can be made again: each merge record has its own keys
        suffix = f":{record.pk}" if record is not None else ""
        operation, replay = _begin(
            keep.business_id,
            f"merge:{drop.pk}:{keep.pk}:{account.kind}{suffix}",
            "merge",
            {"keep": keep.pk, "drop": drop.pk, "kind": account.kind},
        )
        if replay:
            continue
        operations.append(operation.pk)
        posting = Posting(operation_id=operation.pk, action="merge")
        # points still in their return window wait on `keep` instead, same amount and time
        for credit in waiting:
            _resolve_pending(credit, post=False, now=now)
            _transfer(
                operation,
                posting,
                locked,
                credit.debit_account,
                target,
                credit.amount,
                "earn_remainder",
                pending=True,
                timeout_at=credit.timeout_at,
                on_timeout=credit.on_timeout,
                reverses=credit.reverses or credit,
                now=now,
            )
        if source.balance < 0:
            _transfer(
                operation,
                posting,
                locked,
                target,
                source,
                -source.balance,
                "merge",
                allow_negative=True,
                now=now,
            )
        else:
            lots = list(Lot.objects.filter(account=source, remaining__gt=0).order_by("id"))
            for lot in lots:
                _transfer(
                    operation,
                    posting,
                    locked,
                    source,
                    target,
                    lot.remaining,
                    "merge",
                    lot_expiry=lot.expires_at,
                    now=now,
                )
            rest = locked[source.pk].balance
            if rest > 0:
                _transfer(operation, posting, locked, source, target, rest, "merge", now=now)
        operation.result = posting.as_dict()
        operation.save(update_fields=["result"])
    merge_record_part(keep=keep, drop=drop, part="wallet", data={"operations": operations})


MERGE_UNDO_CODE = "merge_undo"
TRANSFER_LABELS.setdefault(MERGE_UNDO_CODE, gettext_lazy("Moved back when a merge was undone"))


class MergeUndoSpent(Conflict):
    code = "merge_undo_balance_spent"


def wallet_merge_preview(keep: Customer, drop: Customer) -> dict[str, dict[str, int]]:
    """Each balance kind either customer has: theirs, and the merged customer's (the sum)."""
    mine, theirs = balances(keep), balances(drop)
    return {
        kind: {
            "keep": mine.get(kind, {}).get("balance", 0),
            "drop": theirs.get(kind, {}).get("balance", 0),
            "merged": mine.get(kind, {}).get("balance", 0) + theirs.get(kind, {}).get("balance", 0),
            "pending": mine.get(kind, {}).get("pending_in", 0)
            + theirs.get(kind, {}).get("pending_in", 0),
        }
        for kind in Kind.values
        if kind in mine or kind in theirs
    }


@dataclass
class _MergeUndoPlan:
    """What undoing a merge moves back, by kind: lots to move from keep to drop (with the
    expiry they had on drop), debts to give back to drop, pending credits to re-point."""

    lots: list[tuple[Lot, dt.datetime | None]] = field(default_factory=list)
    debts: list[Transfer] = field(default_factory=list)
    pending: list[Transfer] = field(default_factory=list)
    needed: dict[str, int] = field(default_factory=dict)


def _merge_undo_spent(name: str, kind: str, **details: int) -> MergeUndoSpent:
    message = (
        _("%(name)s has spent points since the merge; the merge cannot be undone.")
        if kind == Kind.POINTS
        else _("%(name)s has used the moved balance since the merge; the merge cannot be undone.")
    )
    return MergeUndoSpent(message % {"name": name}, details={"kind": kind, **details})


def _merge_undo_plan(merge: CustomerMerge, transfers: list[Transfer]) -> _MergeUndoPlan:
    keep_id, drop_id = merge.keep_id, merge.drop_id
    plan = _MergeUndoPlan()

    def spent(kind: str) -> MergeUndoSpent:
        return _merge_undo_spent(merge.keep.name, kind)

    def take_back(lot: Lot | None, amount: int, kind: str, expiry: dt.datetime | None) -> None:
        untouched = (
            lot is not None
            and lot.account.customer_id == keep_id
            and lot.remaining == amount
            and lot.expired_at is None
            and not lot.uses.exists()
        )
        if not untouched or lot is None:
            raise spent(kind)
        plan.lots.append((lot, expiry))
        plan.needed[kind] = plan.needed.get(kind, 0) + amount

    for t in transfers:
        kind = t.debit_account.kind
        if t.code == "merge" and t.status == TransferStatus.POSTED:
            if t.debit_account.customer_id == drop_id:
                lot = Lot.objects.select_related("account").filter(transfer=t).first()
                used = LotUse.objects.filter(transfer=t).select_related("lot").first()
                expiry = used.lot.expires_at if used else (lot.expires_at if lot else None)
                take_back(lot, t.amount, kind, expiry)
            elif t.debit_account.customer_id == keep_id:
                plan.debts.append(t)
        elif t.code == "earn_remainder":
            # follow the chain: a refund since may have replaced this pending credit
            original = t.reverses or t
            current = original.reversals.filter(code="earn_remainder").order_by("id").last()
            if current is None or current.credit_account.customer_id != keep_id:
                continue
            if current.status == TransferStatus.PENDING:
                plan.pending.append(current)
            elif current.status == TransferStatus.POSTED:
                lot = Lot.objects.select_related("account").filter(transfer=current).first()
                take_back(lot, current.amount, kind, lot.expires_at if lot else None)
    return plan


@merge_undo_step("wallet")
def wallet_merge_undo(merge: CustomerMerge, part: dict[str, Any]) -> None:
    """Customer merge undo step: move back, by new balancing transfers, what `wallet_merge`
    moved — each moved lot with the expiry it had, each moved debt, each pending credit —
    so both customers' balances are what they were. Refused (MergeUndoSpent), with nothing
    moved, if the kept customer has spent or lost any of the moved balance since."""
    now = timezone.now()
    transfers = list(
        Transfer.objects.filter(
            business_id=merge.business_id, operation_id__in=part.get("operations", [])
        )
        .select_related("debit_account", "credit_account", "reverses")
        .order_by("id")
    )
    if not transfers:
        return
    keep = Customer.objects.get(pk=merge.keep_id)
    drop = Customer.objects.get(pk=merge.drop_id)
    kinds = sorted({t.debit_account.kind for t in transfers})
    _ensure_accounts(
        merge.business_id, customers=[(c, k) for c in (keep.pk, drop.pk) for k in kinds]
    )
    locked = _lock(Account.objects.filter(customer__in=[keep, drop]))
    plan = _merge_undo_plan(merge, transfers)
    for kind, amount in plan.needed.items():
        account = locked[customer_account(keep, kind).pk]
        if account.available < amount:
            raise _merge_undo_spent(keep.name, kind, available=account.available, needed=amount)
    operations: dict[str, tuple[Operation, Posting]] = {}

    def begin(kind: str) -> tuple[Operation, Posting] | None:
        if kind not in operations:
            operation, replay = _begin(
                merge.business_id,
                f"merge-undo:{merge.pk}:{kind}",
                "merge_undo",
                {"merge": merge.pk, "kind": kind},
            )
            if replay:
                return None
            operations[kind] = (operation, Posting(operation_id=operation.pk, action="merge_undo"))
        return operations[kind]

    for current in plan.pending:
        started = begin(current.credit_account.kind)
        if started is None:
            continue
        _resolve_pending(current, post=False, now=now)
        target = customer_account(drop, current.credit_account.kind)
        held = _lock([current.debit_account, target])
        _transfer(
            started[0],
            started[1],
            held,
            current.debit_account,
            target,
            current.amount,
            "earn_remainder",
            pending=True,
            timeout_at=current.timeout_at,
            on_timeout=current.on_timeout,
            reverses=current.reverses or current,
            now=now,
        )
    locked = _lock(Account.objects.filter(customer__in=[keep, drop]))
    for lot, expiry in plan.lots:
        started = begin(lot.account.kind)
        if started is not None:
            target = customer_account(drop, lot.account.kind)
            _move_lot_back(started[0], started[1], locked, lot, locked[target.pk], expiry, now)
    for debt in plan.debts:
        started = begin(debt.debit_account.kind)
        if started is None:
            continue
        # give the debt back to drop; keep gets its points back with the expiry they had
        parts = [(use.amount, use.lot.expires_at) for use in debt.lot_uses.select_related("lot")]
        rest = debt.amount - sum(amount for amount, _expiry in parts)
        pieces: list[tuple[int, dt.datetime | bool | None]] = [*parts]
        if rest > 0:
            pieces.append((rest, True))
        for piece, piece_expiry in pieces:
            _transfer(
                started[0],
                started[1],
                locked,
                locked[debt.credit_account_id],
                locked[debt.debit_account_id],
                piece,
                MERGE_UNDO_CODE,
                allow_negative=True,
                lot_expiry=piece_expiry,
                now=now,
            )
    for operation, posting in operations.values():
        _finish(operation, posting, [keep, drop])


def _move_lot_back(
    operation: Operation,
    posting: Posting,
    locked: dict[int, Account],
    lot: Lot,
    credit: Account,
    expiry: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """One posted transfer of a whole lot's remainder from its account to `credit`, taken
    from that very lot (not soonest-expiry first, as a spend would), with a new lot of the
    same expiry on `credit`."""
    debit = locked[lot.account_id]
    amount = lot.remaining
    transfer = Transfer(
        business_id=debit.business_id,
        operation=operation,
        debit_account=debit,
        credit_account=credit,
        amount=amount,
        code=MERGE_UNDO_CODE,
        status=TransferStatus.POSTED,
        resolved_at=now,
    )
    insert_returning_pk(transfer)
    insert(
        Entry(business_id=debit.business_id, account=debit, transfer=transfer, amount=-amount),
        Entry(business_id=debit.business_id, account=credit, transfer=transfer, amount=amount),
    )
    debit.balance -= amount
    credit.balance += amount
    _cached_add(debit, balance=-amount, activity_at=now)
    _cached_add(credit, balance=amount, activity_at=now)
    _take_from_lots([(lot.pk, amount)])
    insert(LotUse(business_id=debit.business_id, lot_id=lot.pk, transfer=transfer, amount=amount))
    _add_lot(transfer, credit, amount, expiry, now)
    posting.transfers.append(
        {
            "id": transfer.pk,
            "code": MERGE_UNDO_CODE,
            "amount": amount,
            "status": transfer.status,
            "kind": debit.kind,
        }
    )


def wallet_export_section(customer: Customer) -> tuple[str, Any]:
    from wateja.wallet.selectors import wallet_history

    history = wallet_history(customer, limit=100_000)
    for row in history:
        row["at"] = row["at"].isoformat()
    return ("wallet", {"balances": balances(customer), "history": history})


def ledger_check(business: Business | None = None) -> list[str]:
    """Every way the stored ledger could disagree with itself, as readable lines (empty when
    all is well): customer accounts' cached balances and pending sums against their entries
    and pending transfers, lots against balances, and each business's accounts per kind
    summing to zero (system accounts keep no cache: their balance is their entries)."""
    problems: list[str] = []
    accounts = (
        Account.objects.all() if business is None else Account.objects.filter(business=business)
    )
    entry_sums = dict(
        Entry.objects.filter(account__in=accounts)
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    pending_out = dict(
        Transfer.objects.filter(status=TransferStatus.PENDING, debit_account__in=accounts)
        .values("debit_account")
        .annotate(total=Sum("amount"))
        .values_list("debit_account", "total")
    )
    pending_in = dict(
        Transfer.objects.filter(status=TransferStatus.PENDING, credit_account__in=accounts)
        .values("credit_account")
        .annotate(total=Sum("amount"))
        .values_list("credit_account", "total")
    )
    lot_sums = dict(
        Lot.objects.filter(account__in=accounts)
        .values("account")
        .annotate(total=Sum("remaining"))
        .values_list("account", "total")
    )
    totals: dict[tuple[int, str], int] = {}
    for account in accounts.iterator():
        name = f"account {account.pk} ({account})"
        from_entries = int(entry_sums.get(account.pk) or 0)
        key = (account.business_id, account.kind)
        if account.customer_id is None:
            totals[key] = totals.get(key, 0) + from_entries
            continue
        if from_entries != account.balance:
            problems.append(f"{name}: balance {account.balance}, entries say {from_entries}")
        pending = (int(pending_out.get(account.pk) or 0), int(pending_in.get(account.pk) or 0))
        if pending != (account.pending_debits, account.pending_credits):
            problems.append(
                f"{name}: pending {account.pending_debits}/{account.pending_credits}, "
                f"transfers say {pending[0]}/{pending[1]}"
            )
        in_lots = int(lot_sums.get(account.pk) or 0)
        if in_lots != max(account.balance, 0):
            problems.append(f"{name}: lots hold {in_lots}, balance {account.balance}")
        totals[key] = totals.get(key, 0) + account.balance
    for (business_id, kind), total in sorted(totals.items()):
        if total != 0:
            problems.append(f"business {business_id} {kind}: accounts sum to {total}, not 0")
    problems.extend(_refund_problems(business))
    problems.extend(reference_problems(business))
    return problems


def _refund_problems(business: Business | None) -> list[str]:
    """Refunds never give back more than a transfer spent, nor take back more than it
    earned: per original transfer, the sum of its refund transfers is at most its amount."""
    reversals = Transfer.objects.filter(
        reverses__isnull=False, code__in=["refund_return", "refund_reverse"]
    )
    if business is not None:
        reversals = reversals.filter(business=business)
    problems = []
    for original_id, code, amount, total in (
        reversals.values("reverses", "code", "reverses__amount")
        .annotate(total=Sum("amount"))
        .values_list("reverses", "code", "reverses__amount", "total")
        .order_by("reverses", "code")
    ):
        if total > amount:
            what = "given back" if code == "refund_return" else "taken back"
            problems.append(
                f"transfer {original_id}: {total} {what} by refunds, more than its {amount}"
            )
    return problems


def balances(customer: Customer, now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Each balance of a customer: posted, available now (holds whose time ran out no longer
    count, whether or not the worker has voided them yet) and pending in."""
    accounts = list(Account.objects.filter(customer=customer))
    released: dict[int, int] = {}
    holding = [a.pk for a in accounts if a.pending_debits > 0]
    if holding:
        released = dict(
            _expired_holds(holding, now or timezone.now())
            .values("debit_account")
            .annotate(total=Sum("amount"))
            .values_list("debit_account", "total")
        )
    return {
        a.kind: {
            "balance": a.balance,
            "available": a.available + int(released.get(a.pk) or 0),
            "pending_in": a.pending_credits,
        }
        for a in accounts
    }


def expiring_soon(
    customer: Customer, days: int = 30, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    now = now or timezone.now()
    lots = Lot.objects.filter(
        account__customer=customer,
        remaining__gt=0,
        expired_at__isnull=True,
        expires_at__lte=now + dt.timedelta(days=days),
    ).order_by("expires_at")
    return [
        {"amount": lot.remaining, "expires_at": lot.expires_at, "kind": lot.account.kind}
        for lot in lots.select_related("account")
    ]


@_operation
@transaction.atomic
def points_donate(
    *,
    customer: Customer,
    amount: int,
    cause: str,
    idempotency_key: str,
    actor: User | None = None,
    api_key: ApiKey | None = None,
    location_id: int | None = None,
) -> Posting:
    """Turn points into a donation in the customer's name to a cause the business chose; the
    donation account shows what the business owes the cause."""
    cause = (cause or "").strip()
    if not cause:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {"cause": _("Choose a cause.")}
        )
    posting = _to_system(
        customer=customer,
        kind=Kind.POINTS,
        amount=amount,
        idempotency_key=idempotency_key,
        action="donate",
        system=SystemAccount.DONATION,
        payload={"cause": cause},
        actor=actor,
        api_key=api_key,
        location_id=location_id,
        reason=cause,
    )
    if not posting.replayed:
        from wateja.customers.services import interaction_add

        interaction_add(
            customer=customer,
            kind="note",
            event="points_donated",
            data={"points": posting.transfers[0]["amount"], "cause": cause},
            created_by=actor,
        )
    return posting


WALLET_SETTING_FIELDS = (
    "expiry_rule",
    "expiry_n",
    "expiry_date",
    "pending_days",
    "allow_gifting",
    "clawback",
    "topup_bonus_bp",
    "point_value_minor",
    "manager_daily_points",
    "manager_daily_money_minor",
)


def wallet_settings_update(*, business: Business, **values: Any) -> WalletSettings:
    """Change the program's wallet rules; the expiry policy is validated as the ledger uses it."""
    unknown = set(values) - set(WALLET_SETTING_FIELDS)
    errors: dict[str, Any] = {k: _("Unknown field.") for k in unknown}
    row = WalletSettings.objects.filter(business=business).first() or wallet_settings(business)
    for key, value in values.items():
        if key in WALLET_SETTING_FIELDS:
            setattr(row, key, value)
    try:
        expiry_policy(row)
    except (ledger.LedgerError, ValueError):
        errors["expiry_n"] = _("This expiry needs a number of days (1 or more) or a date.")
    if row.clawback not in ClawbackPolicy.values:
        errors["clawback"] = _("Unknown value.")
    if not 0 <= row.topup_bonus_bp <= 10_000:
        errors["topup_bonus_bp"] = _("Between 0 and 10000.")
    for name in ("manager_daily_points", "manager_daily_money_minor"):
        value = getattr(row, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**15:
            errors[name] = _("Enter a whole number, 0 or more.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    row.save()
    return row
