"""Interleaved rounds: every measured path once per round, in turn, so a load that comes and
goes on a shared machine falls on all of them; figures are medians over the rounds."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any


def interleave(
    paths: dict[str, Callable[[int], dict[str, Any]]], rounds: int
) -> dict[str, list[dict[str, Any]]]:
    """Every path once per round, in turn, `rounds` times: each path's results by round (each
    result a dict with at least its `rate`)."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in paths}
    for r in range(rounds):
        for name, measure in paths.items():
            result = measure(r)
            found[name].append(result)
            print(f"  round {r + 1}: {name}: {result['rate']:,.1f}/s", flush=True)
    return found


def median_rate(results: Sequence[dict[str, Any]]) -> float:
    return float(statistics.median(result["rate"] for result in results))


def median_ratio(
    top: Sequence[dict[str, Any]], bottom: Sequence[dict[str, Any]], key: str = "rate"
) -> float:
    """The median over the rounds of top/bottom measured in the same round."""
    return float(statistics.median(a[key] / b[key] for a, b in zip(top, bottom, strict=True)))
