"""The consent filters of a segment (a semi-join over the consents) find what reading each
customer's latest marketing consent finds: agreed when the latest record (by time, then id)
is an agreement, not agreed when it is a refusal (never asked: neither); other channels,
purposes and businesses play no part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.messaging.factories import person
from wateja.customers.models import Consent
from wateja.customers.segments import _consent_subquery, segment_customers
from wateja.customers.selectors import active_customers

pytestmark = pytest.mark.django_db
T0 = timezone.now() - dt.timedelta(days=10)


def _consents(customer, *records):
    for record in records:  # (day, granted[, channel[, purpose]])
        at, granted, channel, purpose = (*record, *("sms", "marketing")[len(record) - 2 :])
        Consent.objects.create(
            business_id=customer.business_id, customer=customer, channel=channel,
            purpose=purpose, granted=granted, source="staff", recorded_at=T0 + dt.timedelta(at),
        )  # fmt: skip


def _latest_reading(business, key: str, wanted: bool) -> set[int]:
    """The filter as it was: each customer's latest consent read by a subquery."""
    channel = "sms" if key == "consent_sms" else "email"
    qs = active_customers(business).annotate(_c=_consent_subquery(channel))
    qs = qs.filter(_c=True) if wanted else qs.exclude(_c=True)
    return set(qs.values_list("pk", flat=True))


def test_the_consent_filters_find_what_the_latest_consent_says(business, other_business):
    people = [person(business, f"Mteja {n}", sms=None) for n in range(8)]
    _consents(people[0], (1, True))
    _consents(people[1], (1, True), (2, False))
    _consents(people[2], (1, False), (2, True))
    _consents(people[3], (1, True), (1, False))  # the same moment: the later record wins
    _consents(people[4], (1, False), (1, True))
    _consents(people[5], (1, True, "email"), (2, False, "sms"))
    _consents(people[6], (1, True, "sms", "service"))  # not marketing
    stranger = person(other_business, "Mgeni", sms=None, phone="+254712399999")
    _consents(stranger, (1, True), (2, True, "email"))
    for key in ("consent_sms", "consent_email"):
        for wanted in (True, False):
            found = set(segment_customers(business, {key: wanted}).values_list("pk", flat=True))
            assert found == _latest_reading(business, key, wanted), (key, wanted)
    agreed = set(segment_customers(business, {"consent_sms": True}).values_list("pk", flat=True))
    assert agreed == {people[0].pk, people[2].pk, people[4].pk}
