"""Django app configuration for tenants."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "wateja.tenants"
    verbose_name = _("Businesses")
