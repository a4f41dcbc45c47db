from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "lasting.costs"
    label = "costs"
