"""Demo customers and a year of their orders, per business, through the real services."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from wateja.core.localtime import local_today
from wateja.customers.models import Channel, ConsentSource, Customer, InteractionKind, Source
from wateja.customers.segments import segment_save
from wateja.customers.services import (
    DuplicateCustomer,
    consent_record,
    consent_text,
    customer_create,
    interaction_add,
    task_update,
)
from wateja.demo.promotions import seed_promotions
from wateja.demo.wallet import configure, reward_orders, wallet_extras
from wateja.orders.services import SaleRow, customer_stats_recompute, orders_bulk_record
from wateja.tenants.models import Business, Location

KENYAN_FIRST = [
    "Wanjiku",
    "Achieng",
    "Otieno",
    "Kamau",
    "Njeri",
    "Baraka",
    "Neema",
    "Amani",
    "Zawadi",
    "Juma",
    "Wambui",
    "Kiprop",
    "Chebet",
    "Mutua",
    "Akinyi",
    "Omondi",
    "Nyambura",
    "Halima",
    "Fatuma",
    "Hassan",
    "Rehema",
    "Imani",
    "Mwikali",
    "Kipchoge",
    "Faith",
    "Brian",
    "Mercy",
    "Kevin",
    "Joy",
    "Dennis",
    "Grace",
    "Collins",
    "Esther",
    "Wafula",
    "Jepkosgei",
    "Salim",
]
KENYAN_LAST = [
    "Kamau",
    "Otieno",
    "Mwangi",
    "Njoroge",
    "Ochieng",
    "Kiprono",
    "Mutua",
    "Wafula",
    "Odhiambo",
    "Mohamed",
    "Ali",
    "Kariuki",
    "Wekesa",
    "Njeru",
    "Chege",
    "Koech",
    "Omondi",
    "Maina",
    "Atieno",
]
ARMENIAN = [
    "Անահիտ Սարգսյան",
    "Արամ Պետրոսյան",
    "Լիլիթ Հակոբյան",
    "Գոհար Մկրտչյան",
    "Տիգրան Գրիգորյան",
    "Նարե Ավետիսյան",
    "Սոնա Հովհաննիսյան",
    "Դավիթ Խաչատրյան",
    "Մարիամ Վարդանյան",
    "Արմեն Կարապետյան",
    "Հասմիկ Գևորգյան",
    "Կարեն Սահակյան",
    "Անի Մարտիրոսյան",
    "Գայանե Ստեփանյան",
    "Վահե Հարությունյան",
    "Էլեն Ղազարյան",
    "Աշոտ Մանուկյան",
]
RUSSIAN = [
    "Ольга Иванова",
    "Сергей Смирнов",
    "Анна Кузнецова",
    "Дмитрий Попов",
    "Елена Соколова",
    "Мария Лебедева",
    "Андрей Козлов",
    "Наталья Новикова",
    "Ирина Морозова",
    "Павел Волков",
]
KE_CITIES = ["Nairobi"] * 6 + ["Mombasa", "Kisumu", "Nakuru", "Eldoret", "Thika"]
AM_CITIES = ["Yerevan"] * 6 + ["Gyumri", "Vanadzor", "Abovyan", "Ejmiatsin"]
KE_PREFIXES = ["070", "071", "072", "074", "079", "011", "073"]
AM_PREFIXES = ["091", "093", "094", "077", "098", "099", "055", "096"]
CAFE_NOTES = [
    "Takes oat milk, no sugar.",
    "Allergic to nuts.",
    "Always orders the double espresso.",
    "Comes with a laptop; prefers the window table.",
    "Pays by M-Pesa.",
    "Hupenda chai ya tangawizi.",
    "Brings own cup.",
    "",
]
FLOWER_NOTES = [
    "Ամեն տարի մարտի 8-ին պատվիրում է վարդեր։", "Предпочитает белые лилии.", "Delivery to office.",
    "Wife's birthday 12 May: remind a week before.", "Allergic to lilies.", "",
]  # fmt: skip
COMPLAINTS = {
    "KE": [
        ("complaint", "Kahawa ilikuwa baridi", "Coffee was served cold at Westlands."),
        ("complaint", "Waited 20 minutes for the order", ""),
        ("service", "Asks for a receipt with KRA PIN", "Company lunch, needs tax invoice."),
        ("complaint", "Charged twice on M-Pesa", "Refund the second payment."),
    ],
    "AM": [
        ("complaint", "Ծաղիկները թառամել էին հաջորդ օրը", "Roses wilted within a day."),
        ("service", "Доставка к 9 утра 8 марта", "Bouquet delivery before work."),
        ("complaint", "Delivery came an hour late", ""),
    ],
}


def _phone(rng: random.Random, prefixes: list[str], length: int) -> str:
    """A national number as people write it: "0712 345 678", "0712345678" or "712345678"."""
    prefix = rng.choice(prefixes)
    number = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix)))
    style = rng.randrange(3)
    if style == 0:
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    if style == 1:
        return number
    return number[1:]


def _name(rng: random.Random, business: Business) -> str:
    if business.country == "KE":
        return f"{rng.choice(KENYAN_FIRST)} {rng.choice(KENYAN_LAST)}"
    return rng.choice(ARMENIAN if rng.random() < 0.7 else RUSSIAN)


def _email(rng: random.Random, name: str, n: int) -> str:
    latin = "".join(ch for ch in name.lower() if "a" <= ch <= "z" or ch == " ")
    base = ".".join(latin.split()) or "client"
    return f"{base}{n}@{rng.choice(['gmail.com', 'yahoo.com', 'mail.ru', 'outlook.com'])}"


def _order_totals(business: Business, rng: random.Random) -> int:
    if business.currency == "KES":
        return rng.choice([180, 250, 300, 350, 450, 600, 850, 1200, 2400]) * 100
    return rng.choice([4500, 7000, 9500, 12000, 15000, 22000, 35000, 60000]) * 100


def _visit_days(business: Business, rng: random.Random) -> list[dt.date]:
    """Dates of one customer's visits in the last year: regulars, occasionals and lapsed."""
    today = local_today(business.timezone)
    kind = rng.random()
    if business.currency == "KES":
        every = 3 if kind < 0.25 else 14 if kind < 0.6 else 45
    else:
        every = 20 if kind < 0.2 else 60 if kind < 0.6 else 150
    start = today - dt.timedelta(days=rng.randrange(30, 365))
    stop = today - dt.timedelta(days=rng.randrange(90, 200)) if kind > 0.85 else today
    days, day = [], start
    while day <= stop:
        days.append(day)
        day += dt.timedelta(days=max(1, int(rng.expovariate(1 / every))))
    if business.currency == "AMD":  # 8 March and 14 February bring everyone in
        for holiday_month, holiday_day in ((3, 8), (2, 14)):
            holiday = _last_before(today, holiday_month, holiday_day)
            if start <= holiday <= today and rng.random() < 0.4:
                days.append(holiday)
    return days


