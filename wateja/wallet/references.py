"""The ledger's references that the database no longer enforces.

On PostgreSQL transfers are partitioned by month (`tenants.partitioning`), so the entries,
lots and lot uses that name a transfer, and a reversal that names the transfer it reverses,
carry no foreign key constraint. The services write them together in one transaction; this
check, part of `ledger_check`, proves it stayed so.

Each row's transfer is found by its id (the primary key's first column, in every month's
partition); the business is compared on the row found (`business_id + 0` keeps the planner
off the (business, time) index, which, with statistics not yet taken on fresh partitions, it
would otherwise walk for every row: minutes instead of a second at 100,000 rows).
"""

from __future__ import annotations

from django.db import connection

from wateja.tenants.models import Business

_CHECKS = (
    ("wallet_entry", "transfer_id", "entry {pk}: transfer {ref} does not exist"),
    ("wallet_lot", "transfer_id", "lot {pk}: transfer {ref} does not exist"),
    ("wallet_lotuse", "transfer_id", "lotuse {pk}: transfer {ref} does not exist"),
    (
        "wallet_transfer",
        "reverses_id",
        "transfer {pk}: reverses transfer {ref}, which does not exist",
    ),
)


def reference_problems(business: Business | None = None) -> list[str]:
    """One line per row that names a transfer that does not exist (empty when all is well;
    at most 50 per kind of row)."""
    problems = []
    with connection.cursor() as cursor:
        for table, column, line in _CHECKS:
            scope = "" if business is None else "r.business_id = %s AND "
            cursor.execute(
                f"SELECT r.id, r.{column} FROM {table} r"  # noqa: S608 - names from _CHECKS
                f" WHERE {scope}r.{column} IS NOT NULL AND NOT EXISTS ("
                f"SELECT 1 FROM wallet_transfer t WHERE t.id = r.{column}"
                " AND t.business_id + 0 = r.business_id) ORDER BY r.id LIMIT 50",
                [] if business is None else [business.pk],
            )
            problems += [line.format(pk=pk, ref=ref) for pk, ref in cursor.fetchall()]
    return problems
