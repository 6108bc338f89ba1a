# Provider callbacks carry a per-business secret (basic auth) and may be limited to addresses.

import secrets

from django.db import migrations, models

import wateja.messaging.models


def _fresh_secrets(apps, schema_editor):  # type: ignore[no-untyped-def]
    """AddField gave every existing business the same default: each gets its own."""
    settings_model = apps.get_model("messaging", "MessagingSettings")
    for row in settings_model.objects.all():
        row.hook_secret = secrets.token_urlsafe(18)
        row.save(update_fields=["hook_secret"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="messagingsettings",
            name="hook_allowed_ips",
            field=models.TextField(
                blank=True,
                help_text="One address or network per line (e.g. 196.201.214.0/24); empty: any.",
                verbose_name="provider addresses allowed to call back",
            ),
        ),
        migrations.AddField(
            model_name="messagingsettings",
            name="hook_secret",
            field=models.CharField(default=wateja.messaging.models._token, max_length=64),
        ),
        migrations.RunPython(_fresh_secrets, migrations.RunPython.noop),
    ]
