"""Django app configuration for events."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "wateja.events"
    verbose_name = _("Events and workshops")
