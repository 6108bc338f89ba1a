"""Background jobs for messaging (thin: each calls one service)."""

from __future__ import annotations

__all__: list[str] = []
