"""A new business starts with a welcome SMS in every language and the automation on."""

from __future__ import annotations

from wateja.messaging.models import Automation, Template
from wateja.messaging.starter import starter_kit


def test_starter_kit_writes_every_language_once(make_business) -> None:
    business = make_business(default_language="sw")
    made = starter_kit(business=business)
    assert starter_kit(business=business) == []
    welcome = made[0]
    texts = welcome.variants.get().texts
    assert set(texts) == {"en", "sw", "hy", "ru"}
    assert texts["en"]["body"] == "Welcome to {shop}, {name}! Your card number: {card}"
    assert texts["sw"]["body"] != texts["en"]["body"]
    assert all("{card}" in t["body"] for t in texts.values())
    active = dict(Automation.objects.filter(business=business).values_list("kind", "is_active"))
    assert active == {
        "welcome": True,
        "thank_you": False,
        "birthday": False,
        "visit_milestone": False,
        "anniversary": False,
    }
    assert Template.objects.filter(business=business).count() == 5
