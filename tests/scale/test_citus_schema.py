"""Citus readiness (issue 19, item 6): the schema can be distributed by business_id.

Given the models (both backends) and, on PostgreSQL, the real catalog after migrating:
every unique key of a distributed table includes business_id (or is a listed global key),
every foreign key between distributed tables is the composite (business_id, fk) →
(business_id, id), no reference table points at a distributed one, and docs/scale.md lists
every table as the models classify it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, models

from wateja.tenants import distribution
from wateja.tenants.distribution import GLOBAL_KEYS
from wateja.tenants.partitioning import PARTITIONED_TABLES
from wateja.tenants.scoping import BusinessOwned

DOC = Path(__file__).resolve().parents[2] / "docs" / "scale.md"
TENANT_TABLE = "tenants_business"


def _models() -> list[type[models.Model]]:
    return list(apps.get_models(include_auto_created=True))


def _owned() -> list[type[models.Model]]:
    return [
        m
        for m in _models()
        if distribution.is_distributed(m) and m._meta.label_lower != "tenants.business"
    ]


def _distributed_tables() -> set[str]:
    return {t for t, kind in distribution.tables(apps) if kind == distribution.DISTRIBUTED}


def _unique_keys(model: type[models.Model]) -> list[tuple[str, ...]]:
    keys = [(f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    keys += [tuple(together) for together in model._meta.unique_together]
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert constraint.fields, f"{constraint.name}: expression keys are not checked here"
            keys.append(tuple(constraint.fields))
    return keys


def _has_tenant_key(model: type[models.Model]) -> bool:
    return any(
        isinstance(c, models.UniqueConstraint)
        and tuple(c.fields) == ("business", "id")
        and c.condition is None
        for c in model._meta.constraints
    )


# --- the models (SQLite and PostgreSQL) ---------------------------------------------------


def test_a_model_with_a_business_is_business_owned_and_the_other_way_round() -> None:
    for model in _models():
        has_business = any(f.name == "business" for f in model._meta.concrete_fields)
        if model._meta.label_lower == "tenants.business":
            continue
        assert has_business == issubclass(model, BusinessOwned), model._meta.label


def test_every_table_that_belongs_to_a_business_carries_business_id() -> None:
    unscoped = {
        m._meta.db_table
        for m in _owned()
        if not any(f.name == "business" for f in m._meta.concrete_fields)
    }
    assert not unscoped, "a many-to-many field needs a BusinessOwned through model"


def test_every_unique_key_of_a_distributed_table_includes_business_or_is_a_listed_global_key() -> (
    None
):
    global_keys_seen = set()
    for model in _models():
        if not distribution.is_distributed(model):
            continue
        column = "id" if model._meta.label_lower == "tenants.business" else "business"
        for key in _unique_keys(model):
            if column in key:
                continue
            listed = (model._meta.label_lower, key)
            assert listed in GLOBAL_KEYS, f"{model._meta.label} unique {key} lacks {column}"
            global_keys_seen.add(listed)
    assert global_keys_seen == set(GLOBAL_KEYS), "GLOBAL_KEYS lists a key that is gone"


def test_foreign_keys_between_distributed_tables_are_left_to_the_composite_keys() -> None:
    for model in _owned():
        for field in model._meta.concrete_fields:
            target = field.related_model
            if not field.is_relation or field.name == "business" or target is None:
                continue
            if not distribution.is_distributed(target):
                continue  # a reference table: any key will do
            label = f"{model._meta.label}.{field.name}"
            assert field.db_constraint is False, f"{label}: declare db_constraint=False"
            if target._meta.db_table in PARTITIONED_TABLES:
                continue  # no key can point into a partitioned table (docs/partitioning.md)
            assert _has_tenant_key(target), f"{target._meta.label} needs tenant_key()"


def test_many_to_many_fields_of_distributed_tables_go_through_a_business_owned_model() -> None:
    fields = [(m, f) for m in _owned() for f in m._meta.many_to_many]
    assert fields
    for model, field in fields:
        assert issubclass(field.remote_field.through, BusinessOwned), (
            f"{model._meta.label}.{field.name}: name a through model subclassing BusinessOwned"
        )


def test_no_reference_table_points_at_a_distributed_one() -> None:
    for model in _models():
        if distribution.is_distributed(model):
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is not None:
                assert not distribution.is_distributed(field.related_model), (
                    f"{model._meta.label}.{field.name}"
                )


def test_the_business_column_is_served_by_a_key_that_starts_with_it() -> None:
    for model in _owned():
        assert model._meta.get_field("business").db_index is False, model._meta.label
        assert distribution.business_leading_keys(model), (
            f"{model._meta.label}: no whole-table key or index starts with business"
        )


def test_the_composite_links_are_named_within_postgresql_limits() -> None:
    links = distribution.tenant_links(_models())
    assert links
    assert len({link.name for link in links}) == len(links)
    assert all(len(link.name) <= 63 for link in links)


# --- docs/scale.md ---------------------------------------------------------------------------


def _block(marker: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker}:start -->\n(.*?)\n<!-- {marker}:end -->", text, re.S)
    assert found, f"docs/scale.md has no {marker} block"
    return found.group(1).strip()


def test_docs_list_every_table_as_the_models_classify_it() -> None:
    assert _block("citus-tables") == distribution.tables_markdown(apps)


def test_docs_give_the_citus_calls_in_order() -> None:
    calls = "\n".join(distribution.citus_statements(apps))
    assert _block("citus-calls") == f"```sql\n{calls}\n```"


def test_the_calls_make_reference_tables_then_the_tenant_table_then_colocated_ones() -> None:
    calls = distribution.citus_statements(apps)
    tenant = calls.index(f"SELECT create_distributed_table('{TENANT_TABLE}', 'id');")
    assert all("create_reference_table" in c for c in calls[:tenant])
    assert all("create_reference_table" not in c for c in calls[tenant:])
    distributed = calls[tenant + 1 :]
    assert len(distributed) == len(_owned())
    assert all(f"colocate_with => '{TENANT_TABLE}'" in c for c in distributed)


# --- the real catalog (PostgreSQL) ---------------------------------------------------------

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads PostgreSQL's catalog"
)

_COLUMNS = """ARRAY(SELECT a.attname FROM unnest({keys}) WITH ORDINALITY k(n, o)
    JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.n ORDER BY k.o)"""


def _catalog_foreign_keys() -> list[tuple[str, str, str, list[str], list[str]]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.conname, s.relname, t.relname,
                   {_COLUMNS.format(keys="c.conkey", rel="c.conrelid")},
                   {_COLUMNS.format(keys="c.confkey", rel="c.confrelid")}
            FROM pg_constraint c
            JOIN pg_class s ON s.oid = c.conrelid
            JOIN pg_class t ON t.oid = c.confrelid
            JOIN pg_namespace n ON n.oid = s.relnamespace
            WHERE c.contype = 'f' AND n.nspname = current_schema()
              AND c.conparentid = 0  -- a partition's copy of its parent's key is the parent's
            """
        )
        return [(r[0], r[1], r[2], list(r[3]), list(r[4])) for r in cursor.fetchall()]


