"""Customer lifetime value for one business: each customer's purchase history summed in the
database, the BG/NBD and Gamma-Gamma models fitted on it (`wateja.core.clv`), and every
customer's next 12 months predicted and stored for the customer page, the API and campaigns.

History per customer, in days, as the `lifetimes` package counts it: frequency = days with a
purchase after the first one, recency = days from the first to the last purchase day, T =
days from the first purchase to the as-of day. The spend per visit is the customer's average
paid amount (net of refunds) over all their orders — Gamma-Gamma, strictly, wants the average
of repeat purchases only; the difference is small for regulars and the shrinkage towards the
population mean handles newcomers.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Max, Min, Sum
from django.db.models.functions import TruncDate

from wateja.analytics.models import ClvFit, CustomerValue
from wateja.core import clv
from wateja.core.localtime import local_date, local_start
from wateja.customers.models import Customer
from wateja.orders.models import Order
from wateja.tenants.models import Business

HORIZON_DAYS = 365
MONTHLY_DISCOUNT = 0.01  # 1 % a month: money next year is worth a little less than today


@dataclass(frozen=True)
class History:
    customer_ids: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    spend: np.ndarray


def clv_history(business: Business, as_of: dt.date) -> History:
    """One row per customer who bought up to `as_of` (business-local), summed in SQL."""
    tz = zoneinfo.ZoneInfo(business.timezone)
    end = local_start(business.timezone, as_of + dt.timedelta(days=1))
    day = TruncDate("placed_at", tzinfo=tz)
    rows = (
        Order.objects.filter(business=business, customer__isnull=False, placed_at__lt=end)
        .values("customer_id")
        .annotate(
            days=Count(day, distinct=True),
            first=Min("placed_at"),
            last=Max("placed_at"),
            orders=Count("id"),
            paid=Sum(F("total_minor") - F("refunded_minor")),
        )
        .values_list("customer_id", "days", "first", "last", "orders", "paid")
    )
    ids, frequency, recency, age, spend = [], [], [], [], []
    for customer_id, days, first, last, orders, paid in rows.iterator(chunk_size=10_000):
        first_day, last_day = local_date(first, tz), local_date(last, tz)
        ids.append(customer_id)
        frequency.append(days - 1)
        recency.append((last_day - first_day).days if days > 1 else 0)
        age.append((as_of - first_day).days)
        spend.append(max(paid or 0, 0) / max(orders, 1))
    return History(
        np.array(ids, dtype=np.int64),
        np.array(frequency, dtype=float),
        np.array(recency, dtype=float),
        np.array(age, dtype=float),
        np.array(spend, dtype=float),
    )


def clv_refit(*, business: Business, as_of: dt.date) -> dict[str, Any]:
    """Fit both models on the history up to `as_of` and store every customer's next 12
    months. With too little history (no repeat customers yet) it says so and keeps nothing."""
    history = clv_history(business, as_of)
    repeat = history.frequency > 0
    fields: dict[str, Any] = {"fitted_on": as_of, "customers": len(history.customer_ids)}
    try:
        if repeat.sum() < 2:
            raise ValueError("fewer than two customers bought on more than one day")
        purchases = clv.fit_bgnbd(history.frequency, history.recency, history.age)
        spend = clv.fit_gamma_gamma(history.frequency[repeat], history.spend[repeat])
        expected = clv.expected_purchases(
            purchases, HORIZON_DAYS, history.frequency, history.recency, history.age
        )
        alive = clv.probability_alive(purchases, history.frequency, history.recency, history.age)
        value = clv.customer_lifetime_value(
            purchases, spend, history.frequency, history.recency, history.age, history.spend,
            horizon=HORIZON_DAYS, units_per_month=30.0, monthly_discount_rate=MONTHLY_DISCOUNT,
        )  # fmt: skip
    except ValueError as problem:
        with transaction.atomic():
            ClvFit.objects.update_or_create(
                business=business,
                defaults={**fields, **dict.fromkeys(["r", "alpha", "a", "b", "p", "q", "v"]),
                          "note": str(problem)[:300]},
            )  # fmt: skip
            CustomerValue.objects.filter(business=business).delete()
        return {"fitted": False, "note": str(problem)}
    with transaction.atomic():
        ClvFit.objects.update_or_create(
            business=business,
            defaults={**fields, "r": purchases.r, "alpha": purchases.alpha, "a": purchases.a,
                      "b": purchases.b, "p": spend.p, "q": spend.q, "v": spend.v, "note": ""},
        )  # fmt: skip
        CustomerValue.objects.filter(business=business).delete()
        CustomerValue.objects.bulk_create(
            (
                CustomerValue(
                    business=business,
                    customer_id=int(cid),
                    computed_on=as_of,
                    expected_purchases=float(e),
                    probability_alive=float(p),
                    value_minor=round(float(v)),
                )
                for cid, e, p, v in zip(history.customer_ids, expected, alive, value, strict=True)
            ),
            batch_size=5000,
        )
    return {"fitted": True, "customers": len(history.customer_ids)}


def clv_summary(*, business: Business, limit: int = 10) -> dict[str, Any]:
    """The fitted parameters, the predicted value of the whole base for the next 12 months,
    the most valuable customers, and valuable customers who are slipping away."""
    fit = ClvFit.objects.filter(business=business).first()
    values = CustomerValue.objects.filter(business=business).select_related("customer")
    totals = values.aggregate(total=Sum("value_minor"), customers=Count("id"))

    def row(item: CustomerValue) -> dict[str, Any]:
        return {
            "customer_id": item.customer_id,
            "name": item.customer.name,
            "value_minor": item.value_minor,
            "expected_purchases": round(item.expected_purchases, 2),
            "probability_alive": round(item.probability_alive, 3),
        }

    return {
        "currency": business.currency,
        "fitted_on": fit.fitted_on if fit else None,
        "note": fit.note if fit else "",
        "parameters": (
            {k: getattr(fit, k) for k in ("r", "alpha", "a", "b", "p", "q", "v")}
            if fit and fit.r is not None
            else None
        ),
        "customers": totals["customers"] or 0,
        "total_value_minor": totals["total"] or 0,
        "top": [row(v) for v in values.order_by("-value_minor", "customer_id")[:limit]],
        "slipping": [
            row(v)
            for v in values.filter(probability_alive__lt=0.5).order_by("-value_minor")[:limit]
        ],
    }


def customer_value(customer: Customer) -> CustomerValue | None:
    found: CustomerValue | None = CustomerValue.objects.filter(
        business_id=customer.business_id, customer=customer
    ).first()
    return found
