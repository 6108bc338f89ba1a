# The public enrolment page's settings (issue 16): the countries whose numbers it takes and
# whether it checks the phone by a one-time SMS code.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tenants", "0005_two_factor")]

    operations = [
        migrations.AddField(
            model_name="business",
            name="countries_served",
            field=models.CharField(
                blank=True,
                help_text="country codes, e.g. KE, TZ; empty: the business's own country",
                max_length=200,
                verbose_name="countries served",
            ),
        ),
        migrations.AddField(
            model_name="business",
            name="join_verify_phone",
            field=models.CharField(
                choices=[
                    ("auto", "Automatic: when an SMS provider is connected"),
                    ("on", "Always"),
                    ("off", "Never"),
                ],
                default="auto",
                max_length=4,
                verbose_name="check the phone by SMS code",
            ),
        ),
    ]
