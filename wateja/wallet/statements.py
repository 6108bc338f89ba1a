"""The SQL helpers of the ledger's posting path: plain statements instead of the ORM.

Every earn and spend runs a dozen statements. Django's ORM spends 150–400 µs of CPU to build
one statement, several times what the database needs to run it (benchmarks/README.md,
`ledger.py`), so the posting path writes them out. Reads turn rows into model instances as
`Model.objects.raw` does (Django's conversions per column) but work out the column mapping and
converters once per query shape and connection; inserts take each column's value from its
field as `save()` does (defaults, auto_now_add, the database's formats for dates and JSON).
The SQL is plain and the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model
from django.db.models.sql import Query

_M = TypeVar("_M", bound=Model)
_PLAIN = (int, str, bool, type(None))


def for_update() -> str:
    """Row locks where the database has them. SQLite has none: its IMMEDIATE transaction
    already holds the write lock (Django's select_for_update() does nothing there either)."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


_cursors: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def posting_cursor() -> Any:
    """A cursor for the posting path; callers leave it open. On PostgreSQL it is one cursor
    kept per connection and reused, binding parameters on the server, and its connection
    prepares each statement the first time it runs, so the server parses and plans each of
    the path's dozen statements once per connection instead of on every operation (Django's
    own cursors bind on the client and never prepare). Wrapped as Django wraps its cursors,
    so query logging and execute wrappers see these statements too. Off with
    settings.PG_PREPARE (WATEJA_PG_PREPARE=0), for poolers that lose prepared statements."""
    if connection.vendor != "postgresql" or not settings.PG_PREPARE:
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    kept = _cursors.get(raw)
    if kept is None or kept.closed:
        raw.prepare_threshold = 0
        kept = _cursors[raw] = psycopg.Cursor(raw)
    return connection._prepare_cursor(kept)  # type: ignore[attr-defined]


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run one statement; the number of rows it changed."""
    cursor = posting_cursor()
    cursor.execute(sql, params)
    return int(cursor.rowcount)


def db_value(model: type[Model], name: str, value: Any) -> Any:
    """`value` as the database stores it in `model.name` (a date's format, JSON…)."""
    field: Any = model._meta.get_field(name)
    return field.get_db_prep_save(value, connection)


# ---------------------------------------------------------------- reading rows into models

_Reader = tuple[list[str], list[int], list[tuple[str, int]], Callable[[list[Any]], Any] | None]
_readers: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], _Reader]] = (
    weakref.WeakKeyDictionary()
)


def _reader(model: type[Model], sql: str, cursor: Any) -> _Reader:
    """For the rows of `sql`: the model's field names and their positions (in the model's
    field order, as `from_db` wants them), the extra columns set as attributes, and the
    database's converters. Kept per connection (converters belong to one) and statement, so
    the cursor's description is read only the first time."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    cache = _readers.setdefault(wrapper, {})
    key = (model, sql)
    if key not in cache:
        columns = tuple(str(column[0]) for column in cursor.description)
        fields = {f.column: f for f in model._meta.concrete_fields}
        present = [f for f in model._meta.concrete_fields if f.column in columns]
        names = [f.attname for f in present]
        positions = [columns.index(f.column) for f in present]
        extras = [(name, pos) for pos, name in enumerate(columns) if name not in fields]
        compiler = wrapper.ops.compiler("SQLCompiler")(Query(model), wrapper, wrapper.alias)
        cols: list[Any] = [
            fields[name].get_col(model._meta.db_table) if name in fields else None
            for name in columns
        ]
        converters = compiler.get_converters(cols)

        def convert(rows: list[Any]) -> Any:
            return compiler.apply_converters(rows, converters)

        cache[key] = (names, positions, extras, convert if converters else None)
    return cache[key]


def fetch(model: type[_M], sql: str, params: Sequence[Any]) -> list[_M]:
    """The rows of `sql` (which selects the model's columns, and may add others: they become
    attributes) as instances of `model`."""
    cursor = posting_cursor()
    cursor.execute(sql, params)
    rows: Iterable[Any] = cursor.fetchall()
    names, positions, extras, convert = _reader(model, sql, cursor)
    if convert is not None:
        rows = convert(list(rows))
    found = []
    for values in rows:
        obj = model.from_db(connection.alias, names, [values[pos] for pos in positions])
        for name, pos in extras:
            setattr(obj, name, values[pos])
        found.append(obj)
    return found


# ---------------------------------------------------------------- inserting models


@functools.cache
def _insert_parts(model: type[Model], vendor: str) -> tuple[str, str, list[Any]]:
    """For `model`: "INSERT INTO table (columns) VALUES ", one row's placeholders, and the
    fields in column order (every concrete field but the generated id)."""
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(str(f.column)) for f in fields)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    return head, "(" + ", ".join(["%s"] * len(fields)) + ")", fields


@functools.cache
def _plain_fields(model: type[Model]) -> frozenset[str]:
    """The attnames whose value goes to the database as it is when it is a plain int, str,
    bool or None: integers, text, booleans and foreign keys to integer ids, with no value
    computed on save. For these the ORM's preparation returns the value unchanged."""
    plain = set()
    field: Any
    for field in model._meta.concrete_fields:
        target = field.target_field if field.is_relation else field
        kind = target.get_internal_type()
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if kind.endswith(("IntegerField", "AutoField")) or kind in (
            "CharField",
            "TextField",
            "BooleanField",
        ):
            plain.add(field.attname)
    return frozenset(plain)


def _value(field: Any, obj: Model, plain: frozenset[str]) -> Any:
    if field.attname in plain:
        value = getattr(obj, field.attname)
        if type(value) in _PLAIN:
            return value
    return field.get_db_prep_save(field.pre_save(obj, add=True), connection)


def insert_sql(objs: Sequence[Model]) -> tuple[str, list[Any]]:
    model = type(objs[0])
    head, row, fields = _insert_parts(model, connection.vendor)
    plain = _plain_fields(model)
    params = [_value(field, obj, plain) for obj in objs for field in fields]
    return head + ", ".join([row] * len(objs)), params


def _saved(objs: Iterable[Model]) -> None:
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert(*objs: Model) -> None:
    """One INSERT of objects of one model; their ids are not read back."""
    execute(*insert_sql(objs))
    _saved(objs)


def insert_returning_pk(obj: Model, on_conflict: str = "") -> bool:
    """INSERT one object and set its pk from RETURNING (PostgreSQL, SQLite 3.35 or later).
    False, with no pk, when `on_conflict` (an ON CONFLICT … DO NOTHING clause) skipped it."""
    sql, params = insert_sql([obj])
    pk = connection.ops.quote_name(str(obj._meta.pk.column))
    cursor = posting_cursor()
    cursor.execute(f"{sql} {on_conflict} RETURNING {pk}", params)
    row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    _saved([obj])
    return True
