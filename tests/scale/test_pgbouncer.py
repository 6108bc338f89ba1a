"""The suite's PostgreSQL pass goes through PgBouncer in transaction mode (scripts/test starts
it with scripts/pgbouncer and sets DATABASE_URL to its port, DATABASE_POOL=transaction and
WATEJA_EXPECT_PGBOUNCER=1), and the settings behind a transaction pooler are the ones it needs.

Whether this process's database connection really is a PgBouncer client is asked of
PgBouncer's admin console (SHOW CLIENTS / SHOW SERVERS / SHOW POOLS on the same address,
database "pgbouncer"): the connection's own socket must be one of its clients, and the server
connection PostgreSQL sees must be one of its servers. Not behind PgBouncer the test is
skipped, unless WATEJA_EXPECT_PGBOUNCER=1 says it must be (then it fails).
"""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

EXPECT = os.environ.get("WATEJA_EXPECT_PGBOUNCER") == "1"
POSTGRES = "postgres://u:p@127.0.0.1:6432/wateja"


def _admin() -> Any:
    """A connection to the admin console of the PgBouncer at the suite's address, or None."""
    import psycopg

    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        return None
    host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
    try:
        return psycopg.connect(
            f"postgres://pgbouncer@{host}:{port}/pgbouncer", autocommit=True, connect_timeout=3
        )
    except psycopg.Error:
        return None


def _rows(admin: Any, command: str) -> list[dict[str, Any]]:
    cursor = admin.execute(command)
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture
def pgbouncer_admin() -> Any:
    admin = _admin()
    if admin is None:
        message = "the suite's database is not reached through PgBouncer"
        if EXPECT:
            pytest.fail(f"WATEJA_EXPECT_PGBOUNCER=1 but {message}")
        pytest.skip(message)
    with admin:
        yield admin


@pytest.mark.django_db
def test_the_suites_connection_goes_through_pgbouncer_in_transaction_mode(pgbouncer_admin):
    with connection.cursor() as cursor:
        cursor.execute("SELECT inet_client_port()")
        (server_sees,) = cursor.fetchone()
    fd = connection.connection.pgconn.socket
    with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as ours:
        our_port = ours.getsockname()[1]
    name = connection.settings_dict["NAME"]

    clients = _rows(pgbouncer_admin, "SHOW CLIENTS")
    assert any(c["port"] == our_port and c["database"] == name for c in clients), clients
    # PostgreSQL's peer is PgBouncer's server connection, not this process
    servers = _rows(pgbouncer_admin, "SHOW SERVERS")
    assert any(s["local_port"] == server_sees and s["database"] == name for s in servers)
    pools = {p["database"]: p["pool_mode"] for p in _rows(pgbouncer_admin, "SHOW POOLS")}
    assert pools[name] == "transaction"


@pytest.mark.django_db
def test_behind_pgbouncer_nothing_outlives_a_transaction(pgbouncer_admin):
    assert settings.DATABASE_POOL == "transaction"
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    config = {row["key"]: row["value"] for row in _rows(pgbouncer_admin, "SHOW CONFIG")}
    keeps_prepared = int(config.get("max_prepared_statements") or 0) > 0
    # PgBouncer before 1.21 (or without max_prepared_statements) loses prepared statements
    assert settings.PG_PREPARE is False or keeps_prepared


def test_a_transaction_pool_turns_off_server_side_cursors_and_preparing(settings_under):
    pooled, prepared, direct, wrong = settings_under(
        {"DATABASE_URL": POSTGRES, "DATABASE_POOL": "transaction"},
        {"DATABASE_URL": POSTGRES, "DATABASE_POOL": "transaction", "WATEJA_PG_PREPARE": "1"},
        {"DATABASE_URL": POSTGRES.replace("6432", "5432")},
        {"DATABASE_URL": POSTGRES, "DATABASE_POOL": "statement"},
    )
    assert pooled["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert pooled["PG_PREPARE"] is False
    # PgBouncer 1.21+ with max_prepared_statements keeps them: the owner may turn them back on
    assert prepared["PG_PREPARE"] is True
    assert direct["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert direct["PG_PREPARE"] is True
    assert wrong["error"].startswith("ImproperlyConfigured")
