"""API authentication and role checks: every failure has its own status and code."""

from __future__ import annotations

from wateja.tenants.roles import Role
from wateja.tenants.services import apikey_create, apikey_revoke


def test_missing_key_is_401_with_code(anonymous_api):
    response = anonymous_api.get("/business")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"
    assert "Bearer" in response.json()["message"]


def test_wrong_key_is_401_invalid(business, anonymous_api):
    _key, token = apikey_create(business=business, name="pos")
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    response = anonymous_api.get("/business", Authorization=f"Bearer {forged}")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    garbage = anonymous_api.get("/business", Authorization="Bearer nonsense")
    assert garbage.json()["code"] == "invalid_api_key"


def test_revoked_key_is_401_revoked(business, anonymous_api):
    key, token = apikey_create(business=business, name="old till")
    assert anonymous_api.get("/business", Authorization=f"Bearer {token}").status_code == 200
    apikey_revoke(key=key)
    response = anonymous_api.get("/business", Authorization=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


def test_key_is_stored_hashed_and_last_use_recorded(business, anonymous_api):
    key, token = apikey_create(business=business, name="pos")
    assert token not in (key.key_hash, key.prefix)
    assert key.last_used_at is None
    anonymous_api.get("/business", Authorization=f"Bearer {token}")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_valid_key_sees_its_business(business, api):
    body = api.get("/business").json()
    assert body["id"] == business.id
    assert body["currency"] == "KES"


def test_cashier_cannot_change_owner_settings(business, api_for):
    cashier = api_for(business, Role.CASHIER)
    response = cashier.patch("/business", {"name": "Hijacked"})
    assert response.status_code == 403
    assert response.json()["code"] == "role_required"
    assert response.json()["details"] == {"required": "owner", "current": "cashier"}
    business.refresh_from_db()
    assert business.name == "Kahawa Test"


def test_owner_changes_settings(business, api):
    response = api.patch("/business", {"name": "Kahawa Bora", "support_phone": "+254700000001"})
    assert response.status_code == 200
    business.refresh_from_db()
    assert (business.name, business.support_phone) == ("Kahawa Bora", "+254700000001")


def test_api_key_lifecycle_through_api(business, api, anonymous_api):
    created = api.post("/api-keys", {"name": "Online shop", "role": "cashier"})
    assert created.status_code == 201
    token = created.json()["key"]
    listed = api.get("/api-keys").json()["items"]
    assert all("key" not in item for item in listed)
    assert anonymous_api.get("/business", Authorization=f"Bearer {token}").status_code == 200
    revoked = api.delete(f"/api-keys/{created.json()['id']}")
    assert revoked.json()["revoked_at"] is not None
    assert anonymous_api.get("/business", Authorization=f"Bearer {token}").status_code == 401


def test_viewer_cannot_create_locations(business, api_for):
    response = api_for(business, Role.VIEWER).post("/locations", {"name": "Kisumu"})
    assert response.status_code == 403


def test_health_needs_no_key(db, anonymous_api):
    body = anonymous_api.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")
