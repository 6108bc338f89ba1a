"""The end-of-day summary of one business-local day: sales, the members' share of them,
points given and redeemed on them, codes used, refunds and voids, in all and by cashier and by
location. Every figure is summed in the database (three grouped queries, whatever the number of
orders); only their few group rows are added up here.

Each event counts on the day it happened: a sale on the day it was placed (also when it was
refunded or voided later), a refund or void on the day it was made. The net is the sales less
the refunds and voids of the day, so the figures of the days add up."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat

from wateja.core.localtime import local_start
from wateja.orders.models import Order, OrderRefund, RefundKind
from wateja.promotions.models import Redemption, RedemptionStatus
from wateja.tenants.models import ApiKey, Business, Location
from wateja.wallet.models import Kind, Operation, Transfer, TransferStatus

STAFF, API_KEY, NOBODY = "staff", "api_key", "nobody"


@dataclasses.dataclass
class Figures:
    """The figures of a day (or of one cashier's or location's part of it); money in minor
    units of the business's currency, points as whole points."""

    sales_count: int = 0
    sales_minor: int = 0
    sales_money_minor: int = 0  # what was paid in money (not with points, cashback, credit)
    member_sales_count: int = 0
    member_sales_minor: int = 0
    points_given: int = 0
    points_redeemed: int = 0
    codes_used: int = 0
    refunds_count: int = 0
    refunds_minor: int = 0
    refunds_money_minor: int = 0
    voids_count: int = 0
    voids_minor: int = 0
    voids_money_minor: int = 0

    def add(self, other: Figures) -> None:
        for item in dataclasses.fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def members_share(self) -> float | None:
        """The part of the sales (by amount) made to known customers, 0 to 1; None: no sales."""
        return self.member_sales_minor / self.sales_minor if self.sales_minor else None

    @property
    def net_minor(self) -> int:
        return self.sales_minor - self.refunds_minor - self.voids_minor

    @property
    def net_money_minor(self) -> int:
        return self.sales_money_minor - self.refunds_money_minor - self.voids_money_minor


@dataclasses.dataclass(frozen=True)
class Who:
    """Who rang a sale up or made a refund: a staff member, an API key (an outside till) or
    nobody known (`kind` STAFF, API_KEY or NOBODY); `name` as recorded."""

    kind: str
    id: int | None
    name: str


@dataclasses.dataclass
class Part:
    """One cashier's or one location's figures (`location` None: sales with no location)."""

    figures: Figures
    who: Who | None = None
    location: Location | None = None


@dataclasses.dataclass
class ShiftSummary:
    business: Business
    day: dt.date
    location: Location | None
    start: dt.datetime
    end: dt.datetime
    total: Figures
    by_cashier: list[Part]
    by_location: list[Part]

    @property
    def currency(self) -> str:
        return self.business.currency


def shift_summary(
    business: Business, day: dt.date, location: Location | None = None
) -> ShiftSummary:
    """The figures of `day` (the business's own calendar day), at one location or all."""
    start = local_start(business.timezone, day)
    end = local_start(business.timezone, day + dt.timedelta(days=1))
    # (cashier id, API key id, location id) → figures; a handful of rows per day
    groups: dict[tuple[int | None, int | None, int | None], Figures] = {}

    def group(row: dict[str, Any]) -> Figures:
        key = (row["cashier_id"], row["api_key_id"], row["location_id"])
        return groups.setdefault(key, Figures())

    for row in _sales(business, start, end, location):
        figures = group(row)
        figures.sales_count += row["sales_count"]
        figures.sales_minor += row["sales_minor"] or 0
        figures.sales_money_minor += row["sales_money_minor"] or 0
        figures.member_sales_count += row["member_sales_count"]
        figures.member_sales_minor += row["member_sales_minor"] or 0
        figures.points_given += row["points_given"] or 0
        figures.points_redeemed += row["points_redeemed"] or 0
        figures.codes_used += row["codes_used"] or 0
    for row in _refunds(business, start, end, location):
        figures = group(row)
        prefix = "voids" if row["kind"] == RefundKind.VOID else "refunds"
        for name, value in (
            ("count", row["count"]),
            ("minor", row["amount_minor"]),
            ("money_minor", row["money_minor"]),
        ):
            setattr(figures, f"{prefix}_{name}", getattr(figures, f"{prefix}_{name}") + value)
    total = Figures()
    cashiers: dict[tuple[str, int | None], Figures] = {}
    places: dict[int | None, Figures] = {}
    for (cashier_id, api_key_id, location_id), figures in groups.items():
        total.add(figures)
        who = (
            (STAFF, cashier_id)
            if cashier_id is not None
            else (API_KEY, api_key_id)
            if api_key_id is not None
            else (NOBODY, None)
        )
        cashiers.setdefault(who, Figures()).add(figures)
        places.setdefault(location_id, Figures()).add(figures)
    return ShiftSummary(
        business=business,
        day=day,
        location=location,
        start=start,
        end=end,
        total=total,
        by_cashier=_cashier_parts(business, cashiers),
        by_location=_location_parts(business, places),
    )


