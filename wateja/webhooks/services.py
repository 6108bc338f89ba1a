"""Webhooks out. An owner registers endpoints (an https address, the event types wanted);
each event a service emits becomes one delivery per endpoint that wants it, with its body fixed
at that moment. Deliveries are POSTed signed (wateja.core.signatures: `X-Wateja-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, both secrets during the day after
a rotation), retried with growing waits when the receiver fails, kept in a log, and can be sent
again by hand. Endpoints may only point at public addresses (no SSRF into the server's network)
unless WEBHOOKS_ALLOW_PRIVATE is set (a test or a private deployment)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wateja.core.errors import ValidationFailed
from wateja.core.signatures import secrets_in_force, signature
from wateja.tenants.models import Business
from wateja.tenants.services import audit_record
from wateja.wallet.models import Lot
from wateja.webhooks.models import Delivery, DeliveryStatus, Endpoint, EventType

SIGNATURE_HEADER = "X-Wateja-Signature"
# seconds to wait after each failed attempt; after the last one the delivery is given up
RETRY_AFTER = (60, 5 * 60, 30 * 60, 2 * 3600, 8 * 3600, 24 * 3600)
TIMEOUT_SECONDS = 10
LEASE_SECONDS = 5 * 60  # longer than any attempt takes
RESPONSE_KEPT = 1000
MAX_ENDPOINTS = 10


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def address_problem(url: str) -> str:
    """Why `url` may not receive webhooks, or "" when it may."""
    parts = urlsplit(url)
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        return _("The address must start with https://.")
    if not parts.hostname or parts.username or parts.password:
        return _("Give an address without a user name or password in it.")
    found = _addresses(parts.hostname)
    if not found:
        return _("No server answers to this name.")
    if not allow_private and not all(address.is_global for address in found):
        return _("This address is inside a private network; use a public address.")
    return ""


def _event_types(values: Iterable[str]) -> list[str]:
    chosen = sorted(set(values))
    unknown = [value for value in chosen if value not in EventType.values]
    if unknown:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"event_types": _("Unknown events: %(names)s") % {"names": ", ".join(unknown)}},
        )
    return chosen


@transaction.atomic
def endpoint_save(
    *,
    business: Business,
    url: str,
    description: str = "",
    event_types: Iterable[str] = (),
    active: bool = True,
    endpoint: Endpoint | None = None,
    actor: User | None = None,
) -> Endpoint:
    url = (url or "").strip()
    problem = address_problem(url) if url else _("Enter the address.")
    if problem:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"url": problem})
    types = _event_types(event_types)
    if endpoint is None:
        if Endpoint.objects.for_business(business).count() >= MAX_ENDPOINTS:
            raise ValidationFailed(
                _("A business can have at most %(count)s webhook addresses.")
                % {"count": MAX_ENDPOINTS},
                code="too_many_endpoints",
            )
        endpoint = Endpoint(business=business, created_by=actor)
    endpoint.url = url
    endpoint.description = description.strip()[:200]
    endpoint.event_types = types
    endpoint.active = active
    endpoint.save()
    audit_record(
        business=business,
        action="webhook_endpoint_saved",
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        actor=actor,
        details={"url": url, "events": types, "active": active},
    )
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint, actor: User | None = None) -> None:
    audit_record(
        business=endpoint.business,
        action="webhook_endpoint_deleted",
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        actor=actor,
        details={"url": endpoint.url},
    )
    endpoint.delete()


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: Endpoint, actor: User | None = None) -> Endpoint:
    """A new signing secret; the old one also signs for a day so the receiver can switch."""
    locked: Endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.secret_previous = locked.secret
    locked.secret = "whsec_" + secrets.token_urlsafe(24)
    locked.secret_rotated_at = timezone.now()
    locked.save(update_fields=["secret", "secret_previous", "secret_rotated_at"])
    audit_record(
        business=locked.business,
        action="webhook_secret_rotated",
        object_type="webhook_endpoint",
        object_id=locked.pk,
        actor=actor,
    )
    return locked


def signing_secrets(endpoint: Endpoint, now: dt.datetime) -> list[str]:
    return secrets_in_force(
        endpoint.secret, endpoint.secret_previous, endpoint.secret_rotated_at, now
    )


def deliveries_create(
    *,
    business_id: int,
    event_type: str,
    data: dict[str, Any],
    occurred_at: dt.datetime,
    event_id: str | None = None,
) -> int:
    """One delivery per active endpoint of the business that wants this event type."""
    event_id = event_id or f"evt_{uuid.uuid4().hex}"
    endpoints = [
        endpoint
        for endpoint in Endpoint.objects.for_business(business_id).filter(active=True)
        if endpoint.wants(event_type)
    ]
    body = {
        "id": event_id,
        "type": event_type,
        "created_at": occurred_at.astimezone(dt.UTC).isoformat(),
        "data": data,
    }
    Delivery.objects.bulk_create(
        Delivery(
            business_id=business_id,
            endpoint=endpoint,
            event_id=event_id,
            event_type=event_type,
            payload=body,
            next_attempt_at=occurred_at,
        )
        for endpoint in endpoints
    )
    return len(endpoints)


def _post(endpoint: Endpoint, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(HTTP status or None, the start of the answer, the error) of one POST."""
    request = urllib.request.Request(  # noqa: S310 (address_problem allows http(s) only)
        endpoint.url, data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read(RESPONSE_KEPT).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(RESPONSE_KEPT).decode("utf-8", "replace"), ""
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return None, "", str(reason)[:300]


def delivery_send(delivery: Delivery, now: dt.datetime | None = None) -> Delivery:
    """One attempt: delivered on a 2xx answer, else retried later or, at last, given up."""
    now = now or timezone.now()
    endpoint = delivery.endpoint
    problem = address_problem(endpoint.url)
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    stamp = int(now.timestamp())
    if problem:
        status, answer, error = None, "", problem
    else:
        signatures = ",".join(
            f"v1={signature(secret, stamp, body)}" for secret in signing_secrets(endpoint, now)
        )
        status, answer, error = _post(
            endpoint,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": "Wateja-Webhooks/1",
                SIGNATURE_HEADER: f"t={stamp},{signatures}",
                "X-Wateja-Event": delivery.event_type,
                "X-Wateja-Delivery": str(delivery.pk),
            },
        )
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.last_error = error
    delivery.last_response = answer
    if status is not None and 200 <= status < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
    elif delivery.attempts > len(RETRY_AFTER):
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + dt.timedelta(seconds=RETRY_AFTER[delivery.attempts - 1])
    delivery.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "last_error",
            "last_response",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery


