"""Django app configuration for analytics."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "wateja.analytics"
    verbose_name = _("Analytics")
