"""Django app configuration for messaging."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "wateja.messaging"
    verbose_name = _("Messaging")