def _last_before(today: dt.date, month: int, day: int) -> dt.date:
    """The latest `day` of `month` on or before today (this year's, or last year's)."""
    this_year = dt.date(today.year, month, day)
    return this_year if this_year <= today else dt.date(today.year - 1, month, day)


def seed_customers(business: Business, *, rng: random.Random, scale: float = 1.0) -> dict[str, int]:
    configure(business)
    tz = zoneinfo.ZoneInfo(business.timezone)
    locations = list(Location.objects.for_business(business))
    staff_users = list(User.objects.filter(memberships__business=business))
    prefixes = KE_PREFIXES if business.country == "KE" else AM_PREFIXES
    cities = KE_CITIES if business.country == "KE" else AM_CITIES
    notes = CAFE_NOTES if business.country == "KE" else FLOWER_NOTES
    tags = (
        ["vip", "office", "student", "corporate"]
        if business.country == "KE"
        else ["vip", "wedding", "corporate", "delivery"]
    )
    target = int((360 if business.country == "KE" else 240) * scale)
    customers: list[Customer] = []
    sales: list[SaleRow] = []
    order_seq = 1000
    for n in range(target):
        name = _name(rng, business)
        fields: dict[str, Any] = {"name": name, "city": rng.choice(cities)}
        if rng.random() < 0.9:
            fields["phone"] = _phone(rng, prefixes, 10 if business.country == "KE" else 9)
        if rng.random() < 0.35 or "phone" not in fields:
            fields["email"] = _email(rng, name, n)
        if rng.random() < 0.5:
            fields["birth_day"], fields["birth_month"] = rng.randrange(1, 29), rng.randrange(1, 13)
            if rng.random() < 0.5:
                fields["birth_year"] = rng.randrange(1960, 2006)
        if business.country == "KE":
            fields["language"] = "sw" if rng.random() < 0.6 else "en"
        else:
            fields["language"] = "ru" if any("а" <= ch <= "я" for ch in name.lower()) else "hy"
        fields["notes"] = rng.choice(notes)
        try:
            customer = customer_create(
                business=business,
                source=rng.choice(
                    [Source.WALK_IN] * 5 + [Source.WEB, Source.REFERRAL, Source.IMPORT]
                ),
                location=rng.choice(locations),
                tags=rng.sample(tags, k=rng.choice([0, 0, 0, 1, 1, 2])),
                **fields,
            )
        except DuplicateCustomer:  # a random phone number may repeat; skip it
            continue
        customers.append(customer)
        for channel, share in ((Channel.SMS, 0.65), (Channel.EMAIL, 0.3)):
            if rng.random() < share and (
                customer.phone if channel == Channel.SMS else customer.email
            ):
                consent_record(
                    customer=customer,
                    channel=channel,
                    granted=True,
                    text=consent_text(channel, business),
                    source=rng.choice([ConsentSource.STAFF, ConsentSource.WEB]),
                )
        for day in _visit_days(business, rng):
            order_seq += 1
            at = dt.datetime.combine(day, dt.time(rng.randrange(8, 20), rng.randrange(60)), tz)
            if at <= timezone.now():
                sales.append(
                    SaleRow(
                        number=f"{business.slug[:3].upper()}-{order_seq}",
                        total_minor=_order_totals(business, rng),
                        placed_at=at,
                        customer=customer,
                        location=rng.choice(locations),
                    )
                )
    sales.sort(key=lambda row: row.placed_at)
    orders_bulk_record(business=business, rows=sales)
    reward_orders(business, rng, customers)
    wallet_extras(business, rng, customers)
    _duplicates(business, rng, customers)
    _tasks(business, rng, customers, staff_users)
    customer_stats_recompute(business=business)
    seed_promotions(business, rng, customers)
    for name, filters in (
        ("Regulars", {"purchases_min": 10}),
        ("Birthdays this month", {"birthday_month": "this"}),
        ("Lapsed: no visit for 60 days", {"no_purchase_days": 60}),
        ("SMS audience", {"consent_sms": True}),
        ("VIP", {"tag": "vip"}),
    ):
        segment_save(business=business, name=name, filters=filters)
    return {"customers": len(customers), "orders": order_seq - 1000}


