from django.apps import AppConfig


class ModelsConfig(AppConfig):
    name = "apps.models"
    label = "signal_models"  # "models" alone reads like Django's own module in migrations
    verbose_name = "Signal models and regimes"
