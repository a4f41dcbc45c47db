from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "lasting.patients"
    label = "patients"