def deliveries_send_due(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send what is due, oldest first. Each attempt is claimed by moving its time a lease
    ahead in one UPDATE, so two workers never send it twice and no transaction stays open
    while the receiver answers; a worker that dies mid-send leaves it due again after the
    lease."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    waiting = [DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
    due = Delivery.objects.filter(status__in=waiting, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        claimed = Delivery.objects.filter(
            pk=pk, status__in=waiting, next_attempt_at__lte=now
        ).update(next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS))
        if not claimed:
            continue
        row = Delivery.objects.select_related("endpoint").get(pk=pk)
        sent = delivery_send(row, now)
        counts[sent.status] = counts.get(sent.status, 0) + 1
    return counts


@transaction.atomic
def delivery_replay(*, delivery: Delivery, actor: User | None = None) -> Delivery:
    """The same body sent again, now, as a new delivery (the log keeps both)."""
    again = Delivery.objects.create(
        business_id=delivery.business_id,
        endpoint=delivery.endpoint,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
        replay_of=delivery,
    )
    audit_record(
        business=delivery.endpoint.business,
        action="webhook_delivery_replayed",
        object_type="webhook_delivery",
        object_id=delivery.pk,
        actor=actor,
        details={"replay": again.pk},
    )
    return again


def endpoint_test(*, endpoint: Endpoint, event_type: str, actor: User | None = None) -> Delivery:
    """A sample event of `event_type` to this endpoint only, sent at once."""
    _event_types([event_type])
    now = timezone.now()
    delivery = Delivery.objects.create(
        business_id=endpoint.business_id,
        endpoint=endpoint,
        event_id=f"evt_test_{uuid.uuid4().hex[:24]}",
        event_type=event_type,
        payload={
            "id": "evt_test",
            "type": event_type,
            "created_at": now.isoformat(),
            "test": True,
            "data": {},
        },
        next_attempt_at=now,
    )
    return delivery_send(delivery, now)


EXPIRING_NOTICE_DAYS = 7


def points_expiring_emit(*, now: dt.datetime | None = None) -> int:
    """Daily: a points.expiring event for each lot of points or cashback that expires within
    EXPIRING_NOTICE_DAYS, once per lot, for businesses whose endpoints want it."""
    now = now or timezone.now()
    count = 0
    active = Endpoint.objects.filter(active=True)
    for business_id in sorted(set(active.values_list("business_id", flat=True))):
        if not any(
            e.wants(EventType.POINTS_EXPIRING) for e in active.filter(business_id=business_id)
        ):
            continue
        told = set(
            Delivery.objects.for_business(business_id)
            .filter(event_type=EventType.POINTS_EXPIRING, event_id__startswith="evt_lot_")
            .values_list("event_id", flat=True)
        )
        lots = (
            Lot.objects.filter(
                business_id=business_id,
                remaining__gt=0,
                expired_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=now + dt.timedelta(days=EXPIRING_NOTICE_DAYS),
            )
            .select_related("account")
            .order_by("expires_at", "pk")
        )
        for lot in lots:
            event_id = f"evt_lot_{lot.pk}"
            if event_id in told or lot.expires_at is None:
                continue
            count += deliveries_create(
                business_id=business_id,
                event_type=EventType.POINTS_EXPIRING,
                data={
                    "customer_id": lot.account.customer_id,
                    "kind": lot.account.kind,
                    "amount": lot.remaining,
                    "expires_at": lot.expires_at.astimezone(dt.UTC).isoformat(),
                },
                occurred_at=now,
                event_id=event_id,
            )
    return count
