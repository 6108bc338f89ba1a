"""Feedback API: the ratings customers gave after purchases (the list and the report per
location, cashier and product), how low ratings are acted on (settings), and short surveys
(create, results, send as a draft campaign). Manager role.

No `from __future__ import annotations` here: Ninja reads Query/Header annotations at import.
"""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import Id, RequestSchema, StrictSchema
from wateja.core.localtime import local_start
from wateja.messaging.campaigns import campaign_save
from wateja.messaging.config import messaging_settings
from wateja.messaging.feedback import (
    FeedbackFilter,
    feedback_list,
    feedback_report,
    feedback_settings_save,
)
from wateja.messaging.models import Survey
from wateja.messaging.surveys import survey_results, survey_save
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned

router = Router(tags=["feedback"])


class FeedbackQuery(RequestSchema):
    start: dt.date | None = Field(None, description="first day, YYYY-MM-DD (business-local)")
    end: dt.date | None = Field(None, description="last day, YYYY-MM-DD (business-local)")
    location_id: Id | None = Field(None, description="only sales at this location")
    staff_id: Id | None = Field(None, description="only sales by this cashier (user id)")
    sku: str | None = Field(None, max_length=64, description="only sales with this product")
    scale: str | None = Field(None, description="stars or nps; the business's when left out")
    low: bool = Field(False, description="only the ratings that opened a complaint")


class FeedbackOut(Schema):
    id: int
    at: dt.datetime
    scale: str
    rating: int
    comment: str
    customer_id: int | None
    order_id: int | None
    location_id: int | None
    staff_id: int | None
    complaint_id: int | None


class FeedbackGroupOut(Schema):
    name: str
    count: int
    average: float | None
    low: int
    nps: int | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None


class FeedbackLocationOut(FeedbackGroupOut):
    location_id: int | None


class FeedbackStaffOut(FeedbackGroupOut):
    staff_id: int | None


class FeedbackProductOut(FeedbackGroupOut):
    sku: str


class FeedbackOverallOut(Schema):
    count: int
    average: float | None
    low: int
    nps: int | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None


class FeedbackSpreadOut(Schema):
    score: int
    count: int


class FeedbackReportOut(Schema):
    scale: str
    top: int
    overall: FeedbackOverallOut
    spread: list[FeedbackSpreadOut]
    locations: list[FeedbackLocationOut]
    staff: list[FeedbackStaffOut]
    products: list[FeedbackProductOut]


class FeedbackSettingsOut(Schema):
    feedback_scale: str
    feedback_low_at: int
    feedback_owner_id: int | None
    feedback_due_hours: int
    feedback_alert: str
    feedback_alert_to: str


class FeedbackSettingsIn(StrictSchema):
    feedback_scale: Literal["stars", "nps"] | None = Field(
        None, description="stars (1–5) or nps (0–10)"
    )
    feedback_low_at: int | None = Field(
        None, ge=0, le=10, description="a rating at or below opens a complaint"
    )
    feedback_owner_id: int | None = Field(
        None, ge=0, description="a manager's user id; 0 clears it (the location's manager)"
    )
    feedback_due_hours: int | None = Field(
        None, ge=0, le=720, description="call back within (hours)"
    )
    feedback_alert: Literal["sms", "email", "none"] | None = Field(
        None, description="sms, email or none"
    )
    feedback_alert_to: str | None = Field(None, max_length=254)


class SurveyQuestionIn(StrictSchema):
    kind: Literal["stars", "choice", "text"] = Field(description="stars, choice or text")
    text: str = Field(max_length=200)
    choices: list[str] = Field(default_factory=list, max_length=10)
    multiple: bool = False
    interests: bool = Field(False, description="choice: the picks become customer interests")


class SurveyIn(StrictSchema):
    title: str = Field(max_length=150)
    questions: list[SurveyQuestionIn] = Field(max_length=5)


