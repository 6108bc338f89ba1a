"""Feedback acted on: the rating a customer gives through the link in the request after a
purchase (1–5 stars or 0–10 NPS, the business's setting), tied to the sale it followed (the
location, the cashier, the products); a low rating opens a complaint in the to-do list with
an owner and a due time and alerts the manager by SMS or e-mail, once per rating; the list
and the report per location, cashier, product and period."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.core.errors import NotFound, ValidationFailed
from wateja.customers.models import InteractionKind
from wateja.customers.services import interaction_add
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import (
    AutomationKind,
    Feedback,
    FeedbackAlert,
    FeedbackScale,
    Message,
    MessagingSettings,
    SendChannel,
)
from wateja.messaging.outbox import direct_queue
from wateja.orders.models import Order, OrderLine
from wateja.tenants.models import Business, Location, Staff
from wateja.tenants.roles import Role
from wateja.tenants.services import audit_record

TOP = {FeedbackScale.STARS: 5, FeedbackScale.NPS: 10}
BOTTOM = {FeedbackScale.STARS: 1, FeedbackScale.NPS: 0}
SETTINGS_FIELDS = (
    "feedback_scale",
    "feedback_low_at",
    "feedback_owner_id",
    "feedback_due_hours",
    "feedback_alert",
    "feedback_alert_to",
)
_ORDER_IN_KEY = re.compile(r":o(\d+):")


def _invalid(errors: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed.fields(_("Some fields are not valid."), errors)


def scale_range(scale: str) -> range:
    return range(BOTTOM[FeedbackScale(scale)], TOP[FeedbackScale(scale)] + 1)


def feedback_scale_for(message: Message) -> str:
    """The scale the message's feedback page asks on: the one of a rating already given,
    else the business's setting."""
    given = Feedback.objects.filter(message=message).only("scale").first()
    if given is not None:
        return str(given.scale)
    return messaging_settings(message.business_id).feedback_scale


# ------------------------------------------------------------------ settings


def feedback_owners(business: Business) -> QuerySet[User]:
    """Who may own the complaints a low rating opens: the business's active managers and
    owners."""
    return User.objects.filter(
        memberships__business=business,
        memberships__active=True,
        memberships__role__in=[Role.OWNER, Role.MANAGER],
    ).order_by("pk")


@transaction.atomic
def feedback_settings_save(
    *, business: Business, actor: User | None = None, **values: Any
) -> MessagingSettings:
    """Change how feedback is asked and acted on (a manager's action, audited)."""
    row = messaging_settings(business)
    errors: dict[str, Any] = {}
    for key in values:
        if key not in SETTINGS_FIELDS:
            errors[key] = _("Unknown field.")
    scale = values.get("feedback_scale", row.feedback_scale)
    if scale not in FeedbackScale.values:
        errors["feedback_scale"] = _("Unknown value.")
        scale = row.feedback_scale
    for key, top in (("feedback_low_at", TOP[FeedbackScale(scale)]), ("feedback_due_hours", 720)):
        if key in values:
            try:
                values[key] = int(values[key])
                if not 0 <= values[key] <= top:
                    raise ValueError
            except (TypeError, ValueError):
                errors[key] = _("Enter a number from 0 to %(top)s.") % {"top": top}
    if "feedback_low_at" not in values and row.feedback_low_at > TOP[FeedbackScale(scale)]:
        values["feedback_low_at"] = TOP[FeedbackScale(scale)] // 2
    if values.get("feedback_alert", row.feedback_alert) not in FeedbackAlert.values:
        errors["feedback_alert"] = _("Unknown value.")
    if values.get("feedback_owner_id"):
        owner = feedback_owners(business).filter(pk=values["feedback_owner_id"]).first()
        if owner is None:
            errors["feedback_owner_id"] = _("Choose one of your managers.")
    elif "feedback_owner_id" in values:
        values["feedback_owner_id"] = None
    if "feedback_alert_to" in values:
        values["feedback_alert_to"] = str(values["feedback_alert_to"] or "").strip()[:254]
    if errors:
        raise _invalid(errors)
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        row.save(update_fields=[k.removesuffix("_id") for k in changed])
        audit_record(
            business=business,
            action="feedback.settings",
            object_type="messaging_settings",
            object_id=row.pk,
            actor=actor,
            details={"fields": sorted(changed)},
        )
    return row


