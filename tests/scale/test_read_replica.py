"""Reports read from a streaming replica, every write and every other read stays on the primary
(wateja/dbrouting.py).

On PostgreSQL the test starts its own primary and a real streaming standby of it
(tests/scale/conftest.py `replica_pair`) and runs tests/scale/replica_probe.py against them in
a process of its own (DATABASE_URL the primary, DATABASE_REPLICA_URL the standby): the
dashboard, a report export and the customer export read from the standby, which answers
pg_is_in_recovery() true; their writes (the audit log, the session) go to the primary; an
ordinary staff page reads only the primary; the standby refuses a write. Without PostgreSQL
only the routing rules that need no replica run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, router

from tests.scale.conftest import ReplicaPair
from wateja.customers.models import Customer
from wateja.dbrouting import read_alias, reporting_chunks, reporting_reads

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
# what the analytics and exports read: from the replica, never from the primary
REPORT_DATA = {
    "analytics_dailyrollup", "customers_customer", "orders_order", "wallet_transfer",
    "wallet_account", "analytics_cohortcell",
}  # fmt: skip


def test_without_a_replica_reports_read_the_primary():
    with reporting_reads():
        assert read_alias() == DEFAULT_DB_ALIAS
        assert router.db_for_read(Customer) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Customer) == DEFAULT_DB_ALIAS


def test_a_streamed_export_reads_in_report_mode_only_while_it_makes_a_chunk(monkeypatch):
    monkeypatch.setattr("wateja.dbrouting.replica_configured", lambda: True)
    seen: list[str] = []

    def chunks():
        for n in range(3):
            seen.append(read_alias())
            yield f"chunk {n}"

    stream = reporting_chunks(chunks())
    assert next(stream) == "chunk 0"
    # between chunks (the server writing the response, the next request) reads are ordinary
    assert read_alias() == DEFAULT_DB_ALIAS
    assert list(stream) == ["chunk 1", "chunk 2"]
    assert seen == ["replica"] * 3
    assert read_alias() == DEFAULT_DB_ALIAS


def test_an_abandoned_download_leaves_report_mode_off(monkeypatch):
    monkeypatch.setattr("wateja.dbrouting.replica_configured", lambda: True)
    stream = reporting_chunks(iter([b"a", b"b"]))
    next(stream)
    stream.close()
    assert read_alias() == DEFAULT_DB_ALIAS


def test_a_replica_url_adds_the_replica_alias_and_the_router(settings_under):
    primary = "postgres://u:p@db1.example:5432/wateja"
    with_replica, without = settings_under(
        {"DATABASE_URL": primary, "DATABASE_REPLICA_URL": "postgres://u:p@db2.example:5432/wateja"},
        {"DATABASE_URL": primary},
    )
    replica = with_replica["DATABASES"]["replica"]
    assert (replica["HOST"], replica["NAME"]) == ("db2.example", "wateja")
    assert replica["TEST"] == {"MIRROR": "default"}  # tests read the test database
    assert with_replica["DATABASE_ROUTERS"] == ["wateja.dbrouting.ReplicaRouter"]
    assert set(without["DATABASES"]) == {"default"}
    assert without["DATABASE_ROUTERS"] == []


@pytest.fixture(scope="module")
def probe(replica_pair: ReplicaPair, tmp_path_factory: pytest.TempPathFactory) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": replica_pair.primary_url,
        "DATABASE_REPLICA_URL": replica_pair.standby_url,
        "WATEJA_DATA_DIR": str(tmp_path_factory.mktemp("replica-data")),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    env.pop("DATABASE_POOL", None)  # the pair is reached directly, not through PgBouncer
    done = subprocess.run(
        [sys.executable, "-m", "tests.scale.replica_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    print(done.stderr[-2000:], done.stdout)  # shown with a failing test's output
    return json.loads(done.stdout.strip().splitlines()[-1])


postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (a real standby)")


@postgres_only
def test_the_replica_is_a_standby_and_refuses_writes(probe):
    assert probe["recovery"] == {"default": "False", "replica": "True"}
    assert "read-only transaction" in probe["replica_write"]


@postgres_only
def test_the_dashboard_reads_from_the_replica_and_writes_nothing_there(probe):
    page = probe["dashboard"]
    assert page["status"] == 200
    assert page["replica"]["reads"] > 0
    assert page["replica"]["writes"] == 0
    assert {"analytics_dailyrollup", "customers_customer"} <= set(page["replica"]["read_tables"])
    # the primary reads only the signed-in manager's session and the business's settings
    # (get_or_create: a read inside its own write transaction stays on the primary)
    assert not REPORT_DATA & set(page["default"]["read_tables"])


@postgres_only
def test_a_report_export_reads_the_replica_and_audits_on_the_primary(probe):
    export = probe["report_export"]
    assert export["status"] == 200
    assert export["replica"]["reads"] > 0
    assert export["replica"]["writes"] == 0
    assert "tenants_auditevent" in export["default"]["write_tables"]
    assert export["audit_on_primary"] == 1
    assert not REPORT_DATA & set(export["default"]["read_tables"])


@postgres_only
def test_the_customer_export_reads_its_rows_from_the_replica(probe):
    export = probe["customer_export"]
    assert export["status"] == 200
    assert export["names"] == ["Mteja Nakala 0", "Mteja Nakala 1", "Mteja Nakala 2"]
    assert "customers_customer" in export["replica"]["read_tables"]
    assert "customers_customer" not in export["default"]["read_tables"]
    assert export["replica"]["writes"] == 0
    assert "tenants_auditevent" in export["default"]["write_tables"]


@postgres_only
def test_an_ordinary_page_reads_its_own_writes_from_the_primary(probe):
    page = probe["ordinary"]
    assert page["status"] == 200
    assert page["found"]  # the customer created just before, before the standby replayed it
    assert page["replica"]["reads"] == 0
    assert page["replica"]["writes"] == 0


@postgres_only
def test_writes_inside_a_report_go_to_the_primary(probe):
    routed = probe["router"]
    assert routed["read_in_report"] == "replica"
    assert routed["loaded_from"] == "replica"
    assert routed["write_in_report"] == "default"
    assert routed["saved_on_primary"]
    assert routed["read_outside"] == "default"
    # inside a transaction on the primary a report reads what that transaction wrote
    assert routed["read_in_transaction"] == "default"
