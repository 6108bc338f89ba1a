"""Shared bases for what callers send: request bodies refuse unknown fields, and no number
anywhere in a request (body, query, nested lists and free-form objects) is larger than the
database and the business can hold.

`RequestSchema` is for query parameters, `StrictSchema` for bodies. Fields whose domain is
smaller than MAX_INT say so with `Field(le=...)`, or with the annotated types below.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

# The largest integer a request may carry: exact as a JSON number in every client (2**53 - 1)
# and far inside a 64-bit BigInteger column, so sums of a few such values still fit.
MAX_INT = 2**53 - 1
# Money in minor units: ten trillion major units of a two-decimal currency; sums of many
# such amounts and amount × quantity (≤ MAX_QUANTITY) still fit a BigInteger column.
MAX_AMOUNT_MINOR = 10**12
MAX_QUANTITY = 1_000_000
MAX_BASIS_POINTS = 10_000

# Types the routers use for fields whose domain is smaller than MAX_INT.
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
AmountMinor = Annotated[int, Field(ge=0, le=MAX_AMOUNT_MINOR)]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
BasisPoints = Annotated[int, Field(ge=0, le=MAX_BASIS_POINTS)]


def omittable(**constraints: Any) -> Any:
    """A field of a partial update (PATCH) that may be left out but not sent as null: its
    type stays non-nullable, so null is refused with 422 naming it, and the default None
    (never validated) only marks it as not sent; read such payloads with exclude_unset."""
    return Field(None, **constraints)


def _too_large(limit: int) -> PydanticCustomError:
    return PydanticCustomError(
        "too_large", "Too large: the most allowed is {limit}.", {"limit": limit}
    )


def _too_small(limit: int) -> PydanticCustomError:
    return PydanticCustomError(
        "too_small", "Too small: the least allowed is {limit}.", {"limit": limit}
    )


def check_numbers(value: Any) -> None:
    """Refuse any integer beyond ±MAX_INT and any float that is not finite or beyond it,
    however deep it sits in lists and objects."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if value > MAX_INT:
            raise _too_large(MAX_INT)
        if value < -MAX_INT:
            raise _too_small(-MAX_INT)
    elif isinstance(value, float):
        if not math.isfinite(value):  # Python's JSON reader accepts NaN and Infinity
            raise PydanticCustomError("finite_number", "Input should be a finite number")
        if value > MAX_INT:
            raise _too_large(MAX_INT)
        if value < -MAX_INT:
            raise _too_small(-MAX_INT)
    elif isinstance(value, dict):
        for item in value.values():
            check_numbers(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            check_numbers(item)


class RequestSchema(Schema):
    """Query parameters (and the base of bodies): numbers within MAX_INT."""

    @field_validator("*", mode="after")
    @classmethod
    def _numbers_in_range(cls, value: Any) -> Any:
        check_numbers(value)
        return value


class StrictSchema(RequestSchema):
    """Request bodies: numbers within MAX_INT, and unknown fields refused."""

    model_config = ConfigDict(extra="forbid")
