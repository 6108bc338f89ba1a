"""Segments: saved filters over customers, used by lists, campaigns and reports.

Filter keys (all optional, combined with AND):
  city, tag, language, source             exact values (city case-insensitive)
  tier                                    the loyalty tier held (name, e.g. "Gold")
  rfm                                     the RFM group from the nightly scoring (champions,
                                          loyal, at_risk, hibernating, lost, …)
  spent_min, spent_max                    total spent, in minor units of the business currency
  purchases_min                           at least this many purchases
  last_purchase_before, last_purchase_after   ISO dates (YYYY-MM-DD), in the business's time zone
  no_purchase_since                       ISO date: customers who did not buy since (incl. never)
  no_purchase_days                        no purchase in the last N days, counted from today
                                          (incl. never): a saved segment that stays true
  birthday_month                          1–12, or "this" for the current month
  consent_sms, consent_email              true/false: current marketing consent for the channel
  created_after, created_before           ISO dates
  interests                               any of these interests (comma separated, or a
                                          list), whatever the letter case
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import (
    BooleanField,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import Conflict, ValidationFailed
from wateja.core.localtime import local_start, local_today
from wateja.core.metrics import RFM_SEGMENTS
from wateja.customers.models import Channel, Consent, Customer, Segment, Source
from wateja.customers.selectors import active_customers
from wateja.customers.services import interest_keys
from wateja.tenants.models import Business

logger = logging.getLogger(__name__)

INT_KEYS = ("spent_min", "spent_max", "purchases_min", "no_purchase_days")
INT_LIMIT = 10**15  # above any amount or count a business holds; keeps the SQL in range
DATE_KEYS = (
    "last_purchase_before",
    "last_purchase_after",
    "no_purchase_since",
    "created_after",
    "created_before",
)
BOOL_KEYS = ("consent_sms", "consent_email")
TEXT_KEYS = ("city", "tag", "language", "source", "tier", "rfm")
ALL_KEYS = (*INT_KEYS, *DATE_KEYS, *BOOL_KEYS, *TEXT_KEYS, "birthday_month", "interests")


def _invalid(errors: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed.fields(_("The segment filter is not valid."), errors)


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off"):
        return False
    return None


def clean_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised filters with empty values dropped."""
    if not isinstance(filters, dict):
        raise _invalid({"filters": _("Expected an object.")})
    errors: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    for key, value in filters.items():
        if value in (None, ""):
            continue
        if key not in ALL_KEYS:
            errors[key] = _("Unknown filter.")
        elif key in INT_KEYS:
            try:
                cleaned[key] = int(value)
                if cleaned[key] < 0:
                    raise ValueError
            except (TypeError, ValueError):
                errors[key] = _("Enter a whole number, 0 or more.")
            else:
                if cleaned[key] > INT_LIMIT:
                    errors[key] = _("The number is too large.")
        elif key in DATE_KEYS:
            try:
                cleaned[key] = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors[key] = _("Enter a date as YYYY-MM-DD.")
        elif key in BOOL_KEYS:
            flag = _as_bool(value)
            if flag is None:
                errors[key] = _("Enter true or false.")
            else:
                cleaned[key] = flag
        elif key == "interests":
            items = value if isinstance(value, list) else str(value).split(",")
            names = list(dict.fromkeys(str(i).strip()[:64] for i in items if str(i).strip()))
            if names:
                cleaned[key] = ", ".join(names)  # kept as text: shown as typed
        elif key == "birthday_month":
            if str(value) == "this":
                cleaned[key] = "this"
            else:
                try:
                    month = int(value)
                    if not 1 <= month <= 12:
                        raise ValueError
                    cleaned[key] = month
                except (TypeError, ValueError):
                    errors[key] = _('Enter a month from 1 to 12, or "this".')
        else:
            cleaned[key] = str(value).strip()
            if key == "source" and cleaned[key] not in Source.values:
                errors[key] = _("Unknown value.")
            if key == "rfm" and cleaned[key] not in RFM_SEGMENTS:
                errors[key] = _("Unknown value.")
    if errors:
        raise _invalid(errors)
    return cleaned


def _start_of_day(business: Business, iso: str) -> dt.datetime:
    day = dt.date.fromisoformat(iso)
    return local_start(business.timezone, day)


def _consent_subquery(channel: str) -> Subquery:
    return Subquery(
        Consent.objects.filter(customer=OuterRef("pk"), channel=channel, purpose="marketing")
        .order_by("-recorded_at", "-id")
        .values("granted")[:1]
    )


def _latest_consent_is(business: Business, channel: str, granted: bool) -> Exists:
    """The customer's latest marketing consent record for the channel (by time, then id) says
    `granted`, as _consent_subquery reads it; never asked matches neither. A semi-join over
    the consents' index (a record with none after it) instead of a subquery per customer."""
    later = Consent.objects.filter(
        business_id=business.pk,
        customer_id=OuterRef("customer_id"),
        channel=channel,
        purpose="marketing",
    ).filter(
        Q(recorded_at__gt=OuterRef("recorded_at"))
        | Q(recorded_at=OuterRef("recorded_at"), id__gt=OuterRef("id"))
    )
    return Exists(
        Consent.objects.filter(
            business_id=business.pk,
            customer=OuterRef("pk"),
            channel=channel,
            purpose="marketing",
            granted=granted,
        ).filter(~Exists(later))
    )


