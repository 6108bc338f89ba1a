"""Webhooks out: the owner's endpoints (address, events wanted, signing secret), their
delivery log, sending one again, a test event, a new secret.

No `from __future__ import annotations` here: Ninja reads the annotations at import.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import Id, StrictSchema
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.webhooks.models import Delivery, DeliveryStatus, Endpoint, EventType
from wateja.webhooks.services import (
    SIGNATURE_HEADER,
    delivery_replay,
    endpoint_delete,
    endpoint_save,
    endpoint_secret_rotate,
    endpoint_test,
)

router = Router(tags=["webhooks"])

SIGNING_DOC = f"""Each delivery is a POST of `{{id, type, created_at, data}}` with the header
`{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (two `v1`
values for a day after the secret is rotated); refuse a `t` more than 5 minutes old. Answer 2xx
within 10 seconds; any other answer is retried after 1 min, 5 min, 30 min, 2 h, 8 h and 24 h,
then given up. The same `id` may arrive more than once: deduplicate on it."""


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    secret: str
    created_at: datetime


class EndpointIn(StrictSchema):
    url: str = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=200)
    event_types: list[EventType] = Field(default_factory=list, description="empty: every event")
    active: bool = True


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    replay_of_id: int | None
    created_at: datetime
    payload: dict[str, Any]


class DeliveryFilters(Schema):
    endpoint_id: Id | None = None
    status: DeliveryStatus | None = None


class TestIn(StrictSchema):
    event_type: EventType = EventType.ORDER_COMMITTED


def _endpoint(request: HttpRequest, endpoint_id: int) -> Endpoint:
    require_role(request, Role.OWNER)
    return get_owned(Endpoint, current_business(request), pk=endpoint_id)


@router.get("/webhooks", response=list[EndpointOut], description=SIGNING_DOC)
def endpoint_list(request: HttpRequest) -> Any:
    require_role(request, Role.OWNER)
    return Endpoint.objects.for_business(current_business(request))


@router.post("/webhooks", response={201: EndpointOut}, description=SIGNING_DOC)
def endpoint_post(request: HttpRequest, payload: EndpointIn) -> Status[Endpoint]:
    require_role(request, Role.OWNER)
    endpoint = endpoint_save(business=current_business(request), **payload.model_dump())
    return Status(201, endpoint)


@router.put("/webhooks/{endpoint_id}", response=EndpointOut)
def endpoint_put(request: HttpRequest, endpoint_id: int, payload: EndpointIn) -> Endpoint:
    endpoint = _endpoint(request, endpoint_id)
    return endpoint_save(
        business=current_business(request), endpoint=endpoint, **payload.model_dump()
    )


@router.delete("/webhooks/{endpoint_id}", response={204: None})
def endpoint_remove(request: HttpRequest, endpoint_id: int) -> Status[None]:
    endpoint_delete(endpoint=_endpoint(request, endpoint_id))
    return Status(204, None)


@router.post("/webhooks/{endpoint_id}/rotate-secret", response=EndpointOut)
def endpoint_rotate(request: HttpRequest, endpoint_id: int) -> Endpoint:
    return endpoint_secret_rotate(endpoint=_endpoint(request, endpoint_id))


@router.post("/webhooks/{endpoint_id}/test", response=DeliveryOut)
def endpoint_send_test(request: HttpRequest, endpoint_id: int, payload: TestIn) -> Delivery:
    return endpoint_test(endpoint=_endpoint(request, endpoint_id), event_type=payload.event_type)


@router.get("/webhook-deliveries", response=list[DeliveryOut])
@paginate(CursorPagination)
def delivery_list(request: HttpRequest, filters: Query[DeliveryFilters]) -> Any:
    require_role(request, Role.OWNER)
    found = Delivery.objects.for_business(current_business(request))
    if filters.endpoint_id is not None:
        found = found.filter(endpoint_id=filters.endpoint_id)
    if filters.status is not None:
        found = found.filter(status=filters.status)
    return found


@router.post("/webhook-deliveries/{delivery_id}/replay", response={201: DeliveryOut})
def delivery_replay_post(request: HttpRequest, delivery_id: int) -> Status[Delivery]:
    require_role(request, Role.OWNER)
    delivery = get_owned(Delivery, current_business(request), pk=delivery_id)
    return Status(201, delivery_replay(delivery=delivery))
