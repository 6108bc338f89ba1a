"""Cursor (keyset) pagination for API lists: stable under inserts, cheap on large tables.

`?limit=50&cursor=…` → `{"items": [...], "next_cursor": "…" | null}`; ordered by id. A list
can keep a role to smaller pages (`page_size`): the customer list does for cashier and viewer
keys (see wateja.customers.access).
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


def encode_keyset(kind: str, values: tuple[Any, ...]) -> str:
    """A cursor for a list ordered by something other than the id: its kind and the sort
    key of the last row (e.g. the duplicates' (score, a, b))."""
    text = ":".join([kind, *(str(v) for v in values)])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_keyset(cursor: str, kind: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, *values = raw.split(":")
        if found != kind or len(values) != len(types):
            raise ValueError(found)
        return tuple(cast(value) for cast, value in zip(types, values, strict=True))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DomainError(_("The cursor is not valid."), code="invalid_cursor") from None


class CursorPagination(PaginationBase):
    items_attribute = "items"

    class Input(Schema):
        limit: int | None = Field(
            None,
            ge=1,
            le=settings.API_MAX_PAGE_SIZE,
            description=f"page size; {settings.API_PAGE_SIZE} when left out",
        )
        cursor: str | None = None

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None

    def page_size(self, pagination: Input, request: HttpRequest) -> int:
        """The number of rows in this page: the `limit` asked, else API_PAGE_SIZE."""
        return pagination.limit or settings.API_PAGE_SIZE

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        limit = self.page_size(pagination, request)
        queryset = queryset.order_by("pk")
        if pagination.cursor:
            queryset = queryset.filter(pk__gt=decode_cursor(pagination.cursor))
        rows = list(queryset[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return {"items": rows, "next_cursor": encode_cursor(rows[-1].pk) if more else None}
