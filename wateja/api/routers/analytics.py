"""Analytics API: every figure of `wateja.analytics.services` for a period.

Each endpoint takes `start` and `end` (ISO dates in the business's time zone, both included;
by default the last 30 days up to today), and most take `location` (a location id), `segment`
(a saved segment id) and `rfm` (an RFM segment name) to narrow the figures. Money is in minor
units of the business currency; rates are percentages; `null` means not enough data, with the
reason under `notes`. Bad periods answer 422 with a `period_*` code. Manager role or above.

No `from __future__ import annotations` here: Ninja reads Query/Header annotations at import.
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from wateja.analytics import services as analytics
from wateja.analytics.rfm import rfm_customers
from wateja.analytics.value import clv_summary
from wateja.api.auth import current_business, require_role
from wateja.api.schemas import Id, RequestSchema, StrictSchema, omittable
from wateja.customers.access import customers_listed_record
from wateja.dbrouting import reporting_gets
from wateja.tenants.models import Business
from wateja.tenants.roles import Role

router = Router(tags=["analytics"])
router.add_decorator(reporting_gets)  # reads from the read replica when there is one


class PeriodQuery(RequestSchema):
    start: str | None = Field(None, description="first day, YYYY-MM-DD (business-local)")
    end: str | None = Field(None, description="last day, YYYY-MM-DD; not after today")


class FilterQuery(PeriodQuery):
    location: Id | None = Field(None, description="only orders placed at this location")
    segment: Id | None = Field(None, description="only customers of this saved segment")
    rfm: str | None = Field(None, description="only customers of this RFM segment, e.g. at_risk")


def _business(request: HttpRequest) -> Business:
    require_role(request, Role.MANAGER)
    return current_business(request)


def _period(business: Business, q: PeriodQuery) -> analytics.Period:
    return _period_parse(business, q.start, q.end)


def _period_parse(business: Business, start: str | None, end: str | None) -> analytics.Period:
    try:
        return analytics.period_parse(business=business, start=start, end=end)
    except OverflowError:  # an end so early that the default start is before year 1
        raise analytics.PeriodInvalid(
            _("The period starts too early: choose a start from %(date)s on.")
            % {"date": analytics.EARLIEST.isoformat()},
            code="period_too_early",
            details={"fields": {"end": [analytics.EARLIEST.isoformat()]}},
        ) from None


def _args(request: HttpRequest, q: FilterQuery) -> dict[str, Any]:
    business = _business(request)
    return {
        "business": business,
        "period": _period(business, q),
        "filters": analytics.filters_parse(
            business=business, location=q.location, segment=q.segment, rfm=q.rfm
        ),
    }


@router.get("/analytics/dashboard", response=analytics.Dashboard)
def dashboard(request: HttpRequest, q: Query[FilterQuery]) -> Any:
    """Headline figures beside the previous period of the same length, and the ROI."""
    return analytics.dashboard_get(**_args(request, q))


@router.get("/analytics/figures", response=analytics.PeriodFigures)
def figures(request: HttpRequest, q: Query[FilterQuery]) -> Any:
    """Every count and rate of one period: customers at start and end, new, lost, buyers,
    retention, churn, repeat purchase rate, frequency, days between purchases, orders,
    revenue, average order, members' share, points."""
    return analytics.figures_get(**_args(request, q))


@router.get("/analytics/activity", response=list[analytics.ActivityDay])
def activity(request: HttpRequest, q: Query[FilterQuery]) -> Any:
    """One row per day: orders, revenue, buyers, new and active customers, points."""
    return analytics.activity_get(**_args(request, q))


class TrendQuery(FilterQuery):
    bucket: str = Field("week", description="day, week or month")


@router.get("/analytics/cart-trend", response=analytics.CartTrend)
def cart_trend(request: HttpRequest, q: Query[TrendQuery]) -> Any:
    """Average order value per day, week or month, and its least-squares trend."""
    return analytics.cart_trend_get(**_args(request, q), bucket=q.bucket)


class CohortQuery(FilterQuery):
    months: int = Field(12, ge=1, le=60, description="months after the first purchase")


@router.get("/analytics/cohorts", response=analytics.Cohorts)
def cohorts(request: HttpRequest, q: Query[CohortQuery]) -> Any:
    """Cohort retention matrix by month of first purchase, and the pooled retention curve."""
    return analytics.cohorts_get(**_args(request, q), months=q.months)


@router.get("/analytics/points", response=analytics.PointsFigures)
def points(request: HttpRequest, q: Query[FilterQuery]) -> Any:
    """Points issued, redeemed, expired; redemption, breakage and ultimate redemption rates."""
    return analytics.points_get(**_args(request, q))


@router.get("/analytics/roi", response=analytics.Roi)
def roi(request: HttpRequest, q: Query[FilterQuery]) -> Any:
    """Loyalty program ROI: incremental gross margin of members / program cost."""
    return analytics.roi_get(**_args(request, q))


