"""Django app configuration for messaging; registers its customer export and erase steps."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "wateja.messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from wateja.customers import hooks
        from wateja.messaging import privacy

        hooks.register(export=privacy.messages_export, erase=privacy.messaging_erase)
        hooks.register(export=privacy.delivery_reports_export)
        hooks.register(export=privacy.inbound_export)
        hooks.register(export=privacy.chats_export)
        hooks.register(export=privacy.feedback_export)
        hooks.register(export=privacy.survey_answers_export)
