"""Opening balances: what customers held in the system a business used before, brought in by
an import (points, store credit, cashback).

Each customer's opening balance is one operation of its own kind (`opening`), keyed by the
import and the customer, so a re-run of an import never posts it twice; each kind is one
posted transfer coded `opening` from the business's `opening` system account, so the wallet's
history says "Opening balance (import)" and the reports do not count the old system's value
as points issued or money paid in on the day of the import. It is the product's own work on the
owner's instruction, not value given by hand: no daily limit, but audited per customer.

Undoing the import takes each balance back with a balancing transfer (`opening_reverse`,
pointing at the transfer it reverses): the ledger stays append-only and balanced, and the
accounts (with their history) stay with the customer record they belong to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import ValidationFailed
from wateja.customers.models import Customer, ImportJob
from wateja.tenants.services import audit_record
from wateja.wallet.models import (
    TRANSFER_LABELS,
    Account,
    Kind,
    SystemAccount,
    Transfer,
    TransferStatus,
)
from wateja.wallet.services import (
    Posting,
    _begin,
    _check_customer_active,
    _finish_held,
    _hold,
    _operation,
    _transfer,
)

OPENING_CODE = "opening"
OPENING_REVERSE_CODE = "opening_reverse"
# what the history calls them (the wallet's one table of transfer labels)

# the import's column fields → wallet kinds
OPENING_KINDS: dict[str, str] = {
    "opening_points": Kind.POINTS,
    "opening_store_credit": Kind.STORE_CREDIT,
    "opening_cashback": Kind.CASHBACK,
}
# The other side of every opening balance: a system account of its own, so the reports do
# not count value the old system gave as points issued (or money paid in) on the day of the
# import; it mirrors what the business owes for its past, as issuance does for the present.
OPENING_SYSTEM = SystemAccount.OPENING
SOURCE: dict[str, str] = dict.fromkeys(
    (Kind.POINTS, Kind.STORE_CREDIT, Kind.CASHBACK), OPENING_SYSTEM
)
MAX_OPENING = 10**12  # far above any real balance, far below the database's integers
# transfers that are not the customer's own doing: the import's and the clock's
NOT_ACTIVITY = (OPENING_CODE, OPENING_REVERSE_CODE, "expire")


def _key(import_job_id: int, customer_id: int) -> str:
    return f"import:{import_job_id}:opening:{customer_id}"


def _amounts(points: int, store_credit_minor: int, cashback_minor: int) -> dict[str, int]:
    amounts = {
        Kind.POINTS: points,
        Kind.STORE_CREDIT: store_credit_minor,
        Kind.CASHBACK: cashback_minor,
    }
    for kind, amount in amounts.items():
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int)
            or not 0 <= amount <= MAX_OPENING
        ):
            raise ValidationFailed.fields(
                _("The amount is not valid."),
                {kind: _("Enter a whole number from 0 to %(max)s.") % {"max": MAX_OPENING}},
            )
    return {str(kind): amount for kind, amount in amounts.items() if amount}


@_operation
@transaction.atomic
def opening_balance_post(
    *,
    customer: Customer,
    import_job_id: int,
    points: int = 0,
    store_credit_minor: int = 0,
    cashback_minor: int = 0,
    actor: User | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Posting | None:
    """Post a customer's opening balances from an import; None when every amount is zero.
    Once per (import, customer): the same call again returns the first posting."""
    amounts = _amounts(points, store_credit_minor, cashback_minor)
    if not amounts:
        return None
    business_id = customer.business_id
    now = now or timezone.now()
    reason = (reason or _("Opening balance from an import"))[:300]
    operation, replay = _begin(
        business_id,
        _key(import_job_id, customer.pk),
        "opening",
        {"customer": customer.pk, "import": import_job_id, **amounts},
        actor=actor,
        reason=reason,
        reference=f"import:{import_job_id}",
    )
    if replay:
        return replay
    _check_customer_active(customer)
    held = _hold(
        business_id,
        customers=[(customer, kind) for kind in amounts],
        systems=[(SOURCE[kind], kind) for kind in amounts],
        now=now,
    )
    posting = Posting(operation_id=operation.pk, action="opening")
    for kind, amount in amounts.items():
        _transfer(
            operation,
            posting,
            held.by_pk,
            held.system(SOURCE[kind], kind),
            held.customer(customer, kind),
            amount,
            OPENING_CODE,
            now=now,
        )
    audit_record(
        business=customer.business,
        action="wallet.opening_balance",
        object_type="customer",
        object_id=customer.pk,
        actor=actor,
        details={"import": import_job_id, "operation": operation.pk, **amounts},
    )
    return _finish_held(operation, posting, held)


def opening_activity(customer_ids: Sequence[int]) -> dict[int, list[str]]:
    """What these customers did with their wallets, beyond the import's own opening balance
    and the clock's expiry: {customer id: [labels of what they did]}."""
    if not customer_ids:
        return {}
    accounts = dict(
        Account.objects.filter(customer_id__in=list(customer_ids)).values_list("pk", "customer_id")
    )
    if not accounts:
        return {}
    found: dict[int, list[str]] = {}
    transfers = (
        Transfer.objects.filter(Q(debit_account__in=accounts) | Q(credit_account__in=accounts))
        .exclude(code__in=NOT_ACTIVITY)
        .exclude(status=TransferStatus.VOIDED)
        .values_list("debit_account", "credit_account", "code")
        .distinct()
    )
    for debit, credit, code in transfers:
        customer_id = accounts.get(debit) or accounts.get(credit)
        if customer_id is None:
            continue
        label = str(TRANSFER_LABELS.get(code, code))
        if label not in found.setdefault(customer_id, []):
            found[customer_id].append(label)
    return found


