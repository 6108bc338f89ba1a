"""On PostgreSQL the ledger's transfers and entries become monthly partitioned tables."""

from django.db import migrations


def partition(apps, schema_editor):
    from wateja.tenants.partitioning import convert

    for table in ("wallet_transfer", "wallet_entry"):
        convert(table, schema_editor.connection)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("wallet", "0008_ledger_partitioned_no_tenant_key")]
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
