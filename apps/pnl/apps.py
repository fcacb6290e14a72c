from django.apps import AppConfig


class PnlConfig(AppConfig):
    name = "apps.pnl"
    label = "pnl"
    verbose_name = "PnL ledger"
