"""Likely duplicates found when customers are written and stored (customers.duplicates): kept
current through create, update, merge and its undo, erasure and the bulk paths, and read a
page at a time."""

from __future__ import annotations

import random

import pytest

from wateja.core.contacts import name_key
from wateja.customers import duplicates
from wateja.customers.duplicates import (
    SAME_PHONE,
    SIMILAR_NAME,
    SIMILAR_NAME_OTHER_CONTACT,
    duplicate_candidates,
    duplicates_rebuild,
    duplicates_refresh,
    duplicates_refresh_many,
)
from wateja.customers.merging import customer_merge_record, customer_merge_undo
from wateja.customers.models import Customer, DuplicateCandidate, DuplicateKey, DuplicateStatus
from wateja.customers.privacy import customer_erase
from wateja.customers.services import customer_create, customer_update

pytestmark = pytest.mark.django_db


def _pairs(business) -> set[tuple[int, int, str]]:
    return {(p["a"], p["b"], p["reason"]) for p in duplicate_candidates(business, limit=10_000)}


def test_the_same_national_number_under_another_code_is_stored_as_certain(business):
    kenyan = customer_create(business=business, name="Baraka Otieno", phone="+254712345678")
    tanzanian = customer_create(business=business, name="B. Otieno", phone="+255712345678")
    assert duplicate_candidates(business) == [
        {"a": kenyan.pk, "b": tanzanian.pk, "reason": SAME_PHONE, "score": 1.0}
    ]


def test_a_similar_name_in_the_same_city_is_likely_until_the_name_changes(business):
    first = customer_create(business=business, name="Anahit Sargsyan", email="a@x.am", city="X")
    second = customer_create(
        business=business, name="Sargsyan Anahit", city="x", phone="0722111444"
    )
    other_city = customer_create(
        business=business, name="Anahit Sargsyan", city="Y", email="y@x.am"
    )
    assert _pairs(business) == {(first.pk, second.pk, SIMILAR_NAME)}
    assert other_city.pk not in {p["b"] for p in duplicate_candidates(business)}
    customer_update(customer=second, name="Karen Petrosyan")
    assert _pairs(business) == set()


def test_different_contacts_make_the_pair_only_possible(business):
    a = customer_create(business=business, name="Anahit Sargsyan", phone="0722111222", city="X")
    b = customer_create(business=business, name="Anahit Sargsyan", phone="0722111333", city="X")
    (pair,) = duplicate_candidates(business)
    assert (pair["a"], pair["b"], pair["reason"]) == (a.pk, b.pk, SIMILAR_NAME_OTHER_CONTACT)
    assert pair["score"] < 1


def test_a_merge_takes_the_pair_out_and_its_undo_brings_it_back(business):
    keep = customer_create(business=business, name="Wanjiru Kamau", phone="+254712000001")
    drop = customer_create(business=business, name="Wanjiru Kamau", email="w@example.com")
    assert _pairs(business) == {(keep.pk, drop.pk, SIMILAR_NAME)}
    record = customer_merge_record(keep=keep, drop=drop)
    assert _pairs(business) == set()
    customer_merge_undo(merge=record)
    assert _pairs(business) == {(keep.pk, drop.pk, SIMILAR_NAME)}


def test_an_erased_customer_leaves_the_list(business):
    a = customer_create(business=business, name="Faraji Juma", phone="+254712000002")
    customer_create(business=business, name="Faraji Juma", email="f@example.com")
    customer_erase(customer=a)
    assert _pairs(business) == set()


def test_a_dismissed_pair_stays_dismissed_when_its_customers_change(business):
    a = customer_create(business=business, name="Imani Wafula", phone="+254712000003")
    b = customer_create(business=business, name="Imani Wafula", email="i@example.com")
    DuplicateCandidate.objects.filter(business=business).update(status=DuplicateStatus.DISMISSED)
    customer_update(customer=b, name="Imani  Wafula")
    duplicates_rebuild(business)
    assert _pairs(business) == set()
    row = DuplicateCandidate.objects.get(business=business)
    assert (row.customer_a_id, row.customer_b_id, row.status) == (a.pk, b.pk, "dismissed")


