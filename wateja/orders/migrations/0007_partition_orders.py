"""On PostgreSQL the orders become a monthly partitioned table (by the time of the sale)."""

from django.db import migrations


def partition(apps, schema_editor):
    from wateja.tenants.partitioning import convert

    convert("orders_order", schema_editor.connection)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [
        ("orders", "0006_order_references_unconstrained"),
        ("challenges", "0002_order_reference_unconstrained"),
        ("messaging", "0009_order_references_unconstrained"),
        ("payments", "0005_order_reference_unconstrained"),
        ("shops", "0003_order_reference_unconstrained"),
    ]
    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
