"""Every stored field that can hold a customer's personal data is known, erased and exported.

The first test walks every model of the wateja apps and every text-like field (text, JSON,
e-mail, IP address, file, binary) and fails when one is neither in
`customers.privacy.PERSONAL_DATA` (with what erasure does and where the export shows it) nor
in `NOT_PERSONAL` (with the reason): a new model or field must be classified when it lands.
The second fills every registered place for one customer (`privacy_world`), and checks each
field holds her data before, shows it in her export, and (unless kept, with the reason) holds
none of it after her erasure; and that no field anywhere still holds any of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.security.privacy_world import (
    IP,
    World,
    build_world,
    markers_in,
    scan,
    text_fields,
    tokens_in,
    wateja_models,
)
from wateja.customers.models import Card
from wateja.customers.privacy import (
    NOT_PERSONAL,
    PERSONAL_DATA,
    customer_data_export,
    customer_erase,
)


def test_every_text_like_field_is_classified():
    unclassified, both = [], []
    for model in wateja_models():
        label = model._meta.label
        for field in text_fields(model):
            personal = field.name in PERSONAL_DATA.get(label, {})
            plain = field.name in NOT_PERSONAL.get(label, {})
            if not personal and not plain:
                unclassified.append(f"{label}.{field.name} ({type(field).__name__})")
            if personal and plain:
                both.append(f"{label}.{field.name}")
    assert unclassified == [], (
        "Classify these fields in wateja/customers/privacy.py: PERSONAL_DATA (what erasure "
        "does, where the export shows it) or NOT_PERSONAL (why not): " + ", ".join(unclassified)
    )
    assert both == []


def test_the_registry_names_only_fields_that_exist_and_gives_reasons():
    known = {m._meta.label: {f.name for f in text_fields(m)} for m in wateja_models()}
    stale = [
        f"{label}.{name}"
        for registry in (PERSONAL_DATA, NOT_PERSONAL)
        for label, fields in registry.items()
        for name in fields
        if name not in known.get(label, set())
    ]
    assert stale == []
    for fields in PERSONAL_DATA.values():
        for handling in fields.values():
            assert handling.erase and handling.export
    assert all(reason for fields in NOT_PERSONAL.values() for reason in fields.values())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _probes(world: World) -> dict[tuple[str, str], Callable[[Any], bool]]:
    """How to recognise her value in a field where no marker can be written (a choice, an
    id the program makes)."""
    cards = set(Card.objects.filter(customer=world.person).values_list("number", flat=True))
    provider_ids = set(world.provider_ids)
    return {
        ("customers.Customer", "gender"): lambda v: v == "female",
        ("customers.Customer", "language"): lambda v: v == "sw",
        ("customers.Customer", "preferred_channel"): lambda v: v == "sms",
        ("customers.Consent", "language"): lambda v: v == "sw",
        ("customers.PendingEnrolment", "language"): lambda v: v == "sw",
        ("customers.Card", "number"): lambda v: v in cards,
        ("messaging.Message", "provider_id"): lambda v: v in provider_ids,
        ("messaging.Message", "link_url"): lambda v: "/my/" in str(v),
    }


def _pieces(value: Any, by_marker: bool) -> set[str]:
    return tokens_in(value) if by_marker else {str(value).casefold()}


def test_every_personal_field_is_filled_exported_and_erased(business):
    world = build_world(business)
    probes = _probes(world)
    planted: dict[tuple[str, str], dict[Any, Any]] = {}
    models = {m._meta.label: m for m in wateja_models()}
    for label, fields in PERSONAL_DATA.items():
        model = models[label]
        for name in fields:
            attname = model._meta.get_field(name).attname
            probe = probes.get((label, name), lambda v: bool(markers_in(v)))
            rows = model._default_manager.values_list("pk", attname)
            planted[(label, name)] = {pk: value for pk, value in rows if probe(value)}
    empty = [f"{label}.{name}" for (label, name), rows in planted.items() if not rows]
    assert empty == [], "privacy_world fills no row of: " + ", ".join(empty)

    export = customer_data_export(customer=world.person)
    dump = json.dumps(export, ensure_ascii=False, default=str).casefold()
    missing = []
    for (label, name), rows in planted.items():
        handling = PERSONAL_DATA[label][name]
        assert handling.export.split(".")[0] in export, f"{label}.{name}: {handling.export}"
        by_marker = (label, name) not in probes
        pieces = set().union(*(_pieces(v, by_marker) for v in rows.values()))
        if not pieces or not any(piece in dump for piece in pieces):
            missing.append(f"{label}.{name}")
    assert missing == [], "her export does not show: " + ", ".join(missing)
    assert IP in dump

    customer_erase(customer=world.person)

    left = []
    for (label, name), rows in planted.items():
        if PERSONAL_DATA[label][name].kept:
            continue
        model = models[label]
        attname = model._meta.get_field(name).attname
        probe = probes.get((label, name), lambda v: bool(markers_in(v)))
        now = dict(model._default_manager.filter(pk__in=list(rows)).values_list("pk", attname))
        left += [f"{label}.{name} #{pk}" for pk, value in now.items() if probe(value)]
    assert left == [], "still holding her data after erasure: " + ", ".join(left)
    kept = frozenset(
        (label, name)
        for label, fields in PERSONAL_DATA.items()
        for name, handling in fields.items()
        if handling.kept
    )
    assert scan(kept) == []
