"""Django app configuration for events."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "wateja.events"
    verbose_name = _("Events and workshops")

    def ready(self) -> None:
        from wateja.customers import hooks
        from wateja.events.services import events_export_section, events_move_on_merge

        hooks.register(merge=events_move_on_merge, export=events_export_section)
