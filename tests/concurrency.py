"""Running the same request in parallel threads, each on its own database connection, to
prove locks and unique constraints hold under real concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

from wateja.customers.models import Customer

JOIN_SECONDS = 30  # a deadlock shows as a thread still running after this


def race(n: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run work(0..n-1) in n threads released together by a barrier; each thread uses and then
    closes its own connection. Returns ("ok", result) or ("error", exception) per thread."""
    barrier = threading.Barrier(n)
    results: list[tuple[str, Any]] = [("missing", None)] * n

    def runner(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", work(i))
        except Exception as exc:
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [i for i, thread in enumerate(threads) if thread.is_alive()]
    assert not stuck, f"threads {stuck} still running after {JOIN_SECONDS}s (deadlock?)"
    return results


def fresh(pk: int) -> Customer:
    """Each thread reads its own copy, as a request would."""
    return Customer.objects.select_related("business").get(pk=pk)


def errors_of(results: list[tuple[str, Any]]) -> list[BaseException]:
    return [value for state, value in results if state == "error"]


def unexpected(results: list[tuple[str, Any]], *allowed: type[BaseException]) -> list[str]:
    return [repr(e) for e in errors_of(results) if not isinstance(e, allowed)]
