from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "lasting.clinic"
    label = "clinic"
