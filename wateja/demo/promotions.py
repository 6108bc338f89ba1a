"""Demo offers for both businesses — one of every kind the sources describe — plus a few
sales through the real checkout so codes, budgets and coupons show usage."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from wateja.catalog.services import product_save
from wateja.customers.models import Customer
from wateja.orders.checkout import SaleInput, checkout_commit, checkout_reserve
from wateja.promotions.models import Promotion
from wateja.promotions.services import (
    codes_issue,
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


def _cafe(business: Business) -> None:
    _offer(
        business,
        "1 point per KES 100",
        "points_per_amount",
        {"points": 1, "per_amount_minor": 10_000},
    )
    _offer(
        business,
        "15% off your second visit (within 7 days)",
        "percent_off_order",
        {"percent_bp": 1500},
        conditions={
            "all": [
                {"type": "nth_purchase", "n": 2},
                {"type": "within_days_of_first_purchase", "days": 7},
            ]
        },
        exclusive_group="welcome",
    )
    _offer(
        business,
        "Bring your own cup: KES 20 off",
        "amount_off_order",
        {"amount_minor": 2_000},
        conditions={"type": "flag", "name": "own_cup"},
    )
    _offer(
        business,
        "Coffee + juice combo",
        "bundle",
        {"sets": [{"skus": ["latte", "juice"]}], "price_minor": 40_000},
    )
    _offer(
        business,
        "Lunch combo: pilau + salad",
        "bundle",
        {"sets": [{"skus": ["pilau", "salad"]}], "percent_bp": 2000},
    )
    _offer(
        business,
        "Double points Tuesdays",
        "points_multiplier",
        {"multiplier_bp": 20_000},
        weekdays=[1],
    )
    _offer(
        business,
        "Free pack of coffee with 1.2 kg of beans",
        "gift",
        {"sku": "beans-250", "description": "Kenya AA beans 250 g"},
        conditions={"type": "min_weight", "grams": 1_200},
    )
    _offer(
        business,
        "Birthday: 100 bonus points",
        "bonus_points",
        {"points": 100},
        conditions={"type": "birthday_within_days", "days": 3},
        max_uses_per_customer=1,
        budget_period="total",
    )
    _offer(
        business,
        "Every 10th visit: a free espresso",
        "free_item",
        {"sku": "espresso", "quantity": 1, "value_minor": 18_000},
        conditions={"type": "nth_visit_every", "n": 10},
    )
    karibu = _offer(
        business,
        "KARIBU: KES 100 off from KES 1,000",
        "amount_off_order",
        {"amount_minor": 10_000},
        requires_code=True,
    )
    codes_issue(promotion=karibu, code="KARIBU", kind="reusable", min_subtotal_minor=100_000)
    welcome = _offer(
        business,
        "Welcome 10% (one-time codes)",
        "percent_off_order",
        {"percent_bp": 1000},
        requires_code=True,
    )
    codes_issue(
        promotion=welcome,
        count=50,
        batch=f"flyers-{timezone.now():%Y-%m}",
        valid_until=timezone.now() + dt.timedelta(days=60),
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
    _offer(
        business,
        "Thank you for bringing friends",
        "referral_reward",
        {"steps": [[1, 1000], [3, 2000], [5, 3000]]},
    )
    tier_save(business=business, name="Silver", min_spend_minor=2_000_000, discount_bp=500)
    tier_save(
        business=business,
        name="Gold",
        min_spend_minor=5_000_000,
        discount_bp=1000,
        earn_multiplier_bp=15_000,
    )


def _flowers(business: Business) -> None:
    _offer(business, "3% cashback", "cashback_percent", {"percent_bp": 300})
    now = timezone.now()
    _offer(
        business,
        "Members' days: 20% for card holders",
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
        "11 roses or more: 15% off roses",
        "volume_discount",
        {"min_quantity": 11, "categories": ["roses"], "percent_bp": 1500},
        exclusive_group="seasonal",
    )
    partner = _offer(
        business,
        "Partner coupon: Ararat travel 5% off",
        "gift",
        {"description": "Ararat Travel coupon: 5% off a weekend trip"},
        conditions={"type": "min_subtotal", "amount_minor": 3_000_000},
    )
    _ = partner
    _offer(
        business,
        "Thank you for bringing friends",
        "referral_reward",
        {"steps": [[1, 1000], [3, 2000], [5, 3000]]},
    )


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
