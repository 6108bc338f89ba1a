"""Demo offers for both businesses — one of every kind the sources describe — plus a few
sales through the real checkout so codes, budgets and coupons show usage."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from wateja.catalog.services import product_save
from wateja.core.localtime import local_today
from wateja.customers.models import Customer
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.promotions.models import Promotion
from wateja.promotions.recipes import recipe_save
from wateja.promotions.services import (
    promotion_save,
    promotion_set_status,
    referral_code_for,
    tier_save,
)
from wateja.tenants.models import Business

CAFE_MENU = [
    ("espresso", "Espresso", "coffee", 18_000, 0),
    ("latte", "Café latte", "coffee", 28_000, 0),
    ("chai", "Chai ya tangawizi", "tea", 15_000, 0),
    ("juice", "Passion juice", "juice", 20_000, 0),
    ("mandazi", "Mandazi (3)", "snack", 12_000, 0),
    ("salad", "Garden salad", "food", 45_000, 0),
    ("pilau", "Chicken pilau", "food", 65_000, 0),
    ("beans-500", "Kenya AA beans 500 g", "beans", 120_000, 500),
]
FLOWER_MENU = [
    ("rose-red", "Red rose", "roses", 90_000, 0),
    ("rose-white", "White rose", "roses", 90_000, 0),
    ("tulip", "Tulip", "tulips", 70_000, 0),
    ("bouquet-m", "Bouquet, medium", "bouquets", 1_500_000, 0),
    ("vase", "Glass vase", "vases", 600_000, 0),
]


def _offer(
    business: Business, name: str, type_: str, params: dict[str, Any], **fields: Any
) -> Promotion:
    promotion = promotion_save(business=business, name=name, type=type_, params=params, **fields)
    return promotion_set_status(promotion=promotion, status="active")


# names in the customers' other languages, barcodes of the packed goods, the till's grid
CATALOGUE_EXTRAS: dict[str, dict[str, Any]] = {
    "espresso": {"names": {"sw": "Kahawa chungu"}, "favourite": True},
    "latte": {"names": {"sw": "Kahawa ya maziwa"}, "favourite": True},
    "chai": {"names": {"en": "Ginger tea"}, "favourite": True},
    "juice": {"names": {"sw": "Juisi ya pasheni"}, "favourite": True},
    "mandazi": {"favourite": True},
    "beans-500": {"barcode": "6161100100012", "names": {"sw": "Kahawa AA gramu 500"}},
    "rose-red": {"names": {"hy": "Կարմիր վարդ", "ru": "Красная роза"}, "favourite": True},
    "rose-white": {"names": {"hy": "Սպիտակ վարդ", "ru": "Белая роза"}, "favourite": True},
    "tulip": {"names": {"hy": "Կակաչ", "ru": "Тюльпан"}, "favourite": True},
    "bouquet-m": {"names": {"hy": "Ծաղկեփունջ, միջին", "ru": "Букет, средний"}},
    "vase": {"names": {"hy": "Ապակե ծաղկաման", "ru": "Стеклянная ваза"},
             "barcode": "4850001000017"},
}  # fmt: skip
LOOSE = {
    "KES": ("beans-loose", "Kenya AA beans, loose", "beans", 220_000,
            {"sw": "Kahawa AA, kwa kilo"}),
    "AMD": ("petals", "Rose petals", "roses", 1_200_000,
            {"hy": "Վարդի թերթիկներ", "ru": "Лепестки роз"}),
}  # fmt: skip


def seed_catalogue(business: Business) -> None:
    """The menu as the business's catalogue, with one item weighed at the till (per kg)."""
    menu = CAFE_MENU if business.currency == "KES" else FLOWER_MENU
    for sku, name, category, price, grams in menu:
        extras = CATALOGUE_EXTRAS.get(sku, {})
        product_save(business=business, sku=sku, name=name, category=category.capitalize(),
                     price_minor=price, weight_grams=grams, **extras)  # fmt: skip
    sku, name, category, price, names = LOOSE[business.currency]
    product_save(business=business, sku=sku, name=name, category=category.capitalize(),
                 price_minor=price, unit="kg", names=names)  # fmt: skip


def seed_promotions(business: Business, rng: random.Random, customers: list[Customer]) -> None:
    seed_catalogue(business)
    if business.currency == "KES":
        _cafe(business)
    else:
        _flowers(business)
    for customer in customers[:40]:
        referral_code_for(customer)
    _sales(business, rng, customers)


def _recipe(
    business: Business, key: str, name: str, activate: bool = True, **values: Any
) -> Promotion:
    return recipe_save(business=business, key=key, name=name, values=values, activate=activate)


