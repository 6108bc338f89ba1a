"""The payment screens as a manager and an owner use them: the queue of payments to match
(after a confirmation), setting a payment aside, M-Pesa settings with saved secrets kept,
registering the addresses, new addresses; cashiers and other businesses kept out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.payments.stubs import DarajaStub
from wateja.customers.services import customer_create
from wateja.payments.models import Payment, PaymentStatus
from wateja.payments.services import payment_receive, payment_settings
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role


@pytest.fixture
def waiting(business):
    payment, _created = payment_receive(
        business=business,
        provider="mpesa",
        reference="SKL7H3G9XQ",
        amount_minor=50_000,
        currency="KES",
        paid_at=timezone.now() - dt.timedelta(minutes=5),
        account="INV-2231",
        payer_name="JOHN DOE",
    )
    return payment


def test_a_manager_matches_a_waiting_payment_after_confirming(business, staff_client, waiting):
    customer = customer_create(business=business, name="Akinyi Otieno", phone="0722000111")
    client = staff_client(business, Role.MANAGER)
    page = client.get("/payments/").content.decode()
    assert "SKL7H3G9XQ" in page and "JOHN DOE" in page and "INV-2231" in page
    field = f"{waiting.pk}-account"
    asked = client.post(f"/payments/{waiting.pk}/match/", {field: "0722 000 111"})
    assert asked.status_code == 200
    assert "Akinyi Otieno" in asked.content.decode()
    assert Payment.objects.get(pk=waiting.pk).status == PaymentStatus.UNMATCHED
    done = client.post(f"/payments/{waiting.pk}/match/", {field: "0722000111", "confirmed": "1"})
    assert done.status_code == 302
    matched = Payment.objects.get(pk=waiting.pk)
    assert matched.status == PaymentStatus.MATCHED and matched.customer == customer
    assert matched.order.total_minor == 50_000
    assert AuditEvent.objects.filter(business=business, action="payment_matched").exists()
    assert "Every payment is matched." in client.get("/payments/").content.decode()


def test_an_unknown_card_or_phone_is_said_and_nothing_changes(business, staff_client, waiting):
    client = staff_client(business, Role.MANAGER)
    response = client.post(
        f"/payments/{waiting.pk}/match/", {f"{waiting.pk}-account": "0799999999"}, follow=True
    )
    assert "No customer has this card number or phone." in response.content.decode()
    assert Payment.objects.get(pk=waiting.pk).status == PaymentStatus.UNMATCHED


def test_a_payment_set_aside_leaves_the_queue_without_a_sale(business, staff_client, waiting):
    client = staff_client(business, Role.MANAGER)
    client.post(f"/payments/{waiting.pk}/set-aside/", {"confirmed": "1"})
    payment = Payment.objects.get(pk=waiting.pk)
    assert payment.status == PaymentStatus.IGNORED and payment.order is None


def test_cashiers_and_other_businesses_cannot_match(
    business, other_business, staff_client, waiting
):
    customer = customer_create(business=business, name="Akinyi", phone="0722000111")
    cashier = staff_client(business, Role.CASHIER)
    assert cashier.get("/payments/").status_code == 403
    post = {f"{waiting.pk}-account": customer.phone, "confirmed": "1"}
    assert cashier.post(f"/payments/{waiting.pk}/match/", post).status_code == 403
    stranger = staff_client(other_business, Role.OWNER)
    assert stranger.post(f"/payments/{waiting.pk}/match/", post).status_code == 404
    assert Payment.objects.get(pk=waiting.pk).status == PaymentStatus.UNMATCHED


def test_the_owner_sets_up_mpesa_and_secrets_stay_hidden_and_kept(business, staff_client):
    owner = staff_client(business, Role.OWNER)
    form = {
        "mpesa_shortcode": "600984",
        "mpesa_environment": "sandbox",
        "mpesa_consumer_key": "consumer-key",
        "mpesa_consumer_secret": "consumer-secret",
        "receipt_sms": "on",
        "hook_allowed_ips": "196.201.214.0/24",
    }
    assert owner.post("/payments/settings/", form).status_code == 302
    page = owner.get("/payments/settings/").content.decode()
    assert "consumer-secret" not in page and "consumer-key" not in page
    row = payment_settings(business)
    assert f"/hooks/{row.hook_token}/c2b/{row.hook_secret}/confirm/" in page
    owner.post("/payments/settings/", {**form, "mpesa_consumer_secret": ""})
    assert payment_settings(business).mpesa_consumer_secret == "consumer-secret"
    bad = owner.post("/payments/settings/", {**form, "mpesa_shortcode": "12ab"})
    assert "A till or paybill number is 5 to 9 digits." in bad.content.decode()
    assert staff_client(business, Role.MANAGER).get("/payments/settings/").status_code == 403


def test_the_owner_registers_the_addresses_and_can_make_new_ones(business, staff_client, settings):
    owner = staff_client(business, Role.OWNER)
    row = payment_settings(business)
    row.mpesa_shortcode = "600984"
    row.mpesa_consumer_key = "consumer-key"
    row.mpesa_consumer_secret = "consumer-secret"
    row.save()
    with DarajaStub() as daraja:
        settings.DARAJA_BASE_URL = daraja.url
        done = owner.post("/payments/settings/register/", follow=True).content.decode()
        assert "M-Pesa now sends this till&#x27;s payments to Wateja." in done
        assert daraja.registered[-1]["ShortCode"] == "600984"
    old_token = row.hook_token
    owner.post("/payments/settings/rotate/", {"confirmed": "1"})
    assert payment_settings(business).hook_token != old_token
    page = owner.get("/payments/settings/").content.decode()
    assert f"/api/v1/payments/incoming/{payment_settings(business).hook_token}" in page
    old_secret = payment_settings(business).signing_secret
    assert old_secret in page
    owner.post("/payments/settings/signing/", {"confirmed": "1"})
    assert payment_settings(business).signing_secret_previous == old_secret


def test_home_tells_managers_not_cashiers_how_many_payments_wait(business, staff_client, waiting):
    manager_home = staff_client(business, Role.MANAGER).get("/").content.decode()
    assert "1 payment to match" in manager_home
    cashier_home = staff_client(business, Role.CASHIER).get("/").content.decode()
    assert "payment to match" not in cashier_home
