"""Showing a service's typed error on a staff screen: on the form's fields, or as lines."""

from __future__ import annotations

from typing import Any

from wateja.core.errors import DomainError


def error_lines(error: DomainError) -> list[str]:
    """The error's message, then every field problem it names."""
    fields = error.details.get("fields", {})
    return [str(error.message), *[problem for found in fields.values() for problem in found]]


def apply_to_form(form: Any, error: DomainError) -> None:
    """Field problems on their fields (unknown fields on the form); no fields: the message."""
    fields = error.details.get("fields", {})
    for field, problems in fields.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not fields:
        form.add_error(None, str(error.message))
