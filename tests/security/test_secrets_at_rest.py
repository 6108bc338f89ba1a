"""Provider secrets at rest: the database column holds a Fernet token, never the secret; the
code sees the plain text; values stored before are encrypted by the migration; a database
whose key is missing reads them as empty (nothing crashes, `wateja doctor` fails with a fix)
and keeps them for when the key is back; a second key rotates the first. (A backup restored
on a fresh machine brings its keys along: tests/cli/test_secrets_backup.py.)"""

from __future__ import annotations

import importlib
from types import SimpleNamespace

from cryptography.fernet import Fernet
from django.db import connection

from wateja.messaging.config import messaging_settings, messaging_settings_update
from wateja.messaging.models import MessagingSettings
from wateja.operations.doctor import FAIL, OK, check_secrets
from wateja.tenants import secrets

AT_KEY = "atsk_0123456789abcdefSECRET"
TWILIO = "twilio-auth-token-0123456789abcdef"
COLUMNS = ("at_api_key", "twilio_auth_token", "hook_secret")


def _raw(business) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT at_api_key, twilio_auth_token, hook_secret "
            "FROM messaging_messagingsettings WHERE business_id = %s",
            [business.pk],
        )
        return dict(zip(COLUMNS, cursor.fetchone(), strict=True))


def _set_secrets(business) -> MessagingSettings:
    return messaging_settings_update(
        business=business,
        sms_provider="africastalking",
        at_username="duka",
        at_api_key=AT_KEY,
        twilio_auth_token=TWILIO,
    )


def test_the_column_holds_a_token_the_code_the_secret(business):
    _set_secrets(business)
    row = messaging_settings(business)
    raw = _raw(business)
    assert AT_KEY not in raw["at_api_key"] and TWILIO not in raw["twilio_auth_token"]
    assert row.hook_secret and row.hook_secret not in raw["hook_secret"]
    for column in COLUMNS:
        assert raw[column].startswith("gAAAAA")
    key = Fernet(secrets.current_keys()[0].encode())
    assert key.decrypt(raw["at_api_key"].encode()).decode() == AT_KEY
    fresh = MessagingSettings.objects.get(pk=row.pk)
    assert (fresh.at_api_key, fresh.twilio_auth_token) == (AT_KEY, TWILIO)
    assert MessagingSettings.objects.filter(pk=row.pk).values_list("at_api_key", flat=True)[0] == (
        AT_KEY
    )


def test_an_empty_secret_stays_empty(business):
    messaging_settings(business)
    assert _raw(business)["at_api_key"] == ""
    assert messaging_settings(business).at_api_key == ""


def test_the_migration_encrypts_what_was_stored_plain_and_back(business):
    row = messaging_settings(business)
    with connection.cursor() as cursor:  # as a database made before the migration holds it
        cursor.execute(
            "UPDATE messaging_messagingsettings SET at_api_key = %s, hook_secret = %s "
            "WHERE id = %s",
            [AT_KEY, "plain-hook-secret", row.pk],
        )
    migration = importlib.import_module("wateja.messaging.migrations.0004_encrypted_secrets")
    editor = SimpleNamespace(connection=connection)
    step = migration.Migration.operations[-1]  # the RunPython that rewrites stored values
    step.code(None, editor)
    raw = _raw(business)
    assert raw["at_api_key"].startswith("gAAAAA") and AT_KEY not in raw["at_api_key"]
    again = dict(raw)
    step.code(None, editor)  # twice: nothing encrypted twice
    assert _raw(business) == again
    fresh = MessagingSettings.objects.get(pk=row.pk)
    assert (fresh.at_api_key, fresh.hook_secret) == (AT_KEY, "plain-hook-secret")
    step.reverse_code(None, editor)
    assert _raw(business)["at_api_key"] == AT_KEY


def test_without_its_key_a_secret_reads_empty_and_survives_a_save(business, settings):
    row = _set_secrets(business)
    stored = _raw(business)
    own_keys = list(settings.FERNET_KEYS)
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]  # the key file was lost
    row = MessagingSettings.objects.get(pk=row.pk)
    assert row.at_api_key == "" and not row.twilio_auth_token
    # the AT key, the Twilio token, the callback secret and the Telegram webhook secret
    assert secrets.undecryptable_count() == 4
    doctor = check_secrets(database_ok=True)
    assert doctor.status == FAIL and "4 stored provider secret(s) cannot be opened" in doctor.detail
    assert "beside the backup" in doctor.fix
    row.cap_count = 5
    row.save()  # the whole row saved meanwhile (by a job, say)
    assert _raw(business) == stored  # the tokens kept as they were

    settings.FERNET_KEYS = own_keys  # the key put back
    row = MessagingSettings.objects.get(pk=row.pk)
    assert (row.at_api_key, row.twilio_auth_token, row.cap_count) == (AT_KEY, TWILIO, 5)
    assert secrets.undecryptable_count() == 0
    assert check_secrets(database_ok=True).status == OK


def test_a_second_key_rotates_the_first_without_losing_secrets(business, settings):
    _set_secrets(business)
    old = list(settings.FERNET_KEYS)
    new = Fernet.generate_key().decode()
    settings.FERNET_KEYS = [new, *old]  # the new key first: it encrypts, the old still opens
    assert messaging_settings(business).at_api_key == AT_KEY
    messaging_settings_update(business=business, at_api_key="atsk_rotated_key_987654")
    token = _raw(business)["at_api_key"]
    assert Fernet(new.encode()).decrypt(token.encode()).decode() == "atsk_rotated_key_987654"
