"""Challenges: create one, read its leaderboard, finish it and pay the places.

The leaderboard is a query over the period, never a counter kept per event:
- visits: the customer's orders placed in the period (voided ones do not count);
- spend: what those orders came to, less what was refunded (minor units);
- points: the points the customer's purchases earned in the period (earn transfers not
  voided, and what stayed of a pending earn after a refund), less what refunds took back.

Places follow standard competition ranking: equal values share a place and the next place
skips (1, 1, 3). Ties within the rewarded places: everyone tied on a place gets that place's
reward (two customers tied first both get the first prize; the next one is third). So a
challenge can pay more customers than `top_n` when there are ties, never a smaller prize
to someone who did as well as a winner. Only active customers rank (not erased, merged or
blocked), with a value above zero.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wateja.challenges.models import Challenge, ChallengeStatus, ChallengeWinner, Metric
from wateja.core.chunks import chunked
from wateja.core.errors import Conflict, ValidationFailed
from wateja.core.localtime import local_date
from wateja.customers.models import Channel, Consent, Customer
from wateja.orders.models import Order, OrderStatus
from wateja.tenants.models import Business
from wateja.tenants.services import audit_record
from wateja.wallet.models import Kind, Transfer, TransferStatus
from wateja.wallet.services import points_award

MAX_PLACES = 20
MAX_REWARD = 1_000_000


@dataclass(frozen=True)
class Row:
    place: int
    customer_id: int
    name: str
    value: int
    points: int  # the reward of this place (0 outside the rewarded places)
    shown: bool = True  # the customer agreed to be shown in public (public board only)

    @property
    def masked(self) -> str:
        """How the public board names a customer who did not agree to be shown."""
        return f"••{self.customer_id % 100:02d}"


def _clean(
    *,
    name: str,
    metric: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    rewards: list[int],
) -> dict[str, Any]:
    errors: dict[str, object] = {}
    if not name.strip():
        errors["name"] = _("Enter a name.")
    if metric not in Metric.values:
        errors["metric"] = _("Choose who wins.")
    if starts_at is None:
        errors["starts_at"] = _("Enter the first day.")
    if ends_at is None:
        errors["ends_at"] = _("Enter the last day.")
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    if not rewards:
        errors["rewards"] = _("Give the points for at least the first place.")
    elif len(rewards) > MAX_PLACES:
        errors["rewards"] = _("At most %(n)s places can be rewarded.") % {"n": MAX_PLACES}
    elif any(not isinstance(r, int) or r < 0 or r > MAX_REWARD for r in rewards):
        errors["rewards"] = _("Points must be whole numbers from 0 to %(max)s.") % {
            "max": MAX_REWARD
        }
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    return {"name": name.strip()[:120], "metric": metric}


@transaction.atomic
def challenge_create(
    *,
    business: Business,
    name: str,
    metric: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    rewards: list[int],
    public: bool = False,
    actor: User | None = None,
    api_key: Any = None,
) -> Challenge:
    """A new challenge; its rewards are the program's own rule (audited here), paid through
    the ledger when it is finished."""
    values = _clean(name=name, metric=metric, starts_at=starts_at, ends_at=ends_at, rewards=rewards)
    assert starts_at is not None and ends_at is not None  # checked by _clean
    challenge = Challenge.objects.create(
        business=business,
        starts_at=starts_at,
        ends_at=ends_at,
        rewards=list(rewards),
        top_n=len(rewards),
        public=public,
        public_slug=secrets.token_urlsafe(9).lower().replace("_", "x").replace("-", "y")[:12],
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **values,
    )
    audit_record(
        business=business,
        action="challenge.create",
        object_type="challenge",
        object_id=challenge.pk,
        actor=actor,
        api_key=api_key,
        details={"name": challenge.name, "metric": challenge.metric, "rewards": rewards},
    )
    return challenge


def challenge_state(challenge: Challenge, now: dt.datetime | None = None) -> str:
    """upcoming | running | ended (waiting to be finished) | finished | cancelled."""
    if challenge.status != ChallengeStatus.OPEN:
        return str(challenge.status)
    now = now or timezone.now()
    if now < challenge.starts_at:
        return "upcoming"
    if now < challenge.ends_at:
        return "running"
    return "ended"


def challenge_days(challenge: Challenge) -> tuple[dt.date, dt.date]:
    """The first and the last day of the challenge in the business's time zone (it ends at
    the start of the day after the last)."""
    tz = challenge.business.timezone
    return (
        local_date(challenge.starts_at, tz),
        local_date(challenge.ends_at - dt.timedelta(microseconds=1), tz),
    )


STATE_LABELS = {
    "upcoming": gettext_lazy("Not started yet"),
    "running": gettext_lazy("Running"),
    "ended": gettext_lazy("Ended: rewards not paid yet"),
    "finished": gettext_lazy("Finished, rewards paid"),
    "cancelled": gettext_lazy("Cancelled"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, ""))


def _scores(challenge: Challenge) -> Iterator[tuple[int, str, int]]:
    """(customer id, name, value in the period), best first (ties by id), for the customers
    still active with a value above zero. The period's sales (or points) are summed per
    customer first — one pass over the period, not a subquery per customer of the base —
    and read in that order, 500 at a time, keeping those still active."""
    period = Q(placed_at__gte=challenge.starts_at, placed_at__lt=challenge.ends_at)
    totals: QuerySet[Any]
    if challenge.metric in (Metric.VISITS, Metric.SPEND):
        value = (
            Count("id")
            if challenge.metric == Metric.VISITS
            else Sum(F("total_minor") - F("refunded_minor"))
        )
        totals = (
            Order.objects.filter(period, business_id=challenge.business_id)
            .exclude(status=OrderStatus.VOIDED)
            .exclude(customer_id=None)
            .values(who=F("customer_id"))
        ).annotate(score=value)
    else:
        reversed_ = Q(code="refund_reverse")
        totals = (
            Transfer.objects.filter(
                Q(
                    code__in=["earn", "earn_remainder"],
                    credit_account__kind=Kind.POINTS,
                    credit_account__customer__isnull=False,
                )
                | Q(
                    reversed_,
                    debit_account__kind=Kind.POINTS,
                    debit_account__customer__isnull=False,
                ),
                business_id=challenge.business_id,
                created_at__gte=challenge.starts_at,
                created_at__lt=challenge.ends_at,
            )
            .exclude(status=TransferStatus.VOIDED)
            .values(
                who=Case(
                    When(reversed_, then=F("debit_account__customer_id")),
                    default=F("credit_account__customer_id"),
                )
            )
            .annotate(
                score=Sum(
                    Case(
                        When(reversed_, then=-F("amount")),
                        default=F("amount"),
                        output_field=BigIntegerField(),
                    )
                )
            )
        )
    ranked = totals.filter(score__gt=0).order_by("-score", "who").values_list("who", "score")
    for chunk in chunked(ranked.iterator(chunk_size=500), 500):
        yield from _active_named(challenge.business_id, chunk)


def _active_named(business_id: int, ranked: list[tuple[int, int]]) -> list[tuple[int, str, int]]:
    names = dict(
        Customer.objects.filter(
            business_id=business_id,
            pk__in=[who for who, _score in ranked],
            erased_at__isnull=True,
            merged_into__isnull=True,
            is_blocked=False,
        ).values_list("pk", "name")
    )
    return [(who, names[who], int(score)) for who, score in ranked if who in names]


def challenge_leaderboard(
    challenge: Challenge, *, limit: int | None = 50, public: bool = False
) -> list[Row]:
    """The board, best first, with places (1, 1, 3 on a tie). Rows past `limit` are cut, but
    never in the middle of a tie that is rewarded. With `public`, each row says whether the
    customer agreed to be shown (consent on the "public" channel)."""
    if challenge.status == ChallengeStatus.FINISHED:
        return _frozen(challenge, public=public)
    rows: list[Row] = []
    place, previous = 0, None
    for n, (customer_id, name, score) in enumerate(_scores(challenge), start=1):
        if score != previous:
            place, previous = n, score
        full = limit is not None and len(rows) >= limit
        if full and (place != rows[-1].place or place > challenge.top_n):
            break  # past the limit, unless still inside a rewarded tie
        rows.append(
            Row(
                place=place,
                customer_id=customer_id,
                name=name,
                value=int(score),
                points=challenge.reward_for(place),
            )
        )
    return _with_consent(challenge, rows) if public else rows


def _frozen(challenge: Challenge, *, public: bool) -> list[Row]:
    rows = [
        Row(
            place=w.place,
            customer_id=w.customer_id or 0,
            name=w.customer.name if w.customer else "",
            value=w.value,
            points=w.points,
        )
        for w in challenge.winners.select_related("customer").order_by("place", "customer_id")
    ]
    return _with_consent(challenge, rows) if public else rows


def public_consenting(business_id: int, customer_ids: list[int]) -> set[int]:
    """Those of `customer_ids` whose latest consent on the public channel is granted."""
    latest = (
        Consent.objects.filter(
            business_id=business_id, customer_id=OuterRef("pk"), channel=Channel.PUBLIC
        )
        .order_by("-recorded_at", "-id")
        .values("granted")[:1]
    )
    return set(
        Customer.objects.filter(business_id=business_id, pk__in=customer_ids)
        .annotate(public=Subquery(latest))
        .filter(public=True)
        .values_list("pk", flat=True)
    )


def _with_consent(challenge: Challenge, rows: list[Row]) -> list[Row]:
    shown = public_consenting(challenge.business_id, [r.customer_id for r in rows])
    return [
        Row(
            place=r.place,
            customer_id=r.customer_id,
            name=r.name if r.customer_id in shown else "",
            value=r.value,
            points=r.points,
            shown=r.customer_id in shown,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Finished:
    challenge: Challenge
    paid: list[ChallengeWinner]
    replayed: bool


def challenge_finish(
    *,
    challenge: Challenge,
    actor: User | None = None,
    api_key: Any = None,
    now: dt.datetime | None = None,
) -> Finished:
    """Close an ended challenge and pay each rewarded place through the ledger, once: the
    award's key is `challenge:<id>:<customer>` and a second call pays nothing more."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
        if locked.status == ChallengeStatus.FINISHED:
            return Finished(locked, list(locked.winners.all()), replayed=True)
        if locked.status == ChallengeStatus.CANCELLED:
            raise Conflict(_("This challenge was cancelled."), code="challenge_cancelled")
        if now < locked.ends_at:
            raise Conflict(
                _("The challenge has not ended yet; its rewards are paid after the last day."),
                code="challenge_not_ended",
            )
        board = challenge_leaderboard(locked, limit=None)
        winners: list[ChallengeWinner] = []
        for row in board:
            if row.place > locked.top_n:
                break
            operation_id = None
            if row.points > 0:
                customer = Customer.objects.get(pk=row.customer_id)
                posting = points_award(
                    customer=customer,
                    amount=row.points,
                    idempotency_key=f"challenge:{locked.pk}:{row.customer_id}",
                    reason=_("Place %(place)s in “%(name)s”")
                    % {"place": row.place, "name": locked.name},
                    reference=f"challenge:{locked.pk}",
                    actor=actor,
                    now=now,
                )
                operation_id = posting.operation_id
            winners.append(
                ChallengeWinner.objects.create(
                    business_id=locked.business_id,
                    challenge=locked,
                    customer_id=row.customer_id,
                    place=row.place,
                    value=row.value,
                    points=row.points,
                    operation_id=operation_id,
                )
            )
        locked.status = ChallengeStatus.FINISHED
        locked.finished_at = now
        locked.finished_by = actor if actor is not None and actor.is_authenticated else None
        locked.save(update_fields=["status", "finished_at", "finished_by"])
        audit_record(
            business=locked.business,
            action="challenge.finish",
            object_type="challenge",
            object_id=locked.pk,
            actor=actor,
            api_key=api_key,
            details={
                "paid": [
                    {"customer_id": w.customer_id, "place": w.place, "points": w.points}
                    for w in winners
                ]
            },
        )
    return Finished(locked, winners, replayed=False)


def challenge_cancel(
    *, challenge: Challenge, actor: User | None = None, api_key: Any = None
) -> Challenge:
    with transaction.atomic():
        locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
        if locked.status == ChallengeStatus.FINISHED:
            raise Conflict(
                _("This challenge is finished; its rewards were paid."), code="challenge_finished"
            )
        if locked.status != ChallengeStatus.CANCELLED:
            locked.status = ChallengeStatus.CANCELLED
            locked.save(update_fields=["status"])
            audit_record(
                business=locked.business,
                action="challenge.cancel",
                object_type="challenge",
                object_id=locked.pk,
                actor=actor,
                api_key=api_key,
            )
    return locked  # type: ignore[no-any-return]


def challenges_export(customer: Customer) -> tuple[str, Any]:
    """The customer's places in finished challenges (for their data export)."""
    return (
        "challenges",
        [
            {
                "challenge": w.challenge.name,
                "place": w.place,
                "value": w.value,
                "points": w.points,
            }
            for w in ChallengeWinner.objects.filter(customer=customer)
            .select_related("challenge")
            .order_by("id")
        ],
    )
