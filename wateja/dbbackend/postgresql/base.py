"""Django's PostgreSQL backend with one difference: a query that groups rows of a partitioned
table (`tenants.partitioning`) groups by every selected column, not by the primary key alone.

Django shortens `GROUP BY` to a model's `id` on PostgreSQL because the other columns depend on
the primary key. A partitioned table's primary key is `(id, <partition column>)`, so `id` alone
no longer implies them and PostgreSQL refuses the shortened query (GroupingError). Settings
name this module as the engine whenever `DATABASE_URL` is a PostgreSQL address.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model: Any) -> bool:
        from wateja.tenants.partitioning import PARTITIONED_TABLES

        if model._meta.db_table in PARTITIONED_TABLES:
            return False
        return bool(super().allows_group_by_selected_pks_on_model(model))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
