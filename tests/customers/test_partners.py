"""Partner base exchange: only customers who agreed to that partner, with the proof of their
consent; the partner imports the file like any other."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from wateja.core.errors import NotFound, ValidationFailed
from wateja.customers.importing import import_run, import_upload
from wateja.customers.models import Consent, Customer, Interaction, Source
from wateja.customers.partners import partner_consent_purpose, partner_share_export
from wateja.customers.services import consent_record, customer_create
from wateja.tenants.models import AuditEvent

MAUA = "Maua Flowers"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def rows_of(export):
    return list(csv.reader(io.StringIO(b"".join(export.chunks).decode("utf-8-sig"))))


def agree(customer, partner=MAUA, granted=True, at=None):
    return consent_record(
        customer=customer,
        channel="partner",
        purpose=partner_consent_purpose(partner),
        granted=granted,
        text=f"Share my name and contacts with {partner}.",
        at=at,
    )


def test_partner_consent_purpose():
    assert partner_consent_purpose("Maua Flowers") == "partner:maua-flowers"
    assert partner_consent_purpose("  Ծաղիկ ") == "partner:ծաղիկ"
    assert partner_consent_purpose("Цветы & Ко") == "partner:цветы-ко"
    with pytest.raises(ValidationFailed):
        partner_consent_purpose(" !! ")


@pytest.fixture
def shared(business, other_business):
    now = dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC)
    yes = customer_create(business=business, name="Amina", phone="0711 000 001", email="a@x.com")
    consent = agree(yes, at=now)
    withdrew = customer_create(business=business, name="Baraka", phone="0711 000 002")
    agree(withdrew, at=now)
    agree(withdrew, granted=False, at=now + dt.timedelta(days=1))
    changed_mind = customer_create(business=business, name="Chausiku", phone="0711 000 003")
    agree(changed_mind, granted=False, at=now)
    agree(changed_mind, at=now + dt.timedelta(days=2))
    other_partner = customer_create(business=business, name="Dalila", phone="0711 000 004")
    agree(other_partner, partner="Kahawa Bora")
    consent_record(customer=other_partner, channel="sms", granted=True)
    never = customer_create(business=business, name="Eliud", phone="0711 000 005")
    assert never
    elsewhere = customer_create(business=other_business, name="Ani", phone="+37491234567")
    agree(elsewhere)
    return consent


def test_only_customers_whose_latest_answer_is_yes_are_shared(business, shared):
    export = partner_share_export(business=business, partner_name="maua flowers", fmt="csv")
    rows = rows_of(export)
    assert rows[0] == [
        "Name",
        "Phone",
        "E-mail",
        "Consent reference",
        "Consent recorded at",
        "Consent text",
        "Shared by",
    ]
    assert [row[0] for row in rows[1:]] == ["Amina", "Chausiku"]
    amina = rows[1]
    assert amina[1:4] == ["+254711000001", "a@x.com", str(shared.pk)]
    assert amina[4] == "2025-05-01T09:00:00Z"
    assert amina[5] == "Share my name and contacts with Maua Flowers."
    assert amina[6] == business.name
    event = AuditEvent.objects.get(action="partner.share_export")
    assert event.details["rows"] == 2 and event.object_id == "partner:maua-flowers"
    assert "partner-maua-flowers" in export.filename


def test_an_unknown_partner_is_not_found(business, other_business, shared):
    with pytest.raises(NotFound):
        partner_share_export(business=business, partner_name="Nobody", fmt="csv")
    # the other business's customer agreed to Maua too, but only its own file has her
    rows = rows_of(partner_share_export(business=other_business, partner_name=MAUA, fmt="csv"))
    assert [row[0] for row in rows[1:]] == ["Ani"]


def test_the_partner_imports_the_file_like_any_import(business, make_business, shared):
    export = partner_share_export(business=business, partner_name=MAUA, fmt="xlsx")
    maua = make_business(name=MAUA)
    job, _created = import_upload(
        business=maua,
        file_name=export.filename,
        fileobj=io.BytesIO(b"".join(export.chunks)),
        source=Source.PARTNER,
    )
    assert set(job.mapping.values()) == {
        "name",
        "phone",
        "email",
        "partner_consent_id",
        "partner_consent_at",
        "partner_consent_text",
        "partner_name",
    }
    job = import_run(job=job)
    assert job.created_count == 2
    amina = Customer.objects.get(business=maua, phone="+254711000001")
    assert amina.source == Source.PARTNER
    proof = Interaction.objects.get(customer=amina)
    assert proof.reference == f"partner-consent:{shared.pk}"
    assert business.name in proof.summary
    assert "2025-05-01T09:00:00Z" in proof.body and "Maua Flowers" in proof.body
    assert not Consent.objects.filter(business=maua).exists()
