"""The same low rating sent several times at once (a double tap, a retried request): one
rating, one complaint, one alert to the manager. Runs on whatever database the suite runs on
(SQLite file or PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

import pytest

from tests.concurrency import race, unexpected
from tests.messaging.feedback_world import asked, make_shop
from wateja.customers.models import Interaction
from wateja.messaging.feedback import feedback_give
from wateja.messaging.models import Feedback, Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_low_ratings_open_one_complaint_and_one_alert(business):
    shop = make_shop(business)
    message, _order = asked(shop)

    results = race(4, lambda i: feedback_give(token=message.token, rating=1, comment=f"try {i}").pk)

    assert unexpected(results) == []
    assert len({value for _state, value in results}) == 1
    assert Feedback.objects.filter(message=message).count() == 1
    assert Interaction.objects.filter(business=business, kind="complaint").count() == 1
    alerts = Message.objects.filter(business=business, dedupe_key__startswith="feedback-alert:")
    assert alerts.count() == 1
