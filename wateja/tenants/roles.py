"""Staff roles and their order: owner > manager > cashier > viewer."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    CASHIER = "cashier", _("Cashier")
    VIEWER = "viewer", _("Viewer")


_RANK = {Role.VIEWER: 0, Role.CASHIER: 1, Role.MANAGER: 2, Role.OWNER: 3}


def role_at_least(role: str, minimum: str) -> bool:
    """True when `role` carries every right of `minimum`."""
    return _RANK[Role(role)] >= _RANK[Role(minimum)]
