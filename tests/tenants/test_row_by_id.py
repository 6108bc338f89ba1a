"""`get_owned` by id takes a statement compiled once (tenants/row_by_id.py): the instance it
gives is the one Django's own `get` gives, field by field (dates, JSON, booleans, money, time
zones), in one query, and another business's id or a missing one is NotFound."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wateja.core.errors import NotFound
from wateja.customers.models import Customer
from wateja.customers.services import customer_create
from wateja.tenants.models import Location
from wateja.tenants.scoping import get_owned
from wateja.tenants.services import location_create


def _fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_customer_by_id_is_the_customer_djangos_get_gives(business):
    moi = location_create(business=business, name="Moi Avenue", city="Nairobi")
    created = customer_create(
        business=business, name="Wanjiru Kamau", phone="+254712000111", city="Nairobi"
    )
    Customer.objects.filter(pk=created.pk).update(
        interests=["Kahawa", "Выпечка", "Սուրճ"],
        birth_day=29,
        birth_month=2,
        is_blocked=True,
        erased_at=timezone.now() - dt.timedelta(days=3),
        location=moi,
        notes="anapenda chai",
    )
    expected = Customer.objects.get(pk=created.pk)

    with CaptureQueriesContext(connection) as queries:
        found = get_owned(Customer, business, pk=created.pk)
        again = get_owned(Customer, business.pk, id=created.pk)
    assert len(queries) == 2
    assert _fields(found) == _fields(expected) == _fields(again)
    assert found.erased_at.tzinfo is not None and found.interests[1] == "Выпечка"
    assert found.is_blocked is True
    assert found._state.adding is False and found._state.db == "default"
    assert found.location.name == "Moi Avenue"  # relations load as usual
    found.notes = "anapenda kahawa"
    found.save(update_fields=["notes"])
    assert Customer.objects.get(pk=created.pk).notes == "anapenda kahawa"


def test_another_business_s_id_or_a_missing_one_is_not_found(business, other_business):
    theirs = customer_create(business=other_business, name="Anahit", phone="+37491000111")
    ours = location_create(business=business, name="Westlands")
    with pytest.raises(NotFound):
        get_owned(Customer, business, pk=theirs.pk)
    with pytest.raises(NotFound):
        get_owned(Customer, business, pk=theirs.pk + 10_000)
    with pytest.raises(NotFound):
        get_owned(Customer, business, pk="not a number")
    with pytest.raises(NotFound):  # no column holds it: matches nothing, as Django's lookup
        get_owned(Customer, business, pk=10**30)
    with pytest.raises(NotFound):
        get_owned(Customer, 10**30, pk=theirs.pk)
    assert get_owned(Customer, other_business, pk=theirs.pk).name == "Anahit"
    assert get_owned(Location, business, pk=ours.pk).name == "Westlands"  # another model
    with pytest.raises(NotFound):
        get_owned(Location, other_business, pk=ours.pk)
