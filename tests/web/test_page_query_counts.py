"""The customer page and a segment's page make as many queries for one purchase or member
as for many (no query per order, interaction, ledger entry or listed customer), and no more
than the pinned number (issue 19, item 1: pages at a million customers)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.messaging.factories import person
from wateja.customers.segments import segment_save
from wateja.customers.services import interaction_add, tags_set
from wateja.orders.services import order_record
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}
CUSTOMER_PAGE_QUERIES = 25  # 23 on the 200k-customer benchmark
SEGMENT_PAGE_QUERIES = 9  # a cashier's: the audited read adds its record (and savepoints)


def _queries(client, url: str) -> int:
    client.get(url, headers=EN)  # the first view may make what a page keeps (a referral code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=EN)
    assert response.status_code == 200
    return len(queries)


def _buyer(business, name: str, orders: int):
    customer = person(business, name)
    tags_set(customer=customer, tags=["vip", "regular"])
    for n in range(orders):
        order_record(
            business=business, number=f"{name}-{n}", total_minor=1000 + n, customer=customer
        )
        interaction_add(customer=customer, kind="note", summary=f"note {n}")
    return customer


def test_the_customer_page_does_not_query_per_purchase(business, staff_client):
    client = staff_client(business, Role.OWNER)
    one = _buyer(business, "One Order", 1)
    many = _buyer(business, "Many Orders", 12)
    few = _queries(client, f"/customers/{one.pk}/")
    assert _queries(client, f"/customers/{many.pk}/") == few
    assert few <= CUSTOMER_PAGE_QUERIES


def test_a_segments_page_does_not_query_per_member(business, staff_client):
    for role in (Role.OWNER, Role.CASHIER):
        client = staff_client(business, role)
        _buyer(business, f"First {role}", 1)
        segment = segment_save(
            business=business, name=f"Buyers {role}", filters={"purchases_min": 1}
        )
        few = _queries(client, f"/customers/segments/{segment.pk}/")
        for n in range(8):
            _buyer(business, f"Buyer {role} {n}", 1)
        assert _queries(client, f"/customers/segments/{segment.pk}/") == few
        assert few <= SEGMENT_PAGE_QUERIES
