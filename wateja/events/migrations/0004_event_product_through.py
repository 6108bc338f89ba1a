"""Event.products goes through EventProduct, which carries business_id (Citus: colocated with
events_event). Its composite keys first, then the rows of Django's events_event_products are
copied in, then that table is dropped and the field names the new model."""

import django.db.models.deletion
from django.db import migrations, models

from wateja.tenants.distribution import (
    add_tenant_foreign_keys,
    copy_into_through,
    copy_out_of_through,
)


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_citus_keys'),
        ('events', '0003_index_twins'),
    ]

    operations = [
        migrations.CreateModel(
            name='EventProduct',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('business', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.business')),
                ('event', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, to='events.event')),
                ('product', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='catalog.product')),
            ],
            options={
                'verbose_name': 'event product',
                'verbose_name_plural': 'event products',
                'constraints': [models.UniqueConstraint(fields=('business', 'event', 'product'), name='event_product_once')],
            },
        ),
        # before the copy, so they check the copied rows; dropping the table undoes them
        migrations.RunPython(add_tenant_foreign_keys("events"), migrations.RunPython.noop),
        migrations.RunPython(
            copy_into_through("events", "event", "products", "eventproduct"),
            copy_out_of_through("events", "event", "products", "eventproduct"),
        ),
        migrations.RemoveField(
            model_name='event',
            name='products',
        ),
        # the field names the through model: no table to make (SQLite would rebuild the parent's)
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name='event',
                    name='products',
                    field=models.ManyToManyField(blank=True, related_name='+', through='events.EventProduct', to='catalog.product'),
                ),
            ],
        ),
    ]
