"""Orders and the ledger's transfers and entries as monthly partitions on PostgreSQL: rows land in
their month, an order number stays unique across months, old months move out of the default
partition, a bounded query reads only its months, and an ended month can be detached."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from wateja.cli import main as wateja_main
from wateja.orders.models import Order
from wateja.orders.services import order_record
from wateja.tenants import partitioning
from wateja.wallet.models import Entry, Transfer
from wateja.wallet.services import ledger_check

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are made on PostgreSQL only"
)
UTC = dt.UTC


def _partition_of(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT tableoid::regclass::text FROM "{table}" WHERE id = %s', [pk])
        return str(cursor.fetchone()[0])


@postgres_only
@pytest.mark.django_db
def test_the_big_tables_are_partitioned_with_this_month_and_three_ahead() -> None:
    now = dt.datetime.now(UTC)
    for part in partitioning.PARTITIONED:
        assert partitioning.is_partitioned(part.table)
        months = {row["month"] for row in partitioning.partitions(part.table)}
        month = partitioning.month_start(now)
        for _ in range(4):
            assert month in months, (part.table, month)
            month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        names = [row["name"] for row in partitioning.partitions(part.table)]
        assert f"{part.table}_pdefault" in names


@postgres_only
@pytest.mark.django_db
def test_an_order_lands_in_its_month_and_an_old_one_moves_out_of_the_default(business) -> None:
    now = dt.datetime.now(UTC)
    recent = order_record(business=business, number="A-1", total_minor=100, placed_at=now)
    assert _partition_of("orders_order", recent.pk) == partitioning.partition_name(
        "orders_order", partitioning.month_start(now)
    )
    old_day = dt.datetime(2019, 5, 17, 12, tzinfo=UTC)
    old = order_record(business=business, number="A-2", total_minor=250, placed_at=old_day)
    assert _partition_of("orders_order", old.pk) == "orders_order_pdefault"

    assert partitioning.create_month("orders_order", old_day.date()) is True
    assert _partition_of("orders_order", old.pk) == "orders_order_p201905"
    assert partitioning.create_month("orders_order", old_day.date()) is False
    # the nightly run gives every month the default partition caught its own partition
    older = order_record(
        business=business,
        number="A-3",
        total_minor=75,
        placed_at=dt.datetime(2018, 8, 9, tzinfo=UTC),
    )
    assert _partition_of("orders_order", older.pk) == "orders_order_pdefault"
    assert "orders_order_p201808" in partitioning.ensure_months(now=now)
    assert _partition_of("orders_order", older.pk) == "orders_order_p201808"
    assert partitioning.months_in_default("orders_order") == []
    assert Order.objects.get(pk=old.pk).total_minor == 250


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_order_number_stays_unique_in_its_business_across_months(
    business, other_business
) -> None:
    may = dt.datetime(2025, 5, 2, tzinfo=UTC)
    june = dt.datetime(2025, 6, 2, tzinfo=UTC)
    first = order_record(business=business, number="R-7", total_minor=100, placed_at=may)
    with pytest.raises(IntegrityError, match="order_number_unique"), transaction.atomic():
        Order.objects.create(
            business=business, number="R-7", currency="KES", subtotal_minor=100,
            total_minor=100, placed_at=june,
        )  # fmt: skip
    # another business may use the same number, and the idempotent service still answers
    order_record(business=other_business, number="R-7", total_minor=100, placed_at=june)
    again = order_record(business=business, number="R-7", total_minor=100, placed_at=may)
    assert again.pk == first.pk
    # moving an order to another month keeps its number; deleting one frees it
    Order.objects.filter(pk=first.pk).update(placed_at=june)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(
            business=business, number="R-7", currency="KES", subtotal_minor=1,
            total_minor=1, placed_at=may,
        )  # fmt: skip
    Order.objects.filter(pk=first.pk).delete()
    reused = order_record(business=business, number="R-7", total_minor=5, placed_at=may)
    assert reused.total_minor == 5


@postgres_only
@pytest.mark.django_db
def test_a_query_bounded_in_time_reads_only_its_months(business) -> None:
    start = dt.datetime(2030, 3, 1, tzinfo=UTC)
    partitioning.ensure_months(now=start, ahead=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT count(*) FROM orders_order WHERE business_id = %s "
            "AND placed_at >= %s AND placed_at < %s",
            [business.pk, start, start + dt.timedelta(days=20)],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "orders_order_p203003" in plan
    assert "orders_order_p203004" not in plan
    assert "orders_order_pdefault" not in plan


@postgres_only
@pytest.mark.django_db
def test_an_ended_month_is_detached_from_the_command_line(business, capsys) -> None:
    old_day = dt.datetime(2021, 2, 10, tzinfo=UTC)
    order = order_record(business=business, number="D-1", total_minor=100, placed_at=old_day)
    partitioning.create_month("orders_order", old_day.date())
    assert wateja_main(["partitions", "--detach", "2021-02"]) == 0
    assert "orders_order_p202102: detached" in capsys.readouterr().out
    assert not Order.objects.filter(pk=order.pk).exists()
    assert wateja_main(["partitions", "--detach", dt.datetime.now(UTC).strftime("%Y-%m")]) == 2
    assert wateja_main(["partitions"]) == 0
    assert "orders_order_pdefault" in capsys.readouterr().out


@pytest.mark.django_db
def test_check_ledger_finds_an_entry_whose_transfer_is_gone(business) -> None:
    from wateja.customers.services import customer_create
    from wateja.wallet.services import points_grant

    customer = customer_create(business=business, name="Amina", phone="+254712000001")
    points_grant(customer=customer, amount=50, reason="welcome", idempotency_key="p-1")
    assert ledger_check(business) == []
    entry = Entry.objects.filter(business=business).first()
    Entry.objects.filter(pk=entry.pk).update(
        transfer_id=Transfer.objects.order_by("-id")[0].pk + 99
    )
    assert any("does not exist" in line for line in ledger_check(business))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_message_key_is_used_once_across_months_and_a_batch_skips_used_keys(business) -> None:
    from wateja.customers.services import customer_create
    from wateja.messaging.models import Message

    customer = customer_create(business=business, name="Baraka", phone="+254712000002")

    def message(key: str | None, when: dt.datetime, token: str) -> Message:
        return Message(
            business=business, customer=customer, channel="sms", purpose="marketing",
            to_address="+254712000002", body="Karibu", status="queued", dedupe_key=key,
            created_at=when, token=token,
        )  # fmt: skip

    april, may = dt.datetime(2026, 4, 3, tzinfo=UTC), dt.datetime(2026, 5, 3, tzinfo=UTC)
    message("birthday:2026", april, "t1").save()
    with pytest.raises(IntegrityError, match="message_once_per_key"), transaction.atomic():
        message("birthday:2026", may, "t2").save()
    with pytest.raises(IntegrityError, match="message_token_unique"), transaction.atomic():
        message(None, may, "t1").save()
    message(None, may, "t3").save()
    message(None, may, "t4").save()  # no key: any number of them

    with partitioning.skipping_duplicate_keys():
        Message.objects.bulk_create(
            [message("birthday:2026", may, "t5"), message("welcome", may, "t6")],
            ignore_conflicts=True,
        )
    assert sorted(Message.objects.values_list("token", flat=True)) == ["t1", "t3", "t4", "t6"]
    # outside the block a duplicate fails again
    with pytest.raises(IntegrityError), transaction.atomic():
        message("welcome", april, "t7").save()
