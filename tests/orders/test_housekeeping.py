"""Housekeeping runs each business in its own transaction: a failing business is logged and
rolled back alone, the others are done."""

from __future__ import annotations

import datetime as dt

from wateja.customers.services import customer_create
from wateja.orders import housekeeping
from wateja.wallet.services import balances, ledger_check, points_earn, wallet_settings


def _expiring_points(business, now):
    row = wallet_settings(business)
    row.expiry_rule, row.expiry_n = "days", 30
    row.save()
    customer = customer_create(business=business, name="Amina", phone="0712000111")
    points_earn(customer=customer, amount=50, idempotency_key="old",
                now=now - dt.timedelta(days=40))  # fmt: skip
    points_earn(customer=customer, amount=20, idempotency_key="window", pending_days=7,
                now=now - dt.timedelta(days=8))  # fmt: skip
    return customer


def test_one_business_failing_never_stops_the_others(monkeypatch, make_business, caplog):
    now = dt.datetime(2027, 6, 1, 10, 0, tzinfo=dt.UTC)
    broken, fine = make_business(name="Broken"), make_business(name="Fine")
    broken_customer = _expiring_points(broken, now)
    fine_customer = _expiring_points(fine, now)

    def referrals(*, business, now):  # the last step fails for one business
        if business.pk == broken.pk:
            raise RuntimeError("disk full")
        return 0

    steps = (*housekeeping.STEPS[:-1], ("referrals_qualified", referrals))
    monkeypatch.setattr(housekeeping, "STEPS", steps)
    report = housekeeping.housekeeping_run(now=now)

    assert report["failed_businesses"] == [broken.pk]
    assert report["lots_expired"] == 1 and report["pending_resolved"] == 1
    assert balances(fine_customer)["points"] == {"balance": 20, "available": 20, "pending_in": 0}
    # the broken business's steps before the failure were rolled back with it
    assert balances(broken_customer)["points"] == {"balance": 50, "available": 50,
                                                   "pending_in": 20}  # fmt: skip
    assert "housekeeping failed for business" in caplog.text
    assert ledger_check() == []
