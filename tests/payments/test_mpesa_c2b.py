"""M-Pesa C2B through the callback addresses, as Safaricom calls them: recorded payloads,
repeated and concurrent confirmations, unknown accounts matched by staff, amounts with cents,
a failure half-way, who may call, and registering the addresses against a local Daraja."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.concurrency import race, unexpected
from tests.payments.stubs import DarajaStub
from wateja.cli import main as wateja_main
from wateja.customers.services import customer_create
from wateja.messaging.models import Message
from wateja.orders.models import Order
from wateja.orders.refunds import order_refund
from wateja.payments import services as payment_services
from wateja.payments.models import Payment, PaymentStatus
from wateja.payments.mpesa import callback_addresses
from wateja.payments.services import payment_hook_rotate, payment_match, payment_settings
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.wallet.models import Account

# a confirmation as Daraja sends it (sandbox, 2025 shape: the payer's number hashed)
RECORDED = {
    "TransactionType": "Pay Bill",
    "TransID": "SKL7H3G9XQ",
    "TransTime": "20261207093015",
    "TransAmount": "1234.00",
    "BusinessShortCode": "600984",
    "BillRefNumber": "",
    "InvoiceNumber": "",
    "OrgAccountBalance": "49197.00",
    "ThirdPartyTransID": "",
    "MSISDN": "2b84a7a2fd3f4e57b7a41e5b0f3c6e0f7d9c5f1e0a3b6c8d2e4f6a8b0c2d4e6f",
    "FirstName": "WANJIKU",
    "MiddleName": "",
    "LastName": "KAMAU",
}


@pytest.fixture
def till(business):
    row = payment_settings(business)
    row.mpesa_shortcode = "600984"
    row.save()
    promotion_set_status(
        promotion=promotion_save(
            business=business,
            name="1 point per 100",
            type="points_per_amount",
            params={"points": 1, "per_amount_minor": 10_000},
        ),
        status="active",
    )
    return row


@pytest.fixture
def wanjiku(business):
    return customer_create(business=business, name="Wanjiku Kamau", phone="0712345678")


def post(row, kind="confirmation", **changes):
    path = "/" + callback_addresses(row)[kind].split("://", 1)[1].split("/", 1)[1]
    body = {**RECORDED, **changes}
    return Client(REMOTE_ADDR="196.201.214.200").post(
        path, data=json.dumps(body), content_type="application/json"
    )


def points(customer):
    account = Account.objects.filter(customer=customer, kind="points").first()
    return account.balance if account else 0


def test_a_payment_to_the_card_number_rings_up_a_sale_that_earns_and_sends_a_receipt(
    business, till, wanjiku
):
    card = wanjiku.cards.get(status="active")
    response = post(till, BillRefNumber=card.number)
    assert response.status_code == 200
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    payment = Payment.objects.get(business=business, reference="SKL7H3G9XQ")
    assert payment.status == PaymentStatus.MATCHED
    assert payment.customer == wanjiku
    assert payment.amount_minor == 123_400
    assert payment.payer_name == "WANJIKU KAMAU"
    order = payment.order
    assert order.total_minor == 123_400 and order.customer == wanjiku
    assert order.channel == "mpesa"
    assert points(wanjiku) == 12
    receipt = Message.objects.get(business=business, dedupe_key=f"receipt:{order.pk}:sms")
    assert receipt.to_address == "+254712345678"


def test_the_same_confirmation_twice_is_one_payment_and_one_order(business, till, wanjiku):
    card = wanjiku.cards.get(status="active")
    first = post(till, BillRefNumber=card.number)
    second = post(till, BillRefNumber=card.number)
    assert first.json() == second.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert Payment.objects.filter(business=business).count() == 1
    assert Order.objects.filter(business=business).count() == 1
    assert points(wanjiku) == 12


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_confirmation_make_one_order(business, till, wanjiku):
    card = wanjiku.cards.get(status="active")
    results = race(4, lambda _i: post(till, BillRefNumber=card.number).status_code)
    assert unexpected(results) == []
    assert [value for _state, value in results] == [200] * 4
    assert Payment.objects.filter(business=business).count() == 1
    assert Order.objects.filter(business=business).count() == 1
    assert points(wanjiku) == 12


def test_the_phone_typed_as_account_matches_but_the_payers_number_alone_never_does(
    business, till, wanjiku
):
    post(till, TransID="SKL7H3G9X1", BillRefNumber="0712 345 678")
    assert Payment.objects.get(reference="SKL7H3G9X1").customer == wanjiku
    # the payer's own number (here in clear) with no account typed: waits for staff
    post(till, TransID="SKL7H3G9X2", BillRefNumber="", MSISDN="254712345678")
    waiting = Payment.objects.get(reference="SKL7H3G9X2")
    assert waiting.status == PaymentStatus.UNMATCHED and waiting.customer is None
    assert waiting.order is None


def test_an_unknown_account_waits_then_staff_match_it_and_a_refund_reverses_the_points(
    business, till, wanjiku, django_user_model
):
    post(till, BillRefNumber="INV-2231")
    payment = Payment.objects.get(reference="SKL7H3G9XQ")
    assert payment.status == PaymentStatus.UNMATCHED
    assert Order.objects.filter(business=business).count() == 0
    manager = django_user_model.objects.create_user("mgr")
    matched = payment_match(payment=payment, customer=wanjiku, actor=manager)
    assert matched.status == PaymentStatus.MATCHED and matched.matched_by == manager
    assert points(wanjiku) == 12
    order_refund(order=matched.order, refund_id="r1", amount_minor=123_400, actor=manager)
    assert points(wanjiku) == 0
    with pytest.raises(payment_services.PaymentDone):
        payment_match(payment=payment, customer=wanjiku, actor=manager)


def test_amounts_with_cents_are_exact_and_unreadable_amounts_are_refused(business, till, wanjiku):
    card = wanjiku.cards.get(status="active")
    post(till, TransID="SKL7H3G9X3", TransAmount="250.50", BillRefNumber=card.number)
    assert Payment.objects.get(reference="SKL7H3G9X3").amount_minor == 25_050
    refused = post(till, TransID="SKL7H3G9X4", TransAmount="10.005")
    assert refused.status_code == 400 and refused.json()["code"] == "bad_payload"
    assert not Payment.objects.filter(reference="SKL7H3G9X4").exists()
    answer = post(till, "validation", TransAmount="abc").json()
    assert answer == {"ResultCode": "C2B00013", "ResultDesc": "Rejected"}
    assert post(till, "validation", BusinessShortCode="111111").json()["ResultCode"] == "C2B00015"
    assert post(till, "validation", BillRefNumber="anything").json() == {
        "ResultCode": 0,
        "ResultDesc": "Accepted",
    }


def test_a_failure_half_way_keeps_nothing_and_the_retry_completes(
    business, till, wanjiku, monkeypatch
):
    card = wanjiku.cards.get(status="active")
    calls = []

    def timeout_once(*, order):
        calls.append(order.pk)
        if len(calls) == 1:
            raise TimeoutError("the worker was killed mid-confirmation")
        return real(order=order)

    real = payment_services.receipt_send
    monkeypatch.setattr(payment_services, "receipt_send", timeout_once)
    path = "/" + callback_addresses(till)["confirmation"].split("://", 1)[1].split("/", 1)[1]
    body = json.dumps({**RECORDED, "BillRefNumber": card.number})
    broken = Client(raise_request_exception=False).post(
        path, data=body, content_type="application/json"
    )
    assert broken.status_code == 500
    assert not Payment.objects.filter(business=business).exists()
    assert not Order.objects.filter(business=business).exists()
    retry = post(till, BillRefNumber=card.number)
    assert retry.status_code == 200
    assert Payment.objects.get(business=business).status == PaymentStatus.MATCHED
    assert Order.objects.filter(business=business).count() == 1
    assert points(wanjiku) == 12


def test_only_the_business_own_address_with_its_secret_and_allowed_caller_is_heard(
    business, till, wanjiku
):
    good = "/" + callback_addresses(till)["confirmation"].split("://", 1)[1].split("/", 1)[1]
    wrong_secret = good.replace(till.hook_secret, "guessed-secret-123")
    body = json.dumps(RECORDED)
    client = Client(REMOTE_ADDR="196.201.214.200")
    refused = client.post(wrong_secret, data=body, content_type="application/json")
    assert refused.status_code == 401
    assert refused.json()["code"] == "callback_not_authenticated"
    unknown = good.replace(till.hook_token, "no-such-token-1234")
    assert client.post(unknown, data=body, content_type="application/json").status_code == 404
    till.hook_allowed_ips = "196.201.214.0/24"
    till.save()
    outsider = Client(REMOTE_ADDR="203.0.113.9")
    assert outsider.post(good, data=body, content_type="application/json").status_code == 401
    assert client.post(good, data=body, content_type="application/json").status_code == 200
    payment_hook_rotate(till)
    assert client.post(good, data=body, content_type="application/json").status_code == 404
    assert Payment.objects.filter(business=business).count() == 1


def test_wateja_mpesa_register_urls_registers_both_addresses_with_daraja(
    business, till, settings, capsys
):
    with DarajaStub() as daraja:
        settings.DARAJA_BASE_URL = daraja.url
        till.mpesa_consumer_key = "consumer-key"
        till.mpesa_consumer_secret = "consumer-secret"
        till.save()
        assert wateja_main(["mpesa", "register-urls", "--business", business.slug]) == 0
        registered = daraja.registered[-1]
        addresses = callback_addresses(till)
        assert registered == {
            "ShortCode": "600984",
            "ResponseType": "Completed",
            "ConfirmationURL": addresses["confirmation"],
            "ValidationURL": addresses["validation"],
        }
        assert "mpesa" not in addresses["confirmation"].lower()
        out = capsys.readouterr().out
        assert "M-Pesa answered: Success" in out
        till.mpesa_consumer_secret = "wrong"
        till.save()
        assert wateja_main(["mpesa", "register-urls", "--business", business.slug]) == 2
        assert "Invalid Authentication passed" in capsys.readouterr().err
