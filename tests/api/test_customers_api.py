"""Customers through the API: create with normalised contacts, duplicates, search, cards,
timeline and tasks, consents, segments, merge, export and erasure."""

from __future__ import annotations

import datetime as dt

import time_machine

from wateja.core.cards import luhn_valid
from wateja.customers.models import Customer
from wateja.orders.services import order_record
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role


def _create(api, **fields):
    body = {"name": "Wanjiku Kamau", "phone": "0712 345 678", **fields}
    return api.post("/customers", body)


def test_create_normalises_phone_and_issues_a_card(api):
    response = _create(api, email=" Wanjiku@Example.COM ", city="Nairobi")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phone"] == "+254712345678"
    assert body["email"] == "wanjiku@example.com"
    assert luhn_valid(body["card_number"])
    assert body["currency"] == "KES"


def test_one_contact_method_is_enough_but_one_is_needed(api):
    assert api.post("/customers", {"name": "Juma", "email": "juma@example.com"}).status_code == 201
    response = api.post("/customers", {"name": "Hakuna Mawasiliano"})
    assert response.status_code == 422
    assert "phone" in response.json()["details"]["fields"]


def test_invalid_phone_and_email_are_field_errors_in_the_users_language(business, api_for):
    client = api_for(business, language="sw")
    response = client.post("/customers", {"name": "Juma", "phone": "12", "email": "juma@"})
    assert response.status_code == 422
    fields = response.json()["details"]["fields"]
    assert set(fields) == {"phone", "email"}
    assert "Weka" in fields["phone"][0] or "namba" in fields["phone"][0].lower()
    assert Customer.objects.count() == 0


def test_duplicate_phone_returns_409_with_the_existing_card(api):
    first = _create(api).json()
    response = _create(api, name="W. Kamau", phone="+254 712 345678")
    assert response.status_code == 409
    details = response.json()["details"]
    assert details["customer_id"] == first["id"]
    assert details["card_number"] == first["card_number"]
    assert details["field"] == "phone"


def test_search_by_card_phone_fragment_and_name(api):
    card = _create(api, city="Nairobi").json()["card_number"]
    _create(api, name="Otieno Ochieng", phone="0722 000 111")
    assert [c["name"] for c in api.get(f"/customers?q={card}").json()["items"]] == ["Wanjiku Kamau"]
    assert [c["name"] for c in api.get("/customers?q=0712 345").json()["items"]] == [
        "Wanjiku Kamau"
    ]
    assert [c["name"] for c in api.get("/customers?q=otien").json()["items"]] == ["Otieno Ochieng"]
    assert api.get(f"/cards/{card}").json()["name"] == "Wanjiku Kamau"
    assert api.get("/cards/4000000000002").status_code == 404


def test_reissue_card_replaces_the_old_one(api):
    customer = _create(api).json()
    new = api.post(f"/customers/{customer['id']}/cards", {"replace": True}).json()
    cards = {c["number"]: c["status"] for c in api.get(f"/customers/{customer['id']}/cards").json()}
    assert cards == {customer["card_number"]: "replaced", new["number"]: "active"}
    assert api.get(f"/cards/{new['number']}").status_code == 200


def test_patch_updates_and_records_on_the_timeline(api):
    customer = _create(api).json()
    response = api.patch(
        f"/customers/{customer['id']}",
        {"city": "Mombasa", "tags": ["VIP", "coffee "], "birth_day": 29, "birth_month": 2},
    )
    assert response.status_code == 200
    assert response.json()["tags"] == ["coffee", "vip"]
    assert response.json()["birthday"] == {"day": 29, "month": 2, "year": None}
    bad = api.patch(f"/customers/{customer['id']}", {"birth_day": 31, "birth_month": 4})
    assert bad.status_code == 422
    timeline = api.get(f"/customers/{customer['id']}/interactions").json()["items"]
    assert any(item["kind"] == "profile" for item in timeline)


def test_complaint_is_a_task_until_resolved(api, business):
    customer = _create(api).json()
    complaint = api.post(
        f"/customers/{customer['id']}/interactions",
        {"kind": "complaint", "summary": "Cold coffee", "due_at": "2026-12-01T09:00:00Z"},
    ).json()
    assert complaint["status"] == "open"
    assert [t["id"] for t in api.get("/tasks").json()] == [complaint["id"]]
    done = api.patch(f"/interactions/{complaint['id']}", {"status": "resolved"}).json()
    assert done["status"] == "resolved" and done["resolved_at"]
    assert api.get("/tasks").json() == []
    note = api.post(
        f"/customers/{customer['id']}/interactions", {"kind": "note", "summary": "Likes oat milk"}
    ).json()
    assert api.patch(f"/interactions/{note['id']}", {"status": "resolved"}).status_code == 400


def test_consent_history_and_withdrawal(api):
    customer = _create(api).json()
    url = f"/customers/{customer['id']}/consents"
    api.post(url, {"channel": "sms", "granted": True, "text": "Offers by SMS", "source": "api"})
    api.post(url, {"channel": "sms", "granted": False})
    body = api.get(url).json()
    assert [(c["channel"], c["granted"]) for c in body["current"]] == [("sms", False)]
    assert len(body["history"]) == 2
    assert body["history"][1]["text"] == "Offers by SMS"
    assert {c["source"] for c in body["history"]} == {"api"}


