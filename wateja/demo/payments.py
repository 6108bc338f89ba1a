"""Demo M-Pesa for the café: a connected till (sandbox), the last days' payments arriving as
Daraja would send them — most with the customer's card number or phone typed as the account,
rung up by themselves with an SMS receipt — and a few waiting for staff to match."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from wateja.customers.models import Customer
from wateja.payments.models import PaymentProvider
from wateja.payments.services import payment_receive, payment_settings
from wateja.tenants.models import Business

# what payers type when they do not know their card number
STRAY_ACCOUNTS = ("TABLE 4", "", "KAHAWA", "0799000111")


def seed_payments(
    business: Business, rng: random.Random, customers: list[Customer]
) -> dict[str, Any]:
    row = payment_settings(business)
    row.mpesa_shortcode = "600984"
    row.save(update_fields=["mpesa_shortcode", "updated_at"])
    now = timezone.now()
    with_phone = [c for c in customers if c.is_active and c.phone]
    matched = waiting = 0
    for n in range(12):
        paid_at = now - dt.timedelta(hours=rng.randint(1, 72), minutes=rng.randint(0, 59))
        amount_minor = rng.choice((25_000, 32_000, 45_000, 60_000, 120_000, 85_050))
        stray = n % 4 == 3 or not with_phone
        customer = None if stray else rng.choice(with_phone)
        if customer is None:
            account = STRAY_ACCOUNTS[n % len(STRAY_ACCOUNTS)]
        else:
            card = customer.cards.filter(status="active").first()
            account = card.number if card and n % 2 else "0" + customer.phone[4:]
        payment, _created = payment_receive(
            business=business,
            provider=PaymentProvider.MPESA,
            reference=f"SKL{n:02d}{rng.randrange(16**5):05X}",
            amount_minor=amount_minor,
            currency=business.currency,
            paid_at=paid_at,
            account=account,
            payer_phone="2547*****" + f"{rng.randrange(1000):03d}",
            payer_name=customer.name.upper() if customer else "JOHN MWANGI",
            payload={"TransactionType": "Pay Bill", "BillRefNumber": account},
        )
        if payment.order_id:
            matched += 1
        else:
            waiting += 1
    return {"matched": matched, "waiting": waiting}
