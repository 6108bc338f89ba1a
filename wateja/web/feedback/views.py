"""Feedback screens (managers): the ratings after purchases with their report per location,
cashier and product over a period; the settings for acting on low ratings; short surveys,
their results, and sending one as a campaign (a draft, previewed and sent on the campaign's
own screen)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.core.errors import DomainError
from wateja.core.localtime import local_start, local_today
from wateja.customers.models import Segment
from wateja.messaging.campaigns import campaign_save
from wateja.messaging.config import messaging_settings
from wateja.messaging.feedback import (
    FeedbackFilter,
    feedback_list,
    feedback_owners,
    feedback_report,
    feedback_settings_save,
)
from wateja.messaging.models import Feedback, FeedbackScale, Survey, Template
from wateja.messaging.surveys import survey_results, survey_save
from wateja.orders.models import OrderLine
from wateja.tenants.models import Business, Location, Staff
from wateja.tenants.roles import Role
from wateja.web.errors import apply_to_form
from wateja.web.feedback.forms import FeedbackSettingsForm, SurveyForm, SurveySendForm
from wateja.web.permissions import owned_or_404, staff_required

LIST_LIMIT = 200


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


def _int(value: str) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(business: Business, query: Any) -> tuple[FeedbackFilter, dict[str, Any]]:
    """The filter from the query: a location, a cashier, a product, a period (local days,
    the last 30 by default); a value that is not one of the business's is ignored."""
    today = local_today(business.timezone)
    start = _date(query.get("start", "")) or today - dt.timedelta(days=29)
    end = _date(query.get("end", "")) or today
    if end < start:
        start, end = end, start
    location_id = _int(query.get("location", ""))
    if location_id and not Location.objects.filter(business=business, pk=location_id).exists():
        location_id = None
    staff_id = _int(query.get("staff", ""))
    if staff_id and not Staff.objects.filter(business=business, user_id=staff_id).exists():
        staff_id = None
    shown = {
        "start": start,
        "end": end,
        "location": location_id,
        "staff": staff_id,
        "product": query.get("product", "").strip()[:64],
        "low": query.get("low") == "1",
    }
    return (
        FeedbackFilter(
            location_id=location_id,
            staff_id=staff_id,
            sku=shown["product"],
            start=local_start(business.timezone, start),
            end=local_start(business.timezone, end + dt.timedelta(days=1)),
            low_only=shown["low"],
        ),
        shown,
    )


def _rated_products(business: Business) -> list[tuple[str, str]]:
    """The products of sales customers rated: the product filter's choices."""
    orders = Feedback.objects.filter(business=business, order__isnull=False).values("order_id")
    rows = (
        OrderLine.objects.filter(business=business, order_id__in=orders)
        .order_by("name", "sku")
        .values_list("sku", "name")
        .distinct()[:300]
    )
    return list(dict.fromkeys((sku, name or sku) for sku, name in rows))


