"""Feedback over HTTP: the customer's rating page (5 stars or 0–10, in their language, a phone
layout), the survey page, the managers' feedback and survey screens, and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from tests.messaging.factories import NOON, person
from tests.messaging.feedback_world import asked, make_shop
from wateja.catalog.models import Category
from wateja.customers.models import Interaction
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.composing import template_save
from wateja.messaging.feedback import feedback_give, feedback_settings_save
from wateja.messaging.models import Campaign, Feedback, Message, Survey, SurveyAnswer
from wateja.messaging.surveys import survey_save
from wateja.tenants.roles import Role

RAW = re.compile(r"None|\{'|\[\]|\{\}|msgid|%\(")


@pytest.fixture
def shop(business):
    return make_shop(business)


def _radios(html: str) -> list[str]:
    return re.findall(r'type="radio" name="rating" value="(\d+)"', html)


def _clean(html: str) -> None:
    assert not RAW.search(re.sub(r"<script.*?</script>", "", html, flags=re.S))


def test_the_rating_page_shows_five_stars_then_0_to_10_by_the_setting(shop):
    message, _order = asked(shop)
    page = Client().get(f"/f/{message.token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert _radios(html) == ["1", "2", "3", "4", "5"]
    assert 'name="viewport" content="width=device-width' in html
    assert 'data-testid="rating-stars"' in html
    _clean(html)

    feedback_settings_save(business=shop["business"], feedback_scale="nps", feedback_low_at=6)
    second, _order = asked(shop)
    html = Client().get(f"/f/{second.token}/").content.decode()
    assert _radios(html) == [str(n) for n in range(11)]
    assert 'data-testid="rating-nps"' in html and "Extremely likely" in html
    _clean(html)


def test_the_rating_page_speaks_the_customers_language_and_records_a_low_rating(shop):
    customer = person(shop["business"], "Neema", language="sw")
    message, _order = asked(shop, customer=customer)
    html = Client().get(f"/f/{message.token}/").content.decode()
    assert "Ziara yako ya mwisho ilikuwaje?" in html  # "How was your last visit?"

    done = Client().post(f"/f/{message.token}/", {"rating": "1", "comment": "Baridi"})
    assert done.status_code == 200 and 'data-testid="feedback"' in done.content.decode()
    feedback = Feedback.objects.get(message=message)
    assert (feedback.rating, feedback.comment) == (1, "Baridi")
    assert Interaction.objects.filter(customer=customer, kind="complaint").count() == 1

    wrong = Client().post(f"/f/{message.token}/", {"rating": "8"})
    assert 'role="alert"' in wrong.content.decode()
    assert Client().get("/f/not-a-token/").status_code == 404


def _survey_message(business):
    survey = survey_save(business=business, title="Our coffee", questions=[
        {"kind": "stars", "text": "How was the coffee?"},
        {"kind": "choice", "text": "More of?", "choices": ["Cakes", "Juice"], "interests": True},
        {"kind": "text", "text": "Anything else?"},
    ])  # fmt: skip
    template = template_save(
        business=business, name="Survey", channel="sms",
        variants=[{"texts": {"en": {"body": "Tell us: {link}"}}}],
    )  # fmt: skip
    campaign = campaign_save(
        business=business, name="S", sms_template_id=template.pk, survey_id=survey.pk
    )
    amina = person(business)
    campaign_launch(campaign=campaign, now=NOON)
    return survey, Message.objects.get(campaign=campaign, customer=amina)


def test_the_survey_page_takes_the_answers(business):
    _survey, message = _survey_message(business)
    html = Client().get(f"/s/{message.token}/").content.decode()
    assert html.count('data-testid="survey-question"') == 3
    assert 'type="checkbox" name="q1" value="Cakes"' in html
    _clean(html)

    done = Client().post(f"/s/{message.token}/", {"q0": "5", "q1": ["Juice"], "q2": "Nice music"})
    assert done.status_code == 200
    answer = SurveyAnswer.objects.get(message=message)
    assert answer.answers == {"0": 5, "1": ["Juice"], "2": "Nice music"}
    message.customer.refresh_from_db()
    assert message.customer.interests == ["Juice"]
    again = Client().get(f"/s/{message.token}/").content.decode()
    assert 'value="Juice" checked' in again  # the answer given, shown again

    bad = Client().post(f"/s/{message.token}/", {"q0": "9"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()
    assert SurveyAnswer.objects.get(message=message).answers["0"] == 5


def test_the_interests_page_of_the_which_services_letter(business):
    from wateja.messaging.automations import automation_save
    from wateja.messaging.models import Automation

    Category.objects.create(business=business, name="Nails", key="nails")
    automation = automation_save(
        business=business, kind="preferences",
        sms_template_id=template_save(
            business=business, name="Prefs", channel="sms",
            variants=[{"texts": {"en": {"body": "What would you like? {link}"}}}],
        ).pk,
    )  # fmt: skip
    amina = person(business)
    message = Message.objects.create(
        business=business, customer=amina, automation=Automation.objects.get(pk=automation.pk),
        channel="sms", purpose="marketing", status="sent",
    )  # fmt: skip
    html = Client().get(f"/s/{message.token}/").content.decode()
    assert 'name="interests" value="Nails"' in html
    Client().post(f"/s/{message.token}/", {"interests": ["Nails"]})
    amina.refresh_from_db()
    assert amina.interests == ["Nails"]


def test_the_feedback_screen_is_for_managers_and_shows_the_report(shop, staff_client):
    business = shop["business"]
    for rating in (5, 1):
        message, _order = asked(shop)
        feedback_give(token=message.token, rating=rating, comment="Cold", now=NOON)
    manager = staff_client(business, Role.MANAGER)
    page = manager.get("/feedback/", {"start": "2026-11-01", "end": "2026-11-30"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="feedback-count">2<' in html
    assert 'data-testid="feedback-low">1<' in html
    assert "Westlands" in html and "Caffe latte" in html and "Juma" in html
    _clean(html)
    filtered = manager.get("/feedback/", {"start": "2026-11-01", "end": "2026-11-30",
                                          "low": "1"})  # fmt: skip
    assert 'data-testid="feedback-count">1<' in filtered.content.decode()
    assert staff_client(business, Role.CASHIER).get("/feedback/").status_code == 403


def test_the_settings_screen_saves(shop, staff_client):
    manager = staff_client(shop["business"], Role.MANAGER)
    assert manager.get("/feedback/settings/").status_code == 200
    response = manager.post("/feedback/settings/", {
        "feedback_scale": "nps", "feedback_low_at": "5", "feedback_owner_id": "",
        "feedback_due_hours": "8", "feedback_alert": "email", "feedback_alert_to": "",
    })  # fmt: skip
    assert response.status_code == 302
    wrong = manager.post("/feedback/settings/", {
        "feedback_scale": "stars", "feedback_low_at": "9", "feedback_owner_id": "",
        "feedback_due_hours": "8", "feedback_alert": "sms", "feedback_alert_to": "",
    })  # fmt: skip
    assert wrong.status_code == 200 and 'class="error"' in wrong.content.decode()


def test_a_survey_is_written_and_sent_as_a_draft_campaign_on_its_screens(business, staff_client):
    manager = staff_client(business, Role.MANAGER)
    template = template_save(
        business=business, name="Survey SMS", channel="sms",
        variants=[{"texts": {"en": {"body": "{link}"}}}],
    )  # fmt: skip
    response = manager.post("/feedback/surveys/", {
        "title": "Our service", "q0_kind": "stars", "q0_text": "Rate us",
        "q2_kind": "choice", "q2_text": "Which?", "q2_choices": "Tea\nCake", "q2_interests": "on",
    })  # fmt: skip
    survey = Survey.objects.get(business=business)
    assert response.status_code == 302
    assert [q["kind"] for q in survey.questions] == ["stars", "choice"]
    assert survey.questions[1]["interests"] is True
    html = manager.get(f"/feedback/surveys/{survey.pk}/").content.decode()
    assert "Rate us" in html
    _clean(html)

    bad = manager.post("/feedback/surveys/", {"title": "X", "q0_kind": "choice",
                                               "q0_text": "Pick", "q0_choices": "One"})  # fmt: skip
    assert bad.status_code == 200 and 'class="error"' in bad.content.decode()

    sent = manager.post(f"/feedback/surveys/{survey.pk}/send/", {
        "name": "Survey Nov", "segment_id": "", "sms_template_id": str(template.pk),
    })  # fmt: skip
    campaign = Campaign.objects.get(business=business, name="Survey Nov")
    assert sent.status_code == 302 and campaign.survey_id == survey.pk


def test_the_api_lists_reports_and_sets(shop, api_for):
    business = shop["business"]
    for rating in (4, 2):
        message, _order = asked(shop)
        feedback_give(token=message.token, rating=rating, now=NOON + dt.timedelta(hours=2))
    api = api_for(business, Role.MANAGER)

    rows = api.get("/feedback?start=2026-11-27&end=2026-11-27").json()["items"]
    assert [r["rating"] for r in rows] == [4, 2]
    assert rows[1]["complaint_id"] is not None and rows[0]["location_id"] is not None
    report = api.get("/feedback/report").json()
    assert report["overall"] == {
        "count": 2, "average": 3.0, "low": 1,
        "nps": None, "promoters": None, "passives": None, "detractors": None,
    }  # fmt: skip
    assert report["products"][0]["sku"] == "LATTE"
    changed = api.put("/feedback/settings", {"feedback_scale": "nps", "feedback_low_at": 6})
    assert changed.status_code == 200 and changed.json()["feedback_scale"] == "nps"
    refused = api.put("/feedback/settings", {"feedback_alert": "fax"})
    assert refused.status_code == 422
    assert api_for(business, Role.CASHIER).get("/feedback/report").status_code == 403


def test_the_api_makes_surveys_and_their_campaigns(business, api_for):
    api = api_for(business, Role.MANAGER)
    created = api.post("/surveys", {"title": "Quick", "questions": [
        {"kind": "choice", "text": "Like?", "choices": ["Yes", "No"]},
    ]})  # fmt: skip
    assert created.status_code == 201
    survey_id = created.json()["id"]
    assert api.post("/surveys", {"title": "Bad", "questions": []}).status_code == 422
    template = template_save(
        business=business, name="S", channel="sms",
        variants=[{"texts": {"en": {"body": "{link}"}}}],
    )  # fmt: skip
    campaign = api.post(f"/surveys/{survey_id}/campaign",
                        {"name": "Q", "sms_template_id": template.pk})  # fmt: skip
    assert campaign.status_code == 201 and campaign.json()["survey_id"] == survey_id
    results = api.get(f"/surveys/{survey_id}").json()
    assert results["responses"] == 0 and results["questions"][0]["choices"][0]["choice"] == "Yes"
    assert api.get("/surveys").json()["items"][0]["title"] == "Quick"


def test_the_customer_page_shows_the_interests(business, staff_client):
    amina = person(business)
    amina.interests = ["Cakes", "Juice"]
    amina.save(update_fields=["interests"])
    html = staff_client(business, Role.VIEWER).get(f"/customers/{amina.pk}/").content.decode()
    shown = re.search(r'data-testid="customer-interests">(.*?)</dd>', html, re.S)
    assert shown and "Cakes" in shown.group(1) and "Juice" in shown.group(1)
