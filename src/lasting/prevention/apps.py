from django.apps import AppConfig


class PreventionConfig(AppConfig):
    name = "lasting.prevention"
    label = "prevention"
