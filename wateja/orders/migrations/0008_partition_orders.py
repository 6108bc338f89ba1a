"""On PostgreSQL the orders become a monthly partitioned table (by the time of the sale)."""

from django.db import migrations


def partition(apps, schema_editor):
    from wateja.tenants.partitioning import convert

    convert("orders_order", schema_editor.connection)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [
        ("orders", "0007_order_partitioned_no_tenant_key"),
        ("challenges", "0003_index_twins"),
        ("messaging", "0011_message_partitioned_no_tenant_key"),
        ("payments", "0006_index_twins"),
        ("shops", "0004_index_twins"),
    ]
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
