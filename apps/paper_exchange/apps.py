from django.apps import AppConfig


class PaperExchangeConfig(AppConfig):
    """The paper venue. It meets the desk only over HTTP, like Binance, so it has no models here:
    its state lives in its own SQLite file (see storage.py), never in the desk's database."""

    name = "apps.paper_exchange"
    label = "paper_exchange"
    verbose_name = "Paper exchange"
