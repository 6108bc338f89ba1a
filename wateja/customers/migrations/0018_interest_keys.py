"""Customer.interest_keys: the interests as segments match them (trimmed, casefolded, once
each), so the `interests` filter is a query instead of every customer's interests read into
Python. Filled here for the customers there are, a batch at a time; on PostgreSQL a GIN
index serves the filter's `?|`.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

BATCH = 2000
INDEX = "customer_interest_keys"


def _keys(interests: Any) -> list[str]:
    """customers.services.interest_keys as it is now (a migration keeps its own copy)."""
    if not isinstance(interests, list):
        return []
    keys = (str(i).strip().casefold() for i in interests)
    return list(dict.fromkeys(k for k in keys if k))


def fill(apps: Any, schema_editor: Any) -> None:
    Customer = apps.get_model("customers", "Customer")
    rows = Customer.objects.order_by("pk").values_list("pk", "interests")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1][0]
        changed = [Customer(pk=pk, interest_keys=_keys(i)) for pk, i in batch if _keys(i)]
        Customer.objects.bulk_update(changed, ["interest_keys"])


def index_create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON customers_customer USING gin (interest_keys)"
        )


def index_drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0017_duplicates_citus_keys")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="interest_keys",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(index_create, index_drop, elidable=False),
    ]