def _sales(
    business: Business, start: dt.datetime, end: dt.datetime, location: Location | None
) -> QuerySet[Any]:
    """The day's orders summed by cashier, API key and location, with the points their earn
    and spend transfers moved and the codes their redemptions used (per-order subqueries,
    summed in the same statement)."""
    orders = Order.objects.for_business(business).filter(placed_at__gte=start, placed_at__lt=end)
    if location is not None:
        orders = orders.filter(location=location)
    reference = Concat(Value("order:"), Cast("pk", output_field=CharField()))
    posted = Transfer.objects.filter(
        business_id=business.pk,
        operation__reference=OuterRef("reference"),
        status=TransferStatus.POSTED,
    )

    def points(code: str) -> Coalesce:
        moved = (
            posted.filter(code=code, debit_account__kind=Kind.POINTS)
            .order_by()
            .values("operation__reference")
            .annotate(total=Sum("amount"))
            .values("total")[:1]
        )
        return Coalesce(Subquery(moved, output_field=BigIntegerField()), 0)

    codes = (
        Redemption.objects.filter(
            business_id=business.pk,
            order_id=OuterRef("pk"),
            status=RedemptionStatus.COMMITTED,
            code__isnull=False,
        )
        .order_by()
        .values("order_id")
        .annotate(count=Count("id"))
        .values("count")[:1]
    )
    member = Q(customer__isnull=False)
    grouped: QuerySet[Any] = (
        orders.annotate(
            reference=reference,
            given=points("earn"),
            redeemed=points("spend"),
            code_count=Coalesce(Subquery(codes, output_field=BigIntegerField()), 0),
        )
        .order_by()
        .values("cashier_id", "api_key_id", "location_id")
        .annotate(
            sales_count=Count("id"),
            sales_minor=Sum("total_minor"),
            sales_money_minor=Sum(
                F("total_minor")
                - F("paid_points_minor")
                - F("paid_cashback_minor")
                - F("paid_store_credit_minor")
            ),
            member_sales_count=Count("id", filter=member),
            member_sales_minor=Sum("total_minor", filter=member),
            points_given=Sum("given"),
            points_redeemed=Sum("redeemed"),
            codes_used=Sum("code_count"),
        )
    )
    return grouped


def _refunds(
    business: Business, start: dt.datetime, end: dt.datetime, location: Location | None
) -> QuerySet[Any]:
    """The day's refunds and voids summed by kind, by who made them and where. A refund
    made through the API names no staff member: its wallet operation keeps the API key."""
    rows = OrderRefund.objects.for_business(business).filter(
        created_at__gte=start, created_at__lt=end
    )
    if location is not None:
        rows = rows.filter(location=location)
    key_of = Operation.objects.filter(business_id=business.pk, key=OuterRef("key")).values(
        "api_key_id"
    )[:1]
    grouped: QuerySet[Any] = (
        rows.annotate(
            api_key_id=Subquery(key_of, output_field=BigIntegerField()),
        )
        .order_by()
        .values("kind", "cashier_id", "api_key_id", "location_id")
        .annotate(
            count=Count("id"),
            amount_minor=Sum("amount_minor"),
            money_minor=Sum("money_minor"),
        )
    )
    return grouped


def _cashier_parts(business: Business, found: dict[tuple[str, int | None], Figures]) -> list[Part]:
    user_ids = [pk for kind, pk in found if kind == STAFF and pk is not None]
    key_ids = [pk for kind, pk in found if kind == API_KEY and pk is not None]
    users = {
        user.pk: (user.get_full_name() or user.get_username())
        for user in get_user_model().objects.filter(pk__in=user_ids)
    }
    keys = dict(
        ApiKey.objects.for_business(business).filter(pk__in=key_ids).values_list("pk", "name")
    )
    parts = []
    for (kind, pk), figures in found.items():
        name = (
            users.get(pk or 0, "")
            if kind == STAFF
            else keys.get(pk or 0, "")
            if kind == API_KEY
            else ""
        )
        parts.append(Part(figures=figures, who=Who(kind=kind, id=pk, name=name)))
    parts.sort(key=lambda part: (part.who is None or part.who.kind != STAFF, _name(part)))
    return parts


def _location_parts(business: Business, found: dict[int | None, Figures]) -> list[Part]:
    places = {
        place.pk: place
        for place in Location.objects.for_business(business).filter(
            pk__in=[pk for pk in found if pk is not None]
        )
    }
    parts = [
        Part(figures=figures, location=places.get(pk) if pk else None)
        for pk, figures in found.items()
    ]
    parts.sort(
        key=lambda part: (part.location is None, part.location.name if part.location else "")
    )
    return parts


def _name(part: Part) -> str:
    return (part.who.name if part.who else "").casefold()


__all__ = ["Figures", "Part", "ShiftSummary", "Who", "shift_summary"]
