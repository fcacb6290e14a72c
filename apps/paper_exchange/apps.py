from django.apps import AppConfig


class PaperExchangeConfig(AppConfig):
    """The paper venue. It meets the desk only over HTTP, like Binance: its state lives in its own
    SQLite file (see storage.py), never in the desk's database (its one model has no table)."""

    name = "apps.paper_exchange"
    label = "paper_exchange"
    verbose_name = "Paper exchange"
