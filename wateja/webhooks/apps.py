from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "wateja.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wateja.customers import hooks
        from wateja.tenants import outbound
        from wateja.webhooks.events import listen
        from wateja.webhooks.privacy import webhooks_erase, webhooks_export

        hooks.register(export=webhooks_export, erase=webhooks_erase)
        outbound.register(listen)