@_operation
@transaction.atomic
def opening_balance_reverse(
    *, customer: Customer, import_job_id: int, actor: User | None = None, reason: str = ""
) -> Posting | None:
    """Take back what is left of a customer's opening balance from an import, kind by kind,
    with transfers that reverse the opening ones. Once per (import, customer)."""
    opening = list(
        Transfer.objects.filter(
            operation__business_id=customer.business_id,
            operation__key=_key(import_job_id, customer.pk),
            code=OPENING_CODE,
            status=TransferStatus.POSTED,
        )
        .select_related("debit_account", "credit_account")
        .order_by("id")
    )
    if not opening:
        return None
    business_id = customer.business_id
    now = timezone.now()
    operation, replay = _begin(
        business_id,
        f"import:{import_job_id}:opening-undo:{customer.pk}",
        "opening_reverse",
        {"customer": customer.pk, "import": import_job_id},
        actor=actor,
        reason=(reason or _("Import undone"))[:300],
        reference=f"import:{import_job_id}",
    )
    if replay:
        return replay
    held = _hold(
        business_id,
        customers=[(customer, t.credit_account.kind) for t in opening],
        systems=[(t.debit_account.system, t.debit_account.kind) for t in opening],
        now=now,
    )
    posting = Posting(operation_id=operation.pk, action="opening_reverse")
    taken: dict[str, int] = {}
    for original in opening:
        kind = original.credit_account.kind
        account = held.customer(customer, kind)
        amount = min(original.amount, max(0, account.available))
        if amount <= 0:
            continue
        _transfer(
            operation,
            posting,
            held.by_pk,
            account,
            held.system(original.debit_account.system, kind),
            amount,
            OPENING_REVERSE_CODE,
            reverses=original,
            now=now,
        )
        taken[kind] = taken.get(kind, 0) + amount
    audit_record(
        business=customer.business,
        action="wallet.opening_balance_reverse",
        object_type="customer",
        object_id=customer.pk,
        actor=actor,
        details={"import": import_job_id, "operation": operation.pk, **taken},
    )
    return _finish_held(operation, posting, held)


@dataclass(frozen=True)
class OpeningStep:
    """The wallet's part of an import (registered in customers.hooks by WalletConfig)."""

    def written(self, job: ImportJob, rows: Sequence[tuple[int, Mapping[str, int]]]) -> None:
        wanted = [(pk, amounts) for pk, amounts in rows if any(amounts.values())]
        if not wanted:
            return
        customers = Customer.objects.select_related("business").in_bulk([pk for pk, _a in wanted])
        reason = _("Opening balance from the import of %(file)s") % {"file": job.file_name}
        for pk, amounts in wanted:
            opening_balance_post(
                customer=customers[pk],
                import_job_id=job.pk,
                points=int(amounts.get("opening_points", 0)),
                store_credit_minor=int(amounts.get("opening_store_credit", 0)),
                cashback_minor=int(amounts.get("opening_cashback", 0)),
                actor=job.created_by,
                reason=reason,
            )

    def activity(self, job: ImportJob, customer_ids: Sequence[int]) -> dict[int, list[str]]:
        return opening_activity(customer_ids)

    def undo(self, job: ImportJob, customer_ids: Sequence[int], actor: User | None) -> set[int]:
        """Reverse the opening balances; the customers with a wallet history must keep
        their record (the ledger's entries point at their accounts): their ids."""
        customers = Customer.objects.select_related("business").in_bulk(list(customer_ids))
        reason = _("Import of %(file)s undone") % {"file": job.file_name}
        for pk in sorted(customers):
            opening_balance_reverse(
                customer=customers[pk], import_job_id=job.pk, actor=actor, reason=reason
            )
        return set(
            Account.objects.filter(customer_id__in=list(customer_ids)).values_list(
                "customer_id", flat=True
            )
        )
