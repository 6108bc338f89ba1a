"""Steps that apps built on promotions add to a promotion's life.

Promotions cannot import the apps that come after it (orders, jobs), yet a changed draft must
have its cost estimate recomputed in the background. Such an app registers its step here from
its AppConfig.ready(); `promotion_save` calls every registered step after its transaction
commits. Explicit calls, not signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wateja.promotions.models import Promotion

SavedStep = Callable[["Promotion"], None]

saved_steps: list[SavedStep] = []


def register(*, saved: SavedStep | None = None) -> None:
    if saved is not None and saved not in saved_steps:
        saved_steps.append(saved)
