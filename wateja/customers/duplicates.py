"""Likely duplicate customers, found when customers are written and stored, never computed
while a page is shown.

Every active customer has blocking keys (`DuplicateKey`): the national number of each phone
they have (its last 9 digits, so +254 712… and +255 712… meet) and their name in their city
(block: the casefolded city and the first letter of the name key; value: the name key).
Writing a customer replaces their keys and compares them with the customers sharing a key:
the same national number is a certain pair; a similar name (`name_similarity` ≥ 0.85) among
the WINDOW nearest name keys of the block is likely, or only possible when the two have other
phones or e-mails (and not even that for a common name: more than NAMESAKES customers of the
city hold it, and a million-customer base would otherwise list millions of namesakes). The
pairs found are stored as `DuplicateCandidate` rows that the duplicates list reads with keyset
pagination.

Services that write customers call `duplicates_refresh` (create, update, merge and its undo,
erasure); an import calls `duplicates_refresh_many` for the customers it wrote (one sweep
over the blocks they touch); `wateja manage duplicates_rebuild` recomputes a whole business.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from wateja.core.chunks import chunked
from wateja.core.contacts import name_similarity
from wateja.customers.models import (
    ContactKind,
    Customer,
    CustomerContact,
    DuplicateCandidate,
    DuplicateKey,
    DuplicateKeyKind,
    DuplicateStatus,
)
from wateja.tenants.models import Business

THRESHOLD = 0.85  # the least name similarity offered
UNSURE = 0.5  # the score of a pair whose contacts disagree
WINDOW = 8  # name keys compared on each side of a customer's own, in its block
NAMESAKES = 3  # a name held by more customers of a city says nothing when contacts differ
PHONE_DIGITS = 9  # the national number: the last digits of an E.164 number
BATCH = 2000
SCAN_ALL_FROM = 5_000  # touched blocks from which one ordered scan may replace IN lists
SAME_PHONE = "same_phone"
SIMILAR_NAME = "similar_name_same_city"
SIMILAR_NAME_OTHER_CONTACT = "similar_name_other_contact"


# ------------------------------------------------------------------ keys (pure)


def phone_block(phone: str) -> str:
    return phone[-PHONE_DIGITS:] if phone else ""


def name_block(city: str, key: str) -> str:
    return f"{city.casefold()}|{key[:1]}" if key else ""


def keys_of(row: dict[str, Any], extra_phones: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(kind, block, value) of one customer's row (name, name_key, city, phone)."""
    keys: list[tuple[str, str, str]] = []
    for phone in dict.fromkeys([row["phone"], *extra_phones]):
        if phone:
            keys.append((DuplicateKeyKind.PHONE, phone_block(phone), ""))
    if row["name_key"]:
        keys.append(
            (DuplicateKeyKind.NAME, name_block(row["city"], row["name_key"]), row["name_key"])
        )
    return keys


def name_pair(
    a: dict[str, Any], b: dict[str, Any], *, common: bool = False
) -> tuple[str, float] | None:
    """The reason and score of two similar names, or None below THRESHOLD. `common`: one of
    the two names is held by more than NAMESAKES customers of the city."""
    score = name_similarity(a["name"], b["name"], at_least=THRESHOLD)
    if score < THRESHOLD:
        return None
    for field in ("phone", "email"):
        if a[field] and b[field] and a[field] != b[field]:
            # two people can share a name in a city: with different phones or e-mails the
            # pair is only a guess, never offered as certain; and for a common name (many
            # namesakes in the city) not even that
            if common:
                return None
            return SIMILAR_NAME_OTHER_CONTACT, min(round(score, 2), UNSURE)
    return SIMILAR_NAME, round(score, 2)


# ------------------------------------------------------------------ writing


ROW_FIELDS = ("id", "name", "name_key", "city", "phone", "email")


