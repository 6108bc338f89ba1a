# A merge is recorded so it can be undone, and a customer keeps the other record's phone
# numbers and e-mail addresses as extra contacts.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_alter_consent_source"),
        ("tenants", "0003_staff_pin_locations_active"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerContact",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("phone", "Phone"), ("email", "E-mail")], max_length=5, verbose_name="kind")),
                ("value", models.CharField(max_length=254, verbose_name="value")),
                ("source", models.CharField(choices=[("merge", "Kept from a merged record"), ("staff", "Added by staff")], default="staff", max_length=5, verbose_name="source")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("removed_at", models.DateTimeField(blank=True, null=True)),
                ("business", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenants.business")),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="contacts", to="customers.customer")),
            ],
            options={
                "verbose_name": "contact",
                "ordering": ["kind", "id"],
                "indexes": [models.Index(fields=["business", "customer"], name="customer_contacts")],
                "constraints": [models.UniqueConstraint(condition=models.Q(("removed_at__isnull", True)), fields=("business", "kind", "value"), name="customer_contact_unique")],
            },
        ),
        migrations.CreateModel(
            name="CustomerMerge",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(db_index=True)),
                ("undone_at", models.DateTimeField(blank=True, null=True)),
                ("snapshot", models.JSONField(default=dict)),
                ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("business", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenants.business")),
                ("drop", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="customers.customer")),
                ("keep", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="customers.customer")),
                ("undone_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "merge",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["business", "created_at"], name="customer_merges")],
            },
        ),
    ]
