"""Feedback acted on: a rating through the link of the request after a purchase is tied to
the sale (location, cashier); a low one opens a complaint in the to-do list with an owner and
a due time and alerts the manager once; the scale (stars or NPS) is the business's setting."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.messaging.factories import NOON
from tests.messaging.feedback_world import asked, make_shop
from wateja.core.errors import ValidationFailed
from wateja.customers.models import Interaction, InteractionKind, TaskStatus
from wateja.customers.selectors import open_tasks
from wateja.messaging.feedback import (
    FeedbackFilter,
    complaint_owner,
    feedback_give,
    feedback_report,
    feedback_settings_save,
)
from wateja.messaging.models import Message, SendChannel
from wateja.tenants.models import AuditEvent


@pytest.fixture
def shop(business):
    return make_shop(business)


def _complaints(customer):
    return Interaction.objects.filter(customer=customer, kind=InteractionKind.COMPLAINT)


def _alerts(business):
    return Message.objects.filter(business=business, dedupe_key__startswith="feedback-alert:")


def test_a_low_rating_opens_one_complaint_for_the_locations_manager_and_alerts_once(shop):
    message, order = asked(shop)
    at = NOON + dt.timedelta(hours=5)

    feedback = feedback_give(token=message.token, rating=1, comment="Cold coffee", now=at)
    feedback_give(token=message.token, rating=2, comment="Still cold", now=at)  # changed

    assert (feedback.order_id, feedback.location_id, feedback.staff_id) == (
        order.pk, shop["westlands"].pk, shop["cashier"].pk,
    )  # fmt: skip
    [complaint] = _complaints(message.customer)
    assert complaint.status == TaskStatus.OPEN
    assert complaint.owner == shop["west_manager"]
    assert complaint.due_at == at + dt.timedelta(hours=24)
    assert complaint.body == "Cold coffee"
    assert "1 of 5" in complaint.summary and "Westlands" in complaint.summary
    assert complaint.reference == f"feedback:{feedback.pk}"
    mine = open_tasks(shop["business"], owner_id=shop["west_manager"].pk)
    assert list(mine) == [complaint]  # in the manager's to-do list
    [alert] = _alerts(shop["business"])
    assert alert.channel == SendChannel.SMS
    assert alert.to_address == "+254711000001"  # the location's phone
    assert "1 of 5" in alert.body and "Cold coffee" in alert.body
    assert message.customer.phone in alert.body


def test_a_good_rating_opens_nothing_and_a_later_low_one_does(shop):
    message, _order = asked(shop, location="cbd")
    feedback_give(token=message.token, rating=4, now=NOON + dt.timedelta(hours=3))
    assert not _complaints(message.customer).exists()
    assert not _alerts(shop["business"]).exists()

    feedback_give(token=message.token, rating=2, now=NOON + dt.timedelta(hours=4))
    [complaint] = _complaints(message.customer)
    assert complaint.owner == shop["cbd_manager"]


def test_the_settings_name_the_owner_the_threshold_the_due_time_and_an_email_alert(shop):
    business = shop["business"]
    feedback_settings_save(
        business=business, actor=shop["owner"], feedback_low_at=3,
        feedback_owner_id=shop["owner"].pk, feedback_due_hours=4, feedback_alert="email",
    )  # fmt: skip
    assert AuditEvent.objects.filter(business=business, action="feedback.settings").exists()
    message, _order = asked(shop)

    feedback_give(token=message.token, rating=3, now=NOON + dt.timedelta(hours=3))

    [complaint] = _complaints(message.customer)
    assert complaint.owner == shop["owner"]
    assert complaint.due_at == NOON + dt.timedelta(hours=7)
    [alert] = _alerts(business)
    assert (alert.channel, alert.to_address) == (SendChannel.EMAIL, "o@shop.test")
    assert "3 of 5" in alert.subject


def test_nps_scale_takes_0_to_10_and_reports_the_net_promoter_score(shop):
    business = shop["business"]
    feedback_settings_save(business=business, feedback_scale="nps", feedback_low_at=6)
    scores = [10, 9, 8, 5, 0]
    for score in scores:
        message, _order = asked(shop)
        feedback_give(token=message.token, rating=score, now=NOON + dt.timedelta(hours=3))
    with pytest.raises(ValidationFailed):
        feedback_give(token=message.token, rating=11)

    report = feedback_report(business)
    assert report["scale"] == "nps"
    assert report["overall"] == {
        "count": 5, "average": 6.4, "low": 2, "nps": 0,
        "promoters": 2, "passives": 1, "detractors": 2,
    }  # fmt: skip
    assert Interaction.objects.filter(business=business, kind="complaint").count() == 2
    assert [r["name"] for r in report["locations"]] == ["Westlands"]
    assert report["staff"][0]["name"] == "Juma"


def test_stars_outside_1_to_5_are_refused(shop):
    message, _order = asked(shop)
    for wrong in (0, 6):
        with pytest.raises(ValidationFailed) as error:
            feedback_give(token=message.token, rating=wrong)
        assert "rating" in error.value.details["fields"]


def test_report_per_location_cashier_and_product(shop):
    business = shop["business"]
    for location, sku, rating in [
        ("westlands", "LATTE", 5), ("westlands", "LATTE", 4), ("cbd", "CAKE", 1),
    ]:  # fmt: skip
        message, _order = asked(shop, location=location, sku=sku, name=sku.title())
        feedback_give(token=message.token, rating=rating, now=NOON + dt.timedelta(hours=3))

    report = feedback_report(business)
    assert report["overall"]["count"] == 3 and report["overall"]["average"] == 3.3
    assert report["overall"]["low"] == 1
    by_place = {r["name"]: (r["count"], r["average"]) for r in report["locations"]}
    assert by_place == {"Westlands": (2, 4.5), "CBD": (1, 1.0)}
    by_product = {r["sku"]: (r["name"], r["average"]) for r in report["products"]}
    assert by_product == {"LATTE": ("Latte", 4.5), "CAKE": ("Cake", 1.0)}
    assert report["spread"][0] == {"score": 5, "count": 1}

    only_cake = feedback_report(business, FeedbackFilter(sku="CAKE"))
    assert only_cake["overall"]["count"] == 1
    only_cbd = feedback_report(business, FeedbackFilter(location_id=shop["cbd"].pk))
    assert only_cbd["overall"]["average"] == 1.0


def test_without_a_location_manager_the_owner_gets_the_complaint(shop, business):
    from wateja.messaging.config import messaging_settings

    row = messaging_settings(business)
    shop["west_manager"].memberships.update(active=False)
    assert complaint_owner(row, shop["westlands"]) == shop["owner"]


def test_settings_are_checked(shop):
    with pytest.raises(ValidationFailed) as error:
        feedback_settings_save(
            business=shop["business"], feedback_low_at=9, feedback_alert="fax",
            feedback_owner_id=shop["cashier"].pk,
        )  # fmt: skip
    assert set(error.value.details["fields"]) == {
        "feedback_low_at", "feedback_alert", "feedback_owner_id",
    }  # fmt: skip
