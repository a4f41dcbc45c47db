from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "lasting.api"
    label = "api"
