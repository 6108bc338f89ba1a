"""Django app configuration for operations (it owns the background jobs' table)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "wateja.operations"
    verbose_name = _("Operations")
