from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API hub: installed so its management command (`api_types`) is found; no models."""

    name = "apps.api"
    label = "api"
    verbose_name = "API"
