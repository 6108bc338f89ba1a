"""`/s/<token>/`: the survey a campaign's message links to, or the "which services would you
like" page of the personal letter (the business's categories to tick). No login: the
message's token is the key; the page speaks the customer's language."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from wateja.core.errors import NotFound, ValidationFailed
from wateja.messaging.composing import customer_language
from wateja.messaging.models import SurveyAnswer
from wateja.messaging.surveys import (
    interest_options,
    interests_answer,
    message_for_survey,
    page_of,
    survey_answer,
)
from wateja.tenants.language import activate_for_request
from wateja.web.ratelimit import Limit, RateLimited, client_ip, limit_hit

ANSWERS_PER_IP = Limit("survey-ip", 30, 10 * 60)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        message = message_for_survey(token)
    except NotFound:
        raise Http404 from None
    activate_for_request(request, customer_language(message.customer, message.business))
    kind, survey = page_of(message)
    context: dict[str, Any] = {"page_business": message.business, "kind": kind, "done": False}
    errors: dict[str, list[str]] = {}
    given: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            limit_hit(ANSWERS_PER_IP, client_ip(request) or "unknown")
        except RateLimited as error:
            errors = {"answers": [str(error.message)], "interests": [str(error.message)]}
            status = 429
    if request.method == "POST" and status == 200:
        try:
            if kind == "survey":
                posted = {
                    str(n): request.POST.getlist(f"q{n}")
                    for n in range(len(survey.questions if survey else []))
                }
                survey_answer(token=token, answers=posted)
            else:
                interests_answer(token=token, chosen=request.POST.getlist("interests"))
            context["done"] = True
        except ValidationFailed as problem:
            errors = {k: [str(v) for v in vs] for k, vs in problem.details["fields"].items()}
            given = {k: request.POST.getlist(k) for k in request.POST}
    else:
        previous = SurveyAnswer.objects.filter(message=message).first()
        if previous is not None:
            given = {
                f"q{n}": v if isinstance(v, list) else [str(v)] for n, v in previous.answers.items()
            }
    if kind == "survey" and survey is not None:
        context["questions"] = [
            {
                "n": n,
                "name": f"q{n}",
                **question,
                "given": [str(v) for v in given.get(f"q{n}", [])],
                "errors": errors.get(str(n), []),
            }
            for n, question in enumerate(survey.questions)
        ]
        context["title"] = survey.title
        context["error"] = " ".join(errors.get("answers", []))
    else:
        context["options"] = interest_options(message.business)
        context["chosen"] = set(
            given.get("interests", message.customer.interests if message.customer else [])
        )
        context["error"] = " ".join(errors.get("interests", []))
    return render(request, "web/public/survey.html", context, status=status)
