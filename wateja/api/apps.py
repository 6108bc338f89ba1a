"""Django app configuration for the API."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "wateja.api"
    label = "wateja_api"
