"""Reads of tenancy data: which businesses a user works for and with which role."""

from __future__ import annotations

from typing import Any

from wateja.tenants.models import Staff


def memberships_for_user(user: Any) -> list[Staff]:
    if not user.is_authenticated:
        return []
    return list(
        Staff.objects.filter(user=user, active=True)
        .select_related("business")
        .order_by("business__name")
    )
