"""Automations (triggers): events that send a template after a delay.

Event triggers (enrolment, purchase, an online order left unpaid) look at the events whose
time plus the delay fell between the last run and now, so each event is seen once; the
message's dedupe key (automation, event) makes a second look harmless. Condition triggers
(points expiring, birthday, win-back) run once per local day and are keyed per day or per
occasion. New automations start from the moment they are created: no blast of old events.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import ValidationFailed
from wateja.core.localtime import local_start, local_today
from wateja.customers.models import Customer
from wateja.customers.selectors import active_customers
from wateja.messaging.config import link_check
from wateja.messaging.event_messages import event_messages_run, events_messages_run
from wateja.messaging.models import (
    Automation,
    AutomationKind,
    ChannelChoice,
    SendChannel,
    Template,
)
from wateja.messaging.outbox import Plan, messages_queue, with_chat_apps
from wateja.orders.models import Checkout, CheckoutStatus, Order, OrderLine, OrderStatus
from wateja.tenants.models import Business
from wateja.wallet.models import Kind, Lot

EVENT_KINDS = {
    AutomationKind.WELCOME,
    AutomationKind.THANK_YOU,
    AutomationKind.SUPPORT,
    AutomationKind.FEEDBACK,
    AutomationKind.SECOND_PURCHASE,
    AutomationKind.CART_1,
    AutomationKind.CART_2,
    AutomationKind.PREFERENCES,
    AutomationKind.VISIT_MILESTONE,
}
# the visits that make a milestone (VISIT_MILESTONE): the 10th, 25th, 50th, 100th …, each once
VISIT_MILESTONES = (10, 25, 50, 100, 250, 500, 1000)
DEFAULT_DAYS = {AutomationKind.EXPIRING: 14, AutomationKind.WIN_BACK: 60,
                AutomationKind.PREFERENCES: 30}  # fmt: skip
DEFAULT_DELAY_HOURS = {AutomationKind.THANK_YOU: 2, AutomationKind.FEEDBACK: 24,
                       AutomationKind.CART_1: 1, AutomationKind.CART_2: 24,
                       AutomationKind.SECOND_PURCHASE: 24}  # fmt: skip
FIELDS = ("channel", "sms_template_id", "email_template_id", "delay_hours", "days",
          "categories", "offer", "code", "link_url", "holdout_percent", "is_active")  # fmt: skip


def _invalid(errors: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed.fields(_("Some fields are not valid."), errors)


@transaction.atomic
def automation_save(*, business: Business, kind: str, **values: Any) -> Automation:
    """Create or change the automation of `kind` (one per kind per business)."""
    errors: dict[str, Any] = {}
    if kind not in AutomationKind.values:
        raise _invalid({"kind": _("Unknown value.")})
    for key in values:
        if key not in FIELDS:
            errors[key] = _("Unknown field.")
    for key, channel in (("sms_template_id", "sms"), ("email_template_id", "email")):
        if values.get(key):
            template = Template.objects.filter(business=business, pk=values[key]).first()
            if template is None or template.channel != channel:
                errors[key] = _("Choose one of your %(channel)s templates.") % {
                    "channel": SendChannel(channel).label
                }
        elif key in values:
            values[key] = None
    if "channel" in values and values["channel"] not in ChannelChoice.values:
        errors["channel"] = _("Unknown value.")
    for key, top in (("delay_hours", 24 * 90), ("days", 3650), ("holdout_percent", 50)):
        if key in values:
            try:
                values[key] = int(values[key] or 0)
                if not 0 <= values[key] <= top:
                    raise ValueError
            except (TypeError, ValueError):
                errors[key] = _("Enter a number from 0 to %(top)s.") % {"top": top}
    link_error = None
    if values.get("link_url"):
        try:
            values["link_url"] = link_check(business, str(values["link_url"]))
        except ValidationFailed as error:
            link_error = error
            errors["link_url"] = error.details["fields"]["link_url"][0]
    if link_error is not None and list(errors) == ["link_url"]:
        raise link_error  # its own code, link_not_allowed
    if errors:
        raise _invalid(errors)
    automation, _created = Automation.objects.get_or_create(
        business=business,
        kind=kind,
        defaults={
            "days": DEFAULT_DAYS.get(AutomationKind(kind), 0),
            "delay_hours": DEFAULT_DELAY_HOURS.get(AutomationKind(kind), 0),
            # event triggers start now (no blast of old events); daily ones run today
            "scanned_until": timezone.now() if kind in EVENT_KINDS else None,
        },
    )
    for key, value in values.items():
        setattr(automation, key, value)
    if not automation.sms_template_id and not automation.email_template_id:
        raise _invalid({"sms_template_id": _("Choose a template for SMS, e-mail or both.")})
    automation.save()
    return automation


def _plan(automation: Automation, **extra: Any) -> Plan:
    templates: dict[str, Template] = {}
    if automation.sms_template_id:
        templates[SendChannel.SMS] = automation.sms_template  # type: ignore[assignment]
    if automation.email_template_id:
        templates[SendChannel.EMAIL] = automation.email_template  # type: ignore[assignment]
    templates = with_chat_apps(automation.business, templates, automation.channel)
    purposes = {t.purpose for t in templates.values()}
    return Plan(
        business=automation.business,
        templates=templates,
        channel_choice=automation.channel,
        purpose="marketing" if "marketing" in purposes else "service",
        salt=f"automation:{automation.pk}",
        holdout_percent=automation.holdout_percent,
        base_values={"offer": automation.offer, "code": automation.code},
        link_url=automation.link_url,
        link_is_feedback=automation.kind == AutomationKind.FEEDBACK,
        link_is_survey=automation.kind == AutomationKind.PREFERENCES,
        automation=automation,
        record_skips=True,
        **extra,
    )


def _send(
    automation: Automation,
    customers: Iterable[Customer],
    key: Callable[[Customer], str] | str,
    now: dt.datetime,
    **plan_extra: Any,
) -> Counter[str]:
    """Queue the automation's messages; `key` names the event (per customer, or one string
    for a single event) so the same event never sends twice."""
    prefix = f"a{automation.pk}"

    def event(customer: Customer) -> str:
        return key if isinstance(key, str) else key(customer)

    return messages_queue(
        _plan(automation, **plan_extra),
        customers,
        dedupe=lambda customer, channel: f"{prefix}:{customer.pk}:{event(customer)}:{channel}",
        now=now,
    )


def _orders_in(automation: Automation, start: dt.datetime, end: dt.datetime) -> Any:
    return Order.objects.filter(
        business=automation.business,
        customer__isnull=False,
        placed_at__gt=start,
        placed_at__lte=end,
    ).select_related("customer")


def _by_order(
    automation: Automation, orders: Iterable[Order], now: dt.datetime, **extra: Any
) -> Counter[str]:
    counts: Counter[str] = Counter()
    for order in orders:  # one event per order: each keyed by the order
        assert order.customer is not None
        counts.update(_send(automation, [order.customer], f"o{order.pk}", now, **extra))
    return counts


def _event_window(automation: Automation, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    delay = dt.timedelta(hours=automation.delay_hours)
    if automation.kind == AutomationKind.PREFERENCES:
        delay = dt.timedelta(days=automation.days or 30)
    start = (automation.scanned_until or automation.created_at) - delay
    return start, now - delay


def _run_event(automation: Automation, now: dt.datetime) -> Counter[str]:
    start, end = _event_window(automation, now)
    kind = automation.kind
    if end <= start:
        return Counter()
    if kind in (AutomationKind.WELCOME, AutomationKind.PREFERENCES):
        people = active_customers(automation.business).filter(
            created_at__gt=start, created_at__lte=end
        )
        return _send(
            automation,
            people.iterator(),
            "once",
            now,
            immediate=kind == AutomationKind.WELCOME,
        )
    if kind in (AutomationKind.THANK_YOU, AutomationKind.FEEDBACK):
        return _by_order(automation, _orders_in(automation, start, end), now)
    if kind == AutomationKind.SUPPORT:
        categories = [c.strip() for c in automation.categories.split(",") if c.strip()]
        if not categories:
            return Counter()
        flagged = OrderLine.objects.filter(order=OuterRef("pk"), category__in=categories)
        return _by_order(
            automation, _orders_in(automation, start, end).filter(Exists(flagged)), now
        )
    if kind == AutomationKind.SECOND_PURCHASE:
        earlier = Order.objects.filter(
            customer=OuterRef("customer"), placed_at__lt=OuterRef("placed_at")
        )
        firsts = _orders_in(automation, start, end).filter(~Exists(earlier))
        counts: Counter[str] = Counter()
        for order in firsts:
            assert order.customer is not None
            if order.customer.purchase_count > 1:
                continue  # already came back before the offer went out
            counts.update(_send(automation, [order.customer], "once", now))
        return counts
    if kind in (AutomationKind.CART_1, AutomationKind.CART_2):
        return _run_cart(automation, start, end, now)
    if kind == AutomationKind.VISIT_MILESTONE:
        return _run_milestones(automation, start, end, now)
    return Counter()


def _run_milestones(
    automation: Automation, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> Counter[str]:
    """An order that is the customer's 10th, 25th, 50th … visit (orders not voided, counted
    up to this one): one message per milestone, keyed by it, so it is never sent twice."""
    visits_so_far = (
        Order.objects.filter(
            business=automation.business,
            customer=OuterRef("customer"),
            placed_at__lte=OuterRef("placed_at"),
        )
        .exclude(status=OrderStatus.VOIDED)
        .order_by()
        .values("customer")
        .annotate(n=Count("id"))
        .values("n")
    )
    orders = (
        _orders_in(automation, start, end)
        .exclude(status=OrderStatus.VOIDED)
        .annotate(visit=Subquery(visits_so_far))
        .filter(visit__in=VISIT_MILESTONES)
        .order_by("placed_at", "pk")
    )
    counts: Counter[str] = Counter()
    for order in orders:
        assert order.customer is not None
        counts.update(_send(automation, [order.customer], f"v{order.visit}", now))
    return counts


def _anniversaries(business: Business, today: dt.date, years: int = 30) -> Q:
    """Customers who joined on this day (local time) one, two … `years` years ago (those
    who joined on 29 February celebrate on the 28th in other years)."""
    when = Q(pk__in=[])
    leap_today = calendar.isleap(today.year)
    for n in range(1, years + 1):
        year = today.year - n
        if (today.month, today.day) == (2, 29) and not calendar.isleap(year):
            continue  # nobody joined on a 29 February that did not exist
        days = [today.replace(year=year)]
        if (today.month, today.day) == (2, 28) and not leap_today and calendar.isleap(year):
            days.append(dt.date(year, 2, 29))  # they celebrate on the 28th this year
        for joined in days:
            start = local_start(business.timezone, joined)
            when |= Q(created_at__gte=start, created_at__lt=start + dt.timedelta(days=1))
    return when


def _run_cart(
    automation: Automation, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> Counter[str]:
    """Online orders left unpaid: a checkout with a customer that was never completed, and
    no order from that customer since it was started."""
    later_order = Order.objects.filter(
        customer=OuterRef("customer"), placed_at__gte=OuterRef("created_at")
    )
    carts = (
        Checkout.objects.filter(
            business=automation.business,
            customer__isnull=False,
            created_at__gt=start,
            created_at__lte=end,
        )
        .exclude(status=CheckoutStatus.COMMITTED)
        .filter(Q(request__sale__channel="online"))
        .filter(~Exists(later_order))
        .select_related("customer")
    )
    counts: Counter[str] = Counter()
    for cart in carts:
        assert cart.customer is not None
        counts.update(_send(automation, [cart.customer], f"k{cart.pk}", now))
    return counts


def _run_daily(automation: Automation, now: dt.datetime) -> Counter[str]:
    business = automation.business
    today = local_today(business.timezone, now)
    last = automation.scanned_until
    if last is not None and local_today(business.timezone, last) == today:
        return Counter()  # already ran today
    kind = automation.kind
    people = active_customers(business)
    if kind == AutomationKind.BIRTHDAY:
        people = people.filter(birth_day=today.day, birth_month=today.month)
        return _send(automation, people.iterator(), f"y{today.year}", now)
    if kind == AutomationKind.ANNIVERSARY:
        people = people.filter(_anniversaries(business, today)).order_by("pk")
        return _send(automation, people.iterator(), f"j{today.year}", now)
    if kind == AutomationKind.EXPIRING:
        horizon = now + dt.timedelta(days=automation.days or 14)
        soon = Lot.objects.filter(
            account__customer=OuterRef("pk"),
            account__kind=Kind.POINTS,
            remaining__gt=0,
            expired_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=horizon,
        )
        people = people.filter(Exists(soon))
        # one reminder per customer per window: keyed by the window's last day
        return _send(automation, people.iterator(), f"e{horizon.date()}", now)
    if kind == AutomationKind.WIN_BACK:
        days = automation.days or 60
        cutoff = now - dt.timedelta(days=days)
        people = people.filter(
            last_purchase_at__gt=cutoff - dt.timedelta(days=1), last_purchase_at__lte=cutoff
        )
        return _send(
            automation,
            people.iterator(),
            lambda c: f"w{c.last_purchase_at.date() if c.last_purchase_at else ''}",
            now,
        )
    return Counter()


def automation_run(*, automation: Automation, now: dt.datetime | None = None) -> Counter[str]:
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Automation.objects.select_for_update().select_related("business").get(pk=automation.pk)
        )
        if not locked.is_active:
            return Counter()
        run = _run_event if locked.kind in EVENT_KINDS else _run_daily
        counts = run(locked, now)
        locked.scanned_until = now
        locked.save(update_fields=["scanned_until"])
    return counts


def automations_run(
    *, business: Business | None = None, now: dt.datetime | None = None
) -> Counter[str]:
    """Run every active automation (of one business, or all); returns summed counts."""
    now = now or timezone.now()
    qs = Automation.objects.filter(is_active=True)
    if business is not None:
        qs = qs.filter(business=business)
    total: Counter[str] = Counter()
    for automation in qs.order_by("business_id", "id"):
        total.update(automation_run(automation=automation, now=now))
    # events: "a place is yours" and the reminder the day before (event_messages)
    if business is not None:
        total.update(event_messages_run(business=business, now=now))
    else:
        total.update(events_messages_run(now=now))
    return total


def welcome_now(*, business: Business, now: dt.datetime | None = None) -> Counter[str]:
    """Run the welcome automation at once (after an enrolment), so the card number arrives
    while the customer is still at the counter instead of at the next periodic run."""
    automation = Automation.objects.filter(
        business=business, kind=AutomationKind.WELCOME, is_active=True
    ).first()
    if automation is None:
        return Counter()
    return automation_run(automation=automation, now=now)
