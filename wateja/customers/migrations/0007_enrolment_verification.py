# Double opt-in on the enrolment page (issue 16): enrolments waiting for their SMS code, and
# the proof kept with a consent (address, browser, language, how the phone was checked).
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_interaction_events"),
        ("tenants", "0002_auditevent"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="ip_address",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="consent",
            name="language",
            field=models.CharField(blank=True, max_length=5),
        ),
        migrations.AddField(
            model_name="consent",
            name="user_agent",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="consent",
            name="verification",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.CreateModel(
            name="PendingEnrolment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("phone", models.CharField(help_text="E.164", max_length=20)),
                ("data", models.JSONField(default=dict)),
                ("consents", models.JSONField(default=dict)),
                ("language", models.CharField(blank=True, max_length=5)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=300)),
                ("code_digest", models.CharField(max_length=64)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for the code"),
                            ("verified", "Verified"),
                            ("void", "Void"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(db_index=True)),
                ("expires_at", models.DateTimeField()),
                ("verified_at", models.DateTimeField(blank=True, null=True)),
                (
                    "business",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.business",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "enrolment waiting for its code",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["business", "phone"], name="pending_enrolment_phone")
                ],
            },
        ),
    ]