class LimitQuery(FilterQuery):
    limit: int = Field(20, ge=0, le=500)


@router.get("/analytics/unprofitable", response=analytics.Unprofitable)
def unprofitable(request: HttpRequest, q: Query[LimitQuery]) -> Any:
    """Customers whose margin after discounts, rewards and messages is below zero."""
    return analytics.unprofitable_get(**_args(request, q), limit=q.limit)


class SegmentQuery(RequestSchema):
    segment: Id | None = None


@router.get("/analytics/rfm", response=analytics.Rfm)
def rfm(request: HttpRequest, q: Query[SegmentQuery]) -> Any:
    """Customers per RFM segment (scored nightly)."""
    business = _business(request)
    return analytics.rfm_get(
        business=business, filters=analytics.filters_parse(business=business, segment=q.segment)
    )


class RfmCustomersQuery(RequestSchema):
    rfm: str = Field(description="an RFM segment, e.g. at_risk")
    limit: int = Field(100, ge=1, le=1000)


class RfmCustomersOut(Schema):
    segment: str
    count: int
    customers: list[dict[str, Any]]


@router.get("/analytics/rfm/customers", response=RfmCustomersOut)
def rfm_members(request: HttpRequest, q: Query[RfmCustomersQuery]) -> Any:
    """The customers of one RFM segment (a campaign audience): how many, and the first ones."""
    business = _business(request)
    customers = rfm_customers(business, q.rfm).order_by("pk")
    listed = list(customers.values("id", "name")[: q.limit])
    customers_listed_record(
        business=business, channel="api", count=len(listed), filters={"rfm": q.rfm},
        api_key=request.auth,  # type: ignore[attr-defined]
    )  # fmt: skip
    return {"segment": q.rfm, "count": customers.count(), "customers": listed}


class ClvQuery(RequestSchema):
    limit: int = Field(10, ge=1, le=100)


@router.get("/analytics/clv")
def clv(request: HttpRequest, q: Query[ClvQuery]) -> dict[str, Any]:
    """Customer lifetime value from the nightly fit (BG/NBD + Gamma-Gamma): the parameters,
    the predicted value of the whole base over the next 12 months (minor units, 1 % monthly
    discount), the most valuable customers and valuable customers likely to be slipping
    away (probability still a customer below 50 %)."""
    return clv_summary(business=_business(request), limit=q.limit)


@router.get("/analytics/tiers", response=analytics.Tiers)
def tiers(request: HttpRequest, q: Query[PeriodQuery]) -> Any:
    """Customers per tier now, and upgrades and downgrades seen during the period."""
    business = _business(request)
    return analytics.tiers_get(business=business, period=_period(business, q))


class UpliftQuery(RequestSchema):
    start: str | None = Field(None, description="only this part of the promotion's run")
    end: str | None = None


@router.get("/analytics/promotions/{promotion_id}/uplift", response=analytics.Uplift)
def promotion_uplift(request: HttpRequest, promotion_id: int, q: Query[UpliftQuery]) -> Any:
    """Orders and revenue of the promotion's audience while it ran vs its holdout or the days
    before, with 95 % confidence intervals, and the after-effect."""
    business = _business(request)
    period = None
    if q.start or q.end:
        period = _period_parse(business, q.start, q.end)
    return analytics.promotion_uplift_get(
        business=business, promotion_id=promotion_id, period=period
    )


@router.get("/analytics/promotions/{promotion_id}/codes", response=analytics.CodeUsage)
def promotion_codes(request: HttpRequest, promotion_id: int, q: Query[PeriodQuery]) -> Any:
    """Code use in the period: reach, uses, repeat use, discount given."""
    business = _business(request)
    return analytics.code_usage_get(
        business=business, promotion_id=promotion_id, period=_period(business, q)
    )


@router.get("/analytics/report")
def report(request: HttpRequest, q: Query[FilterQuery]) -> dict[str, Any]:
    """The main figures of the period, as `wateja report --format json` prints them."""
    data: dict[str, Any] = analytics.as_dict(analytics.report_get(**_args(request, q)))
    return data


class SettingsOut(Schema):
    activity_window_days: int
    gross_margin_bp: int


class SettingsIn(StrictSchema):
    """Only the fields sent change; neither can be null."""

    activity_window_days: int = omittable(ge=1, le=365, description="1 to 365 days")
    gross_margin_bp: int = omittable(ge=0, le=10_000, description="basis points, 0 to 10000")


@router.get("/analytics/settings", response=SettingsOut)
def settings_get(request: HttpRequest) -> Any:
    return analytics.analytics_settings(_business(request))


@router.put("/analytics/settings", response=SettingsOut)
def settings_put(request: HttpRequest, payload: SettingsIn) -> Any:
    """The activity window (days a customer stays active after a purchase) and the gross
    margin (basis points) that ROI and unprofitable customers use."""
    return analytics.analytics_settings_update(
        business=_business(request), **payload.dict(exclude_unset=True)
    )
