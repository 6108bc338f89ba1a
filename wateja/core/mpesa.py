"""M-Pesa (Daraja C2B) callbacks read into plain values: no Django, no database.

Safaricom posts the same JSON to the validation and the confirmation address: `TransID` (the
idempotency key), `TransAmount` as a string ("200.00"), `TransTime` as YYYYMMDDHHmmss in Kenya's
time, `BillRefNumber` (the account the payer typed: their card number or phone), and `MSISDN`,
which may come masked or as a SHA-256 hash and so never identifies a customer alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from wateja.core.money import InvalidAmount, parse_money

KENYA = ZoneInfo("Africa/Nairobi")
CURRENCY = "KES"
_REFERENCE = re.compile(r"^[A-Za-z0-9]{6,32}$")


class BadPayload(ValueError):
    """The callback is not a C2B payment we can read; `field` names the part at fault."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class C2BPayment:
    reference: str
    amount_minor: int
    currency: str
    paid_at: dt.datetime
    account: str
    payer_phone: str
    payer_name: str
    shortcode: str


def _text(payload: Mapping[str, Any], key: str, limit: int) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise BadPayload(key, "not text")
    return str(value).strip()[:limit]


def paid_at(trans_time: str) -> dt.datetime:
    """TransTime (Kenya time, YYYYMMDDHHmmss) as an aware UTC datetime."""
    try:
        local = dt.datetime.strptime(trans_time, "%Y%m%d%H%M%S")
    except ValueError as error:
        raise BadPayload("TransTime", "not YYYYMMDDHHmmss") from error
    return local.replace(tzinfo=KENYA).astimezone(dt.UTC)


def c2b_payment(payload: Mapping[str, Any]) -> C2BPayment:
    """The payment a validation or confirmation callback describes, or BadPayload."""
    if not isinstance(payload, Mapping):
        raise BadPayload("body", "not a JSON object")
    reference = _text(payload, "TransID", 64)
    if not _REFERENCE.match(reference):
        raise BadPayload("TransID", "missing or malformed")
    amount_text = _text(payload, "TransAmount", 32)
    try:
        amount = parse_money(amount_text, CURRENCY)
    except InvalidAmount as error:
        raise BadPayload("TransAmount", str(error)) from error
    if amount.amount_minor <= 0:
        raise BadPayload("TransAmount", "not positive")
    names = (_text(payload, key, 60) for key in ("FirstName", "MiddleName", "LastName"))
    return C2BPayment(
        reference=reference.upper(),
        amount_minor=amount.amount_minor,
        currency=CURRENCY,
        paid_at=paid_at(_text(payload, "TransTime", 14)),
        account=_text(payload, "BillRefNumber", 64),
        payer_phone=_text(payload, "MSISDN", 128),
        payer_name=" ".join(name for name in names if name),
        shortcode=_text(payload, "BusinessShortCode", 12),
    )
