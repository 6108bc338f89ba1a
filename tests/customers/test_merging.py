"""Merging two customer records and undoing it: both phones and e-mails kept, a record of
what moved, and an undo that puts everything back exactly — profile, contacts, cards,
consents, history, tags, orders and balances (by new balancing transfers; the ledger check
stays clean) — within 30 days, once, and never after the moved points were spent."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from wateja.core.errors import NotFound
from wateja.customers.merging import (
    MergeUndoExpired,
    MergeUndoRefused,
    customer_emails,
    customer_merge,
    customer_merge_record,
    customer_merge_undo,
    customer_phones,
    merge_preview,
)
from wateja.customers.models import Card, Consent, CustomerContact, CustomerMerge, Interaction
from wateja.customers.selectors import customer_identify, customer_search, duplicate_candidates
from wateja.customers.services import (
    CustomerInactive,
    consent_record,
    customer_create,
    customer_tags,
    interaction_add,
)
from wateja.orders.models import Order
from wateja.orders.services import order_record
from wateja.tenants.models import AuditEvent
from wateja.tenants.scoping import get_owned
from wateja.wallet import services as wallet
from wateja.wallet.models import Account, Lot, Transfer
from wateja.wallet.services import MergeUndoSpent, ledger_check, wallet_merge_preview

_keys = itertools.count(1)


def key() -> str:
    return f"merge-test-{next(_keys)}"


def points(customer, kind="points") -> int:
    account = Account.objects.filter(customer=customer, kind=kind).first()
    return account.balance if account else 0


def lots(customer, kind="points"):
    return sorted(
        (lot.remaining, lot.expires_at)
        for lot in Lot.objects.filter(account__customer=customer, account__kind=kind)
        if lot.remaining
    )


@pytest.fixture
def manager(db):
    return get_user_model().objects.create_user("merge-manager", password="pw-test-123")


@pytest.fixture
def pair(business):
    """Two records of one person: a phone-only one with history and a rival e-mail one."""
    wallet_settings = wallet.wallet_settings(business)
    wallet_settings.expiry_rule, wallet_settings.expiry_n = "days", 90
    wallet_settings.save()
    keep = customer_create(
        business=business, name="Wanjiku Kamau", phone="0712345678", city="Nairobi", tags=["vip"]
    )
    drop = customer_create(
        business=business,
        name="Wanjiku K.",
        phone="0733000111",
        email="wk@example.com",
        city="Nairobi",
        notes="Oat milk",
        birth_day=3,
        birth_month=5,
        tags=["oat", "vip"],
    )
    consent_record(customer=drop, channel="sms", granted=True, text="ok", source="staff")
    interaction_add(customer=drop, kind="complaint", summary="Cold coffee")
    order_record(business=business, number="D-1", total_minor=50_000, customer=drop)
    order_record(business=business, number="K-1", total_minor=20_000, customer=keep)
    wallet.points_earn(customer=keep, amount=40, idempotency_key=key())
    wallet.points_earn(customer=drop, amount=25, idempotency_key=key())
    wallet.points_earn(customer=drop, amount=10, idempotency_key=key())
    wallet.store_credit_topup(customer=drop, amount_minor=5_000, idempotency_key=key())
    keep.refresh_from_db()
    drop.refresh_from_db()
    return keep, drop


def _state(customer):
    customer.refresh_from_db()
    return {
        "profile": {
            f: getattr(customer, f)
            for f in ("name", "phone", "email", "city", "notes", "birth_day", "birth_month")
        },
        "active": customer.is_active,
        "phones": customer_phones(customer),
        "emails": customer_emails(customer),
        "cards": sorted(Card.objects.filter(customer=customer).values_list("pk", flat=True)),
        "consents": sorted(Consent.objects.filter(customer=customer).values_list("pk", flat=True)),
        "tags": customer_tags(customer),
        "orders": sorted(Order.objects.filter(customer=customer).values_list("number", flat=True)),
        "purchases": (customer.purchase_count, customer.total_spent_minor),
        "wallet": {k: v["balance"] for k, v in wallet.balances(customer).items() if v["balance"]},
        "lots": lots(customer),
    }


def test_merge_keeps_both_phones_and_emails_and_records_what_moved(pair, manager):
    keep, drop = pair
    record = customer_merge_record(keep=keep, drop=drop, actor=manager)
    keep.refresh_from_db()
    assert customer_phones(keep) == ["+254712345678", "+254733000111"]
    assert customer_emails(keep) == ["wk@example.com"]  # keep had none: its profile is filled
    assert keep.email == "wk@example.com" and keep.birth_day == 3
    assert (points(keep), points(keep, "store_credit")) == (75, 5_000)
    assert keep.purchase_count == 2
    assert set(customer_tags(keep)) == {"oat", "vip"}
    parts = record.snapshot
    assert {"customer", "orders", "wallet"} <= set(parts)
    assert parts["customer"]["drop_profile"]["phone"] == "+254733000111"
    assert len(parts["wallet"]["operations"]) == 2  # points and store credit
    # the till and the search find the merged customer by the other record's phone
    assert customer_identify(keep.business, phone="0733 000 111") == keep
    assert keep in customer_search(keep.business, "0733000")
    assert AuditEvent.objects.filter(action="customer.merge", object_id=str(keep.pk)).exists()
    assert ledger_check() == []


def test_undo_restores_everything_exactly_including_wallet_and_orders(pair, manager):
    keep, drop = pair
    before = (_state(keep), _state(drop))
    record = customer_merge_record(keep=keep, drop=drop, actor=manager)
    undone = customer_merge_undo(merge=record, actor=manager)
    assert undone.undone_at is not None and undone.undone_by == manager
    after = (_state(keep), _state(drop))
    assert after == before
    assert customer_identify(keep.business, phone="0733000111") == drop
    assert Interaction.objects.filter(customer=drop, summary="Cold coffee").exists()
    # both timelines say so; the ledger moved back by new transfers, never by edits
    for customer in (keep, drop):
        assert Interaction.objects.filter(customer=customer, summary__contains="undone").exists()
    assert Transfer.objects.filter(code="merge_undo").count() == 3  # two lots + store credit
    assert ledger_check() == []
    assert AuditEvent.objects.filter(action="customer.merge_undo").count() == 1
    # twice is once
    again = customer_merge_undo(merge=record, actor=manager)
    assert again.undone_at == undone.undone_at
    assert Transfer.objects.filter(code="merge_undo").count() == 3
    assert AuditEvent.objects.filter(action="customer.merge_undo").count() == 1


def test_the_same_merge_asked_twice_moves_nothing_twice(pair):
    keep, drop = pair
    first = customer_merge_record(keep=keep, drop=drop)
    again = customer_merge_record(keep=keep, drop=drop)
    assert again.pk == first.pk and CustomerMerge.objects.count() == 1
    assert points(keep) == 75
    with pytest.raises(CustomerInactive):
        customer_merge_record(keep=drop, drop=keep)


def test_a_merge_undone_can_be_made_again(pair):
    keep, drop = pair
    customer_merge_undo(merge=customer_merge_record(keep=keep, drop=drop))
    drop.refresh_from_db()
    customer_merge(keep=keep, drop=drop)
    assert (points(keep), points(drop)) == (75, 0)
    assert ledger_check() == []


def test_undo_refused_once_the_moved_points_are_spent(pair):
    keep, drop = pair
    record = customer_merge_record(keep=keep, drop=drop)
    keep.refresh_from_db()
    wallet.balance_spend(customer=keep, amount=70, idempotency_key=key())
    with pytest.raises(MergeUndoSpent) as refused:
        customer_merge_undo(merge=record)
    assert refused.value.status == 409
    assert "has spent points since the merge" in str(refused.value.message)
    record.refresh_from_db()
    drop.refresh_from_db()
    assert record.undone_at is None and drop.merged_into_id == keep.pk  # nothing changed
    assert points(keep) == 5
    assert ledger_check() == []


def test_spending_only_the_kept_customers_own_points_still_allows_undo(pair):
    keep, drop = pair
    record = customer_merge_record(keep=keep, drop=drop)
    keep.refresh_from_db()
    wallet.balance_spend(customer=keep, amount=30, idempotency_key=key())
    customer_merge_undo(merge=record)
    assert (points(keep), points(drop)) == (10, 35)
    assert ledger_check() == []


def test_pending_points_follow_the_undo(business):
    keep = customer_create(business=business, name="Amani", phone="0712000001")
    drop = customer_create(business=business, name="Amani M", phone="0712000002")
    wallet.points_earn(customer=drop, amount=30, idempotency_key=key(), pending_days=7)
    record = customer_merge_record(keep=keep, drop=drop)
    assert wallet.balances(keep)["points"]["pending_in"] == 30
    customer_merge_undo(merge=record)
    assert wallet.balances(drop)["points"]["pending_in"] == 30
    assert wallet.balances(keep)["points"]["pending_in"] == 0
    wallet.pending_timeouts(business=business, now=timezone.now() + dt.timedelta(days=8))
    assert (points(keep), points(drop)) == (0, 30)
    assert ledger_check() == []


def test_undo_after_thirty_days_is_refused(pair):
    keep, drop = pair
    record = customer_merge_record(keep=keep, drop=drop)
    later = timezone.now() + dt.timedelta(days=30, hours=1)
    with time_machine.travel(later), pytest.raises(MergeUndoExpired) as expired:
        customer_merge_undo(merge=record)
    assert expired.value.code == "merge_undo_expired"
    with time_machine.travel(timezone.now() + dt.timedelta(days=29)):
        customer_merge_undo(merge=record)
    assert ledger_check() == []


def test_undo_refused_when_the_phone_went_to_someone_else(pair):
    keep, drop = pair
    record = customer_merge_record(keep=keep, drop=drop)
    CustomerContact.objects.filter(value="+254733000111").update(removed_at=timezone.now())
    customer_create(business=keep.business, name="Newcomer", phone="0733000111")
    with pytest.raises(MergeUndoRefused) as refused:
        customer_merge_undo(merge=record)
    assert refused.value.code == "merge_undo_contact_taken"


def test_another_business_merge_is_not_found(pair, other_business):
    keep, drop = pair
    record = customer_merge_record(keep=keep, drop=drop)
    with pytest.raises(NotFound):
        get_owned(CustomerMerge, other_business, pk=record.pk)


def test_preview_shows_both_records_the_result_and_the_differences(pair):
    keep, drop = pair
    preview = merge_preview(keep=keep, drop=drop)
    assert preview["merged"]["phones"] == ["+254712345678", "+254733000111"]
    assert preview["merged"]["emails"] == ["wk@example.com"]
    assert preview["merged"]["purchase_count"] == 2
    assert preview["merged"]["tags"] == ["oat", "vip"]
    assert preview["merged"]["consents"] == {"sms": True, "email": False}
    assert "name" in preview["conflicts"] and "phones" in preview["conflicts"]
    assert "city" not in preview["conflicts"]
    balances = wallet_merge_preview(keep, drop)
    assert balances["points"] == {"keep": 40, "drop": 35, "merged": 75, "pending": 0}
    assert CustomerMerge.objects.count() == 0  # a preview changes nothing


def test_different_phones_are_never_offered_as_certain(business):
    customer_create(business=business, name="Anahit Sargsyan", phone="0722111222", city="X")
    customer_create(business=business, name="Anahit Sargsyan", phone="0722111333", city="X")
    (pair,) = duplicate_candidates(business)
    assert pair["reason"] == "similar_name_other_contact" and pair["score"] < 1


def test_a_kept_phone_makes_a_new_record_with_it_a_certain_duplicate(pair):
    keep, drop = pair
    customer_merge(keep=keep, drop=drop)
    other = customer_create(business=keep.business, name="Someone", phone="+255733000111")
    found = duplicate_candidates(keep.business)
    assert {"a": keep.pk, "b": other.pk, "reason": "same_phone", "score": 1.0} in found


def _by_expiry(customer):
    totals: dict[object, int] = {}
    for remaining, expires in lots(customer):
        totals[expires] = totals.get(expires, 0) + remaining
    return totals


def test_a_moved_debt_goes_back_and_the_kept_points_regain_their_expiry(business):
    row = wallet.wallet_settings(business)
    row.clawback, row.expiry_rule, row.expiry_n = "negative", "days", 60
    row.save()
    keep = customer_create(business=business, name="Baraka", phone="0712000011")
    drop = customer_create(business=business, name="Baraka O", phone="0712000012")
    wallet.points_earn(customer=keep, amount=300, idempotency_key=key())
    wallet.points_earn(customer=drop, amount=100, idempotency_key=key(), reference="o:debt")
    wallet.balance_spend(customer=drop, amount=100, idempotency_key=key())
    wallet.order_refund_reverse(
        business=business,
        order_reference="o:debt",
        refund_key="r-debt",
        refunded_before=0,
        refunded_now=1000,
        order_total=1000,
    )
    assert points(drop) == -100
    before = _by_expiry(keep)
    record = customer_merge_record(keep=keep, drop=drop)
    assert (points(keep), points(drop)) == (200, 0)
    customer_merge_undo(merge=record)
    assert (points(keep), points(drop)) == (300, -100)
    assert _by_expiry(keep) == before
    assert ledger_check() == []


def test_points_that_came_out_of_their_return_window_on_the_kept_customer_go_back(business):
    keep = customer_create(business=business, name="Neema", phone="0712000021")
    drop = customer_create(business=business, name="Neema W", phone="0712000022")
    wallet.points_earn(customer=drop, amount=45, idempotency_key=key(), pending_days=7)
    record = customer_merge_record(keep=keep, drop=drop)
    later = timezone.now() + dt.timedelta(days=8)
    wallet.pending_timeouts(business=business, now=later)
    assert points(keep) == 45
    with time_machine.travel(later):
        customer_merge_undo(merge=record)
    assert (points(keep), points(drop)) == (0, 45)
    assert ledger_check() == []


def test_a_phone_kept_from_a_merge_cannot_enrol_a_second_customer(pair):
    from wateja.customers.services import DuplicateCustomer

    keep, drop = pair
    customer_merge_record(keep=keep, drop=drop)
    with pytest.raises(DuplicateCustomer):
        customer_create(business=keep.business, name="Someone", phone="0733 000 111")


def test_the_timeline_says_merged_and_undone_in_the_readers_language(pair, manager):
    from django.utils import translation

    from wateja.customers.events import interaction_text

    keep, drop = pair
    record = customer_merge_record(keep=keep, drop=drop, actor=manager)
    customer_merge_undo(merge=record, actor=manager)
    notes = Interaction.objects.filter(reference=f"merge:{record.pk}").order_by("id")
    assert [n.event for n in notes] == [
        "customer_merged", "customer_merge_undone", "customer_merge_undone"
    ]  # fmt: skip
    with translation.override("en"):
        assert interaction_text(notes[0]) == f"Merged with {drop.name} (#{drop.pk})"
    with translation.override("ru"):
        assert "Merged" not in interaction_text(notes[0])