def test_segments_filter_by_city_spend_and_consent(api, business):
    a = _create(api, city="Nairobi").json()
    b = _create(api, name="Otieno", phone="0722000111", city="Nairobi").json()
    _create(api, name="Amina", phone="0733000222", city="Mombasa")
    order_record(
        business=business,
        number="A-1",
        total_minor=500_000,
        customer=Customer.objects.get(pk=b["id"]),
    )
    api.post(f"/customers/{a['id']}/consents", {"channel": "sms", "granted": True})
    big = api.post(
        "/segments", {"name": "Big in Nairobi", "filters": {"city": "nairobi", "spent_min": 100000}}
    )
    assert big.status_code == 201 and big.json()["size"] == 1
    names = [
        c["name"] for c in api.get(f"/customers?segment_id={big.json()['id']}").json()["items"]
    ]
    assert names == ["Otieno"]
    sms = api.post("/segments", {"name": "SMS ok", "filters": {"consent_sms": True}}).json()
    assert sms["size"] == 1
    bad = api.post("/segments", {"name": "Bad", "filters": {"colour": "red", "spent_min": -1}})
    assert bad.status_code == 422
    assert set(bad.json()["details"]["fields"]) == {"colour", "spent_min"}


def test_a_lapsed_segment_counts_its_days_from_today_every_day(api, business):
    start = dt.datetime(2027, 5, 10, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        buyer = _create(api).json()
        order_record(
            business=business, number="L-1", total_minor=50_000,
            customer=Customer.objects.get(pk=buyer["id"]), placed_at=start,
        )  # fmt: skip
        _create(api, name="Never Bought", phone="0722000999")
        lapsed = api.post(
            "/segments", {"name": "Lapsed 60 days", "filters": {"no_purchase_days": 60}}
        ).json()
        assert lapsed["size"] == 1  # the one who never bought
    with time_machine.travel(start + dt.timedelta(days=61), tick=False):
        assert api.get(f"/segments/{lapsed['id']}").json()["size"] == 2
    huge = api.post("/segments", {"name": "Huge", "filters": {"no_purchase_days": 10**15 + 1}})
    assert huge.status_code == 422
    assert huge.json()["details"]["fields"] == {"no_purchase_days": ["The number is too large."]}


def test_merge_keeps_history_cards_and_orders(api, business):
    keep = _create(api, city="Nairobi").json()
    drop = _create(api, name="Wanjiku K.", phone="", email="wk@example.com").json()
    order_record(
        business=business, number="M-1", total_minor=120_000,
        customer=Customer.objects.get(pk=drop["id"]),
    )  # fmt: skip
    merged = api.post(f"/customers/{keep['id']}/merge", {"drop_id": drop["id"]})
    assert merged.status_code == 200
    body = merged.json()
    assert body["email"] == "wk@example.com"
    assert body["purchase_count"] == 1 and body["total_spent_minor"] == 120_000
    cards = {c["number"] for c in api.get(f"/customers/{keep['id']}/cards").json()}
    assert {keep["card_number"], drop["card_number"]} <= cards
    assert api.get(f"/customers/{drop['id']}").json()["merged_into"] == keep["id"]
    assert api.post(f"/customers/{keep['id']}/merge", {"drop_id": keep["id"]}).status_code == 400


def test_export_and_erase_are_audited_and_keep_totals(api, business, api_for):
    customer = _create(api, email="w@example.com", notes="Allergic to nuts").json()
    order_record(
        business=business, number="E-1", total_minor=99_900,
        customer=Customer.objects.get(pk=customer["id"]),
    )  # fmt: skip
    export = api.get(f"/customers/{customer['id']}/export").json()
    assert export["profile"]["notes"] == "Allergic to nuts"
    assert export["orders"][0]["total_minor"] == 99_900
    assert (
        api_for(business, Role.CASHIER).post(f"/customers/{customer['id']}/erase").status_code
        == 403
    )
    erased = api.post(f"/customers/{customer['id']}/erase").json()
    assert erased["erased"] and erased["phone"] == "" and erased["email"] == ""
    assert "Wanjiku" not in erased["name"] and erased["notes"] == ""
    assert erased["total_spent_minor"] == 99_900
    actions = set(AuditEvent.objects.for_business(business).values_list("action", flat=True))
    assert {"customer.export", "customer.erase"} <= actions
    # the phone is free again, and the erased record cannot be edited
    assert _create(api).status_code == 201
    assert api.patch(f"/customers/{customer['id']}", {"city": "X"}).status_code == 409


def test_duplicates_found_by_similar_name_in_same_city(api):
    _create(api, name="Anahit Sargsyan", phone="", email="a1@example.com", city="Yerevan")
    _create(api, name="Sargsyan Anahit", phone="", email="a2@example.com", city="Yerevan")
    _create(api, name="Anahit Sargsyan", phone="", email="a3@example.com", city="Gyumri")
    pairs = api.get("/customers/duplicates").json()["pairs"]
    # two different e-mail addresses: maybe two people of one name, never offered as certain
    assert [(p["reason"], p["score"]) for p in pairs] == [("similar_name_other_contact", 0.5)]
    # the same name in Gyumri once by e-mail, once by phone: nothing disagrees
    _create(api, name="Anahit Sargsyan", phone="+37491000222", city="Gyumri")
    pairs = api.get("/customers/duplicates").json()["pairs"]
    assert sorted(p["reason"] for p in pairs) == [
        "similar_name_other_contact",
        "similar_name_same_city",
    ]
