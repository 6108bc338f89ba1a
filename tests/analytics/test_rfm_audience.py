"""RFM groups are campaign audiences: a saved segment with {"rfm": …} picks the customers
the nightly scoring put in that group, and a campaign to it reaches exactly them."""

from __future__ import annotations

import pytest

from tests.messaging.factories import sms_template
from wateja.analytics.models import CustomerRfm
from wateja.analytics.rfm import rfm_customers, rfm_score
from wateja.core.errors import ValidationFailed
from wateja.customers.segments import segment_customers, segment_save
from wateja.messaging.campaigns import campaign_preview, campaign_save


def test_a_segment_by_rfm_group_is_a_campaign_audience(business, shop) -> None:
    assert rfm_score(business=business) > 0
    groups = dict(
        CustomerRfm.objects.filter(business=business).values_list("customer_id", "segment")
    )
    group = max(set(groups.values()), key=list(groups.values()).count)
    expected = sorted(pk for pk, g in groups.items() if g == group)

    segment = segment_save(business=business, name="RFM group", filters={"rfm": group})
    audience = sorted(c.pk for c in segment_customers(business, segment.filters))
    assert audience == expected == sorted(c.pk for c in rfm_customers(business, group))

    template = sms_template(business)
    campaign = campaign_save(
        business=business, name="To the group", channel="sms", sms_template_id=template.pk,
        segment_id=segment.pk,
    )  # fmt: skip
    assert campaign_preview(campaign)["audience"] == len(expected)


def test_an_unknown_rfm_group_is_refused(business) -> None:
    with pytest.raises(ValidationFailed) as error:
        segment_save(business=business, name="Nope", filters={"rfm": "vips"})
    assert "rfm" in error.value.details["fields"]
