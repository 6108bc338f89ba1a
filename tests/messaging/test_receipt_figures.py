"""An SMS or e-mail receipt writes its amounts and points the one way the screens do: grouped
in the customer's language, never a bare 12500."""

from __future__ import annotations

from wateja.customers.services import customer_create
from wateja.messaging.receipts import receipt_text
from wateja.orders.services import order_record
from wateja.wallet.services import points_earn


def test_receipt_groups_points_and_money_in_the_customer_s_language(business):
    customer = customer_create(business=business, name="Otieno", phone="0712000111")
    points_earn(customer=customer, amount=12500, idempotency_key="receipt-figures")
    order = order_record(business=business, number="R-1", total_minor=1234567, customer=customer)
    _subject, english = receipt_text(order, "en")
    assert "total KES12,345.67" in english and "12,500 points" in english
    _subject, armenian = receipt_text(order, "hy")
    assert "12\xa0500" in armenian and "12\xa0345,67" in armenian
    assert "12500" not in english + armenian
