"""Every endpoint that takes an id answers 404 for another business's objects, and never
changes them."""

from __future__ import annotations

import pytest

from wateja.tenants.models import ApiKey
from wateja.tenants.services import apikey_create, location_create

# (method, path template, factory of the other business's object, body)
ENDPOINTS = [
    ("GET", "/locations/{id}", lambda b: location_create(business=b, name="Gyumri"), None),
    ("DELETE", "/api-keys/{id}", lambda b: apikey_create(business=b, name="theirs")[0], None),
]


@pytest.mark.parametrize(("method", "template", "factory", "body"), ENDPOINTS)
def test_foreign_ids_are_404(business, other_business, api, method, template, factory, body):
    foreign = factory(other_business)
    response = api.request(method, template.format(id=foreign.pk), body)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_lists_show_only_own_rows(business, other_business, api):
    location_create(business=other_business, name="Gyumri")
    location_create(business=business, name="Westlands")
    names = [item["name"] for item in api.get("/locations").json()["items"]]
    assert names == ["Westlands"]


def test_foreign_key_revoke_changes_nothing(business, other_business, api):
    theirs, _token = apikey_create(business=other_business, name="theirs")
    api.delete(f"/api-keys/{theirs.pk}")
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None


def test_every_path_with_an_id_is_covered():
    from wateja.api.app import api

    templated = {
        (method, path)
        for path, item in api.get_openapi_schema()["paths"].items()
        for method in item
        if "{" in path
    }
    covered = {(m.lower(), "/api/v1" + t.replace("{id}", "")) for m, t, _f, _b in ENDPOINTS}
    for method, path in templated:
        prefix = path.split("{")[0]
        assert (method, prefix) in covered, f"{method.upper()} {path} has no isolation test"
