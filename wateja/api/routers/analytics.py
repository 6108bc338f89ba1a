"""Analytics API.

No `from __future__ import annotations` here: Ninja reads Query/Header annotations at import.
"""

from ninja import Router

router = Router(tags=["analytics"])
