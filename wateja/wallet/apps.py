"""Django app configuration for the wallet; registers its customer merge/export/erase steps."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "wateja.wallet"
    verbose_name = _("Wallet")

    def ready(self) -> None:
        from wateja.customers import hooks
        from wateja.wallet.privacy import wallet_erase
        from wateja.wallet.services import wallet_export_section, wallet_merge

        hooks.register(merge=wallet_merge, export=wallet_export_section, erase=wallet_erase)
        from wateja.wallet.opening import OpeningStep

        hooks.register_import_step(OpeningStep())
