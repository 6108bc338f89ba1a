"""Short surveys sent as campaigns: up to five questions; the campaign's {link} opens the
survey page of each message; answers are kept per message; a choice question marked
"interests" and the "which services would you like" letter store interests on the customer,
usable in segments."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.messaging.factories import NOON, person
from wateja.catalog.models import Category
from wateja.core.errors import NotFound, ValidationFailed
from wateja.customers.segments import clean_filters, segment_customers
from wateja.customers.services import interests_set
from wateja.messaging.automations import automation_run, automation_save
from wateja.messaging.campaigns import campaign_launch, campaign_save
from wateja.messaging.composing import template_save
from wateja.messaging.models import Message, SurveyAnswer
from wateja.messaging.surveys import (
    interests_answer,
    page_of,
    survey_answer,
    survey_results,
    survey_save,
)

QUESTIONS = [
    {"kind": "stars", "text": "How was the coffee?"},
    {"kind": "choice", "text": "What would you like more of?",
     "choices": ["Cakes", "Juice", "Breakfast"], "interests": True},
    {"kind": "choice", "text": "How did you hear of us?", "choices": ["Friends", "Radio"]},
    {"kind": "text", "text": "Anything else?"},
]  # fmt: skip


def _interested(business, name, interests):
    customer = person(business, name)
    interests_set(customer=customer, interests=interests)
    return customer


def _template(business, body="{name}, 1 minute for us? {link}", name="Survey SMS"):
    return template_save(
        business=business, name=name, channel="sms",
        variants=[{"texts": {"en": {"body": body}}}],
    )  # fmt: skip


def _sent_survey(business, *customers):
    survey = survey_save(business=business, title="Our coffee", questions=QUESTIONS)
    campaign = campaign_save(
        business=business, name="Survey", sms_template_id=_template(business).pk,
        channel="sms", survey_id=survey.pk,
    )  # fmt: skip
    campaign_launch(campaign=campaign, now=NOON)
    return survey, {
        m.customer_id: m for m in Message.objects.filter(campaign=campaign).order_by("pk")
    }


def test_a_campaign_with_a_survey_links_each_message_to_its_survey_page(business):
    amina = person(business)
    survey, sent = _sent_survey(business, amina)
    message = sent[amina.pk]
    assert f"/s/{message.token}/" in message.body
    assert message.link_url == ""  # no redirect: the page is the survey
    assert page_of(message) == ("survey", survey)


def test_answers_are_kept_per_message_and_interests_go_to_the_customer(business):
    amina = _interested(business, "Amina Wanjiru", ["juice"])
    survey, sent = _sent_survey(business, amina)
    token = sent[amina.pk].token

    survey_answer(token=token, answers={"0": "4", "1": ["Cakes", "Juice"], "2": ["Radio"],
                                        "3": "More seats"}, now=NOON)  # fmt: skip
    survey_answer(token=token, answers={"0": "5", "1": ["Cakes", "Breakfast"]}, now=NOON)

    [answer] = SurveyAnswer.objects.filter(survey=survey)
    assert answer.answers == {"0": 5, "1": ["Cakes", "Breakfast"]}  # the second replaced it
    amina.refresh_from_db()
    assert amina.interests == ["juice", "Cakes", "Breakfast"]  # once each, any letter case
    results = survey_results(survey)
    assert results["responses"] == 1 and results["sent"] == 1
    assert results["questions"][0]["average"] == 5.0
    assert {c["choice"]: c["count"] for c in results["questions"][1]["choices"]} == {
        "Cakes": 1, "Juice": 0, "Breakfast": 1,
    }  # fmt: skip


def test_wrong_answers_are_refused(business):
    amina = person(business)
    _survey, sent = _sent_survey(business, amina)
    token = sent[amina.pk].token
    with pytest.raises(ValidationFailed) as error:
        survey_answer(token=token, answers={"0": "7", "2": ["Friends", "Radio"], "1": ["Tea"]})
    assert set(error.value.details["fields"]) == {"0", "1", "2"}
    with pytest.raises(ValidationFailed):
        survey_answer(token=token, answers={})
    assert not SurveyAnswer.objects.exists()


def test_a_survey_has_one_to_five_good_questions(business):
    with pytest.raises(ValidationFailed) as error:
        survey_save(business=business, title="", questions=QUESTIONS * 2)
    assert set(error.value.details["fields"]) == {"title", "questions"}
    with pytest.raises(ValidationFailed) as error:
        survey_save(business=business, title="T", questions=[
            {"kind": "choice", "text": "Pick", "choices": ["Only one"]},
            {"kind": "poll", "text": "?"},
            {"kind": "text", "text": ""},
        ])  # fmt: skip
    assert set(error.value.details["fields"]) == {"questions.0", "questions.1", "questions.2"}


def test_a_message_without_a_survey_has_no_survey_page(business):
    amina = person(business)
    campaign = campaign_save(
        business=business, name="Plain", sms_template_id=_template(business, "Hi").pk
    )
    campaign_launch(campaign=campaign, now=NOON)
    message = Message.objects.get(campaign=campaign)
    with pytest.raises(NotFound):
        survey_answer(token=message.token, answers={"0": "5"})
    with pytest.raises(NotFound):
        interests_answer(token=message.token, chosen=["Cakes"])
    assert amina.interests == []


def test_the_which_services_letter_stores_the_ticked_categories_as_interests(business):
    for position, name in enumerate(["Haircut", "Manicure", "Massage"]):
        Category.objects.create(business=business, name=name, key=name.casefold(),
                                position=position)  # fmt: skip
    created = NOON - dt.timedelta(days=31)
    automation = automation_save(
        business=business, kind="preferences",
        sms_template_id=_template(business, "Which services would you like? {link}").pk,
    )  # fmt: skip
    automation.scanned_until = created - dt.timedelta(hours=1)
    automation.save()
    amina = person(business)
    type(amina).objects.filter(pk=amina.pk).update(created_at=created)
    automation_run(automation=automation, now=NOON)
    message = Message.objects.get(automation=automation)
    assert f"/s/{message.token}/" in message.body
    assert page_of(message) == ("interests", None)

    interests_answer(token=message.token, chosen=["Massage", "Haircut", "Not ours"])
    amina.refresh_from_db()
    assert amina.interests == ["Haircut", "Massage"]
    with pytest.raises(ValidationFailed):
        interests_answer(token=message.token, chosen=[])


def test_segments_filter_by_any_of_the_interests(business):
    cakes = _interested(business, "Cake Lover", ["Cakes"])
    juice = _interested(business, "Juice Lover", ["juice", "Tea"])
    person(business, "No Interests")
    assert clean_filters({"interests": ["Cakes", " Juice ", ""]}) == {"interests": "Cakes, Juice"}

    found = segment_customers(business, {"interests": "cakes, JUICE"})
    assert set(found.values_list("pk", flat=True)) == {cakes.pk, juice.pk}
    only_tea = segment_customers(business, {"interests": "tea", "city": ""})
    assert list(only_tea.values_list("pk", flat=True)) == [juice.pk]
