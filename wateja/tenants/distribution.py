"""The Citus plan, read from the model graph: which table is distributed by `business_id`, which
is a reference table, and the composite keys that keep one business's rows on one shard.

A table is *distributed* when it has a `business` foreign key to `tenants.Business` (every
`BusinessOwned` model), plus `tenants_business` itself (the tenant table, distributed by its
`id`, colocated with the rest). Every other table is a *reference* table (users, sessions,
content types, sign-in throttling, two-factor devices): copied to every node.

Django foreign keys are single-column. Between two distributed tables Citus needs the
distribution column on both sides, so such a field is declared with `db_constraint=False` and
the migration of its app runs `add_tenant_foreign_keys(app_label)`, which adds on PostgreSQL
`FOREIGN KEY (business_id, <fk>_id) REFERENCES <target> (business_id, id)` (MATCH SIMPLE: a
NULL `<fk>_id` is not checked; DEFERRABLE INITIALLY DEFERRED like Django's own). The target
carries `UNIQUE (business_id, id)` (`scoping.tenant_key`), which becomes its primary key when
the table is distributed. `tests/scale/test_citus_schema.py` checks the models and the catalog.

A many-to-many field between business-owned models goes through an explicit model subclassing
`BusinessOwned` (`StaffLocation`, `EventProduct`), so its rows carry business_id too; a
migration turning Django's own table into one copies the rows with `copy_into_through`.

Works on the live registry and on a migration's historical one (no import of app models).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

from wateja.tenants.partitioning import PARTITIONED_TABLES

TENANT_MODEL = "tenants.business"

DISTRIBUTED = "distributed"
REFERENCE = "reference"

# Unique keys of distributed tables that stay global on purpose: a key someone outside the
# business presents (a URL, a bearer key, a provider's callback) and that must find its
# business. In Citus each becomes UNIQUE (business_id, key) on the shard plus a row in the
# reference table `routing_key (kind, key) → business_id` that the lookup reads first.
GLOBAL_KEYS: dict[tuple[str, tuple[str, ...]], str] = {
    ("tenants.business", ("slug",)): "the business's public address (join page, card links); "
    "in Citus the tenant table's own key: routed by slug → id in the routing_key table",
    ("tenants.apikey", ("prefix",)): "the API key's visible prefix finds the key before the "
    "business is known; routed by prefix → business_id in routing_key",
    ("challenges.challenge", ("public_slug",)): "public leaderboard URL; routed by "
    "public_slug → business_id in routing_key",
    ("messaging.messagingsettings", ("hook_token",)): "SMS provider callback URL token; "
    "routed by token → business_id in routing_key",
    ("messaging.message", ("token",)): "unsubscribe / feedback / survey link token in a "
    "message a customer received; routed by token → business_id in routing_key",
    ("payments.paymentsettings", ("hook_token",)): "M-Pesa / payment webhook URL token; routed "
    "by token → business_id in routing_key",
    ("shops.shopconnection", ("token",)): "online shop webhook URL token; routed by token → "
    "business_id in routing_key",
}


@dataclass(frozen=True)
class TenantLink:
    """A foreign key between two distributed tables: (business_id, column) → (business_id, id)."""

    table: str
    column: str
    target: str

    @property
    def name(self) -> str:
        return constraint_name(self.table, self.column, "bfk")


def constraint_name(table: str, column: str, suffix: str) -> str:
    """A PostgreSQL identifier (≤ 63 bytes) naming a constraint on `table`.`column`."""
    name = f"{table}_{column}_{suffix}"
    if len(name) <= 63:
        return name
    import hashlib

    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: 63 - len(suffix) - 10]}_{digest}_{suffix}"


def _business_field(model: type[models.Model]) -> models.Field[Any, Any] | None:
    for field in model._meta.concrete_fields:
        target = field.related_model
        if field.name != "business" or target is None or isinstance(target, str):
            continue
        if target._meta.label_lower == TENANT_MODEL:
            return field
    return None


def is_tenant_model(model: type[models.Model]) -> bool:
    return model._meta.label_lower == TENANT_MODEL


def is_distributed(model: type[models.Model]) -> bool:
    """Distributed by business_id (or, for the tenant table, by id). Django's own table of a
    many-to-many field between distributed tables is one too, though it has no business_id:
    such a field names an explicit `through` model instead (a test checks there is none)."""
    if is_tenant_model(model) or _business_field(model) is not None:
        return True
    if model._meta.auto_created:
        targets = [f.related_model for f in model._meta.concrete_fields if f.is_relation]
        return bool(targets) and all(
            not isinstance(t, str) and t is not None and is_distributed(t) for t in targets
        )
    return False


def classify(model: type[models.Model]) -> str:
    return DISTRIBUTED if is_distributed(model) else REFERENCE


def tables(registry: Any) -> list[tuple[str, str]]:
    """(db_table, DISTRIBUTED | REFERENCE) of every table, sorted by name."""
    found = {
        m._meta.db_table: classify(m)
        for m in registry.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    }
    return sorted(found.items())


def tenant_links(models_: Iterable[type[models.Model]]) -> list[TenantLink]:
    """The foreign keys between distributed tables (the business key itself excluded)."""
    links = []
    for model in models_:
        if _business_field(model) is None:
            continue
        for field in model._meta.concrete_fields:
            target = field.related_model
            if not field.is_relation or field.name == "business" or field.column is None:
                continue
            if target is None or isinstance(target, str) or not is_distributed(target):
                continue
            if target._meta.db_table in PARTITIONED_TABLES:
                continue  # no foreign key can point into a partitioned table (docs/partitioning.md)
            links.append(TenantLink(model._meta.db_table, field.column, target._meta.db_table))
    return sorted(links, key=lambda link: (link.table, link.column))


def referenced_tables(models_: Iterable[type[models.Model]]) -> set[str]:
    """Distributed tables some composite foreign key points at (they need UNIQUE (business_id,
    id))."""
    return {link.target for link in tenant_links(models_)}


def business_leading_keys(model: type[models.Model]) -> list[str]:
    """Names of the whole-table (not partial) unique keys and indexes of `model` whose first
    column is business_id: any of them serves `WHERE business_id = …` (the reason the
    `business` column has no index of its own)."""
    names = []
    for key in [*model._meta.constraints, *model._meta.indexes]:
        fields = list(getattr(key, "fields", ()) or ())
        if fields and fields[0] == "business" and getattr(key, "condition", None) is None:
            names.append(str(key.name))
    for together in model._meta.unique_together:
        if together and together[0] == "business":
            names.append("unique_together " + ",".join(together))
    return names


def _app_models(apps: Any, app_label: str) -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label == app_label]


def _existing(schema_editor: Any) -> set[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f'")
        return {row[0] for row in cursor.fetchall()}


def add_tenant_foreign_keys(app_label: str) -> Callable[[Any, Any], None]:
    """RunPython forward: the composite foreign keys of `app_label`'s tables (PostgreSQL only;
    idempotent). Added NOT VALID then validated, so a large table is not locked while checked."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        existing = _existing(schema_editor)
        for link in tenant_links(_app_models(apps, app_label)):
            if link.name in existing:
                continue
            schema_editor.execute(
                f"ALTER TABLE {quote(link.table)} ADD CONSTRAINT {quote(link.name)} "
                f"FOREIGN KEY (business_id, {quote(link.column)}) "
                f"REFERENCES {quote(link.target)} (business_id, id) "
                "DEFERRABLE INITIALLY DEFERRED NOT VALID"
            )
            schema_editor.execute(
                f"ALTER TABLE {quote(link.table)} VALIDATE CONSTRAINT {quote(link.name)}"
            )

    return forward


