"""Reading Daraja C2B callbacks: exact amounts, Kenya time to UTC, what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from wateja.core.mpesa import BadPayload, c2b_payment, paid_at

BASE = {
    "TransactionType": "Pay Bill",
    "TransID": "rkl1h3g9xq",
    "TransTime": "20260229235959",
    "TransAmount": "1234.5",
    "BusinessShortCode": "600984",
    "BillRefNumber": " 8123 4567 8903 ",
    "MSISDN": "2547*****149",
    "FirstName": "Wanjiku",
    "MiddleName": "",
    "LastName": "Kamau",
}


def test_a_payment_reads_exactly_in_minor_units_and_utc():
    payment = c2b_payment({**BASE, "TransTime": "20261207000500"})
    assert payment.reference == "RKL1H3G9XQ"
    assert payment.amount_minor == 123_450 and payment.currency == "KES"
    # five past midnight in Nairobi is 21:05 UTC the day before
    assert payment.paid_at == dt.datetime(2026, 12, 6, 21, 5, tzinfo=dt.UTC)
    assert payment.account == "8123 4567 8903"
    assert payment.payer_name == "Wanjiku Kamau"
    assert payment.payer_phone == "2547*****149"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"TransAmount": "10.005"}, "TransAmount"),
        ({"TransAmount": "0.00"}, "TransAmount"),
        ({"TransAmount": "-5"}, "TransAmount"),
        ({"TransAmount": ["10"]}, "TransAmount"),
        ({"TransID": ""}, "TransID"),
        ({"TransID": "DROP TABLE;"}, "TransID"),
        ({"TransTime": "2026-12-07 10:00"}, "TransTime"),
        ({"TransTime": "20261332000000"}, "TransTime"),
    ],
)
def test_what_is_not_a_payment_is_refused_naming_the_field(change, field):
    with pytest.raises(BadPayload) as error:
        c2b_payment({**BASE, **change})
    assert error.value.field == field


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(BadPayload):
        c2b_payment(["TransID"])  # type: ignore[arg-type]


def test_a_leap_day_late_evening_in_kenya_is_still_the_leap_day_in_utc():
    assert paid_at("20280229235959") == dt.datetime(2028, 2, 29, 20, 59, 59, tzinfo=dt.UTC)
