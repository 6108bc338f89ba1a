"""Django app configuration for challenges."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChallengesConfig(AppConfig):
    name = "wateja.challenges"
    verbose_name = _("Challenges")

    def ready(self) -> None:
        from wateja.challenges.services import challenges_export
        from wateja.challenges.surprises import surprises_export
        from wateja.customers import hooks

        hooks.register(export=challenges_export)
        hooks.register(export=surprises_export)
