"""Cashback paid out to M-Pesa (B2C) as the shop works it: a cashier asks at the customer's
request, another manager approves after a confirmation, the cashback is held while M-Pesa
works, posted when Daraja's result says paid, given back when it fails or is refused; the
result address is the business's own, with its secret; whole shillings only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from tests.payments.stubs import DarajaStub
from wateja.customers.services import customer_create
from wateja.payments.daraja import b2c_addresses
from wateja.payments.models import Payout, PayoutStatus
from wateja.payments.services import payment_settings
from wateja.tenants.models import AuditEvent
from wateja.tenants.roles import Role
from wateja.wallet.services import balances, points_earn


@pytest.fixture
def daraja(settings):
    with DarajaStub() as stub:
        settings.DARAJA_BASE_URL = stub.url
        yield stub


@pytest.fixture
def b2c(business, daraja):
    row = payment_settings(business)
    row.mpesa_shortcode = "600984"
    row.mpesa_consumer_key = "consumer-key"
    row.mpesa_consumer_secret = "consumer-secret"
    row.b2c_enabled = True
    row.b2c_initiator = "wateja_api"
    row.b2c_security_credential = "EncryptedCredentialFromThePortal=="
    row.save()
    return row


@pytest.fixture
def amina(business):
    customer = customer_create(business=business, name="Amina Wanjiru", phone="0712345678")
    points_earn(customer=customer, amount=50_000, idempotency_key="cb1", kind="cashback")
    return customer


def cashback(customer):
    found = balances(customer)["cashback"]
    return found["balance"], found["available"]


def result(row, payout, code=0, desc="The service request is processed successfully."):
    path = "/" + b2c_addresses(row)["result"].split("://", 1)[1].split("/", 1)[1]
    body = {
        "Result": {
            "ResultType": 0,
            "ResultCode": code,
            "ResultDesc": desc,
            "OriginatorConversationID": payout.conversation_id,
            "ConversationID": "AG_20261207_000001",
            "TransactionID": "SKL0000B2C",
        }
    }
    return Client().post(path, data=json.dumps(body), content_type="application/json")


def ask_and_approve(business, staff_client, amount="150"):
    cashier = staff_client(business, Role.CASHIER)
    asked = cashier.post("/payments/payouts/", {"account": "0712345678", "amount": amount})
    assert asked.status_code == 302, asked.content.decode()[-500:]
    payout = Payout.objects.get(business=business)
    manager = staff_client(business, Role.MANAGER)
    confirm = manager.post(f"/payments/payouts/{payout.pk}/approve/")
    assert "Pay KES" in confirm.content.decode() or "KES" in confirm.content.decode()
    manager.post(f"/payments/payouts/{payout.pk}/approve/", {"confirmed": "1"})
    return Payout.objects.get(pk=payout.pk)


def test_an_approved_payout_is_held_then_paid_when_mpesa_says_so(
    business, b2c, amina, daraja, staff_client
):
    payout = ask_and_approve(business, staff_client)
    assert payout.status == PayoutStatus.SENT
    sent = daraja.payments[-1]
    assert sent["Amount"] == 150 and sent["PartyB"] == "254712345678"
    assert sent["CommandID"] == "BusinessPayment" and sent["PartyA"] == "600984"
    assert sent["ResultURL"].endswith(f"/hooks/{b2c.hook_token}/b2c/{b2c.hook_secret}/result/")
    assert cashback(amina) == (50_000, 35_000)  # held: no longer spendable
    assert result(b2c, payout).json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.transaction_id == "SKL0000B2C"
    assert cashback(amina) == (35_000, 35_000)
    result(b2c, payout, code=2001, desc="late duplicate")  # a second answer changes nothing
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.PAID
    assert cashback(amina) == (35_000, 35_000)
    actions = set(AuditEvent.objects.filter(business=business).values_list("action", flat=True))
    assert {"payout_requested", "payout_approved"} <= actions


def test_a_failed_payout_gives_the_cashback_back(business, b2c, amina, daraja, staff_client):
    payout = ask_and_approve(business, staff_client)
    result(b2c, payout, code=2001, desc="The initiator information is invalid.")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert "initiator information is invalid" in payout.result
    assert cashback(amina) == (50_000, 50_000)


def test_a_payout_mpesa_refuses_at_once_gives_the_cashback_back(
    business, b2c, amina, daraja, staff_client
):
    from tests.messaging.stubs import StubResponse

    daraja.script_next(daraja.respond)  # the OAuth token
    daraja.answer_next(
        StubResponse.of_json(
            400, {"errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid PartyB"}
        )
    )
    payout = ask_and_approve(business, staff_client)
    assert payout.status == PayoutStatus.FAILED and "Invalid PartyB" in payout.result
    assert cashback(amina) == (50_000, 50_000)


def test_who_may_ask_and_who_may_approve(business, b2c, amina, staff_client):
    manager = staff_client(business, Role.MANAGER)
    manager.post("/payments/payouts/", {"account": "0712345678", "amount": "100"})
    payout = Payout.objects.get(business=business)
    # the manager who asked cannot approve; a cashier cannot; the owner can
    manager.post(f"/payments/payouts/{payout.pk}/approve/", {"confirmed": "1"})
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.REQUESTED
    cashier = staff_client(business, Role.CASHIER)
    refused = cashier.post(f"/payments/payouts/{payout.pk}/approve/", {"confirmed": "1"})
    assert refused.status_code == 403
    owner = staff_client(business, Role.OWNER)
    owner.post(f"/payments/payouts/{payout.pk}/reject/")
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.REJECTED
    assert cashback(amina) == (50_000, 50_000)


def test_bad_requests_are_explained_and_nothing_is_held(business, b2c, amina, staff_client):
    cashier = staff_client(business, Role.CASHIER)
    page = cashier.post("/payments/payouts/", {"account": "0712345678", "amount": "600"})
    assert "The customer has less cashback than that." in page.content.decode()
    page = cashier.post("/payments/payouts/", {"account": "0799999999", "amount": "10"})
    assert "No customer has this card number or phone." in page.content.decode()
    assert not Payout.objects.filter(business=business).exists()
    b2c.b2c_enabled = False
    b2c.save()
    off = cashier.get("/payments/payouts/").content.decode()
    assert "not turned on" in off


def test_result_addresses_need_the_secret(business, b2c, amina, daraja, staff_client):
    payout = ask_and_approve(business, staff_client)
    good = "/" + b2c_addresses(b2c)["result"].split("://", 1)[1].split("/", 1)[1]
    forged = good.replace(b2c.hook_secret, "guessed-secret-1")
    body = json.dumps({"Result": {"ResultCode": 0, "OriginatorConversationID": "x"}})
    assert Client().post(forged, data=body, content_type="application/json").status_code == 401
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.SENT


def test_a_payout_mpesa_never_answers_for_is_failed_and_given_back_after_a_week(
    business, b2c, amina, daraja, staff_client
):
    from django.utils import timezone

    from wateja.payments.payouts import HOLD_DAYS, payouts_lapsed

    payout = ask_and_approve(business, staff_client)
    assert payouts_lapsed(now=timezone.now() + dt.timedelta(days=HOLD_DAYS - 1)) == 0
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.SENT
    assert payouts_lapsed(now=timezone.now() + dt.timedelta(days=HOLD_DAYS + 1)) == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and "did not answer" in payout.result
    assert cashback(amina) == (50_000, 50_000)
    result(b2c, payout)  # a result arriving after all changes nothing
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.FAILED
