"""The challenge screens, the public leaderboard, the surprise on the till's receipt and the
referral report, through HTTP (Django test client) and the API."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from wateja.challenges.models import Challenge, ChallengeStatus, SurpriseRule
from wateja.challenges.surprises import surprise_rule_save
from wateja.customers.models import Channel
from wateja.customers.services import consent_record
from wateja.promotions.models import Referral, ReferralRefusal
from wateja.promotions.services import referral_attach, referral_code_for
from wateja.tenants.roles import Role

from .conftest import balance

EN = {"Accept-Language": "en"}


def test_a_manager_starts_a_challenge_sees_its_board_and_pays_it(
    business, staff_client, make_customer, sell
):
    client = staff_client(business, Role.MANAGER)
    assert 'data-testid="challenges-link"' in client.get("/rewards/", headers=EN).content.decode()
    today = timezone.localdate(timezone.now(), timezone=dt.UTC)
    form = {
        "name": "Most visits in the week",
        "metric": "visits",
        "first_day": (today - dt.timedelta(days=7)).isoformat(),
        "last_day": (today - dt.timedelta(days=1)).isoformat(),
        "rewards": "500, 200",
        "public": "on",
    }
    bad = client.post("/rewards/challenges/new/", {**form, "rewards": "lots"}, headers=EN)
    assert "Write whole numbers separated by commas." in bad.content.decode()
    created = client.post("/rewards/challenges/new/", form, headers=EN)
    challenge = Challenge.objects.get(business=business)
    assert created.status_code == 302 and created["Location"].endswith(f"/{challenge.pk}/")
    amina, baraka = make_customer("Amina"), make_customer("Baraka")
    placed = challenge.starts_at + dt.timedelta(hours=12)
    for customer, visits in ((amina, 2), (baraka, 1)):
        for _ in range(visits):
            sell(customer, placed_at=placed)

    listing = client.get("/rewards/challenges/", headers=EN).content.decode()
    assert "Most visits in the week" in listing and "Ended: rewards not paid yet" in listing
    page = client.get(f"/rewards/challenges/{challenge.pk}/", headers=EN).content.decode()
    assert 'data-testid="leaderboard"' in page and "Amina" in page and "Baraka" in page
    assert 'data-testid="challenge-finish"' in page
    asked = client.post(f"/rewards/challenges/{challenge.pk}/finish/", headers=EN)
    assert asked.status_code == 200 and "cannot be undone" in asked.content.decode()
    assert balance(amina) == 0
    done = client.post(
        f"/rewards/challenges/{challenge.pk}/finish/", {"confirmed": "1"}, headers=EN
    )
    assert done.status_code == 302
    assert (balance(amina), balance(baraka)) == (500, 200)
    client.post(f"/rewards/challenges/{challenge.pk}/finish/", {"confirmed": "1"}, headers=EN)
    assert (balance(amina), balance(baraka)) == (500, 200)  # paid once
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.FINISHED


def test_cashiers_read_but_do_not_start_or_finish_and_other_shops_see_nothing(
    business, other_business, staff_client, ended_challenge
):
    challenge = ended_challenge()
    cashier = staff_client(business, Role.CASHIER)
    assert cashier.get(f"/rewards/challenges/{challenge.pk}/", headers=EN).status_code == 200
    assert cashier.get("/rewards/challenges/new/", headers=EN).status_code == 403
    assert (
        cashier.post(
            f"/rewards/challenges/{challenge.pk}/finish/", {"confirmed": "1"}, headers=EN
        ).status_code
        == 403
    )
    stranger = staff_client(other_business, Role.OWNER)
    assert stranger.get(f"/rewards/challenges/{challenge.pk}/", headers=EN).status_code == 404
    assert (
        stranger.post(
            f"/rewards/challenges/{challenge.pk}/finish/", {"confirmed": "1"}, headers=EN
        ).status_code
        == 404
    )


def test_the_public_board_names_only_who_agreed_speaks_the_shop_language_and_is_limited(
    make_business, make_customer, sell
):
    from wateja.challenges.services import challenge_create

    shop = make_business(name="Duka la Mama", default_language="sw")
    amina, baraka = make_customer("Amina Public", shop), make_customer("Baraka Private", shop)
    sell(amina)
    sell(amina)
    sell(baraka)
    consent_record(customer=amina, channel=Channel.PUBLIC, granted=True)
    now = timezone.now()
    challenge = challenge_create(
        business=shop,
        name="Wateja wa mwezi",
        metric="visits",
        starts_at=now - dt.timedelta(days=5),
        ends_at=now + dt.timedelta(days=5),
        rewards=[100],
        public=True,
    )
    client = Client()
    page = client.get(f"/board/{challenge.public_slug}/")
    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="sw">' in html
    assert "Amina Public" in html and "Baraka Private" not in html
    assert f"••{baraka.pk % 100:02d}" in html  # his place, without his name
    assert 'name="language" value="ru"' in html  # the language switch
    Challenge.objects.filter(pk=challenge.pk).update(public=False)
    assert client.get(f"/board/{challenge.public_slug}/").status_code == 404
    Challenge.objects.filter(pk=challenge.pk).update(public=True)
    statuses = {client.get(f"/board/{challenge.public_slug}/").status_code for _ in range(60)}
    assert 429 in statuses


def test_a_regulars_surprise_is_on_the_receipt_and_in_the_api_answer(
    business, staff_client, make_customer, api
):
    client = staff_client(business, Role.MANAGER)
    saved = client.post(
        "/rewards/surprises/new/",
        {"name": "Every second", "every_nth": "2", "min_purchases": "2", "points": "30"},
        headers=EN,
    )
    assert saved.status_code == 302
    assert SurpriseRule.objects.get(business=business).points == 30
    amina = make_customer("Amina")
    cashier = staff_client(business, Role.CASHIER)
    receipts = []
    for n in range(2):
        done = cashier.post(
            "/checkout/complete/",
            {"checkout_key": f"s{n}", "total": "100", "customer_id": str(amina.pk)},
            headers={**EN, "HX-Request": "true"},
        )
        receipts.append(cashier.get(done["HX-Redirect"], headers=EN).content.decode())
    assert 'data-testid="receipt-surprise"' not in receipts[0]
    assert "Surprise! 30 points because you are a regular." in receipts[1]
    assert balance(amina) >= 30
    api.post(
        "/checkout/reserve",
        {"currency": "KES", "total_minor": 10_000, "customer": {"id": amina.pk}},
        **{"Idempotency-Key": "api-3"},
    )
    third = api.post("/checkout/api-3/commit").json()
    assert third["surprise"] is None  # the third order: not a multiple of two
    api.post(
        "/checkout/reserve",
        {"currency": "KES", "total_minor": 10_000, "customer": {"id": amina.pk}},
        **{"Idempotency-Key": "api-4"},
    )
    fourth = api.post("/checkout/api-4/commit").json()
    assert fourth["surprise"]["points"] == 30


def test_the_referral_report_shows_who_brought_whom_and_the_refusals(
    business, staff_client, make_customer, api, sell
):
    amina, juma, neema = make_customer("Amina"), make_customer("Juma"), make_customer("Neema")
    referral_attach(friend=juma, code=referral_code_for(amina).code)
    sell(neema)  # Neema already bought: she cannot be brought
    refused = api.post(f"/customers/{neema.pk}/referral", {"code": referral_code_for(amina).code})
    assert refused.status_code == 409
    assert ReferralRefusal.objects.get(friend=neema).reason == "not_a_new_customer"
    cashier = staff_client(business, Role.CASHIER)
    till = cashier.post(
        "/checkout/evaluate/",
        {"enrol": "1", "new_name": "Amina Again", "new_phone": "0733 111 222",
         "new_referrer": referral_code_for(amina).code, "total": "100"},
        headers=EN,
    )  # fmt: skip
    assert till.status_code == 200
    assert Referral.objects.get(friend__name="Amina Again").referrer == amina
    manager = staff_client(business, Role.MANAGER)
    assert (
        'data-testid="referral-report-link"'
        in manager.get("/reports/", headers=EN).content.decode()
    )
    page = manager.get("/reports/referrals/", headers=EN).content.decode()
    assert "Juma" in page and "Waiting for the return window" in page
    assert "Not a new customer: had already bought" in page and "Neema" in page
    assert cashier.get("/reports/referrals/", headers=EN).status_code == 403


def test_challenges_through_the_api(business, api, api_for, make_customer, sell):
    now = timezone.now()
    body = {
        "name": "Season",
        "metric": "spend",
        "starts_at": (now - dt.timedelta(days=3)).isoformat(),
        "ends_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "rewards": [100, 50],
        "public": True,
    }
    created = api.post("/challenges", body)
    assert created.status_code == 201 and created.json()["state"] == "ended"
    cid = created.json()["id"]
    amina = make_customer("Amina")
    sell(amina, 30_000)
    board = api.get(f"/challenges/{cid}/leaderboard").json()
    assert board == [
        {"place": 1, "customer_id": amina.pk, "name": "Amina", "value": 30_000, "points": 100}
    ]
    assert api.post(f"/challenges/{cid}/finish").status_code == 400  # no Idempotency-Key
    assert api_for(business, Role.CASHIER).post(f"/challenges/{cid}/finish").status_code == 403
    paid = api.post(f"/challenges/{cid}/finish", **{"Idempotency-Key": "f1"}).json()
    again = api.post(f"/challenges/{cid}/finish", **{"Idempotency-Key": "f2"}).json()
    assert paid["paid"][0]["points"] == 100 and again["replayed"] is True
    assert balance(amina) == 100
    assert [c["id"] for c in api.get("/challenges").json()["items"]] == [cid]
    rule = api.post("/surprise-rules", {"name": "Tenth", "every_nth": 10, "points": 20})
    assert rule.status_code == 201 and rule.json()["used_this_month"] == {"count": 0, "points": 0}
    surprise_rule_save(business=business, name="x", every_nth=1, min_purchases=1, item="Tea")
    assert len(api.get("/surprise-rules").json()["items"]) == 2


def test_a_cashier_records_the_agreement_to_be_shown_and_the_board_names_the_customer(
    business, staff_client, make_customer, sell, ended_challenge
):
    amina = make_customer("Amina Shown")
    sell(amina)
    challenge = ended_challenge()
    board = f"/board/{challenge.public_slug}/"
    assert "Amina Shown" not in Client().get(board).content.decode()
    cashier = staff_client(business, Role.CASHIER)
    detail = cashier.get(f"/customers/{amina.pk}/", headers=EN).content.decode()
    assert 'data-testid="consent-public"' in detail
    cashier.post(f"/customers/{amina.pk}/consents/", {"channel": "public", "granted": "1"})
    assert "Amina Shown" in Client().get(board).content.decode()