# ------------------------------------------------------------------ a customer rates


def _order_of(message: Message) -> Order | None:
    """The sale the feedback request followed: its automation's dedupe key names it
    (automations._by_order keys each request by `o<order id>`)."""
    automation = message.automation
    if automation is None or automation.kind != AutomationKind.FEEDBACK:
        return None
    found = _ORDER_IN_KEY.search(message.dedupe_key or "")
    if found is None:
        return None
    return Order.objects.filter(business_id=message.business_id, pk=int(found.group(1))).first()


def complaint_owner(row: MessagingSettings, location: Location | None) -> User | None:
    """The owner the settings name (while still a manager here); else the manager of the
    location; else a manager for every location; else the business's owner."""
    business = row.business
    if row.feedback_owner_id:
        named = feedback_owners(business).filter(pk=row.feedback_owner_id).first()
        if named is not None:
            return named
    staff = Staff.objects.filter(business=business, active=True).order_by("pk")
    managers = staff.filter(role=Role.MANAGER)
    found = None
    if location is not None:
        found = managers.filter(Q(location=location) | Q(locations=location)).first()
    if found is None:
        found = managers.filter(location__isnull=True, locations__isnull=True).first()
    found = found or staff.filter(role=Role.OWNER).first()
    if found is None:
        return None
    return User.objects.filter(pk=found.user_id).first()


def is_low(feedback: Feedback, row: MessagingSettings) -> bool:
    low_at = row.feedback_low_at
    if feedback.scale != row.feedback_scale:  # rated before the scale changed
        low_at = 2 if feedback.scale == FeedbackScale.STARS else 6
    return feedback.rating <= low_at


def score_text(feedback: Feedback) -> str:
    return _("%(score)s of %(top)s") % {
        "score": feedback.rating,
        "top": TOP[FeedbackScale(feedback.scale)],
    }


def _complaint_open(feedback: Feedback, row: MessagingSettings, now: dt.datetime) -> None:
    """The to-do item for a low rating and the manager's alert: once per rating (the
    feedback row is locked and keeps its complaint; the alert's dedupe key is the rating's)."""
    customer = feedback.customer
    if customer is None or feedback.complaint_id is not None:
        return
    business = row.business
    owner = complaint_owner(row, feedback.location)
    with translation.override(business.default_language):
        where = feedback.location.name if feedback.location else ""
        summary = _("Low rating: %(score)s") % {"score": score_text(feedback)}
        if where:
            summary += " · " + where
        complaint = interaction_add(
            customer=customer,
            kind=InteractionKind.COMPLAINT,
            summary=summary,
            body=feedback.comment,
            occurred_at=now,
            owner=owner,
            due_at=now + dt.timedelta(hours=row.feedback_due_hours),
            reference=f"feedback:{feedback.pk}",
        )
        feedback.complaint = complaint
        feedback.save(update_fields=["complaint"])
        _alert(feedback, row, owner, summary, now)


