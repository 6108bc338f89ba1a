"""Every endpoint that takes an id answers 404 for another business's objects, and never
changes them. A new endpoint with an id in its path fails the coverage test until it is
listed here."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest

from wateja.catalog.models import Product
from wateja.customers.models import Customer, Interaction, Segment
from wateja.customers.segments import segment_save
from wateja.customers.services import customer_create, interaction_add
from wateja.orders.models import Checkout, Order
from wateja.promotions.models import Promotion
from wateja.tenants.models import ApiKey, Location, Staff
from wateja.tenants.services import apikey_create, location_create
from wateja.wallet.models import Operation, Transfer


def _customer(b):
    return customer_create(business=b, name="Անահիտ", phone="+37491234567")


def _challenge(b):
    import datetime as dt

    from django.utils import timezone

    from wateja.challenges.services import challenge_create

    now = timezone.now()
    return challenge_create(
        business=b,
        name="Theirs",
        metric="visits",
        starts_at=now - dt.timedelta(days=2),
        ends_at=now - dt.timedelta(days=1),
        rewards=[10],
    )


def _event(b):
    import datetime as dt

    from django.utils import timezone

    from wateja.events.services import event_save

    starts = timezone.now() + dt.timedelta(days=3)
    return event_save(business=b, title="Theirs", starts_at=starts, capacity=5, status="open")


def _card(b):
    return _customer(b).cards.get()


def _task(b):
    return interaction_add(customer=_customer(b), kind="complaint", summary="late")


def _hold(b):
    from wateja.wallet.services import balance_spend, points_earn

    customer = _customer(b)
    points_earn(customer=customer, amount=10, idempotency_key="their-earn")
    balance_spend(customer=customer, amount=5, idempotency_key="their-hold", hold_minutes=5)
    return Operation.objects.get(business=b, key="their-hold")


def _import_job(b):
    from wateja.customers.importing import import_upload

    upload = io.BytesIO(b"Name,Phone\nAni,+37491234567\n")
    return import_upload(business=b, file_name="theirs.csv", fileobj=upload)[0]


def _partner(b):
    from wateja.customers.partners import partner_consent_purpose
    from wateja.customers.services import consent_record

    consent_record(
        customer=_customer(b),
        channel="partner",
        purpose=partner_consent_purpose("Maua"),
        granted=True,
    )
    return SimpleNamespace(name="Maua")


def _promotion(b):
    from wateja.promotions.services import promotion_save

    return promotion_save(
        business=b, name="Theirs", type="percent_off_order", params={"percent_bp": 500}
    )


def _checkout(b):
    from wateja.orders.checkout import SaleInput, checkout_reserve

    return checkout_reserve(
        business=b,
        key="their-sale",
        sale=SaleInput(currency=b.currency, total_minor=100),
        customer=None,
    )


def _template(b):
    from wateja.messaging.composing import template_save

    return template_save(
        business=b, name="T", channel="sms", variants=[{"texts": {"en": {"body": "Hi {name}"}}}]
    )


def _campaign(b):
    from wateja.messaging.campaigns import campaign_save

    return campaign_save(business=b, name="C", channel="sms", sms_template_id=_template(b).pk)


def _survey(b):
    from wateja.messaging.surveys import survey_save

    return survey_save(business=b, title="S", questions=[{"kind": "text", "text": "Why?"}])


def _automation(b):
    from wateja.messaging.automations import automation_save

    return automation_save(business=b, kind="birthday", sms_template_id=_template(b).pk)


def _order(b):
    from wateja.orders.services import order_record

    return order_record(business=b, number="THEIRS-1", total_minor=100)


def _product(b):
    from wateja.catalog.services import product_save

    return product_save(business=b, sku="THEIR-SKU", name="Theirs", price_minor=100)


def _merge(b):
    from wateja.customers.merging import customer_merge_record

    keep = _customer(b)
    drop = customer_create(business=b, name="Անահիտ Ս.", phone="+37491234568")
    return customer_merge_record(keep=keep, drop=drop)


def _staff(b):
    from wateja.tenants.staff import staff_create

    return staff_create(business=b, username=f"their-{b.pk}", name="Theirs", role="cashier",
                        password="kahawa-tamu-2026")  # fmt: skip


def _payment(b):
    from django.utils import timezone

    from wateja.payments.services import payment_receive

    return payment_receive(
        business=b,
        provider="mpesa",
        reference="THEIRS1",
        amount_minor=100,
        currency=b.currency,
        paid_at=timezone.now(),
        account="nobody",
    )[0]


def _endpoint(b):
    from wateja.webhooks.models import Endpoint

    return Endpoint.objects.create(business=b, url="https://hooks.example.com/theirs")


def _delivery(b):
    from django.utils import timezone

    from wateja.webhooks.models import Delivery

    return Delivery.objects.create(
        business=b,
        endpoint=_endpoint(b),
        event_id="evt_theirs",
        event_type="order.committed",
        payload={},
        next_attempt_at=timezone.now(),
    )


# (method, path template, factory of the other business's object, attribute for the path, body)
ENDPOINTS = [
    ("GET", "/locations/{}", lambda b: location_create(business=b, name="Gyumri"), "pk", None),
    ("DELETE", "/api-keys/{}", lambda b: apikey_create(business=b, name="x")[0], "pk", None),
    ("GET", "/customers/{}", _customer, "pk", None),
    ("PATCH", "/customers/{}", _customer, "pk", {"city": "Hijack"}),
    ("POST", "/customers/{}/merge", _customer, "pk", {"drop_id": 1}),
    ("GET", "/customers/{}/merge-preview", _customer, "pk", None),
    ("GET", "/customers/merges/{}", _merge, "pk", None),
    ("POST", "/customers/merges/{}/undo", _merge, "pk", None),
    ("GET", "/customers/{}/export", _customer, "pk", None),
    ("POST", "/customers/{}/erase", _customer, "pk", None),
    ("GET", "/customers/{}/cards", _customer, "pk", None),
    ("POST", "/customers/{}/cards", _customer, "pk", {"replace": True}),
    ("GET", "/cards/{}", _card, "number", None),
    ("GET", "/customers/{}/interactions", _customer, "pk", None),
    ("POST", "/customers/{}/interactions", _customer, "pk", {"kind": "note", "summary": "x"}),
    ("PATCH", "/interactions/{}", _task, "pk", {"status": "resolved"}),
    ("GET", "/customers/{}/consents", _customer, "pk", None),
    ("POST", "/customers/{}/consents", _customer, "pk", {"channel": "sms", "granted": True}),
    ("GET", "/segments/{}", lambda b: segment_save(business=b, name="s", filters={}), "pk", None),
    ("GET", "/customers/{}/wallet", _customer, "pk", None),
    ("POST", "/customers/{}/wallet/earn", _customer, "pk", {"amount": 5}),
    ("POST", "/customers/{}/wallet/spend", _customer, "pk", {"amount": 5}),
    ("POST", "/customers/{}/wallet/adjust", _customer, "pk", {"amount": 5, "reason": "x"}),
    ("POST", "/customers/{}/wallet/gift", _customer, "pk", {"to_customer_id": 1, "amount": 5}),
    ("POST", "/customers/{}/wallet/topup", _customer, "pk", {"amount_minor": 5, "currency": "KES"}),
    (
        "POST",
        "/customers/{}/wallet/payout",
        _customer,
        "pk",
        {"amount_minor": 5, "currency": "KES"},
    ),
    ("POST", "/customers/{}/wallet/donate", _customer, "pk", {"amount": 5, "cause": "x"}),
    ("POST", "/wallet/operations/{}/post", _hold, "key", None),
    ("POST", "/wallet/operations/{}/void", _hold, "key", None),
    ("GET", "/promotions/{}", _promotion, "pk", None),
    (
        "PUT",
        "/promotions/{}",
        _promotion,
        "pk",
        {"name": "x", "type": "percent_off_order", "params": {"percent_bp": 1}},
    ),
    ("POST", "/promotions/{}/status", _promotion, "pk", {"status": "paused"}),
    ("POST", "/promotions/{}/codes", _promotion, "pk", {"code": "MINE1"}),
    ("GET", "/promotions/{}/codes/report", _promotion, "pk", None),
    ("POST", "/promotions/{}/simulate", _promotion, "pk", {"months": 1}),
    ("GET", "/customers/{}/referral", _customer, "pk", None),
    ("POST", "/customers/{}/referral", _customer, "pk", {"code": "ABCDEF"}),
    ("POST", "/checkout/{}/commit", _checkout, "key", None),
    ("POST", "/checkout/{}/release", _checkout, "key", None),
    ("GET", "/orders/{}", _order, "pk", None),
    ("POST", "/orders/{}/refunds", _order, "pk", {"amount_minor": 1}),
    ("GET", "/imports/{}", _import_job, "pk", None),
    ("POST", "/imports/{}/preview", _import_job, "pk", {}),
    ("GET", "/imports/{}/errors.csv", _import_job, "pk", None),
    ("GET", "/imports/{}/errors.xlsx", _import_job, "pk", None),
    ("POST", "/imports/{}/run", _import_job, "pk", None),
    ("POST", "/imports/{}/undo", _import_job, "pk", None),
    ("GET", "/analytics/promotions/{}/uplift", _promotion, "pk", None),
    ("GET", "/analytics/promotions/{}/codes", _promotion, "pk", None),
    ("GET", "/partners/{}/export.csv", _partner, "name", None),
    ("GET", "/partners/{}/export.xlsx", _partner, "name", None),
    ("GET", "/templates/{}", _template, "pk", None),
    ("PUT", "/templates/{}", _template, "pk", {"name": "x", "channel": "sms", "variants": []}),
    ("GET", "/campaigns/{}", _campaign, "pk", None),
    ("PATCH", "/campaigns/{}", _campaign, "pk", {"name": "Hijack"}),
    ("POST", "/campaigns/{}/preview", _campaign, "pk", None),
    ("POST", "/campaigns/{}/launch", _campaign, "pk", {}),
    ("POST", "/campaigns/{}/cancel", _campaign, "pk", None),
    ("GET", "/campaigns/{}/results", _campaign, "pk", None),
    ("PATCH", "/automations/{}", _automation, "pk", {"is_active": False}),
    ("GET", "/surveys/{}", _survey, "pk", None),
    ("POST", "/surveys/{}/campaign", _survey, "pk", {"name": "Hijack"}),
    ("GET", "/automations/{}/results", _automation, "pk", None),
    ("GET", "/customers/{}/messages", _customer, "pk", None),
    ("POST", "/customers/{}/messages", _customer, "pk", {"template_id": 1}),
    ("POST", "/orders/{}/receipt", _order, "pk", {"channel": "sms"}),
    ("POST", "/orders/{}/void", _order, "pk", {"reason": "x"}),
    ("GET", "/products/{}", _product, "pk", None),
    ("PATCH", "/products/{}", _product, "pk", {"price_minor": 1}),
    ("GET", "/products/lookup/{}", _product, "sku", None),
    ("PATCH", "/staff/{}", _staff, "pk", {"active": False}),
    ("POST", "/staff/{}/password", _staff, "pk", {"password": "kahawa-tamu-2027"}),
    ("POST", "/staff/{}/pin", _staff, "pk", {"pin": "2580"}),
    ("POST", "/payments/{}/match", _payment, "pk", {"phone": "0712345678"}),
    ("POST", "/payments/{}/set-aside", _payment, "pk", None),
    ("PUT", "/webhooks/{}", _endpoint, "pk", {"url": "https://example.com/x"}),
    ("DELETE", "/webhooks/{}", _endpoint, "pk", None),
    ("POST", "/webhooks/{}/rotate-secret", _endpoint, "pk", None),
    ("POST", "/webhooks/{}/test", _endpoint, "pk", {"event_type": "order.committed"}),
    ("POST", "/webhook-deliveries/{}/replay", _delivery, "pk", None),
    ("GET", "/events/{}", _event, "pk", None),
    ("PATCH", "/events/{}", _event, "pk", {"title": "Hijack"}),
    ("GET", "/events/{}/stats", _event, "pk", None),
    ("GET", "/events/{}/registrations", _event, "pk", None),
    ("POST", "/events/{}/rsvp", _event, "pk", {"customer_id": 1}),
    ("POST", "/events/{}/check-in", _event, "pk", {"query": "0712345678"}),
    ("GET", "/challenges/{}", _challenge, "pk", None),
    ("GET", "/challenges/{}/leaderboard", _challenge, "pk", None),
    ("POST", "/challenges/{}/finish", _challenge, "pk", None),
    ("POST", "/challenges/{}/cancel", _challenge, "pk", None),
]
# paths with a value that names no row of the caller's business: a sender's signature, not a
# key, proves who calls (tests/payments/test_signed_webhook.py covers them)
SIGNED_NOT_KEYED = {("POST", "/payments/incoming/{}")}


@pytest.mark.parametrize(("method", "template", "factory", "attr", "body"), ENDPOINTS)
def test_foreign_ids_are_404(business, other_business, api, method, template, factory, attr, body):
    foreign = factory(other_business)
    before = _snapshot()
    response = api.request(
        method, template.format(getattr(foreign, attr)), body, **{"Idempotency-Key": "mine-1"}
    )
    assert response.status_code == 404, response.content
    assert response.json()["code"] in ("not_found", "card_not_found")
    assert _snapshot() == before


def _snapshot():
    return (
        list(Customer.objects.order_by("pk").values_list("pk", "city", "erased_at", "merged_into")),
        list(Interaction.objects.order_by("pk").values_list("pk", "status")),
        list(ApiKey.objects.order_by("pk").values_list("pk", "revoked_at")),
        Segment.objects.count(),
        list(Transfer.objects.order_by("pk").values_list("pk", "status")),
        list(Order.objects.order_by("pk").values_list("pk", "refunded_minor")),
        list(Promotion.objects.order_by("pk").values_list("pk", "name", "status")),
        list(Checkout.objects.order_by("pk").values_list("pk", "status")),
        Location.objects.count(),
        _messaging_snapshot(),
        list(Product.objects.order_by("pk").values_list("pk", "price_minor")),
        list(Staff.objects.order_by("pk").values_list("pk", "active", "pin_digest")),
        _payments_snapshot(),
    )


def _payments_snapshot():
    from wateja.payments.models import Payment
    from wateja.webhooks.models import Delivery, Endpoint

    return (
        list(Payment.objects.order_by("pk").values_list("pk", "status", "order")),
        list(Endpoint.objects.order_by("pk").values_list("pk", "url", "secret")),
        Delivery.objects.count(),
    )


def _messaging_snapshot():
    from wateja.messaging.models import Automation, Campaign, Message, Template

    return (
        list(Campaign.objects.order_by("pk").values_list("pk", "name", "status")),
        list(Automation.objects.order_by("pk").values_list("pk", "is_active")),
        list(Template.objects.order_by("pk").values_list("pk", "name")),
        Message.objects.count(),
    )


def test_merge_with_a_foreign_customer_is_404(business, other_business, api):
    mine = _customer(business)
    theirs = customer_create(business=other_business, name="Other", phone="+37491000000")
    response = api.post(f"/customers/{mine.pk}/merge", {"drop_id": theirs.pk})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.merged_into_id is None


def test_lists_show_only_own_rows(business, other_business, api):
    location_create(business=other_business, name="Gyumri")
    location_create(business=business, name="Westlands")
    _customer(other_business)
    names = [item["name"] for item in api.get("/locations").json()["items"]]
    assert names == ["Westlands"]
    assert api.get("/customers").json()["items"] == []
    assert api.get("/customers?q=Անահիտ").json()["items"] == []
    assert api.get("/tasks").json() == []


def test_every_path_with_an_id_is_covered():
    from wateja.api.app import api

    templated = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path.removeprefix("/api/v1")))
        for path, item in api.get_openapi_schema()["paths"].items()
        for method in item
        if "{" in path
    }
    covered = {(m, t) for m, t, *_rest in ENDPOINTS} | SIGNED_NOT_KEYED
    missing = sorted(templated - covered)
    assert not missing, f"no isolation test for {missing}"
