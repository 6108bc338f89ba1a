"""Bad input never gets a 500, case by case: null into a column that cannot hold it, numbers
larger than the business and the database can hold, broken multipart uploads, and a database
another writer keeps locked (503 with Retry-After, on a real lock)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection

from tests.conftest import ApiClient
from wateja.api.errors import RETRY_AFTER_SECONDS
from wateja.api.schemas import MAX_INT
from wateja.customers.models import Customer, ImportJob, Interaction, Segment
from wateja.customers.services import customer_create, interaction_add
from wateja.messaging.composing import template_save
from wateja.messaging.config import messaging_settings
from wateja.messaging.models import Automation
from wateja.orders.models import Order
from wateja.tenants.models import Location
from wateja.tenants.services import staff_add
from wateja.wallet.models import Operation

HUGE = 10**30


@pytest.fixture
def customer(business: Any) -> Customer:
    return customer_create(
        business=business,
        name="Amina Wanjiru",
        phone="0712345678",
        email="amina@example.com",
        city="Nairobi",
        notes="Prefers oat milk",
    )


def fields_of(response: Any) -> dict[str, list[str]]:
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    return body["details"].get("fields", {})  # type: ignore[no-any-return]


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


# --- 1. null: clears the field, or a 422 naming it --------------------------------------------


def test_null_clears_a_customers_text_fields_and_tags(api: ApiClient, customer: Customer) -> None:
    assert api.patch(f"/customers/{customer.pk}", {"tags": ["vip"]}).status_code == 200
    response = api.patch(
        f"/customers/{customer.pk}", {"city": None, "notes": None, "phone": None, "tags": None}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["city"], body["notes"], body["phone"], body["tags"]) == ("", "", "", [])
    customer.refresh_from_db()
    assert (customer.city, customer.notes, customer.phone) == ("", "", "")


def test_null_name_is_refused_naming_the_field(api: ApiClient, customer: Customer) -> None:
    response = api.patch(f"/customers/{customer.pk}", {"name": None, "city": "Mombasa"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert fields_of(response) == {"name": ["This field cannot be null."]}
    customer.refresh_from_db()
    assert (customer.name, customer.city) == ("Amina Wanjiru", "Nairobi")


def test_clearing_both_contacts_is_refused_not_a_crash(api: ApiClient, customer: Customer) -> None:
    response = api.patch(f"/customers/{customer.pk}", {"phone": None, "email": None})
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.phone and customer.email


def test_business_contacts_clear_but_its_currency_cannot_be_null(
    api: ApiClient, business: Any
) -> None:
    assert api.patch("/business", {"address": "Moi Avenue 1"}).status_code == 200
    cleared = api.patch("/business", {"address": None, "hours": None})
    assert cleared.status_code == 200, cleared.content
    assert (cleared.json()["address"], cleared.json()["hours"]) == ("", "")
    refused = api.patch("/business", {"currency": None, "support_email": None})
    assert refused.status_code == 422
    assert fields_of(refused) == {"currency": ["This field cannot be null."]}
    business.refresh_from_db()
    assert business.currency == "KES"


def test_automation_null_text_clears_and_null_switch_is_refused(
    api: ApiClient, business: Any
) -> None:
    template = template_save(
        business=business,
        name="Birthday",
        channel="sms",
        variants=[{"label": "A", "weight": 1, "texts": {"en": {"body": "Hi {name}"}}}],
    )
    created = api.post(
        "/automations", {"kind": "birthday", "sms_template_id": template.pk, "offer": "Cake"}
    )
    assert created.status_code == 200, created.content
    automation_id = created.json()["id"]
    cleared = api.patch(f"/automations/{automation_id}", {"offer": None, "code": None})
    assert cleared.status_code == 200, cleared.content
    assert (cleared.json()["offer"], cleared.json()["code"]) == ("", "")
    for field in ("is_active", "delay_hours", "channel", "holdout_percent"):
        refused = api.patch(f"/automations/{automation_id}", {field: None})
        assert refused.status_code == 422, (field, refused.content)
        assert fields_of(refused) == {field: ["This field cannot be null."]}
    assert Automation.objects.get(pk=automation_id).is_active is True


def test_messaging_settings_null_clears_the_sender_and_refuses_a_limit(
    api: ApiClient, business: Any
) -> None:
    assert api.patch("/messaging/settings", {"sms_sender": "KAHAWA"}).status_code == 200
    cleared = api.patch("/messaging/settings", {"sms_sender": None})
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["sms_sender"] == ""
    for field in ("cap_count", "quiet_start", "sms_provider", "sms_price_minor"):
        refused = api.patch("/messaging/settings", {field: None})
        assert refused.status_code == 422, (field, refused.content)
        assert fields_of(refused) == {field: ["This field cannot be null."]}
    row = messaging_settings(business)
    assert (row.cap_count, row.sms_provider, row.sms_price_minor) == (3, "outbox", 100)


def test_analytics_settings_refuse_null(api: ApiClient) -> None:
    refused = api.put("/analytics/settings", {"gross_margin_bp": None})
    assert refused.status_code == 422
    assert fields_of(refused) == {"gross_margin_bp": ["This field cannot be null."]}
    assert api.get("/analytics/settings").json()["gross_margin_bp"] == 4000


def test_task_owner_null_unassigns_and_status_null_is_refused(
    api: ApiClient, business: Any, customer: Customer
) -> None:
    staff = staff_add(business=business, username="wanjiku", role="cashier")
    task = interaction_add(customer=customer, kind="complaint", summary="Cold coffee")
    assigned = api.patch(f"/interactions/{task.pk}", {"owner_id": staff.user_id})
    assert assigned.json()["owner_id"] == staff.user_id
    unassigned = api.patch(f"/interactions/{task.pk}", {"owner_id": None})
    assert unassigned.status_code == 200
    assert unassigned.json()["owner_id"] is None
    refused = api.patch(f"/interactions/{task.pk}", {"status": None})
    assert refused.status_code == 422
    assert fields_of(refused) == {"status": ["This field cannot be null."]}
    assert Interaction.objects.get(pk=task.pk).status == "open"


# --- 2. numbers: bounded, "too large" ------------------------------------------------------------


def test_huge_wallet_amount_is_too_large(api: ApiClient, customer: Customer) -> None:
    response = api.post(
        f"/customers/{customer.pk}/wallet/earn", {"amount": HUGE, "reason": "x"}, **key()
    )
    assert response.status_code == 422
    assert fields_of(response) == {"amount": [f"Too large: the most allowed is {MAX_INT}."]}
    assert not Operation.objects.exists()


def test_huge_quantity_is_too_large_with_its_path(api: ApiClient, customer: Customer) -> None:
    sale = {
        "customer": {"id": customer.pk},
        "currency": "KES",
        "lines": [{"sku": "latte", "quantity": HUGE, "unit_price_minor": 28_000}],
    }
    response = api.post("/checkout/reserve", sale, **key())
    assert response.status_code == 422
    assert "Too large" in fields_of(response)["lines.0.quantity"][0]
    assert not Order.objects.exists()


def test_an_absurd_quantity_is_never_reserved_nor_committed(
    api: ApiClient, customer: Customer
) -> None:
    """2**53 - 1 passes the generic bound, but quantity × price would overflow the order's
    totals: the checkout refuses it as too large, and there is nothing to commit."""
    sale = {
        "customer": {"id": customer.pk},
        "currency": "KES",
        "lines": [{"sku": "latte", "quantity": MAX_INT, "unit_price_minor": 10_000}],
    }
    reserved = api.post("/checkout/reserve", sale, **{"Idempotency-Key": "absurd"})
    assert reserved.status_code == 422, reserved.content
    assert "too large" in fields_of(reserved)["lines.0.quantity"][0]
    committed = api.post("/checkout/absurd/commit")
    assert committed.status_code == 404
    assert not Order.objects.exists()


def test_domain_bounds_are_named_too_large(api: ApiClient) -> None:
    price = api.patch("/messaging/settings", {"sms_price_minor": 10_000_001})
    assert price.status_code == 422
    assert fields_of(price) == {"sms_price_minor": ["Too large: the most allowed is 10000000."]}
    margin = api.put("/analytics/settings", {"gross_margin_bp": 10_001})
    assert fields_of(margin) == {"gross_margin_bp": ["Too large: the most allowed is 10000."]}
    negative = api.put("/analytics/settings", {"activity_window_days": 0})
    assert fields_of(negative) == {"activity_window_days": ["Too small: the least allowed is 1."]}


def test_numbers_deep_in_free_form_objects_are_bounded(api: ApiClient) -> None:
    response = api.post("/segments", {"name": "Big spenders", "filters": {"spent_min": HUGE}})
    assert response.status_code == 422
    assert "Too large" in fields_of(response)["filters"][0]
    not_a_number = api.post("/segments", '{"name": "NaN", "filters": {"spent_min": NaN}}')
    assert not_a_number.status_code == 422
    assert fields_of(not_a_number) == {"filters": ["Enter a number."]}
    assert not Segment.objects.exists()


def test_huge_ids_in_the_path_and_the_query(api: ApiClient, customer: Customer) -> None:
    assert api.get(f"/customers/{HUGE}").status_code == 404
    assert api.patch(f"/customers/{HUGE}", {"city": "Nakuru"}).status_code == 404
    assert api.post(f"/customers/{HUGE}/wallet/earn", {"amount": 1}, **key()).status_code == 404
    listed = api.get(f"/customers?segment_id={HUGE}")
    assert listed.status_code == 422
    assert fields_of(listed) == {"segment_id": [f"Too large: the most allowed is {MAX_INT}."]}
    dashboard = api.get(f"/analytics/dashboard?location={HUGE}")
    assert dashboard.status_code == 422
    assert "location" in fields_of(dashboard)


def test_a_period_ending_in_year_one_is_refused(api: ApiClient) -> None:
    for path in ("/analytics/dashboard", "/analytics/tiers", "/analytics/promotions/1/uplift"):
        response = api.get(f"{path}?end=0001-01-01")
        assert response.status_code == 422, (path, response.content)
        assert response.json()["code"] == "period_too_early"
        assert fields_of(response) == {"end": ["2000-01-01"]}


# --- 3. malformed multipart, a busy database ----------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_multipart_without_a_boundary_is_400(api: ApiClient, media: None) -> None:
    response = api.client.generic(
        "POST",
        "/api/v1/imports",
        data=b"--x\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\nx\r\n",
        content_type="multipart/form-data",
        headers=api.headers,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_multipart"
    assert "multipart/form-data" in body["message"]
    assert not ImportJob.objects.exists()


def test_too_many_files_is_400(api: ApiClient, media: None, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = {
        f"file{n}": SimpleUploadedFile(f"{n}.csv", b"Jina\nAmina\n", content_type="text/csv")
        for n in range(5)
    }
    response = api.client.post("/api/v1/imports", files, headers=api.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_parts"
    assert not ImportJob.objects.exists()


def test_a_database_error_that_is_not_a_lock_stays_a_500(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise OperationalError("no such column: tenants_location.colour")

    monkeypatch.setattr("wateja.api.routers.business.location_create", broken)
    response = api.post("/locations", {"name": "Kisumu"})
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "Retry-After" not in response


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_is_503_with_retry_after(api: ApiClient, business: Any) -> None:
    """A real lock: another connection holds the write lock (SQLite: BEGIN IMMEDIATE on the
    test database file; PostgreSQL: LOCK TABLE) while the API tries to write."""
    assert api.get("/locations").status_code == 200  # the key's last use is recorded now
    with _another_writer_holds_the_lock():
        response = api.post("/locations", {"name": "Kisumu"}, **{"Accept-Language": "en"})
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "database_busy"
    assert body["message"] == (
        "The database is busy with other requests. Try again in a few seconds."
    )
    assert body["details"] == {"retry_after_seconds": RETRY_AFTER_SECONDS}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert not Location.objects.filter(name="Kisumu").exists()
    again = api.post("/locations", {"name": "Kisumu"})
    assert again.status_code == 201, again.content


class _another_writer_holds_the_lock:  # a context manager, named for the with line
    def __enter__(self) -> None:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            self.other: Any = sqlite3.connect(connection.settings_dict["NAME"], timeout=0.1)
            self.other.isolation_level = None
            self.other.execute("BEGIN IMMEDIATE")
            with connection.cursor() as cursor:  # give up waiting after 0.2 s, not 5 s
                cursor.execute("PRAGMA busy_timeout = 200")
        elif connection.vendor == "postgresql":
            import psycopg

            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            self.other = psycopg.connect(**params)
            self.other.execute("LOCK TABLE tenants_location IN ACCESS EXCLUSIVE MODE")
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
        else:
            pytest.skip(f"no lock recipe for {connection.vendor}")

    def __exit__(self, *exc: object) -> None:
        self.other.execute("ROLLBACK")
        self.other.close()
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA busy_timeout = 5000")
            else:
                cursor.execute("RESET lock_timeout")


def test_null_segment_on_a_campaign_means_every_customer(api: ApiClient, business: Any) -> None:
    template = template_save(
        business=business,
        name="Offer",
        channel="sms",
        variants=[{"label": "A", "weight": 1, "texts": {"en": {"body": "Hi {name}"}}}],
    )
    segment = api.post("/segments", {"name": "Nairobi", "filters": {"city": "Nairobi"}}).json()
    campaign = api.post(
        "/campaigns",
        {"name": "Weekend", "segment_id": segment["id"], "sms_template_id": template.pk},
    ).json()
    assert campaign["segment_id"] == segment["id"]
    changed = api.patch(f"/campaigns/{campaign['id']}", {"name": "Weekend", "segment_id": None})
    assert changed.status_code == 200, changed.content
    assert changed.json()["segment_id"] is None
    assert changed.json()["sms_template_id"] == template.pk  # left out: kept
    refused = api.patch(f"/campaigns/{campaign['id']}", {"name": "Weekend", "offer": None})
    assert refused.status_code == 422
    assert fields_of(refused) == {"offer": ["This field cannot be null."]}
