# Provider secrets encrypted at rest (security issue 16): the columns become text wide enough
# for a Fernet token, and the values already stored are encrypted in place (reversible).
from django.db import migrations

import wateja.messaging.models
import wateja.tenants.secrets

TABLE = "messaging_messagingsettings"
COLUMNS = ("at_api_key", "twilio_auth_token", "hook_secret")



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
        wateja.tenants.secrets.encrypt_columns_operation(TABLE, COLUMNS),
    ]
