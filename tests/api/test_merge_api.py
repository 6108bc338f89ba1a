"""Merges through the API: a preview that changes nothing, the merge answering its record id,
the list of merges, and the undo with its typed refusals; another business's ids are 404."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from wateja.customers.models import Customer, CustomerMerge
from wateja.tenants.roles import Role
from wateja.wallet.services import ledger_check


def _pair(api):
    keep = api.post(
        "/customers", {"name": "Achieng Otieno", "phone": "0712345678", "city": "Kisumu"}
    ).json()
    drop = api.post(
        "/customers",
        {"name": "Achieng O.", "phone": "0733000222", "email": "ao@example.com", "city": "Kisumu"},
    ).json()
    api.post(
        f"/customers/{drop['id']}/wallet/earn",
        {"amount": 60, "reason": "welcome"},
        **{"Idempotency-Key": f"earn-{drop['id']}"},
    )
    return keep, drop


def test_preview_merge_list_and_undo(api):
    keep, drop = _pair(api)
    preview = api.get(f"/customers/{keep['id']}/merge-preview?other={drop['id']}")
    assert preview.status_code == 200, preview.json()
    body = preview.json()
    assert body["merged"]["phones"] == ["+254712345678", "+254733000222"]
    assert body["balances"]["points"] == {"keep": 0, "drop": 60, "merged": 60, "pending": 0}
    assert "phones" in body["conflicts"] and "name" in body["conflicts"]
    assert not CustomerMerge.objects.exists()

    merged = api.post(f"/customers/{keep['id']}/merge", {"drop_id": drop["id"]})
    assert merged.status_code == 200, merged.json()
    merge_id = merged.json()["merge_id"]
    assert merged.json()["email"] == "ao@example.com"

    listed = api.get("/customers/merges").json()["items"]
    assert [m["id"] for m in listed] == [merge_id]
    assert listed[0]["can_undo"] is True and listed[0]["drop_name"] == "Achieng O."

    undone = api.post(f"/customers/merges/{merge_id}/undo")
    assert undone.status_code == 200, undone.json()
    assert undone.json()["undone_at"] and undone.json()["can_undo"] is False
    assert api.get(f"/customers/{drop['id']}").json()["phone"] == "+254733000222"
    wallet = api.get(f"/customers/{drop['id']}/wallet").json()
    assert wallet["balances"]["points"]["balance"] == 60
    assert api.post(f"/customers/merges/{merge_id}/undo").status_code == 200  # idempotent
    assert ledger_check() == []


def test_undo_refusals_are_typed_and_translated(api, api_for, business):
    keep, drop = _pair(api)
    merge_id = api.post(f"/customers/{keep['id']}/merge", {"drop_id": drop["id"]}).json()[
        "merge_id"
    ]
    spent = api.post(
        f"/customers/{keep['id']}/wallet/spend",
        {"amount": 50},
        **{"Idempotency-Key": f"spend-{keep['id']}"},
    )
    assert spent.status_code == 200, spent.json()
    refused = api_for(business, language="ru").post(f"/customers/merges/{merge_id}/undo")
    assert refused.status_code == 409
    assert refused.json()["code"] == "merge_undo_balance_spent"
    assert refused.json()["message"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        late = api.post(f"/customers/merges/{merge_id}/undo")
    assert late.status_code == 409 and late.json()["code"] == "merge_undo_expired"
    assert Customer.objects.get(pk=drop["id"]).merged_into_id == keep["id"]


def test_merge_endpoints_need_a_manager(api, api_for, business):
    keep, drop = _pair(api)
    cashier = api_for(business, Role.CASHIER)
    assert (
        cashier.get(f"/customers/{keep['id']}/merge-preview?other={drop['id']}").status_code == 403
    )
    assert cashier.get("/customers/merges").status_code == 403


def test_another_business_merge_ids_answer_404(api, api_for, business, other_business):
    keep, drop = _pair(api)
    merge_id = api.post(f"/customers/{keep['id']}/merge", {"drop_id": drop["id"]}).json()[
        "merge_id"
    ]
    theirs = api_for(other_business)
    assert theirs.post(f"/customers/merges/{merge_id}/undo").status_code == 404
    assert theirs.get(f"/customers/merges/{merge_id}").status_code == 404
    assert theirs.get("/customers/merges").json()["items"] == []
    foreign = theirs.get(f"/customers/{keep['id']}/merge-preview?other={drop['id']}")
    assert foreign.status_code == 404
    assert CustomerMerge.objects.get(pk=merge_id).undone_at is None


def test_preview_of_a_customer_with_itself_is_a_typed_400(api):
    keep, _drop = _pair(api)
    response = api.get(f"/customers/{keep['id']}/merge-preview?other={keep['id']}")
    assert response.status_code == 400 and response.json()["code"] == "invalid_merge"
    assert api.get(f"/customers/{keep['id']}/merge-preview?other=abc").status_code == 422
    missing = api.get(f"/customers/{keep['id']}/merge-preview")
    assert missing.status_code == 400 and missing.json()["code"] == "merge_other_missing"
