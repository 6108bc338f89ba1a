"""The analytics API: period parameters, filters, error format, roles."""

from __future__ import annotations

import pytest

from wateja.customers.segments import segment_save
from wateja.promotions.services import promotion_save
from wateja.tenants.roles import Role

MARCH = "start=2026-03-01&end=2026-03-31"


def test_dashboard_over_http(shop, api):
    response = api.get(f"/analytics/dashboard?{MARCH}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert body["currency"] == "KES"
    assert body["figures"]["retention_rate"] == {
        "value": 66.67,
        "previous": 100.0,
        "change": -33.33,
        "unit": "percent",
    }
    assert body["figures"]["revenue_minor"]["value"] == 5000
    assert body["roi"]["incremental_margin_minor"] == 560


@pytest.mark.parametrize(
    "path",
    [
        "/analytics/figures",
        "/analytics/activity",
        "/analytics/cart-trend?bucket=month&",
        "/analytics/cohorts?months=6&",
        "/analytics/points",
        "/analytics/roi",
        "/analytics/unprofitable?limit=5&",
        "/analytics/tiers",
        "/analytics/report",
    ],
)
def test_every_metric_answers_for_a_period(shop, api, path):
    separator = "" if path.endswith("&") else "?"
    response = api.get(f"{path}{separator}{MARCH}")
    assert response.status_code == 200, response.content


def test_filters_narrow_the_figures(shop, api):
    westlands = api.get(f"/analytics/figures?{MARCH}&location={shop.westlands.pk}").json()
    assert (westlands["orders"], westlands["buyers"]) == (3, 2)
    segment = segment_save(business=shop.business, name="Regulars", filters={"purchases_min": 3})
    regulars = api.get(f"/analytics/figures?{MARCH}&segment={segment.pk}").json()
    assert regulars["buyers"] == 2  # A and B
    champions = api.get(f"/analytics/figures?{MARCH}&rfm=champions").json()
    assert champions["buyers"] == 1


def test_rfm_and_its_customers(shop, api):
    body = api.get("/analytics/rfm").json()
    assert body["customers"] == 6
    assert [s["segment"] for s in body["segments"]][:2] == ["champions", "loyal"]
    lost = api.get("/analytics/rfm/customers?rfm=lost").json()
    assert lost == {
        "segment": "lost",
        "count": 1,
        "customers": [{"id": shop.d.pk, "name": "Mteja D"}],
    }
    assert api.get("/analytics/rfm/customers?rfm=nobody").status_code == 422


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("start=2026-03-10&end=2026-03-01", "period_end_before_start"),
        ("start=2026-03-01&end=2026-04-01", "period_in_future"),
        ("start=yesterday", "period_invalid"),
        ("start=1990-01-01&end=1990-01-02", "period_too_early"),
        ("start=2010-01-01", "period_too_long"),
    ],
)
def test_bad_periods_are_clear_422s(business, clock, api, query, code):
    response = api.get(f"/analytics/dashboard?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["details"]["fields"]


def test_an_empty_business_answers_not_enough_data(business, clock, api):
    body = api.get(f"/analytics/dashboard?{MARCH}").json()
    assert body["figures"]["retention_rate"]["value"] is None
    assert "no active customers" in body["notes"]["retention_rate"]


def test_foreign_filters_are_404(shop, other_business, api):
    theirs = segment_save(business=other_business, name="Theirs", filters={})
    response = api.get(f"/analytics/figures?{MARCH}&segment={theirs.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_promotion_endpoints(shop, api):
    offer = promotion_save(
        business=shop.business, name="Offer", type="percent_off_order", params={"percent_bp": 500}
    )
    uplift = api.get(f"/analytics/promotions/{offer.pk}/uplift")
    assert uplift.status_code == 200, uplift.content
    assert uplift.json()["method"] == "before_after"
    codes = api.get(f"/analytics/promotions/{offer.pk}/codes?{MARCH}")
    assert codes.status_code == 200 and codes.json()["uses"] == 0


def test_settings(shop, api):
    assert api.get("/analytics/settings").json() == {
        "activity_window_days": 45,
        "gross_margin_bp": 4000,
    }
    changed = api.put("/analytics/settings", {"gross_margin_bp": 6000})
    assert changed.status_code == 200 and changed.json()["gross_margin_bp"] == 6000
    bad = api.put("/analytics/settings", {"activity_window_days": 400})
    assert bad.status_code == 422 and "activity_window_days" in bad.json()["details"]["fields"]


def test_cashiers_cannot_read_analytics(shop, api_for):
    cashier = api_for(shop.business, Role.CASHIER)
    response = cashier.get("/analytics/dashboard")
    assert response.status_code == 403 and response.json()["code"] == "role_required"