@needs_postgresql
@pytest.mark.django_db
def test_catalog_foreign_keys_between_distributed_tables_carry_business_id() -> None:
    distributed = _distributed_tables()
    found = _catalog_foreign_keys()
    assert found
    for name, source, target, columns, target_columns in found:
        if source not in distributed:
            assert target not in distributed, (
                f"{name}: reference table {source} points at distributed {target}"
            )
            continue
        if target not in distributed:
            continue
        if target == TENANT_TABLE:
            assert (columns, target_columns) == (["business_id"], ["id"]), name
        else:
            assert columns[0] == "business_id" and target_columns == ["business_id", "id"], (
                f"{name}: {source}{columns} → {target}{target_columns}"
            )


@needs_postgresql
@pytest.mark.django_db
def test_catalog_has_a_composite_key_for_every_link_of_the_model_graph() -> None:
    found = {
        (source, tuple(cols)): (target, tuple(tcols))
        for _, source, target, cols, tcols in _catalog_foreign_keys()
    }
    for link in distribution.tenant_links(_models()):
        assert found.get((link.table, ("business_id", link.column))) == (
            link.target,
            ("business_id", "id"),
        ), f"{link.table}.{link.column}: run add_tenant_foreign_keys in its app's migration"


@needs_postgresql
@pytest.mark.django_db
def test_catalog_unique_indexes_of_distributed_tables_include_business_id() -> None:
    allowed = {
        (
            apps.get_model(label)._meta.db_table,
            tuple(apps.get_model(label)._meta.get_field(f).column for f in fields),
        )
        for label, fields in GLOBAL_KEYS
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT t.relname, i.relname, x.indisprimary,
                   {_COLUMNS.format(keys="x.indkey::int2[]", rel="x.indrelid")}
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE x.indisunique AND n.nspname = current_schema()
            """
        )
        rows = cursor.fetchall()
    distributed = _distributed_tables()
    checked = 0
    for table, index, primary, columns in rows:
        if table not in distributed or primary:
            continue  # the primary key (id): becomes (business_id, id), see docs/scale.md
        checked += 1
        column = "id" if table == TENANT_TABLE else "business_id"
        assert column in columns or (table, tuple(columns)) in allowed, (
            f"{table}.{index} {columns} lacks {column}"
        )
    assert checked
