"""Run by tests/scale/test_read_replica.py in a process of its own, with DATABASE_URL the
primary and DATABASE_REPLICA_URL its streaming standby (the suite's own process keeps its test
database): migrates the primary, creates a business, a manager and customers, waits until the
standby has replayed them, then makes staff requests through Django's test client (all of
Django's middleware and the router) and records which database each SQL statement went to.
Prints one JSON object for the test to judge.

    python -m tests.scale.replica_probe
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

Statement = tuple[str, str, str]  # (alias, verb, sql)


def _verb(sql: str) -> str:
    return sql.lstrip().split(None, 1)[0].upper()


def _tables(statements: list[Statement]) -> set[str]:
    return {t for _a, _v, sql in statements for t in re.findall(r'"?(\w+_\w+)"?\.', sql)}


@contextmanager
def recording() -> Iterator[list[Statement]]:
    """Every statement sent on the primary and on the replica, in order."""
    from django.db import connections

    statements: list[Statement] = []

    def recorder(alias: str) -> Callable[..., Any]:
        def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
            statements.append((alias, _verb(sql), sql))
            return execute(sql, params, many, ctx)

        return record

    with ExitStack() as stack:
        for alias in ("default", "replica"):
            stack.enter_context(connections[alias].execute_wrapper(recorder(alias)))
        yield statements


def _lsn(alias: str, sql: str) -> str:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return str(cursor.fetchone()[0])


def wait_for_replay(seconds: float = 60) -> None:
    """Until the standby has replayed everything the primary wrote so far."""
    from django.db import connections

    target = _lsn("default", "SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise SystemExit("the standby did not catch up in time")


def summary(statements: list[Statement]) -> dict[str, Any]:
    reads = ("SELECT", "WITH")
    writes = ("INSERT", "UPDATE", "DELETE")
    return {
        alias: {
            "reads": sum(1 for a, v, _s in statements if a == alias and v in reads),
            "writes": sum(1 for a, v, _s in statements if a == alias and v in writes),
            "read_tables": sorted(
                _tables([s for s in statements if s[0] == alias and s[1] in reads])
            ),
            "write_tables": sorted(
                _tables([s for s in statements if s[0] == alias and s[1] in writes])
            ),
        }
        for alias in ("default", "replica")
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections, router, transaction
    from django.test import Client
    from django.urls import reverse

    from wateja.customers.models import Customer
    from wateja.customers.services import customer_create
    from wateja.dbrouting import reporting_reads
    from wateja.i18n import compile_catalogues
    from wateja.tenants.models import AuditEvent, Staff
    from wateja.tenants.roles import Role
    from wateja.tenants.services import business_create, staff_add

    started = time.monotonic()
    compile_catalogues()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated in {time.monotonic() - started:.1f} s", file=sys.stderr)
    business = business_create(
        name="Duka la Nakala", country="KE", currency="KES", timezone_name="Africa/Nairobi"
    )
    staff_add(business=business, username="meneja", role=Role.MANAGER, password="pw-replica-1")
    for n in range(3):
        customer_create(
            business=business, name=f"Mteja Nakala {n}", email=f"n{n}@example.com", issue_card=False
        )
    user = Staff.objects.get(business=business, user__username="meneja").user
    client = Client()
    client.force_login(user)
    wait_for_replay()

    result: dict[str, Any] = {
        "recovery": {
            alias: _lsn(alias, "SELECT pg_is_in_recovery()") for alias in ("default", "replica")
        }
    }
    # an ordinary staff page right after a write: everything from the primary
    customer_create(
        business=business, name="Mteja Mpya", email="mpya@example.com", issue_card=False
    )
    with recording() as statements:
        page = client.get(reverse("web:customers"))
    result["ordinary"] = {"status": page.status_code, "found": b"Mteja Mpya" in page.content,
                          **summary(statements)}  # fmt: skip
    wait_for_replay()

    with recording() as statements:
        page = client.get(reverse("web:reports"))
    result["dashboard"] = {"status": page.status_code, **summary(statements)}

    audits = AuditEvent.objects.filter(business=business, action="report.export").count()
    with recording() as statements:
        page = client.get(reverse("web:report_export", args=["revenue", "csv"]))
        b"".join(page.streaming_content)
    result["report_export"] = {
        "status": page.status_code,
        "audit_on_primary": AuditEvent.objects.using("default")
        .filter(business=business, action="report.export")
        .count()
        - audits,
        **summary(statements),
    }

    with recording() as statements:
        page = client.get(reverse("web:export_customers"), {"format": "csv"})
        body = b"".join(page.streaming_content).decode("utf-8-sig")
    result["customer_export"] = {
        "status": page.status_code,
        "names": sorted(set(re.findall(r"Mteja Nakala \d", body))),
        **summary(statements),
    }

    with reporting_reads():
        read_in_report = router.db_for_read(Customer)
        write_in_report = router.db_for_write(Customer)
        one = Customer.objects.filter(business=business).order_by("pk").first()
        loaded_from = one._state.db if one else None
        with transaction.atomic():
            read_in_transaction = router.db_for_read(Customer)
        if one is not None:
            one.notes = "written during a report"
            one.save(update_fields=["notes"])
    result["router"] = {
        "read_in_report": read_in_report,
        "write_in_report": write_in_report,
        "read_outside": router.db_for_read(Customer),
        "read_in_transaction": read_in_transaction,
        "loaded_from": loaded_from,
        "saved_on_primary": Customer.objects.using("default")
        .filter(pk=one.pk if one else 0, notes="written during a report")
        .exists(),
    }
    try:
        with connections["replica"].cursor() as cursor:
            cursor.execute("UPDATE tenants_business SET name = name")
        result["replica_write"] = "accepted"
    except Exception as error:  # the standby's refusal is the answer
        result["replica_write"] = str(error)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
