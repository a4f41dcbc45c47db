from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "lasting.risk"
    label = "risk"
