# Opening balances carried over from another system have a system account of their own.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("wallet", "0003_merge_undo")]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="system",
            field=models.CharField(
                blank=True,
                choices=[
                    ("issuance", "Issued"),
                    ("redemption", "Redeemed"),
                    ("expiry", "Expired"),
                    ("payout", "Paid out"),
                    ("adjustment", "Adjustments"),
                    ("topup", "Top-ups received"),
                    ("donation", "Donations"),
                    ("opening", "Opening balances (imported)"),
                ],
                max_length=12,
            ),
        ),
    ]
