# Two-step sign-in (issue 16): the per-business requirement, each user's authenticator device
# and their one-time recovery codes.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import wateja.tenants.secrets


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_signin_failures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="business",
            name="two_factor_required",
            field=models.CharField(
                choices=[
                    ("owners_managers", "Owners and managers"),
                    ("everyone", "Everyone"),
                    ("nobody", "Nobody"),
                ],
                default="owners_managers",
                max_length=20,
                verbose_name="two-step sign-in required for",
            ),
        ),
        migrations.CreateModel(
            name="TwoFactorDevice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("secret_encrypted", wateja.tenants.secrets.EncryptedTextField(editable=False)),
                ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                ("last_step", models.BigIntegerField(default=-1, editable=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="two_factor_device",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "two-step sign-in device"},
        ),
        migrations.CreateModel(
            name="RecoveryCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("digest", models.CharField(editable=False, max_length=64)),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="recovery_codes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("user", "digest"), name="recovery_code_once_per_user")
                ],
            },
        ),
    ]