@staff_required(Role.MANAGER)
def feedback_home(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    filters, shown = _filters(business, request.GET)
    report = feedback_report(business, filters)
    filters.scale = report["scale"]
    items = list(feedback_list(business, filters)[:LIST_LIMIT])
    staff = Staff.objects.filter(business=business).select_related("user").order_by("pk")
    return render(
        request,
        "web/feedback/home.html",
        {
            "report": report,
            "items": items,
            "shown": shown,
            "limit": LIST_LIMIT,
            "is_nps": report["scale"] == FeedbackScale.NPS,
            "locations": Location.objects.filter(business=business).order_by("name", "pk"),
            "cashiers": [(s.user_id, s.user.get_full_name() or s.user.username) for s in staff],
            "products": _rated_products(business),
        },
    )


@staff_required(Role.MANAGER)
def feedback_settings_page(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    row = messaging_settings(business)
    owners = [(str(u.pk), u.get_full_name() or u.username) for u in feedback_owners(business)]
    initial = {
        "feedback_scale": row.feedback_scale,
        "feedback_low_at": row.feedback_low_at,
        "feedback_owner_id": str(row.feedback_owner_id or ""),
        "feedback_due_hours": row.feedback_due_hours,
        "feedback_alert": row.feedback_alert,
        "feedback_alert_to": row.feedback_alert_to,
    }
    form = FeedbackSettingsForm(request.POST or None, initial=initial, owners=owners)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        values["feedback_owner_id"] = _int(values["feedback_owner_id"] or "")
        try:
            feedback_settings_save(business=business, actor=request.user, **values)  # type: ignore[arg-type]
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("Feedback settings saved."))
            return redirect("web:feedback_settings")
    return render(request, "web/feedback/settings.html", {"form": form})


@staff_required(Role.MANAGER)
def surveys(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = survey_save(
                business=business,
                title=form.cleaned_data["title"],
                questions=form.questions(),
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            _survey_errors(form, error)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("web:survey_detail", survey_id=survey.pk)
    rows = [
        (s, s.answers.count())
        for s in Survey.objects.filter(business=business).order_by("-created_at", "-pk")
    ]
    return render(request, "web/feedback/surveys.html", {"form": form, "surveys": rows})


def _survey_errors(form: SurveyForm, error: DomainError) -> None:
    """A question's problem ("questions.2") goes on that slot's text field."""
    fields = error.details.get("fields", {})
    for key, problems in fields.items():
        target: str | None = key if key in form.fields else None
        if key.startswith("questions."):
            position = _answered_slot(form, int(key.split(".")[1]))
            target = f"q{position}_text" if position is not None else None
        for problem in problems:
            form.add_error(target, problem)
    if not fields:
        form.add_error(None, str(error.message))


def _answered_slot(form: SurveyForm, index: int) -> int | None:
    """The form slot of the `index`-th question filled in (empty slots are left out)."""
    filled = [
        n
        for n in range(len(form.slots()))
        if form.cleaned_data.get(f"q{n}_kind") or form.cleaned_data.get(f"q{n}_text")
    ]
    return filled[index] if index < len(filled) else None


def _send_form(
    business: Business, data: Any = None, survey: Survey | None = None
) -> SurveySendForm:
    segments = [
        (str(s.pk), s.name) for s in Segment.objects.filter(business=business).order_by("name")
    ]
    templates = [
        (str(t.pk), t.name)
        for t in Template.objects.filter(business=business, channel="sms").order_by("name")
    ]
    initial = {"name": survey.title if survey is not None else ""}
    return SurveySendForm(data, initial=initial, segments=segments, templates=templates)


def _survey(request: HttpRequest, survey_id: int) -> Survey:
    return owned_or_404(Survey, request, pk=survey_id)


@staff_required(Role.MANAGER)
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    business = _business(request)
    survey = _survey(request, survey_id)
    return render(
        request,
        "web/feedback/survey.html",
        {
            "survey": survey,
            "results": survey_results(survey),
            "send_form": _send_form(business, survey=survey),
            "campaigns": survey.campaigns.order_by("-created_at", "-pk"),
        },
    )


@require_POST
@staff_required(Role.MANAGER)
def survey_send(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Make the survey's campaign (a draft): it is previewed and sent on its own screen."""
    business = _business(request)
    survey = _survey(request, survey_id)
    form = _send_form(business, request.POST, survey)
    if form.is_valid():
        try:
            campaign = campaign_save(
                business=business,
                actor=request.user,
                name=form.cleaned_data["name"],
                segment_id=_int(form.cleaned_data["segment_id"] or ""),
                channel="sms",
                sms_template_id=_int(form.cleaned_data["sms_template_id"]),
                survey_id=survey.pk,
            )
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("Campaign drafted: check the preview and send it."))
            return redirect("web:campaign_detail", campaign_id=campaign.pk)
    return render(
        request,
        "web/feedback/survey.html",
        {
            "survey": survey,
            "results": survey_results(survey),
            "send_form": form,
            "campaigns": survey.campaigns.order_by("-created_at", "-pk"),
        },
        status=422,
    )
