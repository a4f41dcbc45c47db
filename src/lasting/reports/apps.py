from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "lasting.reports"
    label = "reports"
