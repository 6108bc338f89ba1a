from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "wateja.shops"
    label = "shops"
    verbose_name = _("Online shops")
    default_auto_field = "django.db.models.BigAutoField"
