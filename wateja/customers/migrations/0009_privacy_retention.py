# Privacy (issue 16): an imported customer's row in the file, and the import file's retention.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_card_link_rotation")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="customer",
            name="import_row",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="file_stored_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="file_removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="file_removed_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("retention", "Deleted after the retention period"),
                    ("erasure", "Deleted because a customer in it was erased"),
                ],
                default="",
                max_length=10,
            ),
        ),
    ]
