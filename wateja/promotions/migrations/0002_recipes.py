# Offers by recipe: the recipe and its values stored on the promotion; per-customer limits per period.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("promotions", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="promotion",
            name="customer_limit_period",
            field=models.CharField(
                choices=[
                    ("total", "In total"),
                    ("day", "Per day"),
                    ("week", "Per week"),
                    ("month", "Per month"),
                    ("year", "Per year"),
                ],
                default="total",
                max_length=5,
            ),
        ),
        migrations.AddField(
            model_name="promotion",
            name="recipe",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="promotion",
            name="recipe_values",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