def drop_tenant_foreign_keys(app_label: str) -> Callable[[Any, Any], None]:
    """RunPython backward of `add_tenant_foreign_keys`."""

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for link in tenant_links(_app_models(apps, app_label)):
            schema_editor.execute(
                f"ALTER TABLE {quote(link.table)} DROP CONSTRAINT IF EXISTS {quote(link.name)}"
            )

    return backward


def _many_to_many(apps: Any, app_label: str, model_name: str, field_name: str) -> Any:
    return apps.get_model(app_label, model_name)._meta.get_field(field_name)


def _check_now(schema_editor: Any) -> None:
    """Run the deferred checks of the rows just written (PostgreSQL refuses an ALTER TABLE,
    such as the foreign keys Django adds at the end of a migration, on a table with checks
    pending)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def copy_into_through(
    app_label: str, model_name: str, field_name: str, through_name: str
) -> Callable[[Any, Any], None]:
    """RunPython forward, while `model_name.field_name` is still Django's many-to-many: copies
    its rows into the explicit through model `through_name` (same two foreign keys, named as
    Django names them), business_id taken from the parent. A row whose target belongs to
    another business is left behind: the composite key could not hold it."""

    def forward(apps: Any, schema_editor: Any) -> None:
        field = _many_to_many(apps, app_label, model_name, field_name)
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        through = apps.get_model(app_label, through_name)
        rows = (
            field.remote_field.through.objects.using(schema_editor.connection.alias)
            .filter(**{f"{target}__business_id": models.F(f"{source}__business_id")})
            .values_list(f"{source}__business_id", f"{source}_id", f"{target}_id")
        )
        through.objects.using(schema_editor.connection.alias).bulk_create(
            [
                through(business_id=business, **{f"{source}_id": one, f"{target}_id": other})
                for business, one, other in rows
            ],
            batch_size=1000,
        )
        _check_now(schema_editor)

    return forward


def copy_out_of_through(
    app_label: str, model_name: str, field_name: str, through_name: str
) -> Callable[[Any, Any], None]:
    """RunPython backward of `copy_into_through`: the rows back into Django's table."""

    def backward(apps: Any, schema_editor: Any) -> None:
        field = _many_to_many(apps, app_label, model_name, field_name)
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        old = field.remote_field.through
        alias = schema_editor.connection.alias
        rows = apps.get_model(app_label, through_name).objects.using(alias)
        old.objects.using(alias).bulk_create(
            [
                old(**{f"{source}_id": one, f"{target}_id": other})
                for one, other in rows.values_list(f"{source}_id", f"{target}_id")
            ],
            batch_size=1000,
        )
        _check_now(schema_editor)

    return backward