class InterestsAnyOf(Expression):
    """The customer has any of these interest keys (Customer.interest_keys, a JSON array of
    strings): `?|` on PostgreSQL (its GIN index customer_interest_keys), EXISTS over
    json_each on SQLite; the same strings match on both."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, keys: list[str]) -> None:
        super().__init__()
        self.keys = keys
        self.column: Any = F("interest_keys")

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        column, params = compiler.compile(self.column)
        if not self.keys:
            return "1 = 0", ()
        if connection.vendor == "postgresql":
            return f"({column} ?| %s::text[])", (*params, self.keys)
        marks = ", ".join(["%s"] * len(self.keys))
        sql = f"EXISTS (SELECT 1 FROM json_each({column}) k WHERE k.value IN ({marks}))"  # noqa: S608
        return sql, (*params, *self.keys)


def segment_customers(business: Business, filters: dict[str, Any]) -> QuerySet[Customer]:
    f = clean_filters(filters)
    qs = active_customers(business)
    if "city" in f:
        qs = qs.filter(city__iexact=f["city"])
    if "tag" in f:
        qs = qs.filter(tag_links__tag__name=f["tag"].lower())
    if "tier" in f:  # the tier state lives with promotions; filtered by its relation name
        qs = qs.filter(tier_state__tier__name__iexact=f["tier"])
    if "rfm" in f:  # scored nightly by analytics; filtered by its relation name
        qs = qs.filter(rfm__segment=f["rfm"])
    if "language" in f:
        qs = qs.filter(language=f["language"])
    if "source" in f:
        qs = qs.filter(source=f["source"])
    if "spent_min" in f:
        qs = qs.filter(total_spent_minor__gte=f["spent_min"])
    if "spent_max" in f:
        qs = qs.filter(total_spent_minor__lte=f["spent_max"])
    if "purchases_min" in f:
        qs = qs.filter(purchase_count__gte=f["purchases_min"])
    if "last_purchase_before" in f:
        qs = qs.filter(last_purchase_at__lt=_start_of_day(business, f["last_purchase_before"]))
    if "last_purchase_after" in f:
        qs = qs.filter(last_purchase_at__gte=_start_of_day(business, f["last_purchase_after"]))
    if "no_purchase_since" in f:
        since = _start_of_day(business, f["no_purchase_since"])
        qs = qs.filter(Q(last_purchase_at__lt=since) | Q(last_purchase_at__isnull=True))
    if "no_purchase_days" in f:
        today = local_today(business.timezone)
        days = min(f["no_purchase_days"], (today - dt.date.min).days)
        since = local_start(business.timezone, today - dt.timedelta(days=days))
        qs = qs.filter(Q(last_purchase_at__lt=since) | Q(last_purchase_at__isnull=True))
    if "created_after" in f:
        qs = qs.filter(created_at__gte=_start_of_day(business, f["created_after"]))
    if "created_before" in f:
        qs = qs.filter(created_at__lt=_start_of_day(business, f["created_before"]))
    if "birthday_month" in f:
        month = f["birthday_month"]
        if month == "this":
            month = local_today(business.timezone).month
        qs = qs.filter(birth_month=month)
    if "interests" in f:
        qs = qs.filter(InterestsAnyOf(interest_keys(f["interests"].split(","))))
    for key, channel in (("consent_sms", Channel.SMS), ("consent_email", Channel.EMAIL)):
        if key in f:
            qs = qs.filter(_latest_consent_is(business, channel, f[key]))
    return qs.distinct() if "tag" in f else qs


def segment_save(
    *, business: Business, name: str, filters: dict[str, Any], created_by: Any = None
) -> Segment:
    name = name.strip()
    if not name:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"name": _("Enter a name.")})
    cleaned = clean_filters(filters)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(
                business=business,
                name=name,
                filters=cleaned,
                created_by=created_by if created_by and created_by.is_authenticated else None,
            )
    except IntegrityError:
        raise Conflict(
            _("A segment with this name already exists."), code="segment_exists"
        ) from None
    segment_count_refresh(segment)
    return segment


def segment_count_refresh(segment: Segment) -> int:
    """Count the segment's customers now and keep the count with its time on the segment
    (the segments page shows it, so no page counts every segment on each view)."""
    count = segment_customers(segment.business, segment.filters).count()
    segment.counted, segment.counted_at = count, timezone.now()
    Segment.objects.filter(pk=segment.pk).update(
        counted=segment.counted, counted_at=segment.counted_at
    )
    return count


def segment_counts_refresh(*, older_than: dt.timedelta = dt.timedelta(0)) -> int:
    """Recount every business's segments last counted longer than `older_than` ago (the
    worker's periodic run); one that fails is skipped until the next run. Returns how many
    were counted."""
    since = timezone.now() - older_than
    due = Segment.objects.filter(Q(counted_at__isnull=True) | Q(counted_at__lte=since))
    done = 0
    for segment in due.select_related("business").order_by("pk").iterator():
        try:
            segment_count_refresh(segment)
        except (ValidationFailed, DatabaseError):  # a filter no longer valid, a busy base
            logger.warning("segment %s: not counted", segment.pk, exc_info=True)
            continue
        done += 1
    return done


def segment_size(segment: Segment) -> int:
    """The stored count, counting once if the segment was never counted."""
    if segment.counted is None:
        return segment_count_refresh(segment)
    return segment.counted
