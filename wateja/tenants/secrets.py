"""Secrets at rest: a business's provider credentials (API keys, auth tokens, callback
secrets) are stored encrypted with Fernet (AES-128-CBC and HMAC-SHA256, from
`cryptography`), so a copied database file or dump does not give them away.

The keys come from WATEJA_FERNET_KEY (one key, or several separated by commas: the first
encrypts, every one decrypts, which is how a key is rotated) or, when it is unset, from the
file `fernet_key` in the data directory, generated once, readable by its owner only
(settings.FERNET_KEYS). `wateja backup` copies the keys beside each backup and
`wateja restore` brings them back (wateja/operations/backup.py).

Models use `EncryptedTextField`, so no caller can forget: the column holds the Fernet token,
Python sees the plain text. A value the keys cannot open (a database restored without its
key) reads as empty, so nothing crashes and the provider looks unconfigured, and is written
back unchanged when the row is saved, so the secret is not lost once the key is back;
`wateja doctor` reports it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models

from wateja.core.files import write_private

# every Fernet token starts so (its version byte 0x80, then the time): not a secret
TOKEN_PREFIX = "gAAAAA"  # noqa: S105


def key_file() -> Path:
    return Path(settings.DATA_DIR) / "fernet_key"


def keys_from_environment() -> bool:
    return bool(os.environ.get("WATEJA_FERNET_KEY", "").strip())


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def current_keys() -> list[str]:
    return list(settings.FERNET_KEYS)


def keys_add(keys: list[str]) -> list[str]:
    """Add keys (those of a restored backup) after the ones in use, in the key file and in
    this process: they decrypt from now on, the first key still encrypts. Returns the keys
    added. Raises RuntimeError when the keys come from WATEJA_FERNET_KEY (only its owner can
    change it)."""
    known = current_keys()
    missing = [key for key in keys if key not in known]
    if not missing:
        return []
    if keys_from_environment():
        raise RuntimeError("WATEJA_FERNET_KEY")
    for key in missing:
        Fernet(key.encode())  # a malformed key fails here, before anything is written
    path = key_file()
    text = "".join(f"{key}\n" for key in [*known, *missing])
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)
    write_private(partial, text)
    partial.replace(path)
    settings.FERNET_KEYS = [*known, *missing]
    return missing


def encrypt(text: str) -> str:
    return _fernet(tuple(current_keys())).encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of a token; raises InvalidToken when no key opens it."""
    return _fernet(tuple(current_keys())).decrypt(token.encode()).decode()


class Undecryptable(str):
    """A stored secret no key here opens: it reads as an empty string, and is written back
    as the token it was when its row is saved."""

    token: str

    def __new__(cls, token: str) -> Undecryptable:
        value = super().__new__(cls, "")
        value.token = token
        return value


def _open(value: str) -> str:
    if not value.startswith(TOKEN_PREFIX):
        return value  # written before encryption: encrypted at the next save
    try:
        return decrypt(value)
    except InvalidToken:
        return Undecryptable(value)


class EncryptedTextField(models.TextField):
    """A text column that holds a Fernet token of the value (empty stays empty)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value:
            return value
        return _open(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Undecryptable):
            return value.token
        value = models.Field.get_prep_value(self, value)  # lazy text resolved, nothing opened
        if value is None or value == "":
            return value
        return encrypt(str(value))


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) stored encrypted, in every installed app."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField)
    ]


def undecryptable_count() -> int:
    """How many stored secrets no key here opens."""
    count = 0
    for model, name in encrypted_fields():
        for value in model._default_manager.values_list(name, flat=True).iterator():
            count += isinstance(value, Undecryptable)
    return count


def _stored_rewrite(schema_editor: Any, table: str, columns: tuple[str, ...], change: Any) -> None:
    names = ", ".join(columns)
    assignments = ", ".join(f"{column} = %s" for column in columns)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {names} FROM {table}")  # noqa: S608 (fixed names)
        for pk, *values in cursor.fetchall():
            changed = [change(value) if value else value for value in values]
            if changed != values:
                update = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608
                cursor.execute(update, [*changed, pk])


def stored_encrypt(schema_editor: Any, table: str, columns: tuple[str, ...]) -> None:
    """For a migration that makes `columns` of `table` encrypted: encrypt what is stored."""
    _stored_rewrite(
        schema_editor, table, columns, lambda v: v if v.startswith(TOKEN_PREFIX) else encrypt(v)
    )


def stored_decrypt(schema_editor: Any, table: str, columns: tuple[str, ...]) -> None:
    """The same migration backwards: the stored tokens become plain text again."""
    _stored_rewrite(
        schema_editor, table, columns, lambda v: decrypt(v) if v.startswith(TOKEN_PREFIX) else v
    )


def encrypt_columns_operation(table: str, columns: tuple[str, ...]) -> Any:
    """The migration step that encrypts what `columns` of `table` already hold (and, run
    backwards, opens it again)."""
    from django.db import migrations

    return migrations.RunPython(
        lambda _apps, editor: stored_encrypt(editor, table, columns),
        lambda _apps, editor: stored_decrypt(editor, table, columns),
    )
