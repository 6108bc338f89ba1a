"""Rewards screens: a manager creates an offer from the simple form, sees its cost estimate
over past orders, activates it, and issues codes; a cashier cannot."""

from __future__ import annotations

import re

from wateja.orders.services import order_record
from wateja.promotions.models import PromoCode, Promotion
from wateja.tenants.roles import Role

EN = {"Accept-Language": "en"}


def test_manager_creates_simulates_and_activates_an_offer(
    business, staff_client, django_capture_on_commit_callbacks
):
    for n, total in enumerate([80_000, 200_000, 250_000]):
        order_record(business=business, number=f"P-{n}", total_minor=total)
    client = staff_client(business, Role.MANAGER)
    form = {
        "name": "10% from KES 1,500",
        "type": "percent_off_order",
        "percent": "10",
        "min_subtotal": "1,500",
        "stackable": "on",
        "code": "KUMI",
    }
    with django_capture_on_commit_callbacks(execute=True):  # the stored estimate's job
        response = client.post("/rewards/new/custom/", form, headers=EN)
    assert response.status_code == 302, response.content.decode()[:2000]
    promotion = Promotion.objects.get(name="10% from KES 1,500")
    assert promotion.params == {"percent_bp": 1000}
    assert promotion.conditions == {"type": "min_subtotal", "amount_minor": 150_000}
    assert promotion.status == "draft" and promotion.requires_code
    page = client.get(response["Location"], headers=EN).content.decode()
    estimate = re.search(r'data-testid="simulation".*?</section>', page, re.S).group(0)
    assert "2 / 3" in estimate and "450.00" in estimate  # 10% of 2,000 + 2,500
    asked = client.post(f"/rewards/{promotion.pk}/status/", {"status": "active"}, headers=EN)
    assert "Yes, activate" in asked.content.decode()
    promotion.refresh_from_db()
    assert promotion.status != "active"  # nothing happens before the confirmation
    client.post(f"/rewards/{promotion.pk}/status/", {"status": "active", "confirmed": "1"})
    promotion.refresh_from_db()
    assert promotion.status == "active"
    client.post(f"/rewards/{promotion.pk}/codes/", {"count": "25"})
    assert PromoCode.objects.filter(promotion=promotion).count() == 26  # KUMI + 25 one-time
    assert "10% from KES 1,500" in client.get("/rewards/", headers=EN).content.decode()


def test_bad_offer_shows_errors_and_saves_nothing(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    page = client.post(
        "/rewards/new/custom/",
        {"name": "Broken", "type": "percent_off_order", "percent": ""},
        headers=EN,
    ).content.decode()
    assert 'role="alert"' in page
    assert Promotion.objects.count() == 0
    bad_money = client.post(
        "/rewards/new/custom/",
        {"name": "X", "type": "amount_off_order", "amount": "lots"},
        headers=EN,
    ).content.decode()
    assert "The amount is not valid." in bad_money


def test_cashier_sees_offers_but_cannot_create(business, staff_client):
    client = staff_client(business, Role.CASHIER)
    assert client.get("/rewards/").status_code == 200
    assert client.get("/rewards/new/custom/").status_code == 403


def test_offer_limited_to_days_channels_branches_and_a_monthly_budget(business, staff_client):
    from wateja.tenants.services import location_create

    branch = location_create(business=business, name="Westlands")
    client = staff_client(business, Role.MANAGER)
    response = client.post(
        "/rewards/new/custom/",
        {
            "name": "Tuesday double points",
            "type": "points_multiplier",
            "multiplier": "2",
            "weekdays": ["1"],
            "channels": ["store"],
            "locations": [str(branch.pk)],
            "budget": "5,000",
            "budget_period": "month",
            "stackable": "on",
        },
        headers=EN,
    )
    assert response.status_code == 302
    offer = Promotion.objects.get(name="Tuesday double points")
    assert offer.params == {"multiplier_bp": 20_000}
    assert (offer.weekdays, offer.channels, offer.locations) == ([1], ["store"], [branch.pk])
    assert (offer.budget_minor, offer.budget_period) == (500_000, "month")


def test_offer_with_priority_group_cap_and_tier(business, staff_client):
    client = staff_client(business, Role.MANAGER)
    response = client.post(
        "/rewards/new/custom/",
        {
            "name": "Gold 20%",
            "type": "percent_off_order",
            "percent": "20",
            "tier": "Gold",
            "priority": "5",
            "exclusive_group": "season",
            "cap": "500",
            "stackable": "on",
        },
        headers=EN,
    )
    assert response.status_code == 302
    offer = Promotion.objects.get(name="Gold 20%")
    assert (offer.audience, offer.audience_values) == ("tier", ["Gold"])
    assert (offer.priority, offer.exclusive_group, offer.max_discount_minor) == (
        5,
        "season",
        50_000,
    )
