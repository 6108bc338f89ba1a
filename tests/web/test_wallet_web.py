"""Wallet on the staff customer page (adjust form) and the customer's own card page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.test import Client

from wateja.customers.services import customer_create
from wateja.tenants.roles import Role
from wateja.wallet.models import Account
from wateja.wallet.services import points_earn, store_credit_topup

EN = {"Accept-Language": "en"}


def _balance(customer, kind="points"):
    account = Account.objects.filter(customer=customer, kind=kind).first()
    return account.balance if account else 0


def test_manager_adjusts_points_and_money_in_local_format(business, staff_client):
    customer = customer_create(business=business, name="Achieng", phone="0722111222")
    client = staff_client(business, Role.MANAGER)
    page = client.get(f"/customers/{customer.pk}/", headers=EN).content.decode()
    key = re.search(r'name="key" value="(\w+)"', page).group(1)
    url = f"/customers/{customer.pk}/wallet/adjust/"
    client.post(url, {"kind": "points", "amount": "+50", "reason": "Goodwill", "key": key})
    client.post(url, {"kind": "points", "amount": "+50", "reason": "Goodwill", "key": key})
    assert _balance(customer) == 50  # the double submit posted once
    client.post(url, {"kind": "cashback", "amount": "1,250.50", "reason": "Promo", "key": "k2"})
    assert _balance(customer, "cashback") == 125_050
    response = client.post(url, {"kind": "points", "amount": "-80", "reason": "x", "key": "k3"})
    assert _balance(customer) == 50
    assert "Not enough balance" in client.get(response["Location"], headers=EN).content.decode()


def test_cashier_cannot_adjust(business, staff_client):
    customer = customer_create(business=business, name="Achieng", phone="0722111222")
    client = staff_client(business, Role.CASHIER)
    response = client.post(
        f"/customers/{customer.pk}/wallet/adjust/",
        {"kind": "points", "amount": "10", "reason": "x", "key": "k"},
    )
    assert response.status_code == 403
    assert _balance(customer) == 0


def test_customer_card_page_shows_balance_without_login(business, staff_client):
    customer = customer_create(business=business, name="Achieng", phone="0722111222")
    points_earn(customer=customer, amount=120, idempotency_key="e1")
    store_credit_topup(customer=customer, amount_minor=100_000, idempotency_key="t1", bonus_bp=500,
                       reason="launch week")  # fmt: skip
    staff_page = staff_client(business, Role.VIEWER).get(f"/customers/{customer.pk}/", headers=EN)
    link = re.search(r'href="(http://[^"]+/my/[^"]+)"', staff_page.content.decode()).group(1)
    path = urlsplit(link).path  # on the public address (WATEJA_PUBLIC_URL)
    page = Client().get(path, headers=EN)
    text = page.content.decode()
    assert page.status_code == 200
    assert "120" in text and "1,000.00" in text and "50.00" in text
    assert customer.cards.get().number[:4] in text.replace(" ", "")
    tampered = path[:-3] + ("abc" if not path.endswith("abc/") else "xyz") + "/"
    assert Client().get(tampered).status_code == 404


def test_join_result_links_to_the_card_page(business):
    from wateja.messaging.models import Message

    business.join_verify_phone = "on"  # the card shows once the phone is proved by its code
    business.save(update_fields=["join_verify_phone"])
    client = Client()
    page = client.post(
        f"/join/{business.slug}/", {"name": "Neema", "phone": "0712000333"}, headers=EN
    )
    pending = re.search(r'name="pending" value="([^"]+)"', page.content.decode()).group(1)
    code = re.search(r"\b(\d{6})\b", Message.objects.get().body).group(1)
    response = client.post(
        f"/join/{business.slug}/", {"step": "code", "pending": pending, "code": code}, headers=EN
    )
    link = re.search(r'href="(http://[^/"]+(/my/[^"]+))"', response.content.decode())
    assert link is not None
    assert client.get(link.group(2), headers=EN).status_code == 200


def test_owner_sets_loyalty_rules_and_cashier_donates_points(business, staff_client):
    from wateja.wallet.services import wallet_settings

    owner = staff_client(business, Role.OWNER)
    rules = {
        "expiry_rule": "days",
        "expiry_n": "180",
        "pending_days": "7",
        "allow_gifting": "on",
        "clawback": "absorb",
        "topup_bonus": "5",
        "point_value": "100",
        "manager_daily_points": "2000",
        "manager_daily_money": "1,500.50",
    }
    owner.post("/settings/loyalty/", rules, headers=EN)
    row = wallet_settings(business)
    assert (row.expiry_rule, row.expiry_n, row.pending_days) == ("days", 180, 7)
    assert (row.topup_bonus_bp, row.clawback, row.allow_gifting) == (500, "absorb", True)
    assert (row.manager_daily_points, row.manager_daily_money_minor) == (2000, 150_050)
    bad = owner.post("/settings/loyalty/", {**rules, "expiry_n": "0"}, headers=EN)
    assert "expiry" in owner.get(bad["Location"], headers=EN).content.decode().lower()
    assert wallet_settings(business).expiry_n == 180
    assert staff_client(business, Role.MANAGER).post("/settings/loyalty/", rules).status_code == 403

    customer = customer_create(business=business, name="Achieng", phone="0722111222")
    points_earn(customer=customer, amount=100, idempotency_key="e", pending_days=0)
    cashier = staff_client(business, Role.CASHIER)
    url = f"/customers/{customer.pk}/wallet/donate/"
    cashier.post(url, {"points": "60", "cause": "School fund", "key": "d1"})
    cashier.post(url, {"points": "60", "cause": "School fund", "key": "d1"})  # double submit
    assert _balance(customer) == 40
