# The timeline from stored event data: an interaction keeps what happened as a code and its
# facts (rendered in the reader's language by wateja.customers.events) instead of a sentence
# written once in whichever language was active.

from django.db import migrations, models


def keep_old_summaries(apps, schema_editor):
    """Rows written before this migration keep their stored summary (event stays blank and the
    timeline shows the summary as it was): their sentences cannot be read back into facts
    reliably in four languages, and guessing would put wrong facts on a customer's record."""


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_import_undo")]

    operations = [
        migrations.AddField(
            model_name="interaction",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="interaction",
            name="event",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RunPython(keep_old_summaries, migrations.RunPython.noop),
    ]
