"""Reports read from the read replica; everything else, and every write, stays on the primary.

When `DATABASE_REPLICA_URL` is set, settings add a database alias `replica` (a streaming
standby of `default`) and install `ReplicaRouter`. The router sends a read to the replica only
inside `reporting_reads()`, which the analytics dashboard, its exports and the customer export
enter; every other read of a request stays on the primary, so a page shows what the same
request (or the one before it) just wrote. Writes always go to the primary: the router never
names the replica for a write and never migrates it (a standby refuses writes anyway).

A read inside a transaction on the primary also stays there, so a service that reads and then
writes in one `atomic()` block sees its own rows even when a report path called it. The replica
may lag the primary by a moment; reports and exports can live with that, the till cannot.

Raw SQL picks its connection with `reads_connection()`. Without a replica every function here
answers "default" and `reporting_reads()` changes nothing.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
# read on the primary even inside reports: a report page starts a background job and polls
# it at once, before a lagging replica would have the row
PRIMARY_ONLY = frozenset({"operations.backgroundjob"})

_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")
_reporting: contextvars.ContextVar[bool] = contextvars.ContextVar("wateja_reporting", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def reporting_reads() -> Iterator[None]:
    """Reads made inside go to the replica (when there is one and no primary transaction is
    open); writes still go to the primary."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def reporting(view: Callable[_P, _R]) -> Callable[_P, _R]:
    """`reporting_reads()` around a whole function (a report view, an export job)."""

    @functools.wraps(view)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with reporting_reads():
            return view(*args, **kwargs)

    return wrapper


def reporting_gets(view: Callable[_P, _R]) -> Callable[_P, _R]:
    """`reporting_reads()` around a view's GET requests only (a router of reports whose few
    other methods change settings: they read, then write, on the primary)."""

    @functools.wraps(view)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        request = args[0] if args else kwargs.get("request")
        if getattr(request, "method", None) != "GET":
            return view(*args, **kwargs)
        with reporting_reads():
            return view(*args, **kwargs)

    return wrapper


def reporting_chunks(chunks: Iterable[_T]) -> Iterator[_T]:
    """A streamed export's chunks, each one made inside `reporting_reads()`: the rows of a
    streamed response are read after its view returned. The flag is set only while a chunk is
    made, so it never outlives the stream (an abandoned download leaves nothing behind)."""
    source = iter(chunks)
    while True:
        with reporting_reads():
            chunk = next(source, _END)
        if chunk is _END:
            return
        yield chunk


_END: Any = object()


def read_alias() -> str:
    """The alias reads go to now: the replica inside `reporting_reads()`, else the primary."""
    if not _reporting.get() or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:  # read your own transaction's writes
        return DEFAULT_DB_ALIAS
    return REPLICA


def reads_connection() -> Any:
    """The connection raw SQL that only reads should use (see `read_alias`)."""
    return connections[read_alias()]


class ReplicaRouter:
    """Django database router (settings.DATABASE_ROUTERS when a replica is configured)."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if model._meta.label_lower in PRIMARY_ONLY:
            return DEFAULT_DB_ALIAS
        return read_alias()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
