"""Steps that apps built on customers add to customer-wide operations.

Customers cannot import the apps that come after it (orders, wallet, …), yet merging,
exporting or erasing a customer must reach their data too. Each such app registers its step
here from its AppConfig.ready(); the customer services call every registered step, in
registration order, inside their own transaction. Explicit calls, not signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wateja.customers.models import Customer

MergeStep = Callable[["Customer", "Customer"], None]  # (keep, drop)
ExportSection = Callable[["Customer"], tuple[str, Any]]  # → (section name, JSON-able data)
EraseStep = Callable[["Customer"], None]

merge_steps: list[MergeStep] = []
export_sections: list[ExportSection] = []
erase_steps: list[EraseStep] = []


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
