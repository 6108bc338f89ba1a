"""Demo events: each business has a tasting three weeks ago (who came, who did not, the
stars per product) and a workshop next week with every place taken and a waiting list; the
flower shop's workshop has a few places left, so an invitation can still be answered."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

from django.utils import timezone

from wateja.catalog.models import Product
from wateja.customers.models import Customer
from wateja.events.models import EventKind, EventStatus
from wateja.events.services import check_in, event_save, invitations_record, ratings_save, rsvp
from wateja.tenants.models import Business, Location

TEXTS: dict[str, dict[str, str]] = {
    "KE": {
        "tasting": "Kenyan coffee tasting",
        "tasting_about": "Four single-origin coffees from Nyeri and Kirinyaga, with our baristas.",
        "workshop": "Latte art workshop",
        "workshop_about": "Learn to pour a heart and a rosetta. Milk and cups are on us.",
        "place": "Kahawa Corner, Moi Avenue",
    },
    "AM": {
        "tasting": "Գարնանային ծաղկեփնջերի ցուցադրություն",
        "tasting_about": "Նոր ծաղկեփնջեր և կոմպոզիցիաներ. գնահատեք ձեր սիրելիները:",
        "workshop": "Ծաղկեփնջի վարպետության դաս",
        "workshop_about": "Սովորեք հավաքել ձեր առաջին ծաղկեփունջը մեր ֆլորիստների հետ:",
        "place": "Վարդանոց, Աբովյան 5",
    },
}


def _at(business: Business, days: int, hour: int) -> dt.datetime:
    tz = zoneinfo.ZoneInfo(business.timezone)
    day = timezone.now().astimezone(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz).astimezone(dt.UTC)


def seed_events(business: Business, rng: random.Random) -> dict[str, Any]:
    texts = TEXTS["AM" if business.country.upper() == "AM" else "KE"]
    location = Location.objects.filter(business=business).order_by("pk").first()
    people = list(
        Customer.objects.filter(
            business=business, erased_at__isnull=True, merged_into__isnull=True, is_blocked=False
        )
        .exclude(phone="")
        .order_by("pk")[:60]
    )
    products = list(Product.objects.filter(business=business, active=True).order_by("pk")[:4])
    # the tasting, three weeks ago
    start = _at(business, -21, 17)
    tasting = event_save(
        business=business,
        kind=EventKind.TASTING,
        title=texts["tasting"],
        description=texts["tasting_about"],
        place=texts["place"],
        location_id=location.pk if location else None,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=12,
        attendance_points=50,
        product_ids=[p.pk for p in products],
        status=EventStatus.OPEN,
    )
    guests = people[:16]
    asked = start - dt.timedelta(days=7)
    invitations_record(event=tasting, customer_ids=[c.pk for c in guests], now=asked)
    for n, customer in enumerate(guests):
        rsvp(
            event=tasting,
            customer=customer,
            going=n < 14,
            source="link" if n % 3 else "sms",
            now=asked + dt.timedelta(hours=n),
        )
    came = 0
    for n, customer in enumerate(guests[:12]):
        if n in (3, 8):  # two no-shows
            continue
        done = check_in(event=tasting, customer=customer, now=start + dt.timedelta(minutes=n))
        came += 1
        ratings_save(
            registration=done.registration,
            ratings={p.pk: rng.choice([3, 4, 4, 5, 5]) for p in products},
            now=start + dt.timedelta(hours=1),
        )
    # the workshop, next week: full with a waiting list (the café); a few places left (flowers)
    start = _at(business, 6, 10)
    workshop = event_save(
        business=business,
        kind=EventKind.WORKSHOP,
        title=texts["workshop"],
        description=texts["workshop_about"],
        place=texts["place"],
        location_id=location.pk if location else None,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=8 if business.country.upper() != "AM" else 12,
        fee_minor=50_000 if business.currency == "KES" else 500_000,
        attendance_points=30,
        status=EventStatus.OPEN,
    )
    sign_ups = people[20:31]
    invitations_record(event=workshop, customer_ids=[c.pk for c in people[20:40]])
    for customer in sign_ups:
        rsvp(event=workshop, customer=customer, going=True, source="link")
    return {"events": 2, "tasting_came": came, "workshop_sign_ups": len(sign_ups)}
