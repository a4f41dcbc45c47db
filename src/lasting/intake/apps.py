from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "lasting.intake"
    label = "intake"
