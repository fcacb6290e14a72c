from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "apps.trading"
    label = "trading"
    verbose_name = "Trading desk"

    def ready(self) -> None:
        # every intent, order and position row written is announced to the live feed
        from apps.trading.events import receivers_connect

        receivers_connect()
