"""Points a program's rule gives (an event attended, a challenge place, a surprise): once per
key, posted at once, named in the customer's history, counted with the points given."""

from __future__ import annotations

from wateja.wallet.selectors import wallet_history
from wateja.wallet.services import ledger_check, points_award

from .conftest import balance


def test_an_award_is_posted_once_per_key_and_reads_as_a_program_reward(business, customer):
    first = points_award(
        customer=customer,
        amount=50,
        idempotency_key="event:7:customer",
        reason="Tasting evening",
        reference="event:7",
    )
    again = points_award(
        customer=customer,
        amount=50,
        idempotency_key="event:7:customer",
        reason="Tasting evening",
        reference="event:7",
    )

    assert again.replayed and again.operation_id == first.operation_id
    assert balance(customer) == 50
    history = wallet_history(customer, limit=5)
    assert [str(row["label"]) for row in history][:1] == [
        "A reward from the program (an event, a challenge, a surprise)"
    ]
    assert ledger_check(business) == []
