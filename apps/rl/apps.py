from django.apps import AppConfig


class RlConfig(AppConfig):
    name = "apps.rl"
    label = "rl"
    verbose_name = "RL sizing agent"
