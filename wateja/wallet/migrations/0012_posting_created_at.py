"""The posting function writes its rows' `created_at` from the service's clock (`p_now`,
which is `timezone.now()` unless a caller gives its own), as the Python path's
`auto_now_add` does, instead of the database's `now()`.

The two clocks differ in tests that move the application's clock, and they decide the
month partition a transfer or entry lands in and the period a challenge counts it in.
The function's text stays in 0005; this migration replaces its six `now()` and nothing else.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations

_first = importlib.import_module("wateja.wallet.migrations.0005_posting_function")


def _with(clock: str) -> str:
    text = _first.POST
    assert text.count("now())") == 6, "0005's function changed shape"
    return text.replace("now())", f"{clock})")


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_with("p_now"))


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_first.POST)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0011_entry_business_time")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
