"""On PostgreSQL the messages become a monthly partitioned table (by the time they were made)."""

from django.db import migrations


def partition(apps, schema_editor):
    from wateja.tenants.partitioning import convert

    convert("messaging_message", schema_editor.connection)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("messaging", "0011_message_partitioned_no_tenant_key")]
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
