"""Django app configuration for promotions."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "wateja.promotions"
    verbose_name = _("Rewards and promotions")
