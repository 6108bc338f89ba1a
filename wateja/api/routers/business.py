"""The authenticated business: its settings, locations and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, field_validator

from wateja.api.auth import current_business, require_role
from wateja.api.pagination import CursorPagination
from wateja.api.schemas import StrictSchema, omittable
from wateja.tenants.models import ApiKey, Business, Location
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.tenants.services import (
    apikey_create,
    apikey_revoke,
    business_update,
    location_create,
)

router = Router(tags=["business"])
CLEARS = "null or an empty string clears it"


class BusinessOut(Schema):
    id: int
    slug: str
    name: str
    country: str
    currency: str
    timezone: str
    default_language: str
    support_phone: str
    support_email: str
    address: str
    hours: str
    created_at: datetime


class BusinessPatch(StrictSchema):
    """Only the fields sent change. Name, country, currency, time zone and language cannot
    be null; null clears the contact fields, the address and the hours."""

    name: str = omittable(min_length=1, max_length=200, description="cannot be null")
    country: str = omittable(min_length=2, max_length=2, description="cannot be null")
    currency: str = omittable(min_length=3, max_length=3, description="cannot be null")
    timezone: str = omittable(max_length=64, description="cannot be null")
    default_language: str = omittable(max_length=5, description="cannot be null")
    support_phone: str | None = Field(None, max_length=32, description=CLEARS)
    support_email: str | None = Field(None, max_length=254, description=CLEARS)
    address: str | None = Field(None, max_length=300, description=CLEARS)
    hours: str | None = Field(None, max_length=200, description=CLEARS)

    @field_validator("support_phone", "support_email", "address", "hours")
    @classmethod
    def _null_clears(cls, value: str | None) -> str:
        return "" if value is None else value


class LocationOut(Schema):
    id: int
    name: str
    city: str
    address: str
    phone: str
    is_active: bool


class LocationIn(StrictSchema):
    name: str = Field(min_length=1, max_length=200)
    city: str = Field("", max_length=100)
    address: str = Field("", max_length=300)
    phone: str = Field("", max_length=32)


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIn(StrictSchema):
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.MANAGER


class ApiKeyCreated(ApiKeyOut):
    key: str


@router.get("/business", response=BusinessOut)
def business_get(request: HttpRequest) -> Business:
    return current_business(request)


@router.patch("/business", response=BusinessOut)
def business_patch(request: HttpRequest, payload: BusinessPatch) -> Business:
    require_role(request, Role.OWNER)
    return business_update(business=current_business(request), **payload.dict(exclude_unset=True))


@router.get("/locations", response=list[LocationOut])
@paginate(CursorPagination)
def location_list(request: HttpRequest) -> object:
    return Location.objects.for_business(current_business(request))


@router.get("/locations/{location_id}", response=LocationOut)
def location_get(request: HttpRequest, location_id: int) -> Location:
    return get_owned(Location, current_business(request), pk=location_id)


@router.post("/locations", response={201: LocationOut})
def location_post(request: HttpRequest, payload: LocationIn) -> Status[Any]:
    require_role(request, Role.MANAGER)
    return Status(201, location_create(business=current_business(request), **payload.dict()))


@router.get("/api-keys", response=list[ApiKeyOut])
@paginate(CursorPagination)
def apikey_list(request: HttpRequest) -> object:
    require_role(request, Role.OWNER)
    return ApiKey.objects.for_business(current_business(request))


@router.post("/api-keys", response={201: ApiKeyCreated})
def apikey_post(request: HttpRequest, payload: ApiKeyIn) -> Status[Any]:
    require_role(request, Role.OWNER)
    key, token = apikey_create(
        business=current_business(request), name=payload.name, role=payload.role
    )
    return Status(201, {**ApiKeyOut.from_orm(key).dict(), "key": token})


@router.delete("/api-keys/{key_id}", response=ApiKeyOut)
def apikey_delete(request: HttpRequest, key_id: int) -> ApiKey:
    require_role(request, Role.OWNER)
    return apikey_revoke(key=get_owned(ApiKey, current_business(request), pk=key_id))