def _active(business_id: int) -> Any:
    return Customer.objects.filter(
        business_id=business_id, erased_at__isnull=True, merged_into__isnull=True
    )


def _extra_phones(business_id: int, ids: Iterable[int]) -> dict[int, list[str]]:
    phones: dict[int, list[str]] = {}
    rows = CustomerContact.objects.filter(
        business_id=business_id,
        customer_id__in=list(ids),
        kind=ContactKind.PHONE,
        removed_at__isnull=True,
    ).values_list("customer_id", "value")
    for customer_id, value in rows:
        phones.setdefault(customer_id, []).append(value)
    return phones


def _forget(business_id: int, ids: list[int]) -> None:
    DuplicateKey.objects.filter(business_id=business_id, customer_id__in=ids).delete()
    DuplicateCandidate.objects.filter(
        Q(customer_a_id__in=ids) | Q(customer_b_id__in=ids),
        business_id=business_id,
        status=DuplicateStatus.OPEN,
    ).delete()


def _write_keys(business_id: int, rows: list[dict[str, Any]]) -> list[DuplicateKey]:
    extra = _extra_phones(business_id, [r["id"] for r in rows])
    keys = [
        DuplicateKey(
            business_id=business_id, customer_id=row["id"], kind=kind, block=block, value=value
        )
        for row in rows
        for kind, block, value in keys_of(row, extra.get(row["id"], ()))
    ]
    DuplicateKey.objects.bulk_create(keys, batch_size=BATCH)
    return keys


def _store(business_id: int, pairs: dict[tuple[int, int], tuple[str, float]]) -> int:
    now = timezone.now()
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(
                business_id=business_id,
                customer_a_id=a,
                customer_b_id=b,
                reason=reason,
                score=score,
                found_at=now,
            )
            for (a, b), (reason, score) in pairs.items()
        ],
        batch_size=BATCH,
        ignore_conflicts=True,  # a pair dismissed before stays dismissed
    )
    return len(pairs)


def _add(
    pairs: dict[tuple[int, int], tuple[str, float]], a: int, b: int, reason: str, score: float
) -> None:
    if a == b:
        return
    key = (min(a, b), max(a, b))
    if key not in pairs or pairs[key][1] < score:
        pairs[key] = (reason, score)


def duplicates_refresh(customer: Customer | int, *, business_id: int | None = None) -> int:
    """Recompute one customer's keys and open candidate pairs (after any write to them);
    an erased or merged customer just leaves the list. Returns the pairs stored."""
    if isinstance(customer, Customer):
        business_id, customer_id = customer.business_id, customer.pk
    else:
        customer_id = customer
        if business_id is None:
            business_id = Customer.objects.values_list("business_id", flat=True).get(pk=customer)
    _forget(business_id, [customer_id])
    row = _active(business_id).filter(pk=customer_id).values(*ROW_FIELDS).first()
    if row is None:
        return 0
    keys = _write_keys(business_id, [row])
    pairs: dict[tuple[int, int], tuple[str, float]] = {}
    others = DuplicateKey.objects.filter(business_id=business_id).exclude(customer_id=customer_id)
    phones = [k.block for k in keys if k.kind == DuplicateKeyKind.PHONE]
    if phones:
        same = others.filter(kind=DuplicateKeyKind.PHONE, block__in=phones)
        for other_id in same.values_list("customer_id", flat=True)[:50]:
            _add(pairs, customer_id, other_id, SAME_PHONE, 1.0)
    for key in keys:
        if key.kind != DuplicateKeyKind.NAME:
            continue
        block = others.filter(kind=DuplicateKeyKind.NAME, block=key.block)
        after = block.filter(value__gte=key.value).order_by("value", "customer_id")
        before = block.filter(value__lt=key.value).order_by("-value", "-customer_id")
        near = [
            *after.values_list("customer_id", flat=True)[:WINDOW],
            *before.values_list("customer_id", flat=True)[:WINDOW],
        ]
        neighbours = list(_active(business_id).filter(pk__in=near).values(*ROW_FIELDS))
        held = _holders(business_id, key.block, {key.value, *(o["name_key"] for o in neighbours)})
        for other in neighbours:
            common = max(held.get(key.value, 0), held.get(other["name_key"], 0)) > NAMESAKES
            found = name_pair(row, other, common=common)
            if found:
                _add(pairs, customer_id, other["id"], *found)
    return _store(business_id, pairs)


