# An import remembers the customers it created (so it can be undone and its customers listed)
# and the stamps each brought from the system used before.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_merge_record")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="import_job",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="customers",
                to="customers.importjob",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="stamps_carried",
            field=models.PositiveIntegerField(
                default=0,
                help_text="stamps collected in the previous system; the stamp card counts them",
                verbose_name="stamps carried over",
            ),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("uploaded", "Uploaded"),
                    ("previewed", "Checked"),
                    ("running", "Importing"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                    ("undone", "Undone"),
                ],
                default="uploaded",
                max_length=10,
            ),
        ),
    ]
