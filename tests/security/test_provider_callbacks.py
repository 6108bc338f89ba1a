"""Provider callbacks as a stranger with curl meets them: the hook token alone gets nothing
done; Africa's Talking's calls carry the business's secret, Twilio's are signed; an address
list narrows who may call; the owner rotates token and secret, and the old ones stop."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from tests.messaging.factories import basic_auth, person, twilio_signature
from wateja.customers.selectors import has_consent
from wateja.messaging.config import hook_url, messaging_settings
from wateja.messaging.hook_auth import hook_rotate
from wateja.messaging.models import InboundMessage

pytestmark = pytest.mark.django_db


def _stop(row, customer, **headers):
    return Client().post(
        f"/hooks/{row.hook_token}/sms/inbound/",
        {"from": customer.phone, "text": "STOP", "id": "in-1"},
        headers=headers,
    )


@pytest.mark.parametrize(
    "authorization",
    ["", "Basic " + base64.b64encode(b"wateja:guess").decode(), "Bearer x", "Basic !!!"],
)
def test_the_token_alone_or_a_wrong_secret_changes_nothing(business, authorization):
    row = messaging_settings(business)
    customer = person(business)
    headers = {"Authorization": authorization} if authorization else {}
    for kind, form in [
        ("sms/inbound", {"from": customer.phone, "text": "STOP"}),
        ("sms/optout", {"phoneNumber": customer.phone}),
        ("ussd", {"sessionId": "s", "phoneNumber": customer.phone, "text": "4"}),
        ("sms/delivery", {"id": "x", "status": "Success"}),
    ]:
        response = Client().post(f"/hooks/{row.hook_token}/{kind}/", form, headers=headers)
        assert response.status_code == 401, kind
        assert "wateja callbacks" in response["WWW-Authenticate"]
    assert has_consent(customer, "sms") and not InboundMessage.objects.exists()


def test_the_secret_from_the_settings_address_works(business):
    row = messaging_settings(business)
    customer = person(business)
    address = hook_url(row, "sms/inbound")
    assert f"wateja:{row.hook_secret}@" in address
    assert _stop(row, customer, Authorization=basic_auth(row)).status_code == 200
    assert not has_consent(customer, "sms")


def test_twilio_calls_must_be_signed_by_the_businesss_auth_token(business):
    row = messaging_settings(business)
    row.sms_provider, row.sms_sender = "twilio", "+15005550006"
    row.twilio_account_sid, row.twilio_auth_token = "AC" + "1" * 32, "t" * 32
    row.save()
    customer = person(business)
    path = f"/hooks/{row.hook_token}/sms/inbound/"
    form = {"From": customer.phone, "To": "+15005550006", "Body": "STOP", "MessageSid": "SM1"}
    assert "@" not in hook_url(row, "sms/inbound")  # Twilio signs: no secret in its address
    forged = Client().post(path, form, headers={"X-Twilio-Signature": "bm90IGl0"})
    assert forged.status_code == 401 and has_consent(customer, "sms")
    secret_is_not_enough = Client().post(path, form, headers={"Authorization": basic_auth(row)})
    assert secret_is_not_enough.status_code == 401
    tampered = Client().post(
        path,
        {**form, "From": "+254700000000"},
        headers={"X-Twilio-Signature": twilio_signature(row, path, form)},
    )
    assert tampered.status_code == 401
    signed = Client().post(
        path, form, headers={"X-Twilio-Signature": twilio_signature(row, path, form)}
    )
    assert signed.status_code == 200 and not has_consent(customer, "sms")


def test_only_the_listed_provider_addresses_may_call(business):
    row = messaging_settings(business)
    row.hook_allowed_ips = "196.201.214.0/24\n2001:db8::/32"
    row.save()
    customer = person(business)
    auth = basic_auth(row)
    path = f"/hooks/{row.hook_token}/sms/inbound/"
    form = {"from": customer.phone, "text": "SALIO"}
    stranger = Client(REMOTE_ADDR="203.0.113.9").post(path, form, headers={"Authorization": auth})
    assert stranger.status_code == 401
    provider = Client(REMOTE_ADDR="196.201.214.77").post(
        path, form, headers={"Authorization": auth}
    )
    assert provider.status_code == 200


def test_rotation_retires_the_old_address_and_secret(business):
    row = messaging_settings(business)
    customer = person(business)
    old_token, old_auth = row.hook_token, basic_auth(row)
    hook_rotate(row)
    row.refresh_from_db()
    gone = Client().post(
        f"/hooks/{old_token}/sms/inbound/",
        {"from": customer.phone, "text": "STOP"},
        headers={"Authorization": old_auth},
    )
    assert gone.status_code == 404
    assert _stop(row, customer, Authorization=old_auth).status_code == 401
    assert _stop(row, customer, Authorization=basic_auth(row)).status_code == 200


def test_each_business_has_its_own_secret(business, other_business):
    mine, theirs = messaging_settings(business), messaging_settings(other_business)
    assert mine.hook_secret != theirs.hook_secret and len(mine.hook_secret) >= 24
    customer = person(business)
    assert _stop(mine, customer, Authorization=basic_auth(theirs)).status_code == 401


def test_only_the_owner_sees_the_full_addresses_and_rotates_them(business, staff_client):
    from wateja.tenants.roles import Role

    row = messaging_settings(business)
    manager = staff_client(business, Role.MANAGER)
    page = manager.get("/messages/settings/", headers={"Accept-Language": "en"}).content.decode()
    assert row.hook_secret not in page and row.hook_token not in page
    assert f"{row.hook_token[:4]}…" in page and "Only the owner sees" in page
    assert manager.post("/messages/settings/hooks/rotate/", {"confirmed": "1"}).status_code == 403
    owner = staff_client(business, Role.OWNER)
    full = owner.get("/messages/settings/").content.decode()
    assert row.hook_secret in full and row.hook_token in full
    asked = owner.post("/messages/settings/hooks/rotate/")
    assert 'data-testid="confirm"' in asked.content.decode()
    assert messaging_settings(business).hook_token == row.hook_token  # not before "yes"
    owner.post("/messages/settings/hooks/rotate/", {"confirmed": "1"})
    rotated = messaging_settings(business)
    assert rotated.hook_token != row.hook_token and rotated.hook_secret != row.hook_secret
    from wateja.tenants.models import AuditEvent

    assert AuditEvent.objects.filter(business=business, action="messaging.hooks_rotate").exists()
