# The domains a business's messages may link to (security issue 16: least privilege).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_hook_secret")]

    operations = [
        migrations.AddField(
            model_name="messagingsettings",
            name="link_domains",
            field=models.CharField(
                blank=True,
                help_text=(
                    "The business's own domains, comma separated (e.g. kahawa.co.ke); their "
                    "subdomains too. Links to anywhere else are refused."
                ),
                max_length=500,
                verbose_name="websites messages may link to",
            ),
        ),
    ]
