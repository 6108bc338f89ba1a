"""Django app configuration for operations (it owns the background jobs' table and
registers their erase step)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "wateja.operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from wateja.customers import hooks
        from wateja.operations.background import jobs_erase

        hooks.register(erase=jobs_erase)  # kept exports and previews go with the customer
