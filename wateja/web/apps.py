"""Django app configuration for the web screens."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "wateja.web"
    label = "wateja_web"

    def ready(self) -> None:
        from wateja.web.reports import background

        background.register()  # the segment-filtered dashboard, computed as a job
