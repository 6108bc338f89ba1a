"""Offers by recipe, as a manager makes them on screen: each recipe's short form (no JSON)
saves a draft whose sentence says what the customer gets; activated with a confirmation, the
next sale gets exactly that. Drafts are edited and deleted; a new business chooses its base
programme; tiers are made and changed; one-time codes print on a sheet."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from tests.orders.conftest import sale
from wateja.catalog.services import product_save
from wateja.customers.services import customer_create
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.promotions.models import PromoCode, Promotion, Redemption, Tier
from wateja.tenants.roles import Role
from wateja.wallet.models import Account

EN = {"Accept-Language": "en"}
_n = iter(range(1, 10_000))


@pytest.fixture
def menu(business):
    for sku, name, category, price in [
        ("latte", "Latte", "Coffee", 25_000),
        ("espresso", "Espresso", "Coffee", 18_000),
        ("juice", "Passion juice", "Juice", 20_000),
        ("beans", "Beans per kg", "Beans", 220_000),
    ]:
        product_save(business=business, sku=sku, name=name, category=category, price_minor=price)


@pytest.fixture
def manager(business, staff_client):
    return staff_client(business, Role.MANAGER)


def _make(client, key, form, *, start=False):
    url = f"/rewards/new/{key}/" + ("?start=1" if start else "")
    response = client.post(url, form, headers=EN)
    assert response.status_code == 302, _errors(response)
    promotion = Promotion.objects.order_by("-id").first()
    if not start:
        assert promotion.status == "draft"
        client.post(
            f"/rewards/{promotion.pk}/status/", {"status": "active", "confirmed": "1"}, headers=EN
        )
        promotion.refresh_from_db()
    assert promotion.status == "active"
    assert promotion.recipe == key
    return promotion


def _errors(response):
    return re.findall(r'role="alert">([^<]*)<', response.content.decode()) or response.status_code


def _sell(business, customer, sale_input, now=None):
    key = f"recipe-sale-{next(_n)}"
    if customer is not None:
        customer.refresh_from_db()  # as the till reads the customer afresh for each sale
    checkout_reserve(business=business, key=key, sale=sale_input, customer=customer, now=now)
    return checkout_commit(business=business, key=key, now=now)


def _points(customer):
    account = Account.objects.filter(customer=customer, kind="points").first()
    return account.balance if account else 0


def _line(sku, quantity=1, price=25_000, weight=0):
    return {"sku": sku, "quantity": quantity, "unit_price_minor": price, "weight_grams": weight}


@pytest.fixture
def wanjiku(business):
    return customer_create(business=business, name="Wanjiku", phone="0712345678")


def test_gallery_lists_every_recipe_and_says_when_sales_earn_nothing(business, manager, menu):
    page = manager.get("/rewards/new/", headers=EN).content.decode()
    for key in ("points", "cashback", "stamps", "double_points", "second_visit", "birthday",
                "referral", "combo", "volume", "weight_gift", "own_cup", "members", "codes",
                "tiers", "topup"):  # fmt: skip
        assert f'data-recipe="{key}"' in page
    assert "Sales earn nothing yet" in page
    assert "JSON" not in manager.get("/rewards/new/custom/", headers=EN).content.decode()


def test_first_run_points_programme_starts_at_once_and_a_sale_earns(
    business, manager, menu, wanjiku
):
    home = manager.get("/", headers=EN).content.decode()
    assert "/rewards/start/" in home  # the checklist step
    choices = manager.get("/rewards/start/", headers=EN).content.decode()
    assert all(f'data-recipe="{k}"' in choices for k in ("points", "cashback", "stamps"))
    _make(manager, "points", {"points": "1", "per_amount": "100"}, start=True)
    _sell(business, wanjiku, sale(total_minor=123_456))
    assert _points(wanjiku) == 12
    assert "Sales earn nothing yet" not in manager.get("/rewards/new/", headers=EN).content.decode()


def test_sentence_follows_the_typing_in_each_language(business, manager, menu):
    said = manager.post(
        "/rewards/new/second_visit/sentence/", {"percent": "15", "days": "7"}, headers=EN
    ).content.decode()
    assert "second purchase within 7 days of the first gets 15% off" in said
    manager.cookies["wateja_language"] = "ru"
    said_ru = manager.post(
        "/rewards/new/stamps/sentence/", {"visits": "10", "sku": "espresso"}
    ).content.decode()
    assert "Espresso" in said_ru and "штамп" in said_ru and "stamp" not in said_ru
    incomplete = manager.post("/rewards/new/combo/sentence/", {}, headers=EN).content.decode()
    assert 'data-testid="sentence"' in incomplete


def test_stamp_card_every_third_visit_an_espresso_free(business, manager, menu, wanjiku):
    _make(manager, "stamps", {"visits": "3", "sku": "espresso"})
    totals = [
        _sell(business, wanjiku, sale(lines=[_line("espresso", price=18_000)])).total_minor
        for _visit in range(3)
    ]
    assert totals == [18_000, 18_000, 0]


def test_double_points_on_the_chosen_weekday_only(business, manager, menu, wanjiku):
    _make(manager, "points", {"points": "1", "per_amount": "100"}, start=True)
    tuesday = timezone.now()
    while tuesday.astimezone(dt.timezone(dt.timedelta(hours=3))).weekday() != 1:
        tuesday += dt.timedelta(days=1)
    promotion = _make(manager, "double_points", {"multiplier": "20000", "weekdays": ["1"]})
    assert promotion.weekdays == [1]
    _sell(business, wanjiku, sale(total_minor=100_000), now=tuesday)
    assert _points(wanjiku) == 20
    _sell(business, wanjiku, sale(total_minor=100_000), now=tuesday + dt.timedelta(days=1))
    assert _points(wanjiku) == 30


def test_second_purchase_within_days(business, manager, menu, wanjiku):
    _make(manager, "second_visit", {"percent": "15", "days": "7"})
    first = timezone.now() - dt.timedelta(days=3)
    assert _sell(business, wanjiku, sale(total_minor=100_000), now=first).total_minor == 100_000
    assert _sell(business, wanjiku, sale(total_minor=100_000)).total_minor == 85_000
    assert _sell(business, wanjiku, sale(total_minor=100_000)).total_minor == 100_000


def test_own_cup_only_when_the_cashier_ticks_it(business, manager, menu, wanjiku):
    _make(manager, "own_cup", {"amount": "20"})
    plain = SaleInput(currency="KES", total_minor=30_000)
    ticked = SaleInput(currency="KES", total_minor=30_000, flags=("own_cup",))
    assert _sell(business, wanjiku, plain).total_minor == 30_000
    assert _sell(business, None, ticked).total_minor == 28_000


def test_gift_from_a_weight(business, manager, menu, wanjiku):
    _make(manager, "weight_gift", {"kilograms": "1.2", "gift": "Beans 250 g", "sku": ""})
    light = _sell(business, wanjiku, sale(lines=[_line("beans", 1, 220_000, weight=1000)]))
    heavy = _sell(business, wanjiku, sale(lines=[_line("beans", 2, 220_000, weight=1000)]))
    gifts = Redemption.objects.filter(promotion__recipe="weight_gift", status="committed")
    assert list(gifts.values_list("order_id", flat=True)) == [heavy.pk] != [light.pk]


def test_birthday_bonus_once_a_year(business, manager, menu):
    _make(manager, "points", {"points": "1", "per_amount": "100"}, start=True)
    now = timezone.now()
    born = customer_create(
        business=business,
        name="Amina",
        phone="0722000111",
        birth_day=now.day,
        birth_month=now.month,
    )
    _make(manager, "birthday", {"points": "100", "days": "3"})
    _sell(business, born, sale(total_minor=10_000))
    _sell(business, born, sale(total_minor=10_000))
    assert _points(born) == 1 + 100 + 1  # the bonus once, not twice
    with time_machine.travel(now + dt.timedelta(days=366), tick=True):
        _sell(business, born, sale(total_minor=10_000))
    assert _points(born) == 102 + 1 + 100  # and again the next year


def test_combo_price_members_and_volume(business, manager, menu, wanjiku):
    _make(manager, "combo", {"skus": ["latte", "juice"], "price": "400"})
    combo = _sell(business, None, sale(lines=[_line("latte"), _line("juice", price=20_000)]))
    assert combo.total_minor == 40_000
    _make(manager, "volume", {"min_quantity": "3", "percent": "10", "categories": ["Coffee"]})
    three = _sell(business, None, sale(lines=[_line("espresso", 3, 18_000)]))
    assert three.total_minor == 48_600
    _make(manager, "members", {"percent": "10"})
    anonymous = _sell(business, None, sale(total_minor=50_000))
    member = _sell(business, wanjiku, sale(total_minor=50_000))
    assert (anonymous.total_minor, member.total_minor) == (50_000, 45_000)


def test_promo_codes_reusable_and_a_printable_one_time_sheet(business, manager, menu, wanjiku):
    _make(manager, "codes", {"kind": "reusable", "code": "karibu", "amount": "100",
                             "min_subtotal": "1,000"})  # fmt: skip
    assert PromoCode.objects.filter(code="KARIBU").exists()
    with_code = SaleInput(currency="KES", total_minor=120_000, codes=("KARIBU",))
    assert _sell(business, wanjiku, with_code).total_minor == 110_000
    flyers = _make(manager, "codes", {"kind": "single", "count": "12", "percent": "10"})
    assert flyers.promo_codes.count() == 12
    sheet = manager.get(f"/rewards/{flyers.pk}/codes/print/", headers=EN).content.decode()
    assert sheet.count('class="coupon"') == 12


def test_referral_steps_are_saved_from_the_form(business, manager, menu):
    promotion = _make(
        manager,
        "referral",
        {"friends_1": "1", "percent_1": "10", "friends_2": "3", "percent_2": "20"},
    )
    assert promotion.params == {"steps": [[1, 1000], [3, 2000]]}
    bad = manager.post(
        "/rewards/new/referral/",
        {"friends_1": "3", "percent_1": "10", "friends_2": "2", "percent_2": "20"},
        headers=EN,
    )
    assert bad.status_code == 200 and "more friends than the last" in bad.content.decode()


def test_draft_is_edited_in_its_own_form_and_deleted_after_confirmation(business, manager, menu):
    manager.post("/rewards/new/second_visit/", {"percent": "15", "days": "7"}, headers=EN)
    draft = Promotion.objects.get()
    form = manager.get(f"/rewards/{draft.pk}/edit/", headers=EN).content.decode()
    assert 'value="15' in form and 'value="7"' in form
    manager.post(f"/rewards/{draft.pk}/edit/", {"percent": "20", "days": "10"}, headers=EN)
    draft.refresh_from_db()
    assert draft.params == {"percent_bp": 2000} and draft.recipe_values["days"] == 10
    asked = manager.post(f"/rewards/{draft.pk}/delete/", headers=EN)
    assert "Yes, delete it" in asked.content.decode() and Promotion.objects.exists()
    manager.post(f"/rewards/{draft.pk}/delete/", {"confirmed": "1"}, headers=EN)
    assert not Promotion.objects.exists()


def test_an_active_offer_is_not_edited_in_place(business, manager, menu):
    promotion = _make(manager, "own_cup", {"amount": "20"})
    response = manager.post(f"/rewards/{promotion.pk}/edit/", {"amount": "50"}, headers=EN)
    assert response.status_code == 302
    promotion.refresh_from_db()
    assert promotion.params == {"amount_minor": 2_000}


def test_bad_input_is_explained_and_saves_nothing(business, manager, menu):
    for key, form in [
        ("points", {"points": "1", "per_amount": "lots"}),
        ("combo", {"skus": ["latte"], "price": "100"}),
        ("volume", {"min_quantity": "3", "percent": "10"}),
        ("codes", {"kind": "reusable", "percent": "10"}),
        ("stamps", {"visits": "1", "sku": "espresso"}),
    ]:
        response = manager.post(f"/rewards/new/{key}/", form, headers=EN)
        assert response.status_code == 200 and 'role="alert"' in response.content.decode(), key
    assert not Promotion.objects.exists()
    assert manager.get("/rewards/new/nonsense/").status_code == 404


def test_tiers_are_created_and_changed_on_screen(business, manager, staff_client):
    manager.post("/rewards/tiers/", {"name": "Silver", "min_spend": "20,000", "discount": "5",
                                     "multiplier": "1", "basis": "lifetime",
                                     "grace_days": "30"}, headers=EN)  # fmt: skip
    silver = Tier.objects.get()
    assert (silver.min_spend_minor, silver.discount_bp) == (2_000_000, 500)
    manager.post(f"/rewards/tiers/{silver.pk}/", {"name": "Fedha", "min_spend": "25,000",
                 "discount": "", "multiplier": "1.5", "basis": "lifetime",
                 "grace_days": "30"}, headers=EN)  # fmt: skip
    silver.refresh_from_db()
    assert (silver.name, silver.min_spend_minor, silver.discount_bp) == ("Fedha", 2_500_000, 0)
    assert silver.earn_multiplier_bp == 15_000
    page = manager.get("/rewards/tiers/", headers=EN).content.decode()
    assert "Fedha" in page and "×1.5" in page
    cashier = staff_client(business, Role.CASHIER)
    assert cashier.get("/rewards/tiers/").status_code == 403
    assert (
        cashier.post("/rewards/new/points/", {"points": "9", "per_amount": "1"}).status_code == 403
    )
    listing = cashier.get("/rewards/").content.decode()
    assert "/rewards/new/" not in listing and "/rewards/tiers/" not in listing  # no 403 links


def test_another_business_cannot_open_or_edit_the_draft(business, other_business, manager,
                                                        staff_client, menu):  # fmt: skip
    manager.post("/rewards/new/own_cup/", {"amount": "20"}, headers=EN)
    draft = Promotion.objects.get()
    stranger = staff_client(other_business, Role.OWNER)
    assert stranger.get(f"/rewards/{draft.pk}/edit/").status_code == 404
    assert stranger.post(f"/rewards/{draft.pk}/delete/", {"confirmed": "1"}).status_code == 404
    assert Promotion.objects.filter(pk=draft.pk).exists()


def test_any_offer_reads_as_words_never_as_settings(business, manager, menu):
    from wateja.promotions.services import promotion_save

    made_by_api = promotion_save(
        business=business,
        name="Lunch combo",
        type="bundle",
        params={"sets": [{"skus": ["latte", "juice"]}], "percent_bp": 2000},
        conditions={"all": [{"type": "min_subtotal", "amount_minor": 50_000},
                            {"type": "flag", "name": "own_cup"}]},
        weekdays=[1, 3],
        max_uses_per_customer=2,
        customer_limit_period="month",
        budget_minor=1_000_000,
        budget_period="week",
    )  # fmt: skip
    page = manager.get(f"/rewards/{made_by_api.pk}/", headers=EN).content.decode()
    words = re.search(r'data-testid="offer-words">(.*?)</section>', page, re.S).group(1)
    assert "Latte and Passion juice together: 20% off" in words
    assert "on orders from KES" in words and "Brought their own cup" in words
    assert "Only on Tuesdays and Thursdays." in words
    assert "At most 2 uses per customer a month." in words
    assert "Budget: KES" in words and "per week" in words
    assert "{" not in page.split("<main", 1)[-1] and "percent_bp" not in page
    assert 'data-testid="edit-draft"' not in page  # not made from a recipe


def test_absurd_amounts_are_refused_not_saved_and_never_a_500(business, manager, menu):
    huge = "9" * 30
    for key, form in [
        ("points", {"points": "1", "per_amount": huge}),
        ("own_cup", {"amount": huge}),
        ("codes", {"kind": "reusable", "code": "BIGGY", "amount": huge}),
    ]:
        response = manager.post(f"/rewards/new/{key}/", form, headers=EN)
        assert response.status_code == 200 and 'role="alert"' in response.content.decode(), key
    tier = {"name": "X", "min_spend": huge, "multiplier": "1", "basis": "lifetime",
            "grace_days": "1"}  # fmt: skip
    response = manager.post("/rewards/tiers/", tier, headers=EN)
    assert response.status_code == 200 and "The amount is not valid." in response.content.decode()
    assert not Promotion.objects.exists() and not Tier.objects.exists()
