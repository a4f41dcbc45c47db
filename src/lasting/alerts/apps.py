from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "lasting.alerts"
    label = "alerts"
