"""Django app configuration for orders; registers its customer merge, export and erase steps."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "wateja.orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from wateja.customers import hooks
        from wateja.orders.privacy import orders_erase, refunds_export
        from wateja.orders.services import orders_export_section, orders_move_on_merge

        hooks.register(merge=orders_move_on_merge, export=orders_export_section)
        hooks.register(export=refunds_export, erase=orders_erase)
