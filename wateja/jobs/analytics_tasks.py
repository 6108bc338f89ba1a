"""Background jobs for analytics (thin: each calls one service)."""

from __future__ import annotations

__all__: list[str] = []
