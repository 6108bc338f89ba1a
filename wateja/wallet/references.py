"""The ledger's references that the database no longer enforces.

On PostgreSQL transfers are partitioned by month (`tenants.partitioning`), so the entries,
lots and lot uses that name a transfer, and a reversal that names the transfer it reverses,
carry no foreign key constraint. The services write them together in one transaction; this
check, part of `ledger_check`, proves it stayed so.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from wateja.tenants.models import Business
from wateja.wallet.models import Entry, Lot, LotUse, Transfer


def reference_problems(business: Business | None = None) -> list[str]:
    """One line per row that names a transfer that does not exist (empty when all is well)."""
    problems = []
    transfers = Transfer.objects.all()
    for model, field in ((Entry, "transfer"), (Lot, "transfer"), (LotUse, "transfer")):
        rows = model.objects.all() if business is None else model.objects.filter(business=business)
        missing = rows.exclude(
            Exists(
                transfers.filter(pk=OuterRef(f"{field}_id"), business_id=OuterRef("business_id"))
            )
        )
        for pk, transfer_id in missing.values_list("pk", f"{field}_id")[:50]:
            problems.append(f"{model._meta.model_name} {pk}: transfer {transfer_id} does not exist")
    reversals = transfers.filter(reverses__isnull=False)
    if business is not None:
        reversals = reversals.filter(business=business)
    orphans = reversals.exclude(
        Exists(transfers.filter(pk=OuterRef("reverses_id"), business_id=OuterRef("business_id")))
    )
    for pk, reverses_id in orphans.values_list("pk", "reverses_id")[:50]:
        problems.append(f"transfer {pk}: reverses transfer {reverses_id}, which does not exist")
    return problems
