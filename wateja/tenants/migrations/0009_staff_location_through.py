"""Staff.locations goes through StaffLocation, which carries business_id (Citus: colocated with
tenants_staff). Staff gains UNIQUE (business_id, id) for the new table's composite key; the
keys first, then the rows of Django's tenants_staff_locations are copied in, then that table is
dropped and the field names the new model."""

import django.db.models.deletion
from django.db import migrations, models

from wateja.tenants.distribution import (
    add_tenant_foreign_keys,
    copy_into_through,
    copy_out_of_through,
)


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0008_index_twins'),
    ]

    operations = [
        # what the new table's composite key points at (first: undone after the table is dropped)
        migrations.AddConstraint(
            model_name='staff',
            constraint=models.UniqueConstraint(fields=('business', 'id'), name='tenants_staff_tenant_key'),
        ),
        migrations.CreateModel(
            name='StaffLocation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('business', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.business')),
                ('location', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, to='tenants.location')),
                ('staff', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, to='tenants.staff')),
            ],
            options={
                'verbose_name': 'staff location',
                'verbose_name_plural': 'staff locations',
                'constraints': [models.UniqueConstraint(fields=('business', 'staff', 'location'), name='staff_location_once')],
            },
        ),
        # before the copy, so they check the copied rows; dropping the table undoes them
        migrations.RunPython(add_tenant_foreign_keys("tenants"), migrations.RunPython.noop),
        migrations.RunPython(
            copy_into_through("tenants", "staff", "locations", "stafflocation"),
            copy_out_of_through("tenants", "staff", "locations", "stafflocation"),
        ),
        migrations.RemoveField(
            model_name='staff',
            name='locations',
        ),
        # the field names the through model: no table to make (SQLite would rebuild the parent's)
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name='staff',
                    name='locations',
                    field=models.ManyToManyField(blank=True, related_name='staff_members', through='tenants.StaffLocation', to='tenants.location', verbose_name='works at'),
                ),
            ],
        ),
    ]
