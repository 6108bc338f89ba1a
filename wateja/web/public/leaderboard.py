"""The public leaderboard of a challenge (`/board/<slug>/`): no login, rate-limited, one
column for a phone, in the business's language with a language switch. Only customers who
agreed to be shown in public (consent on the "public" channel) are named; the others keep
their place as "Member ••42" (two digits of their record, never their name or number)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from wateja.challenges.models import Challenge, ChallengeStatus
from wateja.challenges.services import (
    challenge_days,
    challenge_leaderboard,
    challenge_state,
    state_label,
)
from wateja.tenants.language import activate_for_request
from wateja.web.ratelimit import Limit, RateLimited, client_ip, limit_hit, too_many_response

BOARD_PER_IP = Limit("board-ip", 60, 10 * 60)
PUBLIC_ROWS = 20


def leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = (
        Challenge.objects.filter(public_slug=slug, public=True)
        .exclude(status=ChallengeStatus.CANCELLED)
        .select_related("business")
        .first()
    )
    if challenge is None:
        raise Http404
    business = challenge.business
    activate_for_request(request, business.default_language)
    page = {"page_business": business, "challenge": challenge}
    try:
        limit_hit(BOARD_PER_IP, client_ip(request) or "unknown")
    except RateLimited as error:
        return too_many_response(request, error, "web/public/leaderboard_too_many.html", page)
    first, last = challenge_days(challenge)
    state = challenge_state(challenge)
    return render(
        request,
        "web/public/leaderboard.html",
        {
            **page,
            "first": first,
            "last": last,
            "state": state,
            "state_label": state_label(state),
            "board": challenge_leaderboard(challenge, limit=PUBLIC_ROWS, public=True),
        },
    )
