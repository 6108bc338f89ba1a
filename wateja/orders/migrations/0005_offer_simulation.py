# The stored cost estimate of an offer (orders.simulation), computed in the background.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_refunds_voids_cashier"),
        ("promotions", "0001_initial"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="OfferSimulation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Waiting to be estimated"),
                            ("running", "Being estimated"),
                            ("done", "Estimated"),
                            ("failed", "Could not be estimated"),
                        ],
                        default="queued",
                        max_length=8,
                    ),
                ),
                ("months", models.PositiveSmallIntegerField(default=3)),
                ("generation", models.PositiveIntegerField(default=0)),
                ("requested_at", models.DateTimeField(blank=True, null=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                (
                    "computed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="simulated on"),
                ),
                ("orders_seen", models.PositiveIntegerField(default=0)),
                ("result", models.JSONField(blank=True, default=dict)),
                ("error", models.CharField(blank=True, max_length=300)),
                (
                    "business",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.business",
                    ),
                ),
                (
                    "promotion",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="simulation",
                        to="promotions.promotion",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
    ]