def _alert(
    feedback: Feedback, row: MessagingSettings, owner: User | None, summary: str, now: dt.datetime
) -> None:
    if row.feedback_alert == FeedbackAlert.NONE:
        return
    business = row.business
    customer = feedback.customer
    assert customer is not None
    name = customer.name or _("A customer")
    text = _("%(shop)s: %(name)s rated us %(score)s. Call back: %(phone)s.") % {
        "shop": business.name,
        "name": name,
        "score": score_text(feedback),
        "phone": customer.phone or customer.email or "-",
    }
    if feedback.comment:
        text += " " + _("Comment: %(comment)s") % {"comment": feedback.comment[:300]}
    to = row.feedback_alert_to
    if row.feedback_alert == FeedbackAlert.SMS:
        to = to if to and "@" not in to else ""
        to = to or (feedback.location.phone if feedback.location else "") or business.support_phone
        channel = SendChannel.SMS
    else:
        to = to if "@" in to else ""
        to = to or (owner.email if owner is not None else "")
        channel = SendChannel.EMAIL
    if not to:
        return  # nowhere to send: the to-do list still has it
    direct_queue(
        business=business,
        to=to,
        body=text,
        channel=channel,
        subject=summary,
        dedupe_key=f"feedback-alert:{feedback.pk}",
        now=now,
        language=business.default_language,
    )


@transaction.atomic
def feedback_give(
    *, token: str, rating: int, comment: str = "", now: dt.datetime | None = None
) -> Feedback:
    """The customer's rating through their message's link; giving it again changes it. A
    low rating opens a complaint and alerts the manager (once)."""
    now = now or timezone.now()
    message: Message | None = (  # locked: two answers at once give one rating, one complaint
        Message.objects.select_for_update(of=("self",))
        .select_related("business", "customer", "automation")
        .filter(token=token)
        .first()
    )
    if message is None:
        raise NotFound(_("This link is not valid."))
    row = messaging_settings(message.business)
    existing = Feedback.objects.select_for_update().filter(message=message).first()
    scale = existing.scale if existing is not None else row.feedback_scale
    if rating not in scale_range(scale):
        bottom, top = BOTTOM[FeedbackScale(scale)], TOP[FeedbackScale(scale)]
        raise _invalid(
            {"rating": _("Choose %(bottom)s to %(top)s.") % {"bottom": bottom, "top": top}}
        )
    Message.objects.filter(pk=message.pk, clicked_at__isnull=True).update(clicked_at=now)
    comment = comment.strip()[:1000]
    if existing is None:
        order = _order_of(message)
        feedback = Feedback.objects.create(
            business_id=message.business_id,
            message=message,
            customer=message.customer,
            scale=scale,
            rating=rating,
            comment=comment,
            at=now,
            order=order,
            location=order.location if order else None,
            staff=order.cashier if order else None,
        )
        if message.customer is not None:
            if scale == FeedbackScale.STARS:
                interaction_add(
                    customer=message.customer,
                    kind=InteractionKind.NOTE,
                    event="rated",
                    data={"stars": rating},
                    body=comment,
                    occurred_at=now,
                )
            else:
                with translation.override(message.business.default_language):
                    interaction_add(
                        customer=message.customer,
                        kind=InteractionKind.NOTE,
                        summary=_("Rated us %(score)s") % {"score": score_text(feedback)},
                        body=comment,
                        occurred_at=now,
                    )
    else:
        feedback = existing
        feedback.rating, feedback.comment, feedback.at = rating, comment, now
        feedback.save(update_fields=["rating", "comment", "at"])
    if is_low(feedback, row):
        _complaint_open(feedback, row, now)
    return feedback


# ------------------------------------------------------------------ the list and the report


@dataclass
class FeedbackFilter:
    location_id: int | None = None
    staff_id: int | None = None
    sku: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    scale: str = ""
    low_only: bool = False


def feedback_list(business: Business, filters: FeedbackFilter | None = None) -> QuerySet[Feedback]:
    f = filters or FeedbackFilter()
    qs = Feedback.objects.filter(business=business).select_related(
        "customer", "location", "staff", "order", "complaint"
    )
    if f.location_id:
        qs = qs.filter(location_id=f.location_id)
    if f.staff_id:
        qs = qs.filter(staff_id=f.staff_id)
    if f.sku:
        lines = OrderLine.objects.filter(business=business, sku=f.sku)
        qs = qs.filter(order_id__in=lines.values("order_id"))
    if f.start is not None:
        qs = qs.filter(at__gte=f.start)
    if f.end is not None:
        qs = qs.filter(at__lt=f.end)
    if f.scale:
        qs = qs.filter(scale=f.scale)
    if f.low_only:
        qs = qs.filter(complaint__isnull=False)
    return qs.order_by("-at", "-id")


