# Provider secrets encrypted at rest (security issue 16): the columns become text wide enough
# for a Fernet token, and the values already stored are encrypted in place (reversible).
from django.db import migrations

import wateja.messaging.models
import wateja.tenants.secrets

TABLE = "messaging_messagingsettings"
COLUMNS = ("at_api_key", "twilio_auth_token", "hook_secret")


def encrypt_stored(apps, schema_editor):
    from wateja.tenants.secrets import stored_encrypt

    stored_encrypt(schema_editor, TABLE, COLUMNS)


def decrypt_stored(apps, schema_editor):
    from wateja.tenants.secrets import stored_decrypt

    stored_decrypt(schema_editor, TABLE, COLUMNS)


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