def _duplicates(business: Business, rng: random.Random, customers: list[Customer]) -> None:
    """The same person enrolled twice: once by phone at the till, once by e-mail online,
    the name written the other way round."""
    for original in rng.sample(customers, k=min(4, len(customers))):
        words = original.name.split()
        customer_create(
            business=business,
            name=" ".join(reversed(words)),
            email=f"dup{original.pk}@example.com",
            city=original.city,
            source=Source.WEB,
        )


def _tasks(
    business: Business, rng: random.Random, customers: list[Customer], staff: list[User]
) -> None:
    now = timezone.now()
    for kind, summary, body in COMPLAINTS[business.country]:
        customer = rng.choice(customers)
        task = interaction_add(
            customer=customer,
            kind=InteractionKind.COMPLAINT
            if kind == "complaint"
            else InteractionKind.SERVICE_REQUEST,
            summary=summary,
            body=body,
            occurred_at=now - dt.timedelta(days=rng.randrange(0, 5), hours=rng.randrange(8)),
            owner=rng.choice(staff) if staff else None,
            due_at=now + dt.timedelta(days=rng.randrange(-1, 4)),
        )
        if rng.random() < 0.3:
            task_update(task=task, status="in_progress")
    resolved = interaction_add(
        customer=rng.choice(customers),
        kind=InteractionKind.COMPLAINT,
        summary="Wrong change given",
        occurred_at=now - dt.timedelta(days=20),
    )
    task_update(task=resolved, status="resolved")
