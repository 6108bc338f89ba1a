"""Nothing that cannot be taken back happens on one click: ending an offer, revoking an API
key and issuing a new card first show what will happen, and only the "Yes" does it."""

from __future__ import annotations

from wateja.customers.services import customer_create
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.tenants.models import ApiKey
from wateja.tenants.roles import Role
from wateja.tenants.services import apikey_create

EN = {"Accept-Language": "en"}


def test_ending_an_offer_asks_first(business, staff_client):
    offer = promotion_save(
        business=business,
        name="Chai Tuesday",
        type="percent_off_order",
        params={"percent_bp": 1000},
    )
    promotion_set_status(promotion=offer, status="active")
    client = staff_client(business, Role.MANAGER)
    asked = client.post(f"/rewards/{offer.pk}/status/", {"status": "ended"}, headers=EN)
    page = asked.content.decode()
    assert "End “Chai Tuesday”?" in page and 'name="status" value="ended"' in page
    assert f'href="/rewards/{offer.pk}/"' in page  # cancel goes back
    offer.refresh_from_db()
    assert offer.status == "active"
    client.post(f"/rewards/{offer.pk}/status/", {"status": "ended", "confirmed": "1"})
    offer.refresh_from_db()
    assert offer.status == "ended"


def test_revoking_an_api_key_asks_first(business, staff_client):
    key, _token = apikey_create(business=business, name="Till 2")
    owner = staff_client(business, Role.OWNER)
    asked = owner.post(f"/settings/api-keys/{key.pk}/revoke/", headers=EN).content.decode()
    assert "Revoke the API key “Till 2”?" in asked
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    owner.post(f"/settings/api-keys/{key.pk}/revoke/", {"confirmed": "1"})
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_a_new_card_is_issued_only_after_saying_yes(business, staff_client):
    customer = customer_create(business=business, name="Baraka", phone="0712000333")
    old = customer.cards.get().number
    cashier = staff_client(business, Role.CASHIER)
    asked = cashier.post(f"/customers/{customer.pk}/card/", headers=EN).content.decode()
    assert "Issue a new card to Baraka?" in asked
    assert customer.cards.get(status="active").number == old
    cashier.post(f"/customers/{customer.pk}/card/", {"confirmed": "1"})
    assert customer.cards.get(status="active").number != old
