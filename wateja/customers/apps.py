"""Django app configuration for customers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "wateja.customers"
    verbose_name = _("Customers")
