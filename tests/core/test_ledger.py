"""Ledger arithmetic without a database: lot consumption, expiry dates, refund splits."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wateja.core import ledger
from wateja.core.ledger import ExpiryPolicy, ExpiryRule, LotView

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
YEREVAN = zoneinfo.ZoneInfo("Asia/Yerevan")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def at(y, m, d, h=12, tz=UTC):
    return dt.datetime(y, m, d, h, tzinfo=tz)


def test_consume_takes_soonest_expiry_first_and_never_expiring_last():
    lots = [
        LotView(1, 50, None),
        LotView(2, 30, at(2026, 12, 31)),
        LotView(3, 40, at(2026, 6, 30)),
    ]
    assert ledger.consume(lots, 60) == [(3, 40), (2, 20)]
    assert ledger.consume(lots, 120) == [(3, 40), (2, 30), (1, 50)]


def test_consume_refuses_more_than_available():
    with pytest.raises(ledger.InsufficientBalance) as info:
        ledger.consume([LotView(1, 10, None)], 11)
    assert (info.value.available, info.value.wanted, info.value.code) == (
        10,
        11,
        "insufficient_balance",
    )


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "10"])
def test_amounts_must_be_positive_integers(bad):
    with pytest.raises(ledger.InvalidAmount):
        ledger.check_amount(bad)


def test_amount_maximum():
    assert ledger.check_amount(100, 100) == 100
    with pytest.raises(ledger.InvalidAmount):
        ledger.check_amount(101, 100)


def test_days_expire_at_local_midnight_not_utc():
    # earned 23:30 in Nairobi on 1 March = 20:30 UTC; 30 days → end of 31 March, Nairobi time
    earned = dt.datetime(2026, 3, 1, 23, 30, tzinfo=NAIROBI)
    expires = ledger.expiry_for(ExpiryPolicy(ExpiryRule.DAYS, 30), earned, NAIROBI)
    assert expires == dt.datetime(2026, 4, 1, 0, 0, tzinfo=NAIROBI).astimezone(UTC)
    assert expires == dt.datetime(2026, 3, 31, 21, 0, tzinfo=UTC)


def test_local_date_decides_near_midnight():
    # 22:30 UTC on 31 Jan is already 1 Feb in Yerevan (UTC+4): end of month is end of February
    earned = dt.datetime(2026, 1, 31, 22, 30, tzinfo=UTC)
    expires = ledger.expiry_for(ExpiryPolicy(ExpiryRule.END_OF_MONTH, 0), earned, YEREVAN)
    assert expires == dt.datetime(2026, 3, 1, tzinfo=YEREVAN).astimezone(UTC)


def test_end_of_month_rolls_over_the_year_and_leap_day():
    earned = at(2027, 12, 15)
    expires = ledger.expiry_for(ExpiryPolicy(ExpiryRule.END_OF_MONTH, 2), earned, NAIROBI)
    assert expires == dt.datetime(2028, 3, 1, tzinfo=NAIROBI).astimezone(UTC)  # after 29 Feb 2028


def test_end_of_year_and_fixed_date_and_never():
    earned = at(2026, 5, 5)
    assert ledger.expiry_for(ExpiryPolicy(ExpiryRule.END_OF_YEAR, 1), earned, NAIROBI) == (
        dt.datetime(2028, 1, 1, tzinfo=NAIROBI).astimezone(UTC)
    )
    fixed = ExpiryPolicy(ExpiryRule.FIXED_DATE, fixed_date=dt.date(2026, 12, 31))
    assert ledger.expiry_for(fixed, earned, YEREVAN) == dt.datetime(
        2027, 1, 1, tzinfo=YEREVAN
    ).astimezone(UTC)
    assert ledger.expiry_for(ExpiryPolicy(), earned, NAIROBI) is None


def test_daylight_saving_day_still_ends_at_local_midnight():
    earned = dt.datetime(2026, 3, 28, 10, tzinfo=BERLIN)  # DST starts 29 March
    expires = ledger.expiry_for(ExpiryPolicy(ExpiryRule.DAYS, 1), earned, BERLIN)
    assert expires.astimezone(BERLIN) == dt.datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN)
    assert expires == dt.datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_rolling_policy_extends_from_last_activity():
    policy = ExpiryPolicy(ExpiryRule.ROLLING, 90)
    assert ledger.rolling_expiry(policy, at(2026, 1, 1), NAIROBI) == ledger.expiry_for(
        ExpiryPolicy(ExpiryRule.DAYS, 90), at(2026, 1, 1), NAIROBI
    )
    assert ledger.rolling_expiry(ExpiryPolicy(ExpiryRule.DAYS, 90), at(2026, 1, 1), NAIROBI) is None


def test_bad_policies_are_refused():
    with pytest.raises(ledger.LedgerError):
        ExpiryPolicy(ExpiryRule.DAYS, 0)
    with pytest.raises(ledger.LedgerError):
        ExpiryPolicy(ExpiryRule.FIXED_DATE)
    with pytest.raises(ledger.LedgerError):
        ledger.expiry_for(ExpiryPolicy(ExpiryRule.DAYS, 1), dt.datetime(2026, 1, 1), NAIROBI)


def test_refund_delta_hand_computed():
    # 100 points earned on a 3,000 order; refunds of 1,000 then 1,000 then 1,000
    assert ledger.refund_delta(100, 0, 1000, 3000) == 33
    assert ledger.refund_delta(100, 1000, 1000, 3000) == 33
    assert ledger.refund_delta(100, 2000, 1000, 3000) == 34
    with pytest.raises(ledger.LedgerError):
        ledger.refund_delta(100, 2000, 1001, 3000)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(0, 10**9),
    total=st.integers(1, 10**9),
    cuts=st.lists(st.integers(1, 1000), min_size=1, max_size=8),
)
def test_partial_refunds_reverse_exactly_the_whole(amount, total, cuts):
    weights = ledger.split_by_weights(total, cuts)
    before, reversed_total = 0, 0
    for part in weights:
        delta = ledger.refund_delta(amount, before, part, total)
        assert delta >= 0
        reversed_total += delta
        before += part
    assert before == total
    assert reversed_total == amount
