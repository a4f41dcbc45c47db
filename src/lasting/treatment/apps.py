from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "lasting.treatment"
    label = "treatment"
