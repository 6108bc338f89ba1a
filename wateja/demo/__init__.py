"""Demo data for `wateja demo`: a Nairobi café with Swahili/English customers and a Yerevan
flower shop with Armenian/Russian customers, their branches, staff and API keys, several
hundred customers with consents, tags, notes, complaints and a few duplicates to merge, and a
year of orders. Every feature that lands adds its own realistic data here."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from wateja.tenants.models import Business, TwoFactorPolicy
from wateja.tenants.roles import Role
from wateja.tenants.services import apikey_create, business_create, location_create, staff_add
from wateja.tenants.staff import staff_pin_set
from wateja.tenants.two_factor import policy_set

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"

CAFE: dict[str, Any] = {
    "slug": "kahawa-corner",
    "name": "Kahawa Corner Café",
    "country": "KE",
    "currency": "KES",
    "timezone_name": "Africa/Nairobi",
    "default_language": "sw",
    "support_phone": "+254 712 000 111",
    "support_email": "habari@kahawacorner.example",
    "address": "Moi Avenue 12, Nairobi",
    "hours": "Mon–Sat 07:00–21:00, Sun 08:00–18:00",
    # its enrolment page asks for the code texted to the phone (it arrives in Messages → Outbox)
    "join_verify_phone": "on",
}
CAFE_LOCATIONS = [("Moi Avenue", "Nairobi"), ("Westlands", "Nairobi"), ("Nyali", "Mombasa")]

FLOWERS: dict[str, Any] = {
    "slug": "vardanots-flowers",
    "name": "Վարդանոց Flowers",
    "country": "AM",
    "currency": "AMD",
    "timezone_name": "Asia/Yerevan",
    "default_language": "hy",
    "support_phone": "+374 10 555 123",
    "support_email": "info@vardanots.example",
    "address": "Abovyan 5, Yerevan",
    "hours": "Every day 09:00–22:00",
}
FLOWER_LOCATIONS = [("Abovyan", "Yerevan"), ("Komitas", "Yerevan"), ("Gyumri Center", "Gyumri")]


def _business(spec: dict[str, Any], locations: list[tuple[str, str]]) -> Business:
    business = business_create(**spec)
    # the demo's logins stay one step (demo/demo, manager/manager…; the e2e tests use them)
    policy_set(business=business, policy=TwoFactorPolicy.NOBODY)
    for name, city in locations:
        location_create(business=business, name=name, city=city)
    return business


def _quiet(step: str) -> None:
    """No progress report (tests)."""


@transaction.atomic
def seed(
    *, seed_value: int = 2026, scale: float = 1.0, progress: Callable[[str], None] = _quiet
) -> dict[str, Any]:
    """Fill an empty, migrated database; returns what the demo prints. `progress` hears of
    each step as it starts."""
    rng = random.Random(seed_value)
    progress("Businesses, branches and staff")
    cafe = _business(CAFE, CAFE_LOCATIONS)
    flowers = _business(FLOWERS, FLOWER_LOCATIONS)

    for business in (cafe, flowers):
        staff_add(
            business=business, username=DEMO_USERNAME, role=Role.OWNER, password=DEMO_PASSWORD
        )
    get_user_model().objects.filter(username=DEMO_USERNAME).update(
        is_staff=True, is_superuser=True, first_name="Amani"
    )
    cashier = staff_add(business=cafe, username="cashier", role=Role.CASHIER, password="cashier")
    second = staff_add(
        business=cafe,
        username="wanjiru",
        role=Role.CASHIER,
        password="wanjiru",
        first_name="Wanjiru",
    )
    manager = staff_add(business=cafe, username="manager", role=Role.MANAGER, password="manager")
    anahit = staff_add(business=flowers, username="anahit", role=Role.MANAGER, password="anahit")
    # till PINs, to switch cashiers at a shared till (printed by `wateja demo`)
    for member, pin in ((cashier, "2580"), (second, "3691"), (manager, "1397"), (anahit, "4826")):
        staff_pin_set(staff=member, pin=pin)

    _key, token = apikey_create(business=cafe, name="Demo POS", role=Role.MANAGER)
    apikey_create(business=flowers, name="Online shop", role=Role.MANAGER)

    from wateja.demo.customers import seed_customers

    counts: dict[str, dict[str, Any]] = {}
    for business in (cafe, flowers):
        progress(f"{business.name}: customers, a year of sales, the catalogue and its offers")
        counts[business.slug] = dict(seed_customers(business, rng=rng, scale=scale))
    from wateja.customers.models import Customer
    from wateja.demo.messaging import seed_messaging

    for business in (cafe, flowers):
        progress(f"{business.name}: messages, automations and campaigns")
        people = list(Customer.objects.filter(business=business).order_by("pk"))
        counts[business.slug]["messaging"] = seed_messaging(business, rng, people)
    from wateja.demo.payments import seed_payments

    progress(f"{cafe.name}: M-Pesa payments")
    counts[cafe.slug]["payments"] = seed_payments(
        cafe, rng, list(Customer.objects.filter(business=cafe).order_by("pk")[:200])
    )
    from wateja.demo.shops import seed_shop

    progress(f"{cafe.name}: the online shop's orders")
    counts[cafe.slug]["shop"] = seed_shop(
        cafe, rng, list(Customer.objects.filter(business=cafe).order_by("pk")[:200])
    )
    from wateja.demo.analytics import seed_analytics

    for business in (cafe, flowers):
        progress(f"{business.name}: the figures of every day")
        seed_analytics(business, rng=rng)
    from wateja.demo.chats import seed_chats

    for business in (cafe, flowers):  # last: the data above stays as it was without chat apps
        progress(f"{business.name}: chat apps, linked chats and chat messages")
        people = list(Customer.objects.filter(business=business).order_by("pk"))
        counts[business.slug]["chats"] = seed_chats(business, rng, people)
    from wateja.demo.handover import seed_handover

    for business in (cafe, flowers):
        counts[business.slug]["handover"] = seed_handover(business)
    from wateja.demo.events import seed_events

    for business in (cafe, flowers):
        progress(f"{business.name}: a past tasting and next week's workshop")
        counts[business.slug]["events"] = seed_events(business, rng)
    from wateja.demo.feedback import seed_feedback

    for business in (cafe, flowers):
        progress(f"{business.name}: ratings acted on, a survey and interests")
        counts[business.slug]["feedback"] = seed_feedback(business, rng)
    from wateja.demo.challenges import seed_challenges

    for business in (cafe, flowers):
        progress(f"{business.name}: a running challenge and a surprise for regulars")
        counts[business.slug]["challenges"] = seed_challenges(business, rng)
    from wateja.demo.jobs import seed_jobs

    progress(f"{cafe.name}: a finished customer export in the owner's jobs")
    seed_jobs(cafe, get_user_model().objects.get(username=DEMO_USERNAME))
    return {"businesses": [cafe.name, flowers.name], "api_key": token, "counts": counts}
