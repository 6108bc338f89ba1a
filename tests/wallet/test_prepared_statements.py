"""On PostgreSQL the posting path prepares its statements once per connection (fewer parses
and plans on the server): the call of the posting function, or the Python path's statements
(WATEJA_PG_POSTING=python); WATEJA_PG_PREPARE=0 turns that off for poolers that lose them.
Every way posts the same."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.wallet.conftest import balance
from wateja.wallet import services as wallet
from wateja.wallet.services import ledger_check

pytestmark = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's"
)


def prepared_wallet_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%wallet_%"],
        )
        return [row[0] for row in cursor.fetchall()]


def earn_and_spend(customer, key) -> None:
    wallet.points_earn(customer=customer, amount=120, idempotency_key=key("e"))
    wallet.balance_spend(customer=customer, amount=45, idempotency_key=key("s"))
    wallet.points_earn(customer=customer, amount=10, idempotency_key=key("e"))
    wallet.balance_spend(customer=customer, amount=80, idempotency_key=key("s"))


@pytest.mark.django_db
def test_the_function_call_is_prepared(customer, key, settings):
    if not settings.PG_PREPARE:  # off by default behind PgBouncer (DATABASE_POOL=transaction)
        pytest.skip("preparing is off (WATEJA_PG_PREPARE=0 or DATABASE_POOL=transaction)")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    earn_and_spend(customer, key)
    assert any("wallet_post(" in text for text in prepared_wallet_statements())
    assert balance(customer) == 5
    assert ledger_check() == []


@pytest.mark.django_db
def test_the_python_posting_path_prepares_its_statements(customer, key, settings):
    if not settings.PG_PREPARE:  # off by default behind PgBouncer (DATABASE_POOL=transaction)
        pytest.skip("preparing is off (WATEJA_PG_PREPARE=0 or DATABASE_POOL=transaction)")
    settings.PG_POSTING = "python"
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    earn_and_spend(customer, key)
    prepared = prepared_wallet_statements()
    assert any('INSERT INTO "wallet_operation"' in text for text in prepared)
    assert any("FROM wallet_lot" in text for text in prepared)
    assert any("FOR UPDATE" in text for text in prepared)
    assert balance(customer) == 5
    assert ledger_check() == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["function", "python"])
def test_with_preparing_off_nothing_is_prepared_and_the_ledger_is_the_same(
    customer, key, settings, path
):
    settings.PG_PREPARE = False
    settings.PG_POSTING = path
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    earn_and_spend(customer, key)
    assert prepared_wallet_statements() == []
    assert balance(customer) == 5
    assert ledger_check() == []
