"""Monthly range partitions for the big append-mostly tables on PostgreSQL.

The ledger's transfers and entries and the orders grow by a row per sale, for ever. On
PostgreSQL they are native partitioned tables (`PARTITION BY RANGE` on their time column), one
partition per calendar month in UTC (`<table>_pYYYYMM`) and a default partition that catches
anything outside them, so an insert never fails for want of a partition. Queries that bound the
time column (rollups, RFM windows, expiry of a month, reports) read only the months they name;
an old month can be detached and archived as one table (docs/partitioning.md).

What partitioning costs, and how it is paid:
* the primary key must include the partition column: it is `(id, <column>)`; ids still come
  from one sequence per table, so `id` stays unique and Django still keys rows by it;
* a unique constraint must include the partition column too, so the uniques that must hold
  across months (an order's number in its business) live in a small key table that a trigger
  fills in the same transaction — its primary key carries the constraint's old name, so a
  duplicate still fails with `IntegrityError` naming `order_number_unique`;
* no foreign key can point into a partitioned table (it would need the partition column): the
  fields that reference these tables have `db_constraint=False`; Django still cascades deletes,
  and `check-ledger` checks the ledger's references.

SQLite keeps plain tables: every function here does nothing there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class KeyTable:
    """A uniqueness kept across partitions: `columns` unique among the rows where `where` holds."""

    constraint: str
    columns: tuple[str, ...]
    where: str = ""


@dataclass(frozen=True)
class PartitionedTable:
    table: str
    column: str
    keys: tuple[KeyTable, ...] = field(default=())


PARTITIONED: tuple[PartitionedTable, ...] = (
    PartitionedTable("wallet_transfer", "created_at"),
    PartitionedTable("wallet_entry", "created_at"),
    PartitionedTable(
        "orders_order", "placed_at", (KeyTable("order_number_unique", ("business_id", "number")),)
    ),
    PartitionedTable(
        "messaging_message",
        "created_at",
        (
            KeyTable(
                "message_once_per_key", ("business_id", "dedupe_key"), "ROW.dedupe_key IS NOT NULL"
            ),
            KeyTable("message_token_unique", ("token",)),
        ),
    ),
)
PARTITIONED_TABLES = frozenset(part.table for part in PARTITIONED)
MONTHS_AHEAD = 3
SKIP_DUPLICATES = "wateja.skip_duplicate_keys"


def spec(table: str) -> PartitionedTable:
    return next(p for p in PARTITIONED if p.table == table)


def month_start(day: dt.date | dt.datetime) -> dt.date:
    return dt.date(day.year, day.month, 1)


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _bound(month: dt.date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def is_partitioned(table: str, connection: BaseDatabaseWrapper | None = None) -> bool:
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = 'public'::regnamespace",
            [table],
        )
        return cursor.fetchone() is not None


def partitions(table: str, connection: BaseDatabaseWrapper | None = None) -> list[dict[str, Any]]:
    """Each partition of `table`: name, month (None for the default) and its row estimate."""
    connection = connection or default_connection
    if not is_partitioned(table, connection):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY c.relname",
            [table],
        )
        rows = cursor.fetchall()
    found = []
    for name, bound, estimate in rows:
        match = re.fullmatch(rf"{re.escape(table)}_p(\d{{4}})(\d{{2}})", name)
        month = dt.date(int(match[1]), int(match[2]), 1) if match else None
        found.append(
            {"name": name, "month": month, "bound": bound, "rows_estimate": max(estimate, 0)}
        )
    return found


def _execute(connection: BaseDatabaseWrapper, sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _fetch(connection: BaseDatabaseWrapper, sql: str, params: list[Any] | None = None) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def create_month(table: str, month: dt.date, connection: BaseDatabaseWrapper | None = None) -> bool:
    """Make `month`'s partition of `table` unless it exists; rows of that month already caught by
    the default partition move into it. True when a partition was made."""
    connection = connection or default_connection
    part = spec(table)
    month = month_start(month)
    name = partition_name(table, month)
    if _fetch(connection, "SELECT 1 FROM pg_class WHERE relname = %s", [name]):
        return False
    start, end = _bound(month), _bound(_next_month(month))
    default = f"{table}_pdefault"
    caught = f'"{part.column}" >= %s AND "{part.column}" < %s'
    stray = _fetch(connection, f'SELECT 1 FROM "{default}" WHERE {caught} LIMIT 1', [start, end])
    if stray:
        # a default partition may not hold rows of a range given to a new partition: move them
        _execute(connection, f'ALTER TABLE "{table}" DETACH PARTITION "{default}"')
        _execute(
            connection,
            f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
        )
        _execute(
            connection,
            f'WITH moved AS (DELETE FROM "{default}" WHERE {caught} RETURNING *) '
            f'INSERT INTO "{name}" SELECT * FROM moved',
            [start, end],
        )
        _execute(
            connection,
            f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (\'{start}\') '
            f"TO ('{end}')",
        )
        _execute(connection, f'ALTER TABLE "{table}" ATTACH PARTITION "{default}" DEFAULT')
    else:
        _execute(
            connection,
            f'CREATE TABLE "{name}" PARTITION OF "{table}" FOR VALUES FROM (\'{start}\') '
            f"TO ('{end}')",
        )
    return True


def months_in_default(table: str, connection: BaseDatabaseWrapper | None = None) -> list[dt.date]:
    """The months of the rows the default partition caught (an import of old sales, say)."""
    connection = connection or default_connection
    column = spec(table).column
    rows = _fetch(
        connection,
        f"SELECT DISTINCT date_trunc('month', \"{column}\" AT TIME ZONE 'UTC')::date "
        f'FROM "{table}_pdefault"',
    )
    return sorted(month for (month,) in rows)


def ensure_months(
    *,
    now: dt.datetime,
    ahead: int = MONTHS_AHEAD,
    connection: BaseDatabaseWrapper | None = None,
) -> list[str]:
    """This month's partition and `ahead` more of every partitioned table, and a partition for
    every month whose rows the default partition caught (they move into it); the names made."""
    connection = connection or default_connection
    made = []
    for part in PARTITIONED:
        if not is_partitioned(part.table, connection):
            continue
        for month in months_in_default(part.table, connection):
            if create_month(part.table, month, connection):
                made.append(partition_name(part.table, month))
        month = month_start(now.astimezone(dt.UTC))
        for _ in range(ahead + 1):
            if create_month(part.table, month, connection):
                made.append(partition_name(part.table, month))
            month = _next_month(month)
    return made


def has_month(table: str, month: dt.date, connection: BaseDatabaseWrapper | None = None) -> bool:
    name = partition_name(table, month_start(month))
    return any(row["name"] == name for row in partitions(table, connection))


def detach_month(table: str, month: dt.date, connection: BaseDatabaseWrapper | None = None) -> str:
    """Detach `month`'s partition of `table`: it stays as a plain table (to dump and drop) and
    no query of the application reads it any more. Returns the detached table's name."""
    connection = connection or default_connection
    name = partition_name(table, month_start(month))
    _execute(connection, f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
    return name


# --- converting a plain table (the migration) ----------------------------------------------


def _key_table(table: str, key: KeyTable) -> str:
    return f"{table}_key_{key.constraint}"[:63]


def _key_trigger_sql(table: str, key: KeyTable) -> list[str]:
    """The key table of `key` and the triggers that keep it: a row's key is claimed before the
    row is inserted (a key another row holds fails as the old unique constraint did, or skips
    the row silently while `SKIP_DUPLICATES` is on, as `INSERT … ON CONFLICT DO NOTHING` did);
    a row moving to another month's partition keeps its key (the claim is by row id)."""
    keys = _key_table(table, key)
    cols = ", ".join(f'"{c}"' for c in key.columns)
    new = ", ".join(f'NEW."{c}"' for c in key.columns)
    match_new = " AND ".join(f'"{c}" = NEW."{c}"' for c in key.columns)
    match_old = " AND ".join(f'"{c}" = OLD."{c}"' for c in key.columns)
    changed = " OR ".join(f'NEW."{c}" IS DISTINCT FROM OLD."{c}"' for c in key.columns)
    applies_new = f"({key.where.replace('ROW.', 'NEW.')})" if key.where else "true"
    applies_old = f"({key.where.replace('ROW.', 'OLD.')})" if key.where else "true"
    function = f"{keys}_keep"[:55]
    taken = (
        f"RAISE unique_violation USING CONSTRAINT = '{key.constraint}', "
        f"MESSAGE = 'duplicate key value violates unique constraint \"{key.constraint}\"'"
    )
    return [
        f'CREATE TABLE "{keys}" ('
        + ", ".join(f'"{c}" {_column_type(table, c)} NOT NULL' for c in key.columns)
        + f', row_id bigint NOT NULL, CONSTRAINT "{key.constraint}" PRIMARY KEY ({cols}))',
        f"""CREATE OR REPLACE FUNCTION "{function}_claim"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE holder bigint;
BEGIN
  IF NOT {applies_new} THEN RETURN NEW; END IF;
  INSERT INTO "{keys}" ({cols}, row_id) VALUES ({new}, NEW.id) ON CONFLICT DO NOTHING;
  IF FOUND THEN RETURN NEW; END IF;
  SELECT row_id INTO holder FROM "{keys}" WHERE {match_new};
  IF holder = NEW.id THEN RETURN NEW; END IF;
  IF current_setting('{SKIP_DUPLICATES}', true) = 'on' THEN RETURN NULL; END IF;
  {taken};
END $$""",
        f"""CREATE OR REPLACE FUNCTION "{function}"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ({changed})) THEN
    IF {applies_old} THEN
      DELETE FROM "{keys}" WHERE {match_old} AND row_id = OLD.id;
    END IF;
  END IF;
  IF TG_OP = 'INSERT' AND {applies_new} THEN
    INSERT INTO "{keys}" ({cols}, row_id) VALUES ({new}, NEW.id) ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'UPDATE' AND ({changed}) AND {applies_new} THEN
    INSERT INTO "{keys}" ({cols}, row_id) VALUES ({new}, NEW.id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN {taken}; END IF;
  END IF;
  RETURN NULL;
END $$""",
        f'CREATE TRIGGER "{function}_claim" BEFORE INSERT ON "{table}" '
        f'FOR EACH ROW EXECUTE FUNCTION "{function}_claim"()',
        f'CREATE TRIGGER "{function}" AFTER INSERT OR UPDATE OF {cols} OR DELETE ON "{table}" '
        f'FOR EACH ROW EXECUTE FUNCTION "{function}"()',
        # TRUNCATE (Django's test flush among others) empties the key table with its owner
        f'CREATE OR REPLACE FUNCTION "{function}_truncate"() RETURNS trigger '
        f'LANGUAGE plpgsql AS $$ BEGIN TRUNCATE "{keys}"; RETURN NULL; END $$',
        f'CREATE TRIGGER "{function}_truncate" AFTER TRUNCATE ON "{table}" '
        f'FOR EACH STATEMENT EXECUTE FUNCTION "{function}_truncate"()',
    ]


@contextmanager
def skipping_duplicate_keys(connection: BaseDatabaseWrapper | None = None) -> Iterator[None]:
    """Inside: a row whose key another row holds is skipped instead of failing, on the tables
    whose uniques live in key tables (what `bulk_create(ignore_conflicts=True)` relied on)."""
    connection = connection or default_connection
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            _execute(connection, "SELECT set_config(%s, 'on', true)", [SKIP_DUPLICATES])
        try:
            yield
        finally:
            if connection.vendor == "postgresql":
                _execute(connection, "SELECT set_config(%s, 'off', true)", [SKIP_DUPLICATES])


_COLUMN_TYPES: dict[tuple[str, str], str] = {}


def _column_type(table: str, column: str) -> str:
    return _COLUMN_TYPES[(table, column)]


def convert(table: str, connection: BaseDatabaseWrapper) -> None:
    """Turn the plain table `table` into a partitioned one with the same columns, defaults,
    checks, indexes and outgoing foreign keys, its rows copied and its id sequence continued."""
    if connection.vendor != "postgresql" or is_partitioned(table, connection):
        return
    part = spec(table)
    old = f"{table}_unpartitioned"
    for column, kind in _fetch(
        connection,
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        [table],
    ):
        _COLUMN_TYPES[(table, column)] = kind
    indexes = _fetch(
        connection,
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid "
        "AND k.contype IN ('u', 'p'))",
        [table],
    )
    uniques = _fetch(
        connection,
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    )
    foreign_keys = _fetch(
        connection,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    incoming = _fetch(
        connection,
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    if incoming:
        raise RuntimeError(
            f"{table} is still referenced by foreign keys {incoming}: give those fields "
            "db_constraint=False before partitioning it"
        )
    kept = {key.constraint for key in part.keys}
    unique_names = {name for (name,) in uniques} | {n for n, _, unique in indexes if unique}
    unknown = unique_names - kept
    if unknown:
        raise RuntimeError(f"{table}: unique {sorted(unknown)} has no key table to keep it")
    sequence_value = _fetch(connection, "SELECT pg_get_serial_sequence(%s, 'id')", [table])[0][0]
    last = _fetch(connection, f"SELECT last_value, is_called FROM {sequence_value}")[0]

    primary_key = _fetch(
        connection,
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
        [table],
    )[0][0]
    _execute(connection, f'ALTER TABLE "{table}" ALTER COLUMN id DROP IDENTITY IF EXISTS')
    _execute(connection, f'ALTER TABLE "{table}" ALTER COLUMN id DROP DEFAULT')
    _execute(connection, f"DROP SEQUENCE IF EXISTS {sequence_value}")
    _execute(connection, f'ALTER TABLE "{table}" RENAME TO "{old}"')
    _execute(connection, f'ALTER INDEX "{primary_key}" RENAME TO "{old}_pkey"')
    for name, _definition, _unique in indexes:
        _execute(connection, f'ALTER INDEX "{name}" RENAME TO "{name}_unpart"')
    for (name,) in uniques:
        _execute(connection, f'ALTER TABLE "{old}" DROP CONSTRAINT "{name}"')
    _execute(
        connection,
        f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
        f'INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ("{part.column}")',
    )
    sequence = f"{table}_id_seq"
    _execute(connection, f'CREATE SEQUENCE "{sequence}" AS bigint OWNED BY "{table}".id')
    _execute(connection, f"SELECT setval('\"{sequence}\"', %s, %s)", [last[0], last[1]])
    _execute(
        connection,
        f'ALTER TABLE "{table}" ALTER COLUMN id SET DEFAULT nextval(\'"{sequence}"\')',
    )
    _execute(
        connection,
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id, "{part.column}")',
    )
    _execute(connection, f'CREATE TABLE "{table}_pdefault" PARTITION OF "{table}" DEFAULT')
    months = _fetch(
        connection,
        f"SELECT DISTINCT date_trunc('month', \"{part.column}\" AT TIME ZONE 'UTC')::date "
        f'FROM "{old}"',
    )
    for (month,) in months:
        create_month(table, month, connection)
    ensure_months(now=dt.datetime.now(dt.UTC), connection=connection)
    for key in part.keys:
        for statement in _key_trigger_sql(table, key):
            _execute(connection, statement)
    _execute(connection, f'INSERT INTO "{table}" SELECT * FROM "{old}"')
    _execute(connection, f'DROP TABLE "{old}"')
    for name, definition, unique in indexes:
        if unique:
            continue
        rebuilt = re.sub(rf"ON (public\.)?{re.escape(old)} ", f'ON "{table}" ', definition)
        rebuilt = rebuilt.replace(f"INDEX {name}_unpart ", f'INDEX "{name}" ', 1)
        _execute(connection, rebuilt)
    for name, definition in foreign_keys:
        _execute(connection, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    _execute(connection, f'ANALYZE "{table}"')
