"""The business's staff, managed by its owner: add with a role, locations, password and till
PIN; change, deactivate, reset a password or a PIN. Nothing here ever returns a password or
a PIN.

No `from __future__ import annotations` here: Ninja reads the annotations at import.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from wateja.api.auth import current_business, require_role
from wateja.api.schemas import Id, StrictSchema, omittable
from wateja.tenants.models import Staff
from wateja.tenants.roles import Role
from wateja.tenants.scoping import get_owned
from wateja.tenants.staff import staff_create, staff_password_set, staff_pin_set, staff_update

router = Router(tags=["staff"])


class StaffOut(Schema):
    id: int
    username: str
    name: str
    role: str
    active: bool
    locations: list[int]
    has_pin: bool

    @staticmethod
    def resolve_username(obj: Staff) -> str:
        return obj.user.get_username()

    @staticmethod
    def resolve_name(obj: Staff) -> str:
        return obj.user.get_full_name() or obj.user.get_username()

    @staticmethod
    def resolve_locations(obj: Staff) -> list[int]:
        return [location.pk for location in obj.locations.all()]

    @staticmethod
    def resolve_has_pin(obj: Staff) -> bool:
        return bool(obj.pin_digest)


class StaffIn(StrictSchema):
    username: str = Field(min_length=1, max_length=150)
    name: str = Field(min_length=1, max_length=150)
    role: Role = Role.CASHIER
    password: str = Field(min_length=1, max_length=128)
    pin: str = Field("", max_length=6, description="4 to 6 digits, for switching at the till")
    locations: list[Id] = Field(default_factory=list, max_length=100)
    email: str = Field("", max_length=254)


class StaffPatch(StrictSchema):
    name: str = omittable(min_length=1, max_length=150)
    role: Role = omittable()
    locations: list[Id] = omittable(max_length=100)
    active: bool = omittable()


class PasswordIn(StrictSchema):
    password: str = Field(min_length=1, max_length=128)


class PinIn(StrictSchema):
    pin: str = Field(min_length=4, max_length=6)


def _staff(request: HttpRequest, staff_id: int) -> Staff:
    return get_owned(Staff, current_business(request), pk=staff_id)


@router.get("/staff", response=list[StaffOut])
def staff_list(request: HttpRequest) -> Any:
    require_role(request, Role.OWNER)
    return list(
        Staff.objects.for_business(current_business(request))
        .select_related("user")
        .prefetch_related("locations")
    )


@router.post("/staff", response={201: StaffOut})
def staff_add(request: HttpRequest, payload: StaffIn) -> Status[Staff]:
    require_role(request, Role.OWNER)
    return Status(201, staff_create(business=current_business(request), **payload.dict()))


@router.patch("/staff/{staff_id}", response=StaffOut)
def staff_change(request: HttpRequest, staff_id: int, payload: StaffPatch) -> Staff:
    require_role(request, Role.OWNER)
    return staff_update(staff=_staff(request, staff_id), **payload.dict(exclude_unset=True))


@router.post("/staff/{staff_id}/password", response=StaffOut)
def staff_password(request: HttpRequest, staff_id: int, payload: PasswordIn) -> Staff:
    require_role(request, Role.OWNER)
    return staff_password_set(staff=_staff(request, staff_id), password=payload.password)


@router.post("/staff/{staff_id}/pin", response=StaffOut)
def staff_pin(request: HttpRequest, staff_id: int, payload: PinIn) -> Staff:
    require_role(request, Role.OWNER)
    return staff_pin_set(staff=_staff(request, staff_id), pin=payload.pin)
