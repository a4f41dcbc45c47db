from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "lasting.outcomes"
    label = "outcomes"