def _base(business, size: int = 60) -> list[Customer]:
    rng = random.Random(7)
    names = ["Amani Otieno", "Amani Otiено", "Baraka Mwangi", "Mwangi Baraka", "Njeri Wambui"]
    made = []
    for n in range(size):
        name = rng.choice(names) + ("" if rng.random() < 0.7 else f" {rng.choice('abc')}")
        phone = f"+{rng.choice(['254', '255'])}7120{rng.randrange(40):05d}"
        made.append(
            Customer.objects.create(  # written without the services, as a bulk load does
                business=business, name=name, name_key=name_key(name),
                city=rng.choice(["Nairobi", "Mombasa"]),
                phone=phone if not Customer.objects.filter(phone=phone).exists() else "",
                email=f"c{n}@example.com" if rng.random() < 0.3 else "",
            )
        )  # fmt: skip
    return made


def test_the_rebuild_and_the_bulk_refresh_find_what_writing_one_by_one_finds(business, monkeypatch):
    # wider than any block, and no name common: nothing depends on the order of writing
    monkeypatch.setattr(duplicates, "WINDOW", 100)
    monkeypatch.setattr(duplicates, "NAMESAKES", 1000)
    made = _base(business)
    for customer in made:  # one by one, as the services do
        duplicates_refresh(customer)
    one_by_one = _pairs(business)
    assert one_by_one  # the base has duplicates of each kind
    assert {reason for _a, _b, reason in one_by_one} >= {SAME_PHONE, SIMILAR_NAME}
    duplicates_rebuild(business)
    assert _pairs(business) == one_by_one
    DuplicateCandidate.objects.all().delete()
    duplicates_refresh_many(business, [c.pk for c in made])
    assert _pairs(business) == one_by_one


def test_the_bulk_refresh_of_a_whole_base_is_the_rebuild(business):
    made = _base(business)
    duplicates_rebuild(business)
    rebuilt = _pairs(business)
    DuplicateCandidate.objects.all().delete()
    duplicates_refresh_many(business, [c.pk for c in made])
    assert _pairs(business) == rebuilt


def test_a_big_import_s_one_scan_finds_what_its_block_lists_find(business, monkeypatch):
    made = _base(business)
    imported = [c.pk for c in made[len(made) // 3 :]]  # the last two thirds: "an import"
    duplicates_refresh_many(business, [c.pk for c in made[: len(made) // 3]])
    before = _pairs(business)
    duplicates_refresh_many(business, imported)  # few blocks: 500 to a query
    by_lists = _pairs(business)
    assert by_lists != before  # the import brought pairs of its own
    DuplicateCandidate.objects.filter(business=business).delete()  # as before the import
    DuplicateKey.objects.filter(business=business, customer_id__in=imported).delete()
    duplicates_refresh_many(business, [c.pk for c in made[: len(made) // 3]])
    assert _pairs(business) == before
    monkeypatch.setattr(duplicates, "SCAN_ALL_FROM", 0)  # every block in one ordered scan
    monkeypatch.setattr(duplicates, "BATCH", 7)  # names compared across blocks, 7 at a time
    duplicates_refresh_many(business, imported)
    assert _pairs(business) == by_lists


def test_pairs_are_read_a_page_at_a_time_without_gaps_or_repeats(business):
    _base(business)
    duplicates_rebuild(business)
    everything = duplicate_candidates(business, limit=10_000)
    assert len(everything) > 7
    seen: list[dict] = []
    after = None
    while True:
        page = duplicate_candidates(business, limit=3, after=after)
        if not page:
            break
        seen.extend(page)
        after = (page[-1]["score"], page[-1]["a"], page[-1]["b"])
    assert seen == everything
    assert [p["score"] for p in seen] == sorted((p["score"] for p in seen), reverse=True)


def test_another_business_never_sees_the_pairs(business, other_business):
    customer_create(business=business, name="Zawadi Chebet", phone="+254712000009")
    customer_create(business=business, name="Z Chebet", phone="+255712000009")
    customer_create(business=other_business, name="Zawadi Chebet", phone="+254712000009")
    assert len(duplicate_candidates(business)) == 1
    assert duplicate_candidates(other_business) == []


def test_namesakes_of_a_common_name_with_other_phones_are_not_offered(business, monkeypatch):
    monkeypatch.setattr(duplicates, "NAMESAKES", 1)  # a name two customers hold is common
    for n in range(3):
        customer_create(business=business, name="Mary Wanjiru", phone=f"+25471200010{n}")
    assert _pairs(business) == set()  # three Mary Wanjirus with their own phones
    lone = customer_create(business=business, name="Mary Wanjiru", email="mary@example.com")
    assert {b for _a, b, reason in _pairs(business) if reason == SIMILAR_NAME} == {lone.pk}
