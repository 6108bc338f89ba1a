"""Steps that apps built on customers add to customer-wide operations.

Customers cannot import the apps that come after it (orders, wallet, …), yet merging,
exporting or erasing a customer must reach their data too. Each such app registers its step
here from its AppConfig.ready(); the customer services call every registered step, in
registration order, inside their own transaction. Explicit calls, not signals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from wateja.customers.models import Customer, ImportJob

MergeStep = Callable[["Customer", "Customer"], None]  # (keep, drop)
ExportSection = Callable[["Customer"], tuple[str, Any]]  # → (section name, JSON-able data)
EraseStep = Callable[["Customer"], None]


class ImportStep(Protocol):
    """What an app above customers does with the customers an import writes (the wallet
    posts their opening balances). Called by customers.importing, in its transactions."""

    def written(self, job: ImportJob, rows: Sequence[tuple[int, dict[str, int]]]) -> None:
        """After a batch's customers are inserted: (customer id, {column field: amount})."""

    def activity(self, job: ImportJob, customer_ids: Sequence[int]) -> dict[int, list[str]]:
        """What these customers did in this app since the import: {id: [what, …]}."""

    def undo(self, job: ImportJob, customer_ids: Sequence[int], actor: User | None) -> set[int]:
        """Take back what `written` did for these customers (before they are removed); the
        ids of those whose record must stay (this app keeps history that points at them)."""


merge_steps: list[MergeStep] = []
export_sections: list[ExportSection] = []
erase_steps: list[EraseStep] = []
import_steps: list[ImportStep] = []


def register(
    *,
    merge: MergeStep | None = None,
    export: ExportSection | None = None,
    erase: EraseStep | None = None,
) -> None:
    if merge is not None and merge not in merge_steps:
        merge_steps.append(merge)
    if export is not None and export not in export_sections:
        export_sections.append(export)
    if erase is not None and erase not in erase_steps:
        erase_steps.append(erase)


def register_import_step(step: ImportStep) -> None:
    if step not in import_steps:
        import_steps.append(step)
