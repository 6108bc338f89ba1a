"""Short surveys sent as campaigns, and customers' interests.

A survey has up to MAX_QUESTIONS questions: stars (1–5), a choice (one, or several when
`multiple`) or free text. A campaign with a survey puts the survey page's link
(`/s/<message token>/`) in its {link}; the customer's answers are kept per message
(answering again replaces them). A choice question marked `interests` adds what the customer
picked to their interests (Customer.interests, usable in segments). The "which services
would you like" letter (the PREFERENCES automation) links to the same address, where the
page lists the business's product categories to tick: the ticked ones become interests."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.catalog.models import Category
from wateja.core.errors import NotFound, ValidationFailed
from wateja.customers.models import Customer
from wateja.customers.services import interests_set
from wateja.messaging.models import (
    MAX_QUESTIONS,
    AutomationKind,
    Message,
    QuestionKind,
    Survey,
    SurveyAnswer,
)
from wateja.tenants.models import Business
from wateja.tenants.services import audit_record

MAX_CHOICES = 10
MAX_INTERESTS = 30
TEXT_LIMIT = 500


def _invalid(errors: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed.fields(_("Some fields are not valid."), errors)


def _clean_questions(questions: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    errors: dict[str, Any] = {}
    cleaned: list[dict[str, Any]] = []
    if not isinstance(questions, list) or not questions:
        return [], {"questions": _("Add at least one question.")}
    if len(questions) > MAX_QUESTIONS:
        return [], {"questions": _("At most %(count)s questions.") % {"count": MAX_QUESTIONS}}
    for n, question in enumerate(questions):
        key = f"questions.{n}"
        if not isinstance(question, Mapping):
            errors[key] = _("Expected an object.")
            continue
        kind = str(question.get("kind", ""))
        text = str(question.get("text", "")).strip()
        if kind not in QuestionKind.values:
            errors[key] = _("Unknown value.")
            continue
        if not text or len(text) > 200:
            errors[key] = _("Write the question (at most 200 characters).")
            continue
        item: dict[str, Any] = {"kind": kind, "text": text}
        if kind == QuestionKind.CHOICE:
            raw = question.get("choices") or []
            if isinstance(raw, str):
                raw = raw.splitlines()
            choices = list(dict.fromkeys(str(c).strip()[:60] for c in raw if str(c).strip()))
            if not 2 <= len(choices) <= MAX_CHOICES:
                errors[key] = _("Give from 2 to %(count)s choices, one per line.") % {
                    "count": MAX_CHOICES
                }
                continue
            item["choices"] = choices
            item["interests"] = bool(question.get("interests"))
            item["multiple"] = bool(question.get("multiple")) or item["interests"]
        cleaned.append(item)
    return cleaned, errors


@transaction.atomic
def survey_save(
    *,
    business: Business,
    title: str,
    questions: Any,
    survey: Survey | None = None,
    actor: User | None = None,
) -> Survey:
    """Create or change a survey. One already sent keeps its questions (answers point at
    their positions): only its title changes."""
    errors: dict[str, Any] = {}
    title = (title or "").strip()
    if not title or len(title) > 150:
        errors["title"] = _("Enter a title (at most 150 characters).")
    sent = survey is not None and survey.answers.exists()
    cleaned, problems = ([], {}) if sent else _clean_questions(questions)
    errors.update(problems)
    if errors:
        raise _invalid(errors)
    if survey is None:
        survey = Survey(business=business)
    survey.title = title
    if not sent:
        survey.questions = cleaned
    survey.save()
    audit_record(
        business=business,
        action="survey.save",
        object_type="survey",
        object_id=survey.pk,
        actor=actor,
        details={"questions": len(survey.questions)},
    )
    return survey


# ------------------------------------------------------------------ the customer's page


def page_of(message: Message) -> tuple[str, Survey | None]:
    """What `/s/<token>/` shows for this message: ("survey", the campaign's survey),
    ("interests", None) for the "which services would you like" letter, or ("", None)."""
    campaign = message.campaign
    if campaign is not None and campaign.survey_id is not None:
        return "survey", campaign.survey
    automation = message.automation
    if automation is not None and automation.kind == AutomationKind.PREFERENCES:
        return "interests", None
    return "", None


def message_for_survey(token: str) -> Message:
    message: Message | None = (
        Message.objects.select_related("business", "customer", "campaign__survey", "automation")
        .filter(token=token)
        .first()
    )
    if message is None or not page_of(message)[0]:
        raise NotFound(_("This link is not valid."))
    return message


def interest_options(business: Business) -> list[str]:
    """What the "which services would you like" page offers: the business's categories."""
    return list(
        Category.objects.filter(business=business)
        .order_by("position", "name", "id")
        .values_list("name", flat=True)
    )


def interests_add(customer: Customer, chosen: Iterable[str]) -> list[str]:
    """Add to the customer's interests (kept once each, whatever the letter case)."""
    current = [str(i) for i in (customer.interests or [])]
    known = {i.casefold() for i in current}
    for value in chosen:
        value = str(value).strip()[:64]
        if value and value.casefold() not in known and len(current) < MAX_INTERESTS:
            current.append(value)
            known.add(value.casefold())
    if current != list(customer.interests or []):
        interests_set(customer=customer, interests=current)
    return current


def _answer(question: Mapping[str, Any], raw: Any) -> Any:
    """One answer, checked against its question; None when left empty."""
    kind = question["kind"]
    values = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
    values = [str(v).strip() for v in values if str(v).strip()]
    if not values:
        return None
    if kind == QuestionKind.STARS:
        try:
            stars = int(values[0])
        except ValueError:
            stars = 0
        if not 1 <= stars <= 5:
            raise ValueError(_("Choose 1 to 5 stars."))
        return stars
    if kind == QuestionKind.CHOICE:
        picked = [v for v in question["choices"] if v in values]
        if len(picked) != len(set(values)) or (len(picked) > 1 and not question.get("multiple")):
            raise ValueError(_("Choose one of the answers."))
        return picked
    return values[0][:TEXT_LIMIT]


@transaction.atomic
def survey_answer(
    *, token: str, answers: Mapping[str, Any], now: dt.datetime | None = None
) -> SurveyAnswer:
    """The customer's answers through their message's link: `answers` maps a question's
    position ("0"…) to a value (a list for a choice). At least one answer; a choice
    question marked interests adds the picks to the customer's interests."""
    now = now or timezone.now()
    message = message_for_survey(token)
    kind, survey = page_of(message)
    if kind != "survey" or survey is None:
        raise NotFound(_("This link is not valid."))
    kept: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for n, question in enumerate(survey.questions):
        try:
            value = _answer(question, answers.get(str(n)))
        except ValueError as problem:
            errors[str(n)] = str(problem)
            continue
        if value is not None:
            kept[str(n)] = value
    if not kept and not errors:
        errors["answers"] = _("Answer at least one question.")
    if errors:
        raise _invalid(errors)
    Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    answer, _created = SurveyAnswer.objects.update_or_create(
        message=message,
        defaults={
            "business_id": message.business_id,
            "survey": survey,
            "customer": message.customer,
            "answers": kept,
            "at": now,
        },
    )
    if message.customer is not None:
        picks = [
            choice
            for n, question in enumerate(survey.questions)
            if question.get("interests")
            for choice in kept.get(str(n), [])
        ]
        interests_add(message.customer, picks)
    return answer


@transaction.atomic
def interests_answer(
    *, token: str, chosen: Iterable[str], now: dt.datetime | None = None
) -> list[str]:
    """The "which services would you like" page: the ticked categories become interests."""
    now = now or timezone.now()
    message = message_for_survey(token)
    if page_of(message)[0] != "interests":
        raise NotFound(_("This link is not valid."))
    options = interest_options(message.business)
    picked = [o for o in options if o in set(chosen)]
    if not picked:
        raise _invalid({"interests": _("Tick at least one.")})
    Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    if message.customer is None:
        return picked
    return interests_add(message.customer, picked)


# ------------------------------------------------------------------ results


def survey_results(survey: Survey) -> dict[str, Any]:
    """Per question: stars' average and count, each choice's count, the latest texts."""
    rows = list(SurveyAnswer.objects.filter(survey=survey).order_by("-at", "-id"))
    questions: list[dict[str, Any]] = []
    for n, question in enumerate(survey.questions):
        values = [r.answers[str(n)] for r in rows if str(n) in r.answers]
        item: dict[str, Any] = {
            "position": n,
            "kind": question["kind"],
            "text": question["text"],
            "answered": len(values),
        }
        if question["kind"] == QuestionKind.STARS:
            item["average"] = round(sum(values) / len(values), 1) if values else None
        elif question["kind"] == QuestionKind.CHOICE:
            counts = Counter(c for v in values for c in v)
            item["choices"] = [{"choice": c, "count": counts[c]} for c in question["choices"]]
            item["interests"] = bool(question.get("interests"))
        else:
            item["texts"] = values[:20]
        questions.append(item)
    sent = survey.campaigns.values_list("pk", flat=True)
    return {
        "id": survey.pk,
        "title": survey.title,
        "sent": Message.objects.filter(business_id=survey.business_id, campaign_id__in=sent)
        .exclude(status__in=["skipped", "holdout"])
        .count(),
        "responses": len(rows),
        "questions": questions,
    }
