"""Customer lifetime value from the shop's history: fitted with the core models, stored per
customer, summarised over the API; too little history is said, not crashed on."""

from __future__ import annotations

import datetime as dt

from wateja.analytics.models import ClvFit, CustomerValue
from wateja.analytics.value import clv_history, clv_refit, clv_summary

AS_OF = dt.date(2026, 3, 31)


def test_history_is_counted_in_days_like_lifetimes(business, shop) -> None:
    history = clv_history(business, AS_OF)
    rows = {
        int(cid): (f, r, t)
        for cid, f, r, t in zip(
            history.customer_ids, history.frequency, history.recency, history.age, strict=True
        )
    }
    a = shop.a  # 5 Jan, 10 Feb, 20 Mar
    assert rows[a.pk] == (2.0, 74.0, 85.0)
    e = shop.e  # today only
    assert rows[e.pk] == (0.0, 0.0, 0.0)


def test_refit_stores_every_buyer_and_ranks_regulars_first(business, shop, api) -> None:
    result = clv_refit(business=business, as_of=AS_OF)
    assert result == {"fitted": True, "customers": 6}
    fit = ClvFit.objects.get(business=business)
    assert all(getattr(fit, k) > 0 for k in ("r", "alpha", "a", "b", "p", "q", "v"))
    values = {v.customer_id: v for v in CustomerValue.objects.filter(business=business)}
    a, d = shop.a, shop.d  # A: a regular; D: one visit in December
    assert values[a.pk].value_minor > values[d.pk].value_minor
    assert values[a.pk].expected_purchases > values[d.pk].expected_purchases
    assert 0 < values[d.pk].probability_alive <= 1

    summary = api.get("/analytics/clv?limit=3").json()
    assert summary["customers"] == 6
    assert summary["top"][0]["customer_id"] == max(values, key=lambda k: values[k].value_minor)
    assert summary["total_value_minor"] == sum(v.value_minor for v in values.values())
    assert len(summary["top"]) == 3


def test_too_little_history_is_a_note(business) -> None:
    result = clv_refit(business=business, as_of=AS_OF)
    assert result["fitted"] is False
    assert "fewer than two" in result["note"]
    assert clv_summary(business=business)["parameters"] is None


def test_the_customer_page_shows_the_prediction(business, shop, staff_client) -> None:
    clv_refit(business=business, as_of=AS_OF)
    page = (
        staff_client(business)
        .get(f"/customers/{shop.a.pk}/", headers={"Accept-Language": "en"})
        .content.decode()
    )
    assert 'data-testid="customer-value"' in page
    assert "visits expected" in page and "likely still a customer" in page


def test_the_dashboard_shows_the_base_value(business, shop, staff_client) -> None:
    clv_refit(business=business, as_of=AS_OF)
    page = (
        staff_client(business)
        .get("/reports/?start=2026-03-01&end=2026-03-31", headers={"Accept-Language": "en"})
        .content.decode()
    )
    assert 'data-testid="clv-total"' in page
    assert f"/customers/{shop.a.pk}/" in page
