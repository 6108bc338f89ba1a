"""The events API: plan an event, answers within capacity, check-in by card with points once,
figures, roles and another business's ids."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.events.conftest import card_of
from wateja.tenants.roles import Role


def _new(api, **values):
    body = {
        "kind": "workshop",
        "title": "Latte art",
        "starts_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        "capacity": 1,
        "fee_minor": 50000,
        "attendance_points": 15,
        "status": "open",
    }
    body.update(values)
    return api.post("/events", body)


def test_plan_answer_and_check_in(api, people):
    created = _new(api)
    assert created.status_code == 201, created.content
    event_id = created.json()["id"]

    first = api.post(f"/events/{event_id}/rsvp", {"customer_id": people[0].pk})
    second = api.post(f"/events/{event_id}/rsvp", {"customer_id": people[1].pk})
    assert first.json()["status"] == "going"
    assert second.json()["status"] == "waiting" and second.json()["waiting_position"] == 1

    number = card_of(people[0]).number
    done = api.post(f"/events/{event_id}/check-in", {"query": number}).json()
    again = api.post(f"/events/{event_id}/check-in", {"query": number}).json()
    assert (done["points"], done["already"]) == (15, False)
    assert (again["points"], again["already"]) == (0, True)

    stats = api.get(f"/events/{event_id}/stats").json()
    assert (stats["going"], stats["waiting"], stats["attended"]) == (1, 1, 1)
    listed = api.get("/events").json()
    assert [e["title"] for e in listed["items"]] == ["Latte art"]


def test_bad_input_and_roles(api, api_for, business, people):
    assert _new(api, capacity=0).status_code == 422
    assert _new(api, title="").status_code == 422
    cashier = api_for(business, Role.CASHIER)
    assert _new(cashier).status_code == 403
    event_id = _new(api).json()["id"]
    unknown = api.post(f"/events/{event_id}/check-in", {"query": "0799000000"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "guest_not_found"


def test_another_business_gets_404(api, api_for, other_business, people):
    event_id = _new(api).json()["id"]
    other = api_for(other_business)
    assert other.get(f"/events/{event_id}").status_code == 404
    assert other.post(f"/events/{event_id}/rsvp", {"customer_id": people[0].pk}).status_code == 404
