"""Order use cases available before the checkout flow: record a completed sale (e.g. from a
POS total or an import), and keep each customer's purchase figures current."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.core.errors import Conflict, ValidationFailed
from wateja.core.money import Money, format_money
from wateja.customers.events import Event, purchase_data
from wateja.customers.merging import merge_record_part, merge_undo_step
from wateja.customers.models import Customer, CustomerMerge, Interaction, InteractionKind
from wateja.customers.services import interaction_add
from wateja.orders.models import Order
from wateja.tenants.models import Business, Location


def order_record(
    *,
    business: Business,
    number: str,
    total_minor: int,
    customer: Customer | None = None,
    subtotal_minor: int | None = None,
    discount_minor: int = 0,
    placed_at: dt.datetime | None = None,
    location: Location | None = None,
    channel: str = "store",
    update_stats: bool = True,
) -> Order:
    """A completed sale with its total (lines optional). The order number is the idempotency
    key: recording the same number twice returns the first order."""
    errors: dict[str, Any] = {}
    if not number.strip():
        errors["number"] = _("Enter an order number.")
    if total_minor < 0:
        errors["total_minor"] = _("The amount cannot be negative.")
    if discount_minor < 0:
        errors["discount_minor"] = _("The amount cannot be negative.")
    if customer is not None and customer.business_id != business.pk:
        errors["customer"] = _("Unknown customer.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    existing = Order.objects.for_business(business).filter(number=number).first()
    if existing is not None:
        if existing.total_minor != total_minor or existing.customer_id != (
            customer.pk if customer else None
        ):
            raise Conflict(
                _("Order %(number)s was already recorded with other values.") % {"number": number},
                code="order_number_reused",
            )
        return existing  # type: ignore[no-any-return]
    placed = placed_at or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    business=business,
                    customer=customer,
                    location=location,
                    number=number,
                    currency=business.currency,
                    subtotal_minor=subtotal_minor
                    if subtotal_minor is not None
                    else total_minor + discount_minor,
                    discount_minor=discount_minor,
                    total_minor=total_minor,
                    placed_at=placed,
                    channel=channel,
                )
        except IntegrityError:
            return Order.objects.for_business(business).get(number=number)  # type: ignore[no-any-return]
        if customer is not None:
            interaction_add(
                customer=customer,
                kind=InteractionKind.PURCHASE,
                event=Event.PURCHASE,
                data=purchase_data(number, total_minor, business.currency),
                occurred_at=placed,
                reference=f"order:{order.pk}",
            )
            if update_stats:
                customer_stats_recompute(business=business, customer_ids=[customer.pk])
    return order


@dataclass(frozen=True)
class SaleRow:
    number: str
    total_minor: int
    placed_at: dt.datetime
    customer: Customer | None = None
    location: Location | None = None
    discount_minor: int = 0


def orders_bulk_record(*, business: Business, rows: list[SaleRow], batch_size: int = 1000) -> int:
    """Record many past sales at once (a sales history import): orders and their purchase
    interactions in bulk, order numbers already present skipped. Returns orders created.
    Call customer_stats_recompute afterwards."""
    created = 0
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        for row in batch:
            if row.total_minor < 0 or not row.number.strip():
                raise ValidationFailed.fields(
                    _("Some fields are not valid."), {"number": row.number or "?"}
                )
        known = set(
            Order.objects.for_business(business)
            .filter(number__in=[r.number for r in batch])
            .values_list("number", flat=True)
        )
        fresh = [r for r in batch if r.number not in known]
        with transaction.atomic():
            orders = Order.objects.bulk_create(
                [
                    Order(
                        business=business,
                        customer=r.customer,
                        location=r.location,
                        number=r.number,
                        currency=business.currency,
                        subtotal_minor=r.total_minor + r.discount_minor,
                        discount_minor=r.discount_minor,
                        total_minor=r.total_minor,
                        placed_at=r.placed_at,
                    )
                    for r in fresh
                ]
            )
            Interaction.objects.bulk_create(
                [
                    Interaction(
                        business=business,
                        customer=r.customer,
                        kind=InteractionKind.PURCHASE,
                        summary=_purchase_summary(business, r.number, r.total_minor),
                        event=Event.PURCHASE,
                        data=purchase_data(r.number, r.total_minor, business.currency),
                        occurred_at=r.placed_at,
                        reference=f"order:{order.pk}" if order.pk else f"order-number:{r.number}",
                    )
                    for r, order in zip(fresh, orders, strict=True)
                    if r.customer is not None
                ]
            )
        created += len(fresh)
    return created


def _purchase_summary(business: Business, number: str, total_minor: int) -> str:
    """Timeline text, written in the business's language (it is stored, not re-rendered)."""
    with translation.override(business.default_language):
        return _("Purchase %(number)s: %(total)s") % {
            "number": number,
            "total": format_money(Money(total_minor, business.currency), business.default_language),
        }


