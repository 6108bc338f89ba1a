"""Challenges and surprise rules through the API: list, create, read a leaderboard, finish
(pays the places once) and cancel; surprise rules list and create.

No `from __future__ import annotations` here: Ninja reads the annotations at import."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from wateja.api.auth import current_business, require_role
from wateja.api.idempotency import IdempotencyKey, required_key
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import StrictSchema
from wateja.challenges.models import Challenge, SurpriseRule
from wateja.challenges.services import (
    challenge_cancel,
    challenge_create,
    challenge_finish,
    challenge_leaderboard,
    challenge_state,
)
from wateja.challenges.surprises import month_used, surprise_rule_save
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned

router = Router(tags=["challenges"])


class ChallengeIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120)
    metric: Literal["visits", "points", "spend"]
    starts_at: datetime
    ends_at: datetime
    rewards: list[int] = Field(min_length=1, max_length=20, description="points per place")
    public: bool = False


class ChallengeOut(Schema):
    id: int
    name: str
    metric: str
    starts_at: datetime
    ends_at: datetime
    top_n: int
    rewards: list[int]
    status: str
    state: str
    public: bool
    public_slug: str

    @staticmethod
    def resolve_state(obj: Challenge) -> str:
        return challenge_state(obj)


class RowOut(Schema):
    place: int
    customer_id: int
    name: str
    value: int
    points: int


class SurpriseRuleIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120)
    every_nth: int = Field(ge=1, le=1000)
    min_purchases: int = Field(0, ge=0, le=10_000)
    points: int = Field(ge=0, le=1_000_000_000, description="gift points; 0 with an item")
    item: str = Field("", max_length=120)
    monthly_points: int | None = Field(None, ge=0, le=1_000_000_000)
    monthly_count: int | None = Field(None, ge=0, le=1_000_000_000)
    active: bool = True


class SurpriseRuleOut(Schema):
    id: int
    name: str
    every_nth: int
    min_purchases: int
    points: int
    item: str
    monthly_points: int | None
    monthly_count: int | None
    active: bool
    used_this_month: dict[str, int]

    @staticmethod
    def resolve_used_this_month(obj: SurpriseRule) -> dict[str, int]:
        return month_used(obj)


@router.get("/challenges", response=list[ChallengeOut])
@paginate(CursorPagination)
def challenge_list(request: HttpRequest) -> Any:
    return Challenge.objects.for_business(current_business(request))


@router.post("/challenges", response={201: ChallengeOut})
def challenge_post(request: HttpRequest, payload: ChallengeIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    challenge = challenge_create(
        business=current_business(request),
        api_key=request.auth,  # type: ignore[attr-defined]
        **payload.dict(),
    )
    return Status(201, challenge)


@router.get("/challenges/{challenge_id}", response=ChallengeOut)
def challenge_get(request: HttpRequest, challenge_id: int) -> Challenge:
    return get_owned(Challenge, current_business(request), pk=challenge_id)


@router.get("/challenges/{challenge_id}/leaderboard", response=list[RowOut])
def challenge_board(request: HttpRequest, challenge_id: int, limit: int = 50) -> Any:
    challenge = get_owned(Challenge, current_business(request), pk=challenge_id)
    return challenge_leaderboard(challenge, limit=max(1, min(limit, 500)))


@router.post("/challenges/{challenge_id}/finish")
def challenge_finish_post(
    request: HttpRequest, challenge_id: int, idempotency_key: str = IdempotencyKey
) -> dict[str, Any]:
    """Finish an ended challenge and pay its places (once: a retry pays nothing more)."""
    require_role(request, Role.MANAGER)
    required_key(idempotency_key)
    challenge = get_owned(Challenge, current_business(request), pk=challenge_id)
    done = challenge_finish(challenge=challenge, api_key=request.auth)  # type: ignore[attr-defined]
    return {
        "id": done.challenge.pk,
        "status": done.challenge.status,
        "replayed": done.replayed,
        "paid": [
            {"customer_id": w.customer_id, "place": w.place, "value": w.value, "points": w.points}
            for w in done.paid
        ],
    }


@router.post("/challenges/{challenge_id}/cancel", response=ChallengeOut)
def challenge_cancel_post(request: HttpRequest, challenge_id: int) -> Challenge:
    require_role(request, Role.MANAGER)
    challenge = get_owned(Challenge, current_business(request), pk=challenge_id)
    return challenge_cancel(challenge=challenge, api_key=request.auth)  # type: ignore[attr-defined]


@router.get("/surprise-rules", response=list[SurpriseRuleOut])
@paginate(CursorPagination)
def surprise_rule_list(request: HttpRequest) -> Any:
    return SurpriseRule.objects.for_business(current_business(request))


@router.post("/surprise-rules", response={201: SurpriseRuleOut})
def surprise_rule_post(request: HttpRequest, payload: SurpriseRuleIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    rule = surprise_rule_save(
        business=current_business(request),
        api_key=request.auth,  # type: ignore[attr-defined]
        **payload.dict(),
    )
    return Status(201, rule)
