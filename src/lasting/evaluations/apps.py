from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "lasting.evaluations"
    label = "evaluations"