def customer_stats_recompute(
    *, business: Business, customer_ids: Iterable[int] | None = None
) -> int:
    """Recompute first/last purchase, count, total spent (net of refunds), average order and
    average days between visits from the orders, in SQL. Returns customers updated."""
    orders = Order.objects.for_business(business).filter(customer__isnull=False)
    customers = Customer.objects.for_business(business)
    if customer_ids is not None:
        ids = list(customer_ids)
        orders = orders.filter(customer_id__in=ids)
        customers = customers.filter(pk__in=ids)
    stats = {
        row["customer_id"]: row
        for row in orders.values("customer_id").annotate(
            first=Min("placed_at"),
            last=Max("placed_at"),
            count=Count("id"),
            paid=Sum("total_minor"),
            refunded=Sum("refunded_minor"),
        )
    }
    updated = []
    for customer in customers.only("id").iterator(chunk_size=2000):
        row = stats.get(customer.pk)
        if row is None:
            customer.first_purchase_at = customer.last_purchase_at = None
            customer.purchase_count = customer.total_spent_minor = customer.average_order_minor = 0
            customer.visit_interval_days = None
        else:
            spent = int(row["paid"] or 0) - int(row["refunded"] or 0)
            count = int(row["count"])
            customer.first_purchase_at, customer.last_purchase_at = row["first"], row["last"]
            customer.purchase_count = count
            customer.total_spent_minor = spent
            customer.average_order_minor = spent // count if count else 0
            span = (row["last"] - row["first"]).days
            customer.visit_interval_days = round(span / (count - 1)) if count > 1 else None
        updated.append(customer)
    Customer.objects.bulk_update(
        updated,
        [
            "first_purchase_at",
            "last_purchase_at",
            "purchase_count",
            "total_spent_minor",
            "average_order_minor",
            "visit_interval_days",
        ],
        batch_size=1000,
    )
    return len(updated)


def orders_move_on_merge(keep: Customer, drop: Customer) -> None:
    """Customer merge step: `drop`'s orders go to `keep` (recorded, so an undo moves exactly
    these back)."""
    orders = list(Order.objects.filter(customer=drop).values_list("pk", flat=True))
    interactions = list(Interaction.objects.filter(customer=drop).values_list("pk", flat=True))
    Order.objects.filter(pk__in=orders).update(customer=keep)
    Interaction.objects.filter(pk__in=interactions).update(customer=keep)
    merge_record_part(
        keep=keep, drop=drop, part="orders", data={"orders": orders, "interactions": interactions}
    )
    customer_stats_recompute(business=keep.business, customer_ids=[keep.pk, drop.pk])


@merge_undo_step("orders")
def orders_move_on_merge_undo(merge: CustomerMerge, part: dict[str, Any]) -> None:
    """Undo of `orders_move_on_merge`: the orders it moved go back to the dropped customer
    (the merged customer's orders placed since stay)."""
    Order.objects.filter(pk__in=part.get("orders", []), customer_id=merge.keep_id).update(
        customer_id=merge.drop_id
    )
    Interaction.objects.filter(
        pk__in=part.get("interactions", []), customer_id=merge.keep_id
    ).update(customer_id=merge.drop_id)
    customer_stats_recompute(business=merge.business, customer_ids=[merge.keep_id, merge.drop_id])


def orders_export_section(customer: Customer) -> tuple[str, Any]:
    return (
        "orders",
        [
            {
                "number": o.number,
                "placed_at": o.placed_at.isoformat(),
                "currency": o.currency,
                "total_minor": o.total_minor,
                "discount_minor": o.discount_minor,
                "refunded_minor": o.refunded_minor,
                "status": o.status,
            }
            for o in Order.objects.filter(customer=customer).order_by("placed_at")
        ],
    )
