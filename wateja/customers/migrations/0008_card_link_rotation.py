# Card page links name the card's link version; bumping it makes every older link stop
# working (security issue 16: card links rotate).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0007_enrolment_verification")]

    operations = [
        migrations.AddField(
            model_name="card",
            name="link_version",
            field=models.PositiveIntegerField(default=1),
        ),
    ]
