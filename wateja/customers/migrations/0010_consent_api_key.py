# The API key that posted a consent (security issue 16: least privilege).
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_privacy_retention"),
        ("tenants", "0002_auditevent"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="api_key",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tenants.apikey",
            ),
        ),
    ]
