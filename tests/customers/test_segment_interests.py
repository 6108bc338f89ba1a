"""The `interests` segment filter is a query over Customer.interest_keys (kept with the
interests by customers.services.interests_set) and finds exactly the customers the matching
it replaced found: any of the wanted interests, trimmed and compared by Python's casefold,
in Armenian, Russian and Swahili as in English (SQLite's and a C-locale PostgreSQL's lower()
fold only ASCII). Erasure blanks the keys with the interests; the migration fills them."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as live_apps

from tests.messaging.factories import person
from wateja.customers.models import Customer
from wateja.customers.privacy import customer_erase
from wateja.customers.segments import segment_customers
from wateja.customers.selectors import active_customers
from wateja.customers.services import interest_keys, interests_set

pytestmark = pytest.mark.django_db

INTERESTS = [
    ["Սուրճ", "ԹԵՅ"],  # coffee, TEA (Armenian)
    ["КОФЕ", "Выпечка"],  # COFFEE, Pastries (Russian)
    ["Chai", "Maandazi"],
    ["Straße"],  # casefold: strasse
    ["ՍՈՒՐՃ"],  # the same word as the first, in capitals
    ["ёлка"],
    [],
]
WANTED = [
    "սուրճ",
    "кофе, ВЫПЕЧКА",
    " chai ",
    "STRASSE",
    "թեյ, maandazi",
    "Ёлка",
    "nothing",
    "Кофе,Սուրճ,CHAI",
]


def _old_matching(business: Any, wanted: str) -> set[int]:
    """The filter as it was: every active customer's interests read and matched in Python."""
    keys = {i.strip().casefold() for i in wanted.split(",")}
    rows = active_customers(business).values_list("pk", "interests")
    return {
        pk
        for pk, interests in rows
        if isinstance(interests, list) and any(str(i).casefold() in keys for i in interests)
    }


def _customer(business: Any, n: int, interests: list[str], **fields: Any) -> Customer:
    customer = person(business, f"Mteja {n}", **fields)
    interests_set(customer=customer, interests=interests)
    return customer


def test_the_query_finds_what_the_python_matching_found(business, other_business):
    for n, interests in enumerate(INTERESTS):
        _customer(business, n, interests)
    _customer(
        other_business, 99, ["Սուրճ", "кофе"], phone="+254712399999"
    )  # another business: never found
    for wanted in WANTED:
        found = set(segment_customers(business, {"interests": wanted}).values_list("pk", flat=True))
        assert found == _old_matching(business, wanted), wanted
    assert len(segment_customers(business, {"interests": "ՍՈՒՐՃ"})) == 2


def test_interest_keys_are_trimmed_casefolded_and_kept_once():
    assert interest_keys([" Սուրճ ", "ՍՈՒՐՃ", "Straße", "", "  "]) == ["սուրճ", "strasse"]


def test_the_filter_combines_with_the_others_and_leaves_out_erased_customers(business):
    coffee = _customer(business, 1, ["КОФЕ"])
    erased = _customer(business, 2, ["кофе"])
    customer_erase(customer=erased)
    erased.refresh_from_db()
    assert erased.interests == [] and erased.interest_keys == []
    Customer.objects.filter(pk=coffee.pk).update(city="Nairobi")
    assert list(segment_customers(business, {"interests": "Кофе", "city": "nairobi"})) == [coffee]
    assert not segment_customers(business, {"interests": "Кофе", "city": "Mombasa"}).exists()


def test_the_migration_fills_the_keys_of_existing_customers(business):
    customer = _customer(business, 1, ["Սուրճ", " КОФЕ"])
    Customer.objects.filter(pk=customer.pk).update(interest_keys=[])
    migration = importlib.import_module("wateja.customers.migrations.0018_interest_keys")
    migration.fill(live_apps, None)
    customer.refresh_from_db()
    assert customer.interest_keys == ["սուրճ", "кофе"]
