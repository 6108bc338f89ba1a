"""No index duplicates another (issue 19, item 8), read from PostgreSQL's catalog after migrating.

An index is redundant when another B-tree index on the same table starts with the same
columns and covers at least the same rows (no predicate, or the same one): a plain business_id
index beside (business_id, …), an FK index beside a composite one leading with the FK, or a
CharField's index beside its `*_like` twin (Django makes both for `db_index=True` and for
`unique=True` on PostgreSQL). A unique index is redundant only beside a unique twin. Every write
pays for each index, so each one kept must earn its place or be allowed below with its reason.
"""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalog"),
]

DJANGO_OWN = "Django's own table: its indexes come from django.contrib migrations we do not edit"

# (table, redundant index's columns) → why it stays
ALLOWED: dict[tuple[str, tuple[str, ...]], str] = {
    ("auth_group", ("name",)): DJANGO_OWN,
    ("auth_group_permissions", ("group_id",)): DJANGO_OWN,
    ("auth_permission", ("content_type_id",)): DJANGO_OWN,
    ("auth_user", ("username",)): DJANGO_OWN,
    ("auth_user_groups", ("user_id",)): DJANGO_OWN,
    ("auth_user_user_permissions", ("user_id",)): DJANGO_OWN,
    ("django_session", ("session_key",)): DJANGO_OWN,
}

_INDEXES = """
SELECT t.relname, i.relname, x.indisunique, x.indisprimary, am.amname,
       x.indexprs IS NOT NULL, pg_get_expr(x.indpred, x.indrelid),
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o)
FROM pg_index x
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_am am ON am.oid = i.relam
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p')
"""


def redundant_indexes() -> list[tuple[str, str, tuple[str, ...], str]]:
    """(table, index, its columns, the index that makes it redundant)."""
    with connection.cursor() as cursor:
        cursor.execute(_INDEXES)
        rows = cursor.fetchall()
    found = []
    for table, name, unique, primary, method, expr, predicate, columns in rows:
        if primary or method != "btree" or expr:
            continue
        for other in rows:
            o_table, o_name, o_unique, _, o_method, o_expr, o_predicate, o_columns = other
            if o_table != table or o_name == name or o_method != "btree" or o_expr:
                continue
            if list(o_columns[: len(columns)]) != list(columns):
                continue
            if o_predicate is not None and o_predicate != predicate:
                continue
            twin = list(o_columns) == list(columns)
            if unique and not (twin and o_unique and (other[3] or o_name < name)):
                continue
            if twin and not unique and not o_unique and o_predicate == predicate and o_name > name:
                continue  # report a pair of plain twins once
            found.append((table, name, tuple(columns), o_name))
            break
    return sorted(found)


def test_no_index_duplicates_another() -> None:
    left = [
        f"{table}.{name} {list(columns)} (covered by {other})"
        for table, name, columns, other in redundant_indexes()
        if (table, columns) not in ALLOWED
    ]
    assert not left, "redundant indexes:\n" + "\n".join(left)


def test_the_allow_list_names_only_indexes_that_exist() -> None:
    found = {(table, columns) for table, _, columns, _ in redundant_indexes()}
    assert set(ALLOWED) <= found, set(ALLOWED) - found


def test_the_check_sees_a_twin_when_there_is_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX wateja_twin_probe ON customers_customer (business_id)")
    assert any(name == "wateja_twin_probe" for _, name, _, _ in redundant_indexes())
