"""Duplicates and merges on the staff screens (Django test client): likelihood in words, the
side-by-side comparison with the result, the merge only after a confirmation, the notice with
its undo on the customer page, the list of recent merges, refusals shown as sentences."""

from __future__ import annotations

import re

from wateja.customers.models import Customer, CustomerMerge
from wateja.customers.services import customer_create
from wateja.tenants.roles import Role
from wateja.wallet import services as wallet

EN = {"Accept-Language": "en"}


def _pair(business):
    keep = customer_create(
        business=business, name="Anahit Sargsyan", phone="0722111222", city="Gyumri"
    )
    drop = customer_create(
        business=business,
        name="Sargsyan Anahit",
        phone="0722111333",
        email="a@example.com",
        city="Gyumri",
    )
    wallet.points_earn(customer=drop, amount=80, idempotency_key=f"web-merge-{drop.pk}")
    return keep, drop


def test_duplicates_speak_in_words_and_compare_changes_nothing(business, staff_client):
    keep, drop = _pair(business)
    client = staff_client(business, Role.MANAGER)
    page = client.get("/customers/duplicates/", headers=EN).content.decode()
    assert "Possibly the same person" in page and "check before merging" in page
    assert "0.5" not in page and "Same person" not in page
    compare = client.get(
        f"/customers/merge/compare/?keep={keep.pk}&drop={drop.pk}", headers=EN
    ).content.decode()
    assert 'data-testid="merge-preview"' in compare
    assert compare.count('data-testid="conflict"') >= 2  # name and phones differ
    assert "+254 722 111222" in compare and "+254 722 111333" in compare
    assert "Keep Sargsyan Anahit instead" in compare
    assert not CustomerMerge.objects.exists()


def test_merge_asks_first_then_the_customer_page_offers_undo(business, staff_client):
    keep, drop = _pair(business)
    client = staff_client(business, Role.MANAGER)
    asked = client.post("/customers/merge/", {"keep": keep.pk, "drop": drop.pk}, headers=EN)
    assert asked.status_code == 200 and 'data-testid="confirm"' in asked.content.decode()
    assert not CustomerMerge.objects.exists()
    done = client.post(
        "/customers/merge/", {"keep": keep.pk, "drop": drop.pk, "confirmed": "1"}, headers=EN
    )
    assert done.status_code == 302
    merge = CustomerMerge.objects.get()
    page = client.get(done["Location"], headers=EN).content.decode()
    assert 'data-testid="merge-notice"' in page and "Merged with Sargsyan Anahit" in page
    assert re.search(r'data-testid="extra-phones">\+254 722 111333', page)
    recent = client.get("/customers/duplicates/", headers=EN).content.decode()
    assert 'data-testid="merge-row"' in recent and "until" in recent

    undo = f"/customers/merges/{merge.pk}/undo/"
    assert "Undo the merge" in client.post(undo, headers=EN).content.decode()
    client.post(undo, {"confirmed": "1"}, headers=EN)
    drop.refresh_from_db()
    assert drop.merged_into_id is None and drop.phone == "+254722111333"
    assert wallet.balances(drop)["points"]["balance"] == 80
    after = client.get(f"/customers/{keep.pk}/", headers=EN).content.decode()
    assert 'data-testid="merge-notice"' not in after


def test_a_refused_undo_is_a_sentence_on_the_page(business, staff_client):
    keep, drop = _pair(business)
    client = staff_client(business, Role.MANAGER)
    client.post("/customers/merge/", {"keep": keep.pk, "drop": drop.pk, "confirmed": "1"})
    wallet.balance_spend(customer=Customer.objects.get(pk=keep.pk), amount=50, idempotency_key="s1")
    merge = CustomerMerge.objects.get()
    response = client.post(
        f"/customers/merges/{merge.pk}/undo/", {"confirmed": "1"}, headers=EN, follow=True
    )
    page = response.content.decode()
    assert "Anahit Sargsyan has spent points since the merge" in page
    assert "merge_undo" not in page


def test_merge_screens_need_a_manager_and_foreign_ids_are_404(
    business, other_business, staff_client
):
    keep, drop = _pair(business)
    cashier = staff_client(business, Role.CASHIER)
    assert (
        cashier.get(f"/customers/merge/compare/?keep={keep.pk}&drop={drop.pk}").status_code == 403
    )
    assert cashier.post("/customers/merge/", {"keep": keep.pk, "drop": drop.pk}).status_code == 403
    manager = staff_client(business, Role.MANAGER)
    manager.post("/customers/merge/", {"keep": keep.pk, "drop": drop.pk, "confirmed": "1"})
    merge = CustomerMerge.objects.get()
    theirs = staff_client(other_business, Role.OWNER)
    assert theirs.post(f"/customers/merges/{merge.pk}/undo/", {"confirmed": "1"}).status_code == 404
    foreign = theirs.get(f"/customers/merge/compare/?keep={keep.pk}&drop={drop.pk}")
    assert foreign.status_code == 302  # back to its own duplicates list, nothing shown
    merge.refresh_from_db()
    assert merge.undone_at is None
