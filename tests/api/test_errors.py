"""The error format, its language, and bad input: always a typed 4xx, never a 500."""

from __future__ import annotations

import pytest

from wateja.tenants.models import Location


def test_malformed_json_is_400(api):
    response = api.post("/locations", '{"name": "Kisumu"')
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_json"
    assert set(body) == {"code", "message", "details"}


def test_unknown_field_names_the_field(api):
    response = api.post("/locations", {"name": "Kisumu", "colour": "red"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert "colour" in body["details"]["fields"]
    assert not Location.objects.filter(name="Kisumu").exists()


def test_wrong_type_names_the_field(api):
    response = api.post("/locations", {"name": ["not", "a", "string"]})
    assert response.status_code == 422
    assert "name" in response.json()["details"]["fields"]


def test_service_validation_is_422_with_field(api, business):
    response = api.patch("/business", {"currency": "XYZ", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    fields = response.json()["details"]["fields"]
    assert set(fields) == {"currency", "timezone"}
    business.refresh_from_db()
    assert business.currency == "KES"


def test_oversized_body_is_413(api):
    response = api.post("/locations", '{"name": "' + "x" * (1024 * 1024 + 10) + '"}')
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_bad_cursor_is_400(api):
    response = api.get("/locations?cursor=%%%")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_bad_path_parameter_is_422(api):
    response = api.get("/locations/abc")
    assert response.status_code == 422


def test_duplicate_location_is_409(api):
    assert api.post("/locations", {"name": "Kisumu"}).status_code == 201
    response = api.post("/locations", {"name": "Kisumu"})
    assert response.status_code == 409
    assert response.json()["code"] == "location_exists"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sw", "Haikupatikana: Tawi"),
        ("ru", "Не найдено: Филиал"),
        ("hy", "Մասնաճյուղ չի գտնվել"),
        ("en", "Location not found."),
    ],
)
def test_message_follows_accept_language(business, api_for, language, expected):
    response = api_for(business, language=language).get("/locations/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert expected in response.json()["message"]
    assert response["Content-Language"] == language


def test_unknown_language_falls_back_to_business_default(make_business, api_for):
    swahili_shop = make_business(default_language="sw")
    client = api_for(swahili_shop, language="xx-YY, zz;q=0.5")
    response = client.get("/locations/999999")
    assert response["Content-Language"] == "sw"
    assert response.json()["message"] != "Location not found."


def test_cursor_pagination_walks_every_row_once(api, business):
    for n in range(7):
        api.post("/locations", {"name": f"Branch {n}"})
    seen, cursor = [], None
    while True:
        page = api.get(f"/locations?limit=3{f'&cursor={cursor}' if cursor else ''}").json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Branch {n}" for n in range(7)]
    assert api.get("/locations?limit=0").status_code == 422


def test_openapi_and_docs_are_served(anonymous_api, db):
    spec = anonymous_api.get("/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/business" in spec.json()["paths"]
    docs = anonymous_api.client.get("/api/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
    assert b"cdn.jsdelivr" not in docs.content