@dataclass
class Figures:
    """Counts and scores of a group of ratings on one scale."""

    count: int = 0
    total: int = 0
    promoters: int = 0
    detractors: int = 0
    low: int = 0
    spread: dict[int, int] = field(default_factory=dict)

    def add(self, rating: int, scale: str, low: bool) -> None:
        self.count += 1
        self.total += rating
        self.spread[rating] = self.spread.get(rating, 0) + 1
        self.low += int(low)
        if scale == FeedbackScale.NPS:
            self.promoters += int(rating >= 9)
            self.detractors += int(rating <= 6)

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 1) if self.count else None

    @property
    def nps(self) -> int | None:
        """Promoters' share minus detractors' share, in points (−100 … 100)."""
        if not self.count:
            return None
        return round(100 * (self.promoters - self.detractors) / self.count)

    def as_dict(self, scale: str) -> dict[str, Any]:
        result: dict[str, Any] = {"count": self.count, "average": self.average, "low": self.low}
        if scale == FeedbackScale.NPS:
            result |= {
                "nps": self.nps,
                "promoters": self.promoters,
                "passives": self.count - self.promoters - self.detractors,
                "detractors": self.detractors,
            }
        return result


def feedback_report(business: Business, filters: FeedbackFilter | None = None) -> dict[str, Any]:
    """Counts, the average and (NPS) the net promoter score, overall and per location,
    cashier and product, on one scale (the business's, unless the filter names one)."""
    f = filters or FeedbackFilter()
    row = messaging_settings(business)
    scale = f.scale or row.feedback_scale
    f = FeedbackFilter(**{**f.__dict__, "scale": scale})
    overall = Figures()
    places: dict[int | None, Figures] = defaultdict(Figures)
    people: dict[int | None, Figures] = defaultdict(Figures)
    by_order: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    names: dict[str, dict[Any, str]] = {"location": {}, "staff": {}}
    for item in feedback_list(business, f).order_by("pk").iterator():
        low = item.complaint_id is not None or is_low(item, row)
        overall.add(item.rating, scale, low)
        places[item.location_id].add(item.rating, scale, low)
        people[item.staff_id].add(item.rating, scale, low)
        if item.location is not None:
            names["location"][item.location_id] = item.location.name
        if item.staff is not None:
            names["staff"][item.staff_id] = item.staff.get_full_name() or item.staff.username
        if item.order_id:
            by_order[item.order_id].append((item.rating, low))
    products: dict[str, Figures] = defaultdict(Figures)
    product_names: dict[str, str] = {}
    lines = OrderLine.objects.filter(business=business, order_id__in=list(by_order))
    seen: set[tuple[int, str]] = set()
    for line in lines.order_by("pk"):
        if (line.order_id, line.sku) in seen:
            continue
        seen.add((line.order_id, line.sku))
        product_names.setdefault(line.sku, line.name or line.sku)
        for rating, low in by_order[line.order_id]:
            products[line.sku].add(rating, scale, low)

    def rows(groups: dict[Any, Figures], labels: dict[Any, str], key: str) -> list[dict[str, Any]]:
        found = [{key: k, "name": labels.get(k, ""), **g.as_dict(scale)} for k, g in groups.items()]
        return sorted(found, key=lambda r: (-r["count"], str(r["name"])))

    return {
        "scale": scale,
        "top": TOP[FeedbackScale(scale)],
        "overall": overall.as_dict(scale),
        "spread": [
            {"score": n, "count": overall.spread.get(n, 0)} for n in reversed(scale_range(scale))
        ],
        "locations": rows(places, names["location"], "location_id"),
        "staff": rows(people, names["staff"], "staff_id"),
        "products": rows(products, product_names, "sku"),
    }