def citus_statements(registry: Any) -> list[str]:
    """The `create_reference_table` / `create_distributed_table` calls, in an order Citus
    accepts: reference tables first, then the tenant table, then every distributed table
    colocated with it (parents before children is not needed once colocated)."""
    statements = []
    for table, kind in tables(registry):
        if kind == REFERENCE:
            statements.append(f"SELECT create_reference_table('{table}');")
    tenant = registry.get_model("tenants", "Business")._meta.db_table
    statements.append(f"SELECT create_distributed_table('{tenant}', 'id');")
    for table, kind in tables(registry):
        if kind == DISTRIBUTED and table != tenant:
            statements.append(
                f"SELECT create_distributed_table('{table}', 'business_id', "
                f"colocate_with => '{tenant}');"
            )
    return statements


def tables_markdown(registry: Any) -> str:
    """The table list of docs/scale.md (between its `citus-tables` markers)."""
    lines = ["| table | kind |", "| --- | --- |"]
    tenant = registry.get_model("tenants", "Business")._meta.db_table
    for table, kind in tables(registry):
        if table == tenant:
            note = "distributed by id (the tenant table)"
        elif kind == DISTRIBUTED:
            note = "distributed by business_id"
        else:
            note = "reference"
        lines.append(f"| `{table}` | {note} |")
    return "\n".join(lines)
