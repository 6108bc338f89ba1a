# Provider secrets encrypted at rest (security issue 16): the columns become text wide enough
# for a Fernet token, and the values already stored are encrypted in place (reversible).
from django.db import migrations

import wateja.messaging.models
import wateja.tenants.secrets

TABLE = "messaging_messagingsettings"
COLUMNS = ("at_api_key", "twilio_auth_token", "hook_secret")


def _rewrite(schema_editor, change):
    columns = ", ".join(COLUMNS)
    assignments = ", ".join(f"{column} = %s" for column in COLUMNS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM {TABLE}")  # noqa: S608 (fixed names)
        for pk, *values in cursor.fetchall():
            changed = [change(value) if value else value for value in values]
            if changed != values:
                update = f"UPDATE {TABLE} SET {assignments} WHERE id = %s"  # noqa: S608
                cursor.execute(update, [*changed, pk])


def encrypt_stored(apps, schema_editor):
    from wateja.tenants.secrets import TOKEN_PREFIX, encrypt

    _rewrite(schema_editor, lambda v: v if v.startswith(TOKEN_PREFIX) else encrypt(v))


def decrypt_stored(apps, schema_editor):
    from wateja.tenants.secrets import TOKEN_PREFIX, decrypt

    _rewrite(schema_editor, lambda v: decrypt(v) if v.startswith(TOKEN_PREFIX) else v)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_link_domains")]

    operations = [
        migrations.AlterField(
            model_name="messagingsettings",
            name="at_api_key",
            field=wateja.tenants.secrets.EncryptedTextField(
                blank=True, verbose_name="Africa's Talking API key"
            ),
        ),
        migrations.AlterField(
            model_name="messagingsettings",
            name="hook_secret",
            field=wateja.tenants.secrets.EncryptedTextField(default=wateja.messaging.models._token),
        ),
        migrations.AlterField(
            model_name="messagingsettings",
            name="twilio_auth_token",
            field=wateja.tenants.secrets.EncryptedTextField(
                blank=True, verbose_name="Twilio auth token"
            ),
        ),
        migrations.RunPython(encrypt_stored, decrypt_stored),
    ]