def _holders(business_id: int, block: str, values: set[str]) -> dict[str, int]:
    """How many customers hold each of these name keys in the block."""
    rows = (
        DuplicateKey.objects.filter(
            business_id=business_id, kind=DuplicateKeyKind.NAME, block=block, value__in=values
        )
        .values("value")
        .annotate(n=Count("id"))
        .values_list("value", "n")
    )
    return dict(rows)


def duplicates_refresh_many(business: Business | int, customer_ids: Iterable[int]) -> int:
    """`duplicates_refresh` for many customers at once (an import's): their keys are written
    in batches, then one sweep over the phone and name blocks they touch compares each of
    them with its neighbours, as the one-by-one refresh would. Returns the pairs stored."""
    business_id = business if isinstance(business, int) else business.pk
    new: set[int] = set()
    for chunk in chunked(customer_ids, BATCH):
        _forget(business_id, chunk)
        rows = list(_active(business_id).filter(pk__in=chunk).values(*ROW_FIELDS))
        _write_keys(business_id, rows)
        new.update(r["id"] for r in rows)
    if not new:
        return 0
    found = _sweep(business_id, new)
    if len(new) > BATCH:
        _analyze()
    return found


def duplicates_rebuild(business: Business | int) -> dict[str, int]:
    """Every active customer's keys and pairs of a business from scratch (existing data, or
    after a bulk load that wrote customers without the services). Dismissed pairs stay."""
    business_id = business if isinstance(business, int) else business.pk
    DuplicateKey.objects.filter(business_id=business_id).delete()
    DuplicateCandidate.objects.filter(business_id=business_id, status=DuplicateStatus.OPEN).delete()
    count = 0
    last = 0
    while True:
        rows = list(
            _active(business_id).filter(pk__gt=last).order_by("pk").values(*ROW_FIELDS)[:BATCH]
        )
        if not rows:
            break
        last = rows[-1]["id"]
        count += len(_write_keys(business_id, rows))
    found = {"keys": count, "pairs": _sweep(business_id, None)}
    _analyze()
    return found