class SurveyQuestionOut(Schema):
    kind: str
    text: str
    choices: list[str] = []
    multiple: bool = False
    interests: bool = False


class SurveyOut(Schema):
    id: int
    title: str
    questions: list[SurveyQuestionOut]
    created_at: dt.datetime


class SurveyResultsOut(Schema):
    id: int
    title: str
    sent: int
    responses: int
    questions: list[dict[str, Any]]


class SurveyCampaignIn(StrictSchema):
    name: str = Field(max_length=150)
    segment_id: Id | None = None
    channel: str = "preferred"
    sms_template_id: Id | None = None
    email_template_id: Id | None = None
    holdout_percent: int = Field(0, ge=0, le=50)


class SurveyCampaignOut(Schema):
    id: int
    name: str
    status: str
    survey_id: int | None


def _business(request: HttpRequest) -> Business:
    require_role(request, Role.MANAGER)
    return current_business(request)


def _filter(business: Business, q: FeedbackQuery) -> FeedbackFilter:
    tz = business.timezone
    return FeedbackFilter(
        location_id=q.location_id,
        staff_id=q.staff_id,
        sku=q.sku or "",
        start=local_start(tz, q.start) if q.start else None,
        end=local_start(tz, q.end + dt.timedelta(days=1)) if q.end else None,
        scale=q.scale or "",
        low_only=q.low,
    )


@router.get("/feedback", response=list[FeedbackOut])
@paginate(CursorPagination)
def feedback_rows(request: HttpRequest, q: Query[FeedbackQuery]) -> Any:
    """The ratings, oldest first (cursor pages)."""
    business = _business(request)
    return feedback_list(business, _filter(business, q)).order_by("id")


@router.get("/feedback/report", response=FeedbackReportOut)
def feedback_figures(request: HttpRequest, q: Query[FeedbackQuery]) -> Any:
    """Counts, the average and (NPS) the net promoter score, overall and per location,
    cashier and product."""
    business = _business(request)
    return feedback_report(business, _filter(business, q))


@router.get("/feedback/settings", response=FeedbackSettingsOut)
def feedback_settings_get(request: HttpRequest) -> Any:
    return messaging_settings(_business(request))


@router.put("/feedback/settings", response=FeedbackSettingsOut)
def feedback_settings_put(request: HttpRequest, payload: FeedbackSettingsIn) -> Any:
    business = _business(request)
    values = payload.dict(exclude_none=True)
    if values.get("feedback_owner_id") == 0:
        values["feedback_owner_id"] = None
    return feedback_settings_save(business=business, **values)


@router.get("/surveys", response=list[SurveyOut])
@paginate(CursorPagination)
def survey_rows(request: HttpRequest) -> Any:
    return Survey.objects.filter(business=_business(request)).order_by("id")


@router.post("/surveys", response={201: SurveyOut})
def survey_post(request: HttpRequest, payload: SurveyIn) -> Status[Any]:
    survey = survey_save(
        business=_business(request),
        title=payload.title,
        questions=[q.dict() for q in payload.questions],
    )
    return Status(201, survey)


@router.get("/surveys/{survey_id}", response=SurveyResultsOut)
def survey_get(request: HttpRequest, survey_id: int) -> Any:
    """The survey's results: per question the stars' average, each choice's count, or the
    latest texts."""
    return survey_results(get_owned(Survey, _business(request), pk=survey_id))


@router.post("/surveys/{survey_id}/campaign", response={201: SurveyCampaignOut})
def survey_campaign(request: HttpRequest, survey_id: int, payload: SurveyCampaignIn) -> Status[Any]:
    """A draft campaign whose {link} opens the survey; preview and launch it through
    /campaigns/{id}/preview and /campaigns/{id}/launch."""
    business = _business(request)
    survey = get_owned(Survey, business, pk=survey_id)
    campaign = campaign_save(business=business, survey_id=survey.pk, **payload.dict())
    return Status(201, campaign)
