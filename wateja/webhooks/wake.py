"""Who to wake when deliveries are waiting: the jobs app registers its task here (the
webhooks app cannot import jobs, which sits above it)."""

from __future__ import annotations

from collections.abc import Callable

kickers: list[Callable[[], object]] = []


def register_kicker(kick: Callable[[], object]) -> None:
    if kick not in kickers:
        kickers.append(kick)