def _analyze() -> None:
    """After a bulk write of keys and pairs, PostgreSQL's statistics of them, so that the
    next queries are not planned for the tables as they were (autovacuum comes later)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (DuplicateKey, DuplicateCandidate):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _sweep(business_id: int, new: set[int] | None) -> int:
    """Compare along the sorted keys: customers sharing a phone block, and each name key with
    the WINDOW next ones of its block; only pairs with a customer of `new` (None: all)."""
    keys = DuplicateKey.objects.filter(business_id=business_id)
    touched: dict[str, set[str]] = {DuplicateKeyKind.PHONE: set(), DuplicateKeyKind.NAME: set()}
    if new is not None:
        for chunk in chunked(sorted(new), BATCH):
            for kind, block in keys.filter(customer_id__in=chunk).values_list("kind", "block"):
                touched[kind].add(block)
    pairs: dict[tuple[int, int], tuple[str, float]] = {}

    def wanted(a: int, b: int) -> bool:
        return new is None or a in new or b in new

    def blocks(kind: str) -> Iterator[list[tuple[str, str, int]]]:
        """The keys of `kind`, one block at a time, sorted by value: the touched blocks, 500
        to a query, or one ordered scan of them all when the touched are a good part of them
        (a big import: thousands of IN lists cost more than reading every key once)."""
        selected = keys.filter(kind=kind)
        chosen: list[str] | None = None if new is None else sorted(touched[kind])
        if (
            chosen is not None
            and len(chosen) > SCAN_ALL_FROM
            and len(chosen) * 4 >= selected.count()
        ):
            chosen = None
        for part in [None] if chosen is None else list(chunked(chosen, 500)):
            rows: Any = selected if part is None else selected.filter(block__in=part)
            ordered = rows.order_by("block", "value", "customer_id").values_list(
                "block", "value", "customer_id"
            )
            group: list[tuple[str, str, int]] = []
            for row in ordered.iterator(chunk_size=BATCH):
                if group and group[0][0] != row[0]:
                    yield group
                    group = []
                group.append(row)
            if group:
                yield group

    for group in blocks(DuplicateKeyKind.PHONE):
        ids = [customer_id for _b, _v, customer_id in group][:50]
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if wanted(a, b):
                    _add(pairs, a, b, SAME_PHONE, 1.0)
    compare: list[tuple[int, int, bool]] = []

    def compare_names() -> None:
        """The name pairs gathered so far, their customers read BATCH at a time."""
        ids = sorted({x for a, b, _c in compare for x in (a, b)})
        rows = {}
        for chunk in chunked(ids, BATCH):
            for row in _active(business_id).filter(pk__in=chunk).values(*ROW_FIELDS):
                rows[row["id"]] = row
        for a, b, common in compare:
            if a in rows and b in rows:
                found = name_pair(rows[a], rows[b], common=common)
                if found:
                    _add(pairs, a, b, *found)
        compare.clear()

    for group in blocks(DuplicateKeyKind.NAME):
        held = Counter(value for _b, value, _c in group)
        for i, (_b, value_a, a) in enumerate(group):
            for _b2, value_b, b in group[i + 1 : i + 1 + WINDOW]:
                if wanted(a, b):
                    compare.append((a, b, max(held[value_a], held[value_b]) > NAMESAKES))
        if len(compare) >= BATCH:
            compare_names()
    compare_names()
    return _store(business_id, pairs)


# ------------------------------------------------------------------ reading


def duplicate_pairs(
    business: Business, *, limit: int = 50, after: tuple[float, int, int] | None = None
) -> list[DuplicateCandidate]:
    """Open candidate pairs, surest first, `limit` a page; `after` is the (score, a, b) of
    the last pair of the page before (keyset pagination: each page is one index range)."""
    pairs = DuplicateCandidate.objects.filter(business_id=business.pk, status=DuplicateStatus.OPEN)
    if after is not None:
        score, a, b = after
        pairs = pairs.filter(
            Q(score__lt=score)
            | Q(score=score, customer_a_id__gt=a)
            | Q(score=score, customer_a_id=a, customer_b_id__gt=b)
        )
    page = list(pairs.order_by("-score", "customer_a_id", "customer_b_id")[:limit])
    # the page's customers by id in a second query, not a join: a join's plan over a big base
    # depends on the pairs' statistics (a merge join over every customer when they are stale)
    ids = {x for p in page for x in (p.customer_a_id, p.customer_b_id)}
    customers = Customer.objects.filter(business_id=business.pk).in_bulk(ids)
    page = [p for p in page if p.customer_a_id in customers and p.customer_b_id in customers]
    for pair in page:  # (as the join did, a pair whose customer is gone is left out)
        pair.customer_a = customers[pair.customer_a_id]
        pair.customer_b = customers[pair.customer_b_id]
    return page


def duplicate_candidates(
    business: Business, *, limit: int = 100, after: tuple[float, int, int] | None = None
) -> list[dict[str, Any]]:
    """The stored pairs as {"a", "b", "reason", "score"} (a < b), surest first."""
    return [
        {"a": p.customer_a_id, "b": p.customer_b_id, "reason": p.reason, "score": p.score}
        for p in duplicate_pairs(business, limit=limit, after=after)
    ]
