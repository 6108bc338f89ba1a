from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "wateja.payments"
    label = "payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wateja.customers import hooks
        from wateja.payments.privacy import payments_erase, payments_export, payouts_export

        hooks.register(export=payments_export, erase=payments_erase)
        hooks.register(export=payouts_export)