def _cafe(business: Business) -> None:
    """The café's programme as its owner would make it on screen: from recipes."""
    today = local_today(business.timezone)
    _recipe(business, "points", "1 point per KES 100", points=1, per_amount_minor=10_000)
    _recipe(
        business,
        "second_visit",
        "15% off your second visit (within 7 days)",
        percent_bp=1500,
        days=7,
    )
    _recipe(business, "own_cup", "Bring your own cup: KES 20 off", amount_minor=2_000)
    _recipe(business, "combo", "Coffee + juice combo", skus=["latte", "juice"], price_minor=40_000)
    _recipe(
        business, "combo", "Lunch combo: pilau + salad", skus=["pilau", "salad"], percent_bp=2000
    )
    _recipe(business, "double_points", "Double points Tuesdays", multiplier_bp=20_000, weekdays=[1])
    _recipe(
        business,
        "weight_gift",
        "Free pack of coffee with 1.2 kg of beans",
        grams=1_200,
        gift="Kenya AA beans 250 g",
        sku="beans-250",
    )
    _recipe(business, "birthday", "Birthday: 100 bonus points", points=100, days=3)
    _recipe(business, "stamps", "Every 10th visit: a free espresso", visits=10, sku="espresso")
    _recipe(
        business,
        "codes",
        "KARIBU: KES 100 off from KES 1,000",
        kind="reusable",
        code="KARIBU",
        amount_minor=10_000,
        min_subtotal_minor=100_000,
    )
    _recipe(
        business,
        "codes",
        "Welcome 10% (one-time codes)",
        kind="single",
        count=50,
        percent_bp=1000,
        ends=(today + dt.timedelta(days=60)).isoformat(),
    )
    next_visit = _offer(
        business,
        "10% off your next visit",
        "percent_off_order",
        {"percent_bp": 1000},
        requires_code=True,
    )
    _offer(
        business,
        "Coupon for the next visit on orders from KES 1,500",
        "next_order_coupon",
        {"percent_bp": 1000, "valid_days": 14, "coupon_promotion_id": next_visit.pk},
        conditions={"type": "min_subtotal", "amount_minor": 150_000},
    )
    _recipe(
        business,
        "referral",
        "Thank you for bringing friends",
        friends_1=1,
        percent_1=1000,
        friends_2=3,
        percent_2=2000,
        friends_3=5,
        percent_3=3000,
    )
    _recipe(
        business,
        "double_points",
        "Triple points on quiet Sunday mornings",
        activate=False,
        multiplier_bp=30_000,
        weekdays=[6],
    )  # a draft: its cost estimate, then activate
    tier_save(business=business, name="Silver", min_spend_minor=2_000_000, discount_bp=500)
    tier_save(
        business=business,
        name="Gold",
        min_spend_minor=5_000_000,
        discount_bp=1000,
        earn_multiplier_bp=15_000,
    )


def _flowers(business: Business) -> None:
    """The flower shop in Yerevan names its offers in Armenian, as its owner would."""
    _recipe(business, "cashback", "3% քեշբեք", percent_bp=300)
    now = timezone.now()
    _offer(
        business,
        "Անդամների օրեր՝ 20% քարտապաններին",
        "percent_off_order",
        {"percent_bp": 2000},
        audience="members",
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=3),
        exclusive_group="seasonal",
        budget_minor=50_000_000,
    )
    _offer(
        business,
        "11 և ավելի վարդ՝ 15% զեղչ վարդերին",
        "volume_discount",
        {"min_quantity": 11, "categories": ["roses"], "percent_bp": 1500},
        exclusive_group="seasonal",
    )
    _offer(
        business,
        "Գործընկերոջ կտրոն՝ Ararat Travel, 5% զեղչ",
        "gift",
        {"description": "Ararat Travel կտրոն՝ 5% զեղչ հանգստյան ուղևորության համար"},
        conditions={"type": "min_subtotal", "amount_minor": 3_000_000},
    )
    _recipe(
        business,
        "referral",
        "Շնորհակալություն ընկերներին բերելու համար",
        friends_1=1,
        percent_1=1000,
        friends_2=3,
        percent_2=2000,
        friends_3=5,
        percent_3=3000,
    )
    _recipe(
        business, "members", "Մայրերի օրվա շաբաթ՝ 5% քարտապաններին", activate=False, percent_bp=500
    )  # a draft


def _lines(business: Business, rng: random.Random) -> tuple[dict[str, Any], ...]:
    menu = CAFE_MENU if business.currency == "KES" else FLOWER_MENU
    picked = rng.sample(menu, k=rng.randrange(1, 4))
    return tuple(
        {
            "sku": sku,
            "name": name,
            "category": category,
            "quantity": rng.choice([1, 1, 2]) if category != "roses" else rng.choice([5, 11, 15]),
            "unit_price_minor": price,
            "weight_grams": grams,
        }
        for sku, name, category, price, grams in picked
    )


def _sales(business: Business, rng: random.Random, customers: list[Customer]) -> None:
    """A day of sales at the till through the real checkout: some customers pay part of the
    bill with their points (the café) or their store credit (the flower shop), and the
    cashier at the first branch rings them up."""
    from wateja.tenants.models import Location, Staff

    location = Location.objects.for_business(business).order_by("pk").first()
    cashier = (
        Staff.objects.for_business(business).filter(role="cashier").select_related("user").first()
    )
    for n in range(25):
        customer = rng.choice(customers) if rng.random() < 0.8 else None
        codes = ("KARIBU",) if business.currency == "KES" and n % 5 == 0 else ()
        pays_with_balance = customer is not None and n % 3 == 0
        sale = SaleInput(
            currency=business.currency,
            lines=_lines(business, rng),
            codes=codes,
            flags=("own_cup",) if n % 4 == 0 else (),
            points_to_spend=100 if pays_with_balance and business.currency == "KES" else 0,
            store_credit_to_spend_minor=(
                500_000 if pays_with_balance and business.currency != "KES" else 0
            ),
        )
        key = f"demo-sale:{business.pk}:{n}"
        by = cashier.user if cashier else None
        checkout_reserve(
            business=business, key=key, sale=sale, customer=customer, location=location, actor=by
        )
        checkout_commit(business=business, key=key, actor=by)
