"""Challenge screens for managers: the challenges with their state, a form to start one, its
leaderboard, finishing it (the places paid through the ledger), and the surprise rules."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wateja.challenges.models import Challenge, SurpriseRule
from wateja.challenges.services import (
    challenge_cancel,
    challenge_create,
    challenge_days,
    challenge_finish,
    challenge_leaderboard,
    challenge_state,
    state_label,
)
from wateja.challenges.surprises import month_used, surprise_rule_save
from wateja.core.errors import DomainError
from wateja.core.localtime import local_start
from wateja.customers.links import public_url
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.web.challenges.forms import ChallengeForm, SurpriseRuleForm
from wateja.web.confirm import confirm_first
from wateja.web.errors import apply_to_form
from wateja.web.permissions import owned_or_404, staff_required


def _business(request: HttpRequest) -> Business:
    return request.business  # type: ignore[attr-defined,no-any-return]


@staff_required()
def challenges(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    rows = []
    for challenge in Challenge.objects.for_business(business).order_by("-starts_at", "-id"):
        first, last = challenge_days(challenge)
        state = challenge_state(challenge)
        rows.append(
            {
                "challenge": challenge,
                "first": first,
                "last": last,
                "state": state,
                "state_label": state_label(state),
            }
        )
    rules = [
        {"rule": rule, "used": month_used(rule)}
        for rule in SurpriseRule.objects.for_business(business).order_by("pk")
    ]
    return render(request, "web/challenges/list.html", {"rows": rows, "rules": rules})


@staff_required(Role.MANAGER)
def challenge_new(request: HttpRequest) -> HttpResponse:
    business = _business(request)
    form = ChallengeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            challenge = challenge_create(
                business=business,
                name=data["name"],
                metric=data["metric"],
                starts_at=local_start(business.timezone, data["first_day"]),
                ends_at=local_start(business.timezone, data["last_day"] + dt.timedelta(days=1)),
                rewards=data["rewards"],
                public=data["public"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            if "starts_at" in error.details.get("fields", {}):
                error.details["fields"]["first_day"] = error.details["fields"].pop("starts_at")
            if "ends_at" in error.details.get("fields", {}):
                error.details["fields"]["last_day"] = error.details["fields"].pop("ends_at")
            apply_to_form(form, error)
        else:
            messages.success(request, _("The challenge is saved."))
            return redirect("web:challenge_detail", challenge_id=challenge.pk)
    return render(request, "web/challenges/new.html", {"form": form})


@staff_required()
def challenge_detail(request: HttpRequest, challenge_id: int) -> HttpResponse:
    challenge = owned_or_404(Challenge, request, pk=challenge_id)
    first, last = challenge_days(challenge)
    state = challenge_state(challenge)
    return render(
        request,
        "web/challenges/detail.html",
        {
            "challenge": challenge,
            "first": first,
            "last": last,
            "state": state,
            "state_label": state_label(state),
            "board": challenge_leaderboard(challenge, limit=50),
            "public_link": public_url(reverse("web:leaderboard", args=[challenge.public_slug]))
            if challenge.public
            else "",
        },
    )


@require_POST
@staff_required(Role.MANAGER)
def challenge_finish_view(request: HttpRequest, challenge_id: int) -> HttpResponse:
    challenge = owned_or_404(Challenge, request, pk=challenge_id)
    detail = reverse("web:challenge_detail", args=[challenge.pk])
    asked = confirm_first(
        request,
        question=_("Finish “%(name)s” and pay the rewards?") % {"name": challenge.name},
        consequence=_(
            "The places are fixed as they are now and the points go to the winners' cards. "
            "This cannot be undone."
        ),
        yes=_("Finish and pay"),
        cancel_url=detail,
    )
    if asked is not None:
        return asked
    try:
        done = challenge_finish(challenge=challenge, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        paid = sum(1 for w in done.paid if w.points)
        messages.success(request, _("Finished. Rewards paid to %(n)s customers.") % {"n": paid})
    return redirect(detail)


@require_POST
@staff_required(Role.MANAGER)
def challenge_cancel_view(request: HttpRequest, challenge_id: int) -> HttpResponse:
    challenge = owned_or_404(Challenge, request, pk=challenge_id)
    detail = reverse("web:challenge_detail", args=[challenge.pk])
    asked = confirm_first(
        request,
        question=_("Cancel “%(name)s”?") % {"name": challenge.name},
        consequence=_("No rewards will be paid for it."),
        yes=_("Cancel the challenge"),
        cancel_url=detail,
    )
    if asked is not None:
        return asked
    try:
        challenge_cancel(challenge=challenge, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect(detail)


@staff_required(Role.MANAGER)
def surprise_new(request: HttpRequest) -> HttpResponse:
    return _surprise_form(request, None)


@staff_required(Role.MANAGER)
def surprise_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = owned_or_404(SurpriseRule, request, pk=rule_id)
    return _surprise_form(request, rule)


def _surprise_form(request: HttpRequest, rule: SurpriseRule | None) -> HttpResponse:
    initial = (
        {
            "name": rule.name,
            "every_nth": rule.every_nth,
            "min_purchases": rule.min_purchases,
            "points": rule.points or None,
            "item": rule.item,
            "monthly_count": rule.monthly_count,
            "monthly_points": rule.monthly_points,
        }
        if rule
        else None
    )
    form = SurpriseRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            surprise_rule_save(
                business=_business(request),
                name=data["name"],
                every_nth=data["every_nth"],
                min_purchases=data["min_purchases"],
                points=data["points"] or 0,
                item=data["item"] or "",
                monthly_count=data["monthly_count"],
                monthly_points=data["monthly_points"],
                active=request.POST.get("active", "1") == "1",
                rule=rule,
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            apply_to_form(form, error)
        else:
            messages.success(request, _("The surprise rule is saved."))
            return redirect("web:challenges")
    return render(request, "web/challenges/surprise.html", {"form": form, "rule": rule})
