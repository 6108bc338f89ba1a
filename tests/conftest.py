"""Shared fixtures: businesses, staff, API-key clients; and `--clock`, which runs the whole
suite with the clock moved to another date to prove no test depends on today's."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from wateja.i18n import compile_catalogues
from wateja.tenants.models import Business
from wateja.tenants.roles import Role
from wateja.tenants.services import apikey_create, business_create, staff_add

compile_catalogues()
_counter = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("WATEJA_TEST_CLOCK") or None,
        help="start the clock of every test process at this time (ISO 8601, UTC unless an "
        "offset is given) and let it run from there; tests that travel in time still do",
    )


def pytest_configure(config: pytest.Config) -> None:
    clock = config.getoption("--clock")
    if not clock:
        return
    start = dt.datetime.fromisoformat(clock)
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    traveller = time_machine.travel(start, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Counters kept in the cache (a till's wrong PINs) start at zero in every test."""
    from django.core.cache import cache

    cache.clear()


def pytest_report_header(config: pytest.Config) -> str | None:
    clock = config.getoption("--clock")
    return f"clock moved to {clock}" if clock else None


@pytest.fixture
def make_business(db: None) -> Callable[..., Business]:
    def make(**overrides: Any) -> Business:
        n = next(_counter)
        values = {
            "name": f"Duka {n}",
            "country": "KE",
            "currency": "KES",
            "timezone_name": "Africa/Nairobi",
            "default_language": "en",
        }
        values.update(overrides)
        return business_create(**values)

    return make


@pytest.fixture
def business(make_business: Callable[..., Business]) -> Business:
    return make_business(name="Kahawa Test")


@pytest.fixture
def other_business(make_business: Callable[..., Business]) -> Business:
    return make_business(
        name="Maua Test", country="AM", currency="AMD", timezone_name="Asia/Yerevan"
    )


class ApiClient:
    """Django's test client speaking JSON with a bearer key, through all middleware."""

    def __init__(self, token: str | None, language: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if language:
            self.headers["Accept-Language"] = language

    def request(self, method: str, path: str, json: Any = None, **headers: str) -> Any:
        data = None if json is None else (json if isinstance(json, (str, bytes)) else _dumps(json))
        return self.client.generic(
            method,
            f"/api/v1{path}",
            data=data or "",
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def get(self, path: str, **headers: str) -> Any:
        return self.request("GET", path, **headers)

    def post(self, path: str, json: Any = None, **headers: str) -> Any:
        return self.request("POST", path, json, **headers)

    def patch(self, path: str, json: Any = None, **headers: str) -> Any:
        return self.request("PATCH", path, json, **headers)

    def put(self, path: str, json: Any = None, **headers: str) -> Any:
        return self.request("PUT", path, json, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.request("DELETE", path, **headers)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value)


@pytest.fixture
def api_for() -> Callable[..., ApiClient]:
    def make(business: Business, role: str = Role.OWNER, language: str | None = None) -> ApiClient:
        _key, token = apikey_create(business=business, name=f"test {role}", role=role)
        return ApiClient(token, language)

    return make


@pytest.fixture
def api(business: Business, api_for: Callable[..., ApiClient]) -> ApiClient:
    return api_for(business)


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient(None)


@pytest.fixture
def staff_client(db: None) -> Callable[..., Client]:
    def make(business: Business, role: str = Role.OWNER, username: str | None = None) -> Client:
        name = username or f"{role}{next(_counter)}"
        staff_add(business=business, username=name, role=role, password="pw-test-123")
        client = Client()
        assert client.login(username=name, password="pw-test-123")
        return client

    return make
