"""Cursor (keyset) pagination for API lists: stable under inserts, cheap on large tables.

`?limit=50&cursor=…` → `{"items": [...], "next_cursor": "…" | null}`; ordered by id.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from wateja.core.errors import DomainError


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = raw.split(":", 1)
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DomainError(_("The cursor is not valid."), code="invalid_cursor") from None


class CursorPagination(PaginationBase):
    items_attribute = "items"

    class Input(Schema):
        limit: int = Field(settings.API_PAGE_SIZE, ge=1, le=settings.API_MAX_PAGE_SIZE)
        cursor: str | None = None

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        queryset = queryset.order_by("pk")
        if pagination.cursor:
            queryset = queryset.filter(pk__gt=decode_cursor(pagination.cursor))
        rows = list(queryset[: pagination.limit + 1])
        more = len(rows) > pagination.limit
        rows = rows[: pagination.limit]
        return {"items": rows, "next_cursor": encode_cursor(rows[-1].pk) if more else None}
