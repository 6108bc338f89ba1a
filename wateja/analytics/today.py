"""The home page's answers for an owner in their first week and every day after: what is left
to set up, today's and this week's figures, what needs doing, and what is going wrong.

Every figure is one SQL aggregate over the business's own rows for its local day or week
(since Monday); nothing is read row by row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wateja.core.localtime import local_start, local_today
from wateja.customers.models import (
    Customer,
    ImportJob,
    ImportStatus,
    Interaction,
    InteractionKind,
    TaskStatus,
)
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import Message, MessageStatus, SmsProvider
from wateja.messaging.worker import worker_running
from wateja.orders.models import Order
from wateja.payments.services import unmatched_payments
from wateja.promotions.models import Promotion, PromotionStatus
from wateja.promotions.recipes import base_programme
from wateja.tenants.models import AuditEvent, Business, Location, Staff
from wateja.wallet.models import Transfer

BUDGET_WARNING = 0.8  # a budget 80 % spent is nearly spent
FAILING_SHARE = 0.2  # a fifth of the last day's messages failed: the provider is failing
POSTER_PRINTED = "print.join_poster"


@dataclass(frozen=True)
class Step:
    key: str
    label: Any
    done: bool
    url_name: str


def checklist(business: Business) -> list[Step]:
    """The first week's steps, each done or not (the home page shows them until all are)."""
    owned = {"business": business}
    return [
        Step("location", _("Add your shop's location"),
             Location.objects.filter(**owned).exists(), "web:settings"),
        Step("programme", _("Choose how customers earn (points or cashback)"),
             base_programme(business) is not None, "web:programme_start"),
        Step("poster", _("Print the QR poster for the counter"),
             AuditEvent.objects.filter(**owned, action=POSTER_PRINTED).exists(),
             "web:print_join_poster"),
        Step("cashier", _("Add a cashier"),
             Staff.objects.filter(**owned, role="cashier").exists(), "web:staff"),
        Step("import", _("Import your customer list"),
             ImportJob.objects.filter(**owned, status=ImportStatus.DONE).exists(),
             "web:import_list"),
        Step("sms", _("Connect an SMS provider"),
             messaging_settings(business).sms_provider != SmsProvider.OUTBOX,
             "web:messaging_settings"),
    ]  # fmt: skip


def figures(business: Business, now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Today's and this week's: sales, members' share of sales (per mille of the amount),
    new members, points given and redeemed, messages sent."""
    now = now or timezone.now()
    today = local_today(business.timezone, now)
    starts = {
        "today": local_start(business.timezone, today),
        "week": local_start(business.timezone, today - dt.timedelta(days=today.weekday())),
    }
    out = {}
    for period, since in starts.items():
        sales = Order.objects.filter(business=business, placed_at__gte=since).aggregate(
            total=Sum("total_minor"),
            members=Sum("total_minor", filter=Q(customer__isnull=False)),
            count=Count("id"),
        )
        points = Transfer.objects.filter(
            business=business, created_at__gte=since, status="posted"
        ).aggregate(
            given=Sum(
                "amount",
                filter=Q(code__in=("earn", "grant", "award"), credit_account__kind="points",
                         credit_account__customer__isnull=False),
            ),
            redeemed=Sum(
                "amount",
                filter=Q(code="spend", debit_account__kind="points",
                         debit_account__customer__isnull=False),
            ),
        )  # fmt: skip
        total = int(sales["total"] or 0)
        out[period] = {
            "sales_minor": total,
            "orders": int(sales["count"] or 0),
            "members_share_permille": int((sales["members"] or 0) * 1000 // total) if total else 0,
            "new_members": Customer.objects.filter(
                business=business, created_at__gte=since, merged_into__isnull=True
            ).count(),
            "points_given": int(points["given"] or 0),
            "points_redeemed": int(points["redeemed"] or 0),
            "messages_sent": Message.objects.filter(
                business=business,
                sent_at__gte=since,
                status__in=(MessageStatus.SENT, MessageStatus.DELIVERED),
            ).count(),
        }
    return out


def todo(business: Business, now: dt.datetime | None = None) -> dict[str, int]:
    """Complaints not yet resolved, tasks due by the end of today, payments to match."""
    now = now or timezone.now()
    tomorrow = local_start(business.timezone, local_today(business.timezone, now)) + dt.timedelta(
        days=1
    )
    open_ = Interaction.objects.filter(
        business=business, status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS]
    )
    return {
        "complaints": open_.filter(kind=InteractionKind.COMPLAINT).count(),
        "due": open_.filter(
            kind__in=[InteractionKind.COMPLAINT, InteractionKind.SERVICE_REQUEST],
            due_at__lt=tomorrow,
        ).count(),
        "payments": unmatched_payments(business).count(),
    }


def alerts(business: Business, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """What is going wrong now, most pressing first: each {code, text, url_name}."""
    now = now or timezone.now()
    found: list[dict[str, Any]] = []
    if not worker_running(now):
        text = _("No worker is running: messages and automations wait.")
        found.append({"code": "no_worker", "url_name": "web:messages", "text": text})
    failed = Message.objects.filter(
        business=business, created_at__gte=now - dt.timedelta(days=1)
    ).aggregate(
        failed=Count("id", filter=Q(status=MessageStatus.FAILED)),
        done=Count("id", filter=Q(status__in=(MessageStatus.SENT, MessageStatus.DELIVERED,
                                             MessageStatus.FAILED))),
    )  # fmt: skip
    if failed["done"] >= 5 and failed["failed"] >= FAILING_SHARE * failed["done"]:
        found.append({"code": "provider_failing", "url_name": "web:messaging_settings",
                      "text": _("%(failed)s of the last day's %(done)s messages failed: check "
                                "the provider.") % failed})  # fmt: skip
    if messaging_settings(business).sms_provider == SmsProvider.OUTBOX:
        text = _("No SMS provider is connected: SMS are only recorded.")
        found.append({"code": "sms_not_connected", "url_name": "web:messaging_settings",
                      "text": text})  # fmt: skip
    for promotion in Promotion.objects.filter(
        business=business,
        status=PromotionStatus.ACTIVE,
        budget_minor__gt=0,
        discount_total_minor__gte=F("budget_minor") * BUDGET_WARNING,
    ).order_by("name")[:5]:
        found.append({"code": "budget_nearly_spent", "url_name": "web:rewards",
                      "text": _("The budget of “%(name)s” is nearly spent.")
                      % {"name": promotion.name}})  # fmt: skip
    return found
