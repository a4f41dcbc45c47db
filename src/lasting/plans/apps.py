from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "lasting.plans"
    label = "plans"
