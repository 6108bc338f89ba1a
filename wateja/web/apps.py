"""Django app configuration for the web screens."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "wateja.web"
    label = "wateja_web"
